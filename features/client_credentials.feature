@grant-client-credentials
Feature: Client credentials grant (RFC 6749 4.4)
  A confidential client asks for a token for itself, authenticating with its own credentials.

  @RFC6749-4.4.2 @RFC6749-5.1 @MUST
  Scenario: A confidential client gets an access token with its client credentials
    When the client credentials client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the response's token_type is Bearer

  @RFC6749-4.4.3 @SHOULD
  Scenario: The client credentials grant issues no refresh token
    When the client credentials client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the response has no "refresh_token"

  @RFC6749-4.4.2 @RFC6749-3.2.1 @MUST
  Scenario: A client credentials request without client authentication is refused
    When the client credentials client requests a token with its client credentials without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-4.4 @RFC6749-5.2 @MUST
  Scenario: A public client cannot use the client credentials grant
    When the public client requests a token with its client credentials
    Then the token endpoint refuses the request

  @RFC6749-3.3 @RFC6749-5.2 @MUST
  Scenario Outline: A client credentials request for a scope the client may not have is refused with invalid_scope
    When the client credentials client requests a token with its client credentials with scope "<scope>"
    Then the token endpoint refuses the request with error "invalid_scope"

    Examples:
      | scope               |
      | {not-allowed-scope} |
      | {unknown-scope}     |

  @RFC6749-3.3 @MUST
  Scenario: A client credentials request without scope gets the default scope or invalid_scope
    When the client credentials client requests a token with its client credentials without a scope
    Then the token endpoint issues an access token or refuses with error "invalid_scope"

  @RFC6749-3.3 @RFC6749-5.1 @MUST
  Scenario: The granted scope is the requested one, or named in the response when it differs
    When the client credentials client requests a token with its client credentials with scope "{allowed-scope}"
    Then the token endpoint issues an access token
    And the granted scope is "{allowed-scope}"

  @RFC6749-3.2 @RFC6749-3.1 @MUST
  Scenario: An unknown parameter in a token request is ignored
    When the client credentials client requests a token with its client credentials with an unknown parameter
    Then the token endpoint issues an access token
