@grant-implicit
Feature: Implicit grant (RFC 6749 4.2)
  The access token is returned in the fragment of the redirect URI, never with a refresh token.
  RFC 9700 2.1.2 says the implicit grant SHOULD NOT be used: the suite warns about targets offering it.

  @RFC6749-4.2.2 @MUST @browser
  Scenario: The access token is returned in the fragment, not the query
    RFC 6749 4.2.2: "If the resource owner grants the access request, the authorization server issues an access token and delivers it to the client by adding the following parameters to the fragment component of the redirection URI"
    RFC 6749 4.2.2: "REQUIRED if the "state" parameter was present in the client authorization request.  The exact value received from the client."
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response's "state" is "{state}"
    And the authorization response has "token_type"
    And the query of the redirect carries no access_token

  # Whatever its name: a token-like value besides the access token is tried as a refresh token
  # at the token endpoint; a value it takes fails, one it refuses is reported as a warning.
  @RFC6749-4.2.2 @MUST @browser
  Scenario: The implicit grant never issues a refresh token
    RFC 6749 4.2.2: "The authorization server MUST NOT issue a refresh token."
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the implicit response carries no refresh token, whatever its name

  @RFC6749-4.2.2 @SHOULD @browser
  Scenario: The implicit response states how long the token lives
    RFC 6749 4.2.2: "expires_in RECOMMENDED.  The lifetime in seconds of the access token."
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response has "expires_in"

  @RFC6749-4.2.2.1 @MUST @browser
  Scenario: A denied implicit request returns access_denied in the fragment
    RFC 6749 4.2.2.1: "If the resource owner denies the access request or if the request fails for reasons other than a missing or invalid redirection URI, the authorization server informs the client by adding the following parameters to the fragment component of the redirection URI"
    RFC 6749 4.2.2.1: "REQUIRED if a "state" parameter was present in the client authorization request.  The exact value received from the client."
    Given the implicit client starts an authorization request
    When the resource owner denies the authorization request
    Then the authorization response carries error "access_denied"
    And the authorization response's "state" is "{state}"

  @RFC6749-4.2.2.1 @RFC6749-3.3 @MUST
  Scenario: An implicit request for an unknown scope is refused in the fragment or left out of the grant
    RFC 6749 3.3: "The authorization server MAY fully or partially ignore the scope requested by the client, based on the authorization server policy or the resource owner's instructions.  If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    RFC 6749 4.2.2.1: "invalid_scope The requested scope is invalid, unknown, or malformed."
    Given the implicit client starts an authorization request
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization request is refused with "invalid_scope" or the scope "{unknown-scope}" is left out of the granted scope

  @RFC6749-4.2.2.1 @SHOULD
  Scenario: A client not registered for the implicit grant is refused with unauthorized_client in the fragment
    RFC 6749 4.2.2.1: "unauthorized_client The client is not authorized to request an access token using this method."
    Given the confidential client is declared not registered for the implicit grant
    And the confidential client starts an authorization request
    And the authorization request has response_type "token"
    When the user agent sends the authorization request
    Then the authorization response carries error "unauthorized_client"

  @RFC9700-2.1.2 @SHOULD @warning @browser
  Scenario: The target offers the implicit grant, which RFC 9700 says should not be used
    RFC 9700 2.1.2: "In order to avoid these issues, clients SHOULD NOT use the implicit grant (response type `token`) or other response types issuing access tokens in the authorization response, unless access token injection in the authorization response is prevented and the aforementioned token leakage vectors are mitigated."
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the report warns that the target issues access tokens in the front channel (implicit grant), which RFC 9700 2.1.2 says SHOULD NOT be used
