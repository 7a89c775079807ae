@grant-implicit
Feature: Implicit grant (RFC 6749 4.2)
  The access token is returned in the fragment of the redirect URI, never with a refresh token.
  RFC 9700 2.1.2 says the implicit grant SHOULD NOT be used: the suite warns about targets offering it.

  @RFC6749-4.2.2 @MUST @browser
  Scenario: The access token is returned in the fragment, not the query
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response's "state" is "{state}"
    And the authorization response has "token_type"
    And the query of the redirect carries no access_token

  @RFC6749-4.2.2 @MUST @browser
  Scenario: The implicit grant never issues a refresh token
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response has no "refresh_token"

  @RFC6749-4.2.2 @SHOULD @browser
  Scenario: The implicit response states how long the token lives
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response has "expires_in"

  @RFC6749-4.2.2.1 @MUST @browser
  Scenario: A denied implicit request returns access_denied in the fragment
    Given the implicit client starts an authorization request
    When the resource owner denies the authorization request
    Then the authorization response carries error "access_denied"
    And the authorization response's "state" is "{state}"

  @RFC6749-4.2.2.1 @RFC6749-3.3 @MUST
  Scenario: An implicit request for an unknown scope returns invalid_scope in the fragment
    Given the implicit client starts an authorization request
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_scope"

  @RFC6749-4.2.2.1 @RFC6749-4.2.1 @MUST
  Scenario: A client not registered for the implicit grant is refused with unauthorized_client in the fragment
    Given the confidential client starts an authorization request
    And the authorization request has response_type "token"
    When the user agent sends the authorization request
    Then the authorization response carries error "unauthorized_client"

  @RFC9700-2.1.2 @SHOULD @warning @browser
  Scenario: The target offers the implicit grant, which RFC 9700 says should not be used
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the report warns that the target issues access tokens in the front channel (implicit grant), which RFC 9700 2.1.2 says SHOULD NOT be used
