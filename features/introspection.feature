@introspection
Feature: Token introspection (RFC 7662)
  An authorized caller learns whether a token is active; an inactive, unknown, expired or revoked
  token is simply {"active": false}.

  @RFC7662-2.1 @RFC7662-2.2 @MUST @grant-client-credentials
  Scenario: An active access token is reported active with its client_id and scope
    Given the client credentials client has an access token
    When the client credentials client introspects the access token
    Then the token is reported active
    And the response is JSON
    And the response's "client_id" is "{client-credentials-client-id}"
    And the response's "scope" is "{allowed-scope}"

  @RFC7662-2.2 @MUST @grant-client-credentials
  Scenario: The introspection timestamps mean what RFC 7662 says
    Given the client credentials client has an access token
    When the client credentials client introspects the access token
    Then the token is reported active
    And the response's "exp" is a time in the future
    And the response's "iat" is a time not in the future

  @RFC7662-2.2 @MAY @grant-client-credentials
  Scenario: The token_type of an introspected access token is named
    Given the client credentials client has an access token
    When the client credentials client introspects the access token
    Then the token is reported active
    And the response's token_type is Bearer

  @RFC7662-2.2 @MUST @grant-password
  Scenario: A refresh token can be introspected and names its resource owner
    Given the password client has an access token and a refresh token
    When the password client introspects the refresh token
    Then the token is reported active
    And the response's "username" is "{username}"

  @RFC7662-2.2 @RFC7662-2.3 @MUST
  Scenario: An unknown token is reported inactive, not as an error
    When the client credentials client introspects an unknown token
    Then the token is reported inactive

  @RFC7662-2.2 @SHOULD
  Scenario: An inactive token's response carries nothing but "active"
    When the client credentials client introspects an unknown token
    Then the token is reported inactive
    And the response has only the member "active"

  @RFC7662-2.1 @RFC7662-2.3 @MUST @grant-client-credentials
  Scenario: The introspection endpoint refuses a caller without authorization
    Given the client credentials client has an access token
    When the client credentials client introspects the access token without client authentication
    Then the introspection endpoint refuses the caller

  @RFC7662-2.3 @MUST @grant-client-credentials
  Scenario: The introspection endpoint refuses a caller with a wrong secret with 401
    Given the client credentials client has an access token
    When the client credentials client introspects the access token with a wrong client secret
    Then the introspection endpoint refuses the caller
    And the response status is 401

  @RFC7662-2.1 @MUST @grant-client-credentials
  Scenario: A wrong token_type_hint does not stop the lookup
    Given the client credentials client has an access token
    When the client credentials client introspects the access token with token_type_hint "refresh_token"
    Then the token is reported active

  @RFC7662-4 @MUST @revocation @grant-client-credentials
  Scenario: A revoked access token is reported inactive
    Given the client credentials client has an access token
    When the client credentials client revokes the access token
    Then the response status is 200
    And the access token is no longer active

  @RFC7662-4 @MUST @short-lifetimes
  Scenario: An expired access token is reported inactive
    Given the short-lived client has an access token
    Then the access token expires within the expiry wait
