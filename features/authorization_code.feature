@grant-authorization-code
Feature: Authorization code grant (RFC 6749 4.1)
  The resource owner logs in and approves in the browser; the client gets a code at its redirect
  URI and exchanges it at the token endpoint.

  @RFC6749-4.1.1 @RFC6749-4.1.2 @RFC6749-3.1 @RFC6749-A.11 @MUST @browser
  Scenario: The resource owner logs in, approves, and the client receives a code at its redirect URI
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the login page was shown
    And the approval page was shown
    And the client receives an authorization code
    And the authorization response's "state" is "{state}"
    And the authorization code uses only the characters RFC 6749 allows

  @RFC6749-4.1.3 @RFC6749-4.1.4 @MUST @browser
  Scenario: A confidential client exchanges its code for an access token and a refresh token
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code
    Then the token endpoint issues an access token and a refresh token
    And the response's token_type is Bearer
    And the response has header "Cache-Control" with "no-store"

  @RFC6749-4.1.3 @RFC6749-3.2.1 @RFC9700-2.5 @MUST @browser
  Scenario: A confidential client that does not authenticate cannot redeem its code
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-4.1.3 @RFC6749-4.1.2 @RFC6749-10.5 @MUST @browser
  Scenario: An authorization code issued to one client is refused for another client
    Given the confidential client has an authorization code
    When the second confidential client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.3 @RFC6749-10.6 @MUST @browser
  Scenario: A code redeemed with a different redirect_uri than the authorization request is refused
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code with a different redirect_uri
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.3 @MUST @browser
  Scenario: A code redeemed without the redirect_uri of the authorization request is refused
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code without the redirect_uri
    Then the token endpoint refuses the request

  @RFC6749-4.1.3 @MUST @browser @pkce
  Scenario: A public client must identify itself with client_id when redeeming a code
    Given the public client has an authorization code
    When the public client redeems the authorization code without a client_id
    Then the token endpoint refuses the request

  @RFC6749-4.1.3 @RFC7636-4.5 @RFC7636-4.4 @RFC7636-4.6 @RFC9700-2.1.1 @MUST @browser @pkce
  Scenario: A public client redeems its code with client_id and the code_verifier
    Given the public client has an authorization code
    When the public client redeems the authorization code
    Then the token endpoint issues an access token

  @RFC6749-4.1.2.1 @RFC6749-3.1.1 @MUST
  Scenario: An authorization request without response_type is refused with invalid_request
    Given the confidential client starts an authorization request
    And the authorization request has no response_type
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC6749-4.1.2.1 @RFC6749-3.1.1 @MUST
  Scenario: An unknown response_type is refused with unsupported_response_type
    Given the confidential client starts an authorization request
    And the authorization request has response_type "urn:example:no-such-type"
    When the user agent sends the authorization request
    Then the authorization response carries error "unsupported_response_type"
    And the authorization response's "state" is "{state}"

  @RFC6749-4.1.2.1 @RFC6749-3.3 @MUST
  Scenario Outline: An authorization request for a scope the client may not have is refused with invalid_scope (<scope>)
    Given the confidential client starts an authorization request
    And the authorization request has scope "<scope>"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_scope"

    Examples:
      | scope               |
      | {not-allowed-scope} |
      | {unknown-scope}     |

  @RFC6749-4.1.2.1 @MUST @grant-implicit
  Scenario: A client not registered for the code flow is refused with unauthorized_client
    Given the implicit client starts an authorization request
    And the authorization request has response_type "code"
    When the user agent sends the authorization request
    Then the authorization response carries error "unauthorized_client"

  @RFC6749-4.1.2.1 @RFC6749-5.2 @MUST
  Scenario: An authorization error description uses only the characters RFC 6749 allows
    Given the confidential client starts an authorization request
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_scope"
    And the authorization error_description and error_uri use only the characters RFC 6749 allows

  @RFC6749-3.1 @MUST @browser
  Scenario: An unknown authorization request parameter is ignored
    Given the confidential client starts an authorization request
    And the authorization request has x_unknown_parameter "ignored"
    When the resource owner approves the authorization request
    Then the client receives an authorization code

  @RFC6749-4.1.2 @RFC6749-10.5 @MUST @browser @short-lifetimes @grant-client-credentials @introspection
  Scenario: An expired authorization code is refused
    Given the short-lived client has an authorization code
    When the authorization code has outlived its lifetime
    And the short-lived client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"
