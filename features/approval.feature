@grant-authorization-code @browser
Feature: The resource owner's login and approval (RFC 6749 4.1.1, 4.1.2.1, 10.12, 10.13)
  The resource owner logs in, sees what the client asks for and approves or denies it. A trusted
  client skips the approval, never the login.

  @RFC6749-4.1.2.1 @MUST
  Scenario: A denied request returns access_denied and the state to the client
    Given the confidential client starts an authorization request
    When the resource owner denies the authorization request
    Then the authorization response carries error "access_denied"
    And the authorization response's "state" is "{state}"
    And the authorization response has no "code"

  @RFC6749-4.1.2.1 @MUST @trusted-client
  Scenario: A trusted client skips the approval page but not the login
    Given the trusted client starts an authorization request
    When the resource owner approves the authorization request
    Then the login page was shown
    And the approval page was not shown
    And the client receives an authorization code

  @RFC6749-4.1.1 @MAY
  Scenario: A logged-in resource owner is not asked to log in again
    Given the confidential client has an authorization code
    And the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the login page was not shown
    And the approval page was shown
    And the client receives an authorization code

  @RFC6749-10.12 @MUST
  Scenario Outline: An approval whose CSRF token was <tampering> is refused and no code is issued
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request after the approval form's CSRF token was <tampering>
    Then the browser shows an error page and the redirect URI is not reached

    Examples:
      | tampering |
      | removed   |
      | altered   |

  @RFC6749-10.13 @RFC9700-4.16 @MUST
  Scenario: The login and approval pages forbid framing by other sites
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then every page the server showed forbids framing

  @RFC9700-4.2 @SHOULD
  Scenario: The login and approval pages load nothing from third parties
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the browser loaded nothing from outside the authorization server

  @RFC9700-4.12 @MUST
  Scenario: The redirects after the login and approval forms do not use HTTP 307
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then no redirect the browser followed was an HTTP 307
