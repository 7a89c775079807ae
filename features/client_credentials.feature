@grant-client-credentials
Feature: Client credentials grant (RFC 6749 4.4)
  A confidential client asks for a token for itself, authenticating with its own credentials.

  @RFC6749-4.4.3 @RFC6749-5.1 @MUST
  Scenario: A confidential client gets an access token with its client credentials
    RFC 6749 4.4.3: "If the access token request is valid and authorized, the authorization server issues an access token as described in Section 5.1."
    RFC 6749 5.1: "token_type [...] REQUIRED.  The type of the token issued as described in Section 7.1.  Value is case insensitive."
    When the client credentials client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the response's token_type is Bearer

  @RFC6749-4.4.3 @SHOULD
  Scenario: The client credentials grant issues no refresh token
    RFC 6749 4.4.3: "A refresh token SHOULD NOT be included."
    When the client credentials client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the response has no "refresh_token"

  @RFC6749-4.4.2 @RFC6749-3.2.1 @MUST
  Scenario: A client credentials request without client authentication is refused
    RFC 6749 4.4.2: "The authorization server MUST authenticate the client."
    When the client credentials client requests a token with its client credentials without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-4.4 @RFC6749-4.4.2 @MUST
  Scenario: A public client cannot use the client credentials grant
    RFC 6749 4.4: "The client credentials grant type MUST only be used by confidential clients."
    RFC 6749 4.4.2: "The authorization server MUST authenticate the client."
    When the public client requests a token with its client credentials
    Then the token endpoint refuses the request

  @RFC6749-3.3 @RFC6749-5.2 @MUST
  Scenario Outline: A client credentials request for a scope the client may not have is refused with invalid_scope
    RFC 6749 5.2: "invalid_scope [...] The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."
    RFC 6749 3.3: "The authorization server MAY fully or partially ignore the scope requested by the client, based on the authorization server policy or the resource owner's instructions.  If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    When the client credentials client requests a token with its client credentials with scope "<scope>"
    Then the token endpoint refuses the request with error "invalid_scope" or grants a scope without "<scope>"

    Examples:
      | scope               |
      | {not-allowed-scope} |
      | {unknown-scope}     |

  @RFC6749-3.3 @MUST
  Scenario: A client credentials request without scope gets the default scope or invalid_scope
    RFC 6749 3.3: "If the client omits the scope parameter when requesting authorization, the authorization server MUST either process the request using a pre-defined default value or fail the request indicating an invalid scope."
    When the client credentials client requests a token with its client credentials without a scope
    Then the token endpoint issues an access token or refuses with error "invalid_scope"
