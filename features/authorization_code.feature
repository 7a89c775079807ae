@grant-authorization-code
Feature: Authorization code grant (RFC 6749 4.1)
  The resource owner logs in and approves in the browser; the client gets a code at its redirect
  URI and exchanges it at the token endpoint.

  @RFC6749-4.1.2 @RFC6749-A.11 @MUST @browser
  Scenario: The resource owner logs in, approves, and the client receives a code at its redirect URI
    RFC 6749 4.1.2: "If the resource owner grants the access request, the authorization server issues an authorization code and delivers it to the client by adding the following parameters to the query component of the redirection URI"
    RFC 6749 4.1.2: "REQUIRED if the "state" parameter was present in the client authorization request.  The exact value received from the client."
    RFC 6749 A.11: "code       = 1*VSCHAR"
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the login page was shown
    And the client receives an authorization code
    And the authorization response's "state" is "{state}"
    And the authorization code uses only the characters RFC 6749 allows

  @RFC6749-4.1.4 @RFC6749-5.1 @MUST @browser
  Scenario: A confidential client exchanges its code for an access token that is not cached
    RFC 6749 4.1.4: "If the access token request is valid and authorized, the authorization server issues an access token and optional refresh token as described in Section 5.1."
    RFC 6749 5.1: "The authorization server MUST include the HTTP "Cache-Control" response header field [RFC2616] with a value of "no-store" in any response containing tokens, credentials, or other sensitive information"
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code
    Then the token endpoint issues an access token
    And the response's token_type is Bearer
    And the response has header "Cache-Control" with "no-store"

  @RFC6749-4.1.3 @MUST @browser
  Scenario: A confidential client that does not authenticate cannot redeem its code
    RFC 6749 4.1.3: "The authorization server MUST: [...] require client authentication for confidential clients or for any client that was issued client credentials (or with other authentication requirements)"
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-4.1.3 @RFC6749-10.5 @MUST @browser
  Scenario: An authorization code issued to one client is refused for another client
    RFC 6749 4.1.3: "ensure that the authorization code was issued to the authenticated confidential client, or if the client is public, ensure that the code was issued to "client_id" in the request"
    RFC 6749 10.5: "If the client can be authenticated, the authorization servers MUST authenticate the client and ensure that the authorization code was issued to the same client."
    Given the confidential client has an authorization code
    When the second confidential client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.3 @RFC6749-10.6 @MUST @browser
  Scenario: A code redeemed with a different redirect_uri than the authorization request is refused
    RFC 6749 4.1.3: "ensure that the "redirect_uri" parameter is present if the "redirect_uri" parameter was included in the initial authorization request as described in Section 4.1.1, and if included ensure that their values are identical."
    RFC 6749 10.6: "In order to prevent such an attack, the authorization server MUST ensure that the redirection URI used to obtain the authorization code is identical to the redirection URI provided when exchanging the authorization code for an access token."
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code with a different redirect_uri
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.3 @MUST @browser
  Scenario: A code redeemed without the redirect_uri of the authorization request is refused
    RFC 6749 4.1.3: "The authorization server MUST: [...] ensure that the "redirect_uri" parameter is present if the "redirect_uri" parameter was included in the initial authorization request as described in Section 4.1.1"
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code without the redirect_uri
    Then the token endpoint refuses the request

  @RFC6749-4.1.3 @MUST @browser @pkce
  Scenario: A public client must identify itself with client_id when redeeming a code
    RFC 6749 4.1.3: "client_id [...] REQUIRED, if the client is not authenticating with the authorization server as described in Section 3.2.1."
    RFC 6749 4.1.3: "The authorization server MUST: [...] if the client is public, ensure that the code was issued to "client_id" in the request"
    Given the public client has an authorization code
    When the public client redeems the authorization code without a client_id
    Then the token endpoint refuses the request

  @RFC6749-4.1.4 @RFC7636-4.6 @MUST @browser @pkce
  Scenario: A public client redeems its code with client_id and the code_verifier
    RFC 6749 4.1.4: "If the access token request is valid and authorized, the authorization server issues an access token and optional refresh token as described in Section 5.1."
    RFC 7636 4.6: "If the values are equal, the token endpoint MUST continue processing as normal (as defined by OAuth 2.0 [RFC6749])."
    Given the public client has an authorization code
    When the public client redeems the authorization code
    Then the token endpoint issues an access token

  @RFC6749-3.1.1 @RFC6749-4.1.2.1 @MUST
  Scenario: An authorization request without response_type is refused with an error response
    RFC 6749 3.1.1: "If an authorization request is missing the "response_type" parameter, or if the response type is not understood, the authorization server MUST return an error response as described in Section 4.1.2.1."
    RFC 6749 4.1.2.1: "invalid_request The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed."
    Given the confidential client starts an authorization request
    And the authorization request has no response_type
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request" or "unsupported_response_type"

  @RFC6749-3.1.1 @RFC6749-4.1.2.1 @MUST
  Scenario: An unknown response_type is refused with an error response
    RFC 6749 3.1.1: "If an authorization request is missing the "response_type" parameter, or if the response type is not understood, the authorization server MUST return an error response as described in Section 4.1.2.1."
    Given the confidential client starts an authorization request
    And the authorization request has response_type "urn:example:no-such-type"
    When the user agent sends the authorization request
    Then the authorization response carries an error

  @RFC6749-4.1.2.1 @RFC6749-3.3 @MUST
  Scenario Outline: A requested scope the client may not have is refused or left out of the grant (<scope>)
    RFC 6749 3.3: "The authorization server MAY fully or partially ignore the scope requested by the client, based on the authorization server policy or the resource owner's instructions.  If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    RFC 6749 4.1.2.1: "invalid_scope The requested scope is invalid, unknown, or malformed."
    Given the confidential client starts an authorization request
    And the authorization request has scope "<scope>"
    When the user agent sends the authorization request
    Then the authorization request is refused with "invalid_scope" or the scope "<scope>" is left out of the granted scope

    Examples:
      | scope               |
      | {not-allowed-scope} |
      | {unknown-scope}     |

  @RFC6749-4.1.2.1 @SHOULD @grant-implicit
  Scenario: A client not registered for the code flow is refused with unauthorized_client
    RFC 6749 4.1.2.1: "unauthorized_client The client is not authorized to request an authorization code using this method."
    Given the implicit client is declared not registered for the authorization_code grant
    And the implicit client starts an authorization request
    And the authorization request has response_type "code"
    When the user agent sends the authorization request
    Then the authorization response carries error "unauthorized_client"

  @RFC6749-4.1.2.1 @MUST
  Scenario: An authorization error description uses only the characters RFC 6749 allows
    RFC 6749 4.1.2.1: "Values for the "error_description" parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
    RFC 6749 4.1.2.1: "Values for the "error_uri" parameter MUST conform to the URI-reference syntax and thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E."
    Given the confidential client starts an authorization request
    And the authorization request has response_type "urn:example:no-such-type"
    When the user agent sends the authorization request
    Then an authorization error response reached the client
    And the authorization error_description and error_uri use only the characters RFC 6749 allows

  @RFC6749-3.1 @MUST @browser
  Scenario: An unknown authorization request parameter is ignored
    RFC 6749 3.1: "The authorization server MUST ignore unrecognized request parameters."
    Given the confidential client starts an authorization request
    And the authorization request has x_unknown_parameter "ignored"
    When the resource owner approves the authorization request
    Then the client receives an authorization code

  @RFC6749-4.1.2 @RFC6749-10.5 @MUST @browser @short-lifetimes @grant-client-credentials @introspection
  Scenario: An expired authorization code is refused
    RFC 6749 4.1.2: "The authorization code MUST expire shortly after it is issued to mitigate the risk of leaks."
    RFC 6749 10.5: "Authorization codes MUST be short lived and single-use."
    Given the short-lived client has an authorization code
    When the authorization code has outlived its lifetime
    And the short-lived client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.3 @RFC6749-5.2 @MUST
  Scenario: A made-up authorization code is refused with invalid_grant
    RFC 6749 4.1.3: "The authorization server MUST: [...] verify that the authorization code is valid"
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    When the confidential client redeems a made-up authorization code
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC9700-2.1.1 @MUST @browser
  Scenario: A code issued without a challenge is refused when redeemed with a code_verifier (PKCE downgrade)
    RFC 9700 2.1.1: "Authorization servers MUST mitigate PKCE downgrade attacks by ensuring that a token request containing a `code_verifier` parameter is accepted only if a `code_challenge` parameter was present in the authorization request; see Section 4.8.2 for details."
    RFC 9700 2.1.1: "Authorization servers MUST support PKCE [RFC7636]."
    Tried on every server that offers the code grant, whatever its profile says of PKCE: a server that ignores PKCE accepts the downgrade too.
    Given the confidential client has an authorization code issued without a code_challenge
    When the confidential client redeems the authorization code with a code_verifier
    Then the token endpoint refuses the request
