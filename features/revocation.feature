@revocation
Feature: Token revocation (RFC 7009)
  A client revokes its own tokens; revoking a refresh token ends the grant; a token of another
  client is not revoked; an unknown token is not an error.

  @RFC7009-2 @RFC7009-2.1 @RFC7009-2.2 @MUST @grant-password
  Scenario: A client revokes its refresh token
    Given the password client has an access token and a refresh token
    When the password client revokes the refresh token
    Then the response status is 200
    And the refresh token no longer works

  @RFC7009-2 @SHOULD @grant-client-credentials @introspection
  Scenario: A client revokes its access token
    Given the client credentials client has an access token
    When the client credentials client revokes the access token
    Then the response status is 200
    And the access token is no longer active

  @RFC7009-2.1 @SHOULD @grant-password @introspection
  Scenario: Revoking a refresh token also revokes the access tokens of its grant
    Given the password client has an access token and a refresh token
    When the password client revokes the refresh token
    Then the response status is 200
    And the access token is no longer active

  @RFC7009-2.1 @MUST @grant-password @introspection
  Scenario: A client cannot revoke a token issued to another client
    Given the password client has an access token and a refresh token
    When the client credentials client revokes the refresh token
    Then the revocation endpoint refuses the request
    And the refresh token is still active

  @RFC7009-2.1 @MUST @grant-client-credentials @grant-authorization-code @introspection
  Scenario: A client cannot revoke another client's access token
    Given the client credentials client has an access token
    When the confidential client revokes the access token
    Then the revocation endpoint refuses the request
    And the access token is still active

  @RFC7009-2.2 @MUST
  Scenario: Revoking an unknown token answers 200
    When the client credentials client revokes an unknown token
    Then the response status is 200

  @RFC7009-2.1 @MUST @grant-client-credentials
  Scenario: Revocation requires client authentication
    Given the client credentials client has an access token
    When the client credentials client revokes the access token without client authentication
    Then the revocation endpoint refuses the request with error "invalid_client"

  @RFC7009-2.1 @MUST @grant-password @introspection
  Scenario: A wrong token_type_hint does not stop the revocation
    Given the password client has an access token and a refresh token
    When the password client revokes the refresh token with token_type_hint "access_token"
    Then the response status is 200
    And the refresh token no longer works

  @RFC7009-2.2.1 @MAY @grant-client-credentials
  Scenario: An unknown token_type_hint is searched anyway or refused with unsupported_token_type
    Given the client credentials client has an access token
    When the client credentials client revokes the access token with token_type_hint "urn:example:no-such-type"
    Then the response is 200 or the error "unsupported_token_type"
