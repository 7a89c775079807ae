@grant-authorization-code
Feature: No page of the server is an open redirector (RFC 9700 2.1, 4.11)
  Beyond the authorization endpoint, the server's own pages take parameters that say where to
  send the browser next: the login page's return address, a sign-out's post-logout redirect.
  Each such parameter the page carries (in its URL or its form), and the names servers commonly
  use for one, is pointed to an attacker's URI, absolute and scheme-relative; the browser must
  never be sent there. A redirect that the page's own policy then blocks (a CSP form-action)
  still counts: any other user agent follows it.

  @RFC9700-2.1 @MUST @browser
  Scenario: The login page does not forward the browser to a URI from its parameters
    RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."
    Given the confidential client starts an authorization request
    When the user agent loads the authorization request in the browser
    And the login page is opened with its return parameters set to an attacker's URI and the resource owner logs in
    Then the browser is never sent to the attacker's URI

  @RFC9700-2.1 @MUST @browser
  Scenario: The sign-out page does not forward the browser to a URI from its parameters
    RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."
    Given the confidential client has an authorization code
    When the sign-out page is opened with its return parameters set to an attacker's URI and the resource owner signs out
    Then the browser is never sent to the attacker's URI

  @RFC9700-2.1 @MUST @browser
  Scenario: The error page does not forward the browser to a URI from its parameters
    RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "{callback-origin}/unregistered"
    When the resource owner opens the authorization request in the browser
    And the error page is opened again with return parameters set to an attacker's URI
    Then the browser is never sent to the attacker's URI
