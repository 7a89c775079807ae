@grant-authorization-code
Feature: Hygiene of the authorization endpoint (RFC 9700 2.6, 4.2.4, 4.11.2, 4.12; RFC 6749 4.1.2)
  The authorization endpoint is a page the resource owner's browser is sent to, never an API
  other sites may read; it forwards nobody to a client before the resource owner has logged in;
  the password posted to it is never re-posted elsewhere; its pages keep their URL from other
  sites; and the state comes back whole, however long.

  @RFC9700-2.6 @MUST
  Scenario: The authorization endpoint does not support CORS
    RFC 9700 2.6: "However, CORS MUST NOT be supported at the authorization endpoint, as the client does not access this endpoint directly; instead, the client redirects the user agent to it."
    Any Access-Control-Allow-Origin answering the request or the preflight is CORS support: the other site's origin, "*" or "null" let that site read what the endpoint answers, and another origin shows CORS supported for that origin.
    Given the confidential client starts an authorization request
    When a script on another site requests the authorization endpoint, with a CORS preflight
    Then no answer let the other site read it

  # Attack 1 of RFC 9700 4.11.2: an erroneous request of a client whose redirect URI the
  # attacker controls makes the server forward a logged-out browser to the attacker's site, from
  # a link on the server's own trusted origin. The error may still be redirected after the login
  # (RFC 6749 4.1.2.1), or shown on a page at once. A silent request (OpenID prompt=none) is the
  # exception the sentence names; these requests are not silent.
  @RFC9700-4.11.2 @MUST @browser
  Scenario Outline: A request with <error> is not redirected to the client before the resource owner logs in
    RFC 9700 4.11.2: "The authorization server MUST always authenticate the user first and, with the exception of the silent authentication use case, prompt the user for credentials when needed, before redirecting the user."
    RFC 9700 4.11.2: "Intentionally send an erroneous authorization request, e.g., by using an invalid scope value, thus instructing the authorization server to redirect the user agent to its phishing site."
    Given the confidential client starts an authorization request
    And the authorization request has <parameter> "<value>"
    When the user agent loads the authorization request in the browser
    Then the browser was not sent to the client before the resource owner logged in

    Examples:
      | error                 | parameter     | value                    |
      | an invalid scope      | scope         | {made-up-scope}          |
      | an unknown response_type | response_type | urn:example:no-such-type |

  @RFC9700-4.12 @SHOULD @browser
  Scenario: The redirect after the login form uses HTTP 303
    RFC 9700 4.12: "If an HTTP redirection (and not, for example, JavaScript) is used for such a request, the authorization server SHOULD use HTTP status code 303 (See Other)."
    RFC 9700 4.12: "For all other status codes, including the popular 302, user agents can opt not to rewrite POST to GET requests, thereby causing the user's credentials to be revealed to the client."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then every redirect answering the login form was an HTTP 303

  # The Referrer Policy is one of 4.2.4's further measures, without a keyword of its own; it
  # serves the SHOULD NOT on third-party resources and links, whose requests carry the Referer.
  # A policy that hands other sites the full URL fails; none at all is a warning, since the
  # browsers of today send only the origin by default (strict-origin-when-cross-origin).
  @RFC9700-4.2.4 @SHOULD @browser
  Scenario: The login and approval pages keep their URL from other sites
    RFC 9700 4.2.4: "The page rendered as a result of the OAuth authorization response and the authorization endpoint SHOULD NOT include third-party resources or links to external sites."
    RFC 9700 4.2.4: "Suppress the Referer header by applying an appropriate Referrer Policy [...] to the document (either as part of the "referrer" meta attribute or by setting a Referrer-Policy header)."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then no page the server showed lets other sites read its URL in the Referer

  # A server may refuse a request it finds too long (an error page, HTTP 414): not following
  # it is fine. A response that reaches the client, an error response too, carries the state
  # whole.
  @RFC6749-4.1.2 @RFC6749-4.1.2.1 @MUST @browser
  Scenario: A 1,000-character state comes back whole, or the request is refused
    RFC 6749 4.1.2: "state REQUIRED if the "state" parameter was present in the client authorization request.  The exact value received from the client."
    RFC 6749 4.1.2.1: "REQUIRED if a "state" parameter was present in the client authorization request.  The exact value received from the client."
    Given the confidential client starts an authorization request
    And the authorization request has a state of 1000 characters
    When the resource owner approves the authorization request
    Then the long state came back exactly, unless the server refused the request
