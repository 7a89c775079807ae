@grant-password
Feature: Resource owner password credentials grant (RFC 6749 4.3)
  The client sends the resource owner's username and password. RFC 9700 2.4 says this grant MUST
  NOT be used: the suite reports a target offering it with a warning, and checks it is done right.
  No other feature depends on this grant.

  @RFC6749-4.3.3 @RFC6749-5.1 @MUST
  Scenario: A confidential client gets a token with the resource owner's password
    RFC 6749 4.3.3: "If the access token request is valid and authorized, the authorization server issues an access token and optional refresh token as described in Section 5.1."
    RFC 6749 5.1: "token_type [...] REQUIRED.  The type of the token issued as described in Section 7.1.  Value is case insensitive."
    When the password client requests a token with the resource owner's password
    Then the token endpoint issues an access token
    And the response's token_type is Bearer

  @RFC6749-4.3.2 @RFC6749-5.2 @MUST
  Scenario: A wrong resource owner password is refused with invalid_grant
    RFC 6749 4.3.2: "The authorization server MUST: [...] validate the resource owner password credentials using its existing password validation algorithm."
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    When the password client requests a token with the resource owner's password with a wrong password
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.3.2 @RFC6749-5.2 @MUST
  Scenario: An unknown resource owner is refused with invalid_grant
    RFC 6749 4.3.2: "The authorization server MUST: [...] validate the resource owner password credentials using its existing password validation algorithm."
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    When the password client requests a token with the resource owner's password with an unknown username
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.3.2 @RFC6749-5.2 @MUST
  Scenario Outline: A password request without <parameter> is refused with invalid_request
    RFC 6749 4.3.2: "username [...] REQUIRED.  The resource owner username."
    RFC 6749 4.3.2: "password [...] REQUIRED.  The resource owner password."
    RFC 6749 5.2: "invalid_request [...] The request is missing a required parameter, includes an unsupported parameter value (other than grant type), repeats a parameter, includes multiple credentials, utilizes more than one mechanism for authenticating the client, or is otherwise malformed."
    When the password client requests a token with the resource owner's password without the <parameter>
    Then the token endpoint refuses the request with error "invalid_request"

    Examples:
      | parameter |
      | username  |
      | password  |

  @RFC6749-4.3.2 @RFC6749-3.2.1 @MUST
  Scenario: A confidential client that does not authenticate cannot use the password grant
    RFC 6749 4.3.2: "The authorization server MUST: [...] require client authentication for confidential clients or for any client that was issued client credentials (or with other authentication requirements),"
    When the password client requests a token with the resource owner's password without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-3.3 @RFC6749-5.2 @MUST
  Scenario: A password request for a scope the client may not have is refused with invalid_scope
    RFC 6749 5.2: "invalid_scope [...] The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."
    RFC 6749 3.3: "The authorization server MAY fully or partially ignore the scope requested by the client, based on the authorization server policy or the resource owner's instructions.  If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    When the password client requests a token with the resource owner's password with scope "{not-allowed-scope}"
    Then the token endpoint refuses the request with error "invalid_scope" or grants a scope without "{not-allowed-scope}"

  @RFC9700-2.4 @MUST @warning
  Scenario: The target offers the password grant, which RFC 9700 says must not be used
    RFC 9700 2.4: "The resource owner password credentials grant [RFC6749] MUST NOT be used."
    When the password client requests a token with the resource owner's password
    Then the token endpoint issues an access token
    And the report warns that the target offers the resource owner password credentials grant, which RFC 9700 2.4 says MUST NOT be used
