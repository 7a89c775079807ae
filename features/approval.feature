@grant-authorization-code @browser
Feature: The resource owner's login and approval (RFC 6749 3.1, 4.1.2.1, 10.12; RFC 9700 4.2, 4.12, 4.16)
  The resource owner logs in, sees what the client asks for and approves or denies it. The pages
  that ask cannot be framed by other sites, load nothing from third parties, and do not accept a
  forged submission.

  @RFC6749-4.1.2.1 @MUST
  Scenario: A denied request returns access_denied and the state to the client
    RFC 6749 4.1.2.1: "If the resource owner denies the access request or if the request fails for reasons other than a missing or invalid redirection URI, the authorization server informs the client by adding the following parameters to the query component of the redirection URI"
    RFC 6749 4.1.2.1: "access_denied The resource owner or authorization server denied the request."
    RFC 6749 4.1.2.1: "REQUIRED if a "state" parameter was present in the client authorization request.  The exact value received from the client."
    Given the confidential client starts an authorization request
    When the resource owner denies the authorization request
    Then the authorization response carries error "access_denied"
    And the authorization response's "state" is "{state}"
    And the authorization response has no "code"

  @RFC6749-3.1 @MUST @trusted-client
  Scenario: A trusted client skips the approval page but not the login
    RFC 6749 3.1: "The authorization server MUST first verify the identity of the resource owner."
    Given the trusted client starts an authorization request
    When the resource owner approves the authorization request
    Then the login page was shown
    And the client receives an authorization code

  @RFC6749-4.1.1 @MAY
  Scenario: A logged-in resource owner is not asked to log in again
    RFC 6749 4.1.1: "If the request is valid, the authorization server authenticates the resource owner and obtains an authorization decision (by asking the resource owner or by establishing approval via other means)."
    Given the confidential client has an authorization code
    And the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the login page was not shown
    And the client receives an authorization code

  # The forged form carries values an attacker could have: those of its own session (the
  # profile's users.second), never the resource owner's hidden values. A code for a same-origin
  # submission of the resource owner's page with its anti-forgery value removed or replaced is
  # checked again from another site: only a code there fails; a code only on the page itself is
  # a warning (SameSite cookies or an Origin check stop every request another site can send).
  @RFC6749-10.12 @MUST
  Scenario Outline: A forged <form> submission (<how>) yields no authorization code
    RFC 6749 10.12: "The authorization server MUST implement CSRF protection for its authorization endpoint and ensure that a malicious client cannot obtain authorization without the awareness and explicit consent of the resource owner."
    Given the confidential client starts an authorization request
    When the resource owner's <form> form is submitted <how>
    Then no authorization code reaches the client

    Examples:
      | form     | how                                              |
      | approval | from another site                                |
      | approval | with its anti-forgery value removed              |
      | approval | with its anti-forgery value from another session |

  # A forged login carries the credentials of whoever forged it: the code it yields is for the
  # forger's own account (login CSRF), with that account owner's awareness, which the sentence
  # does not forbid. Where no approval page follows, it is still worth knowing: a warning.
  @RFC6749-10.12 @MUST @warning
  Scenario Outline: A forged login submission (<how>) yields no authorization code, or a warning
    RFC 6749 10.12: "The authorization server MUST implement CSRF protection for its authorization endpoint and ensure that a malicious client cannot obtain authorization without the awareness and explicit consent of the resource owner."
    Given the confidential client starts an authorization request
    When the resource owner's login form is submitted <how>
    Then no authorization code reaches the client, or the report warns: the login form accepts a cross-site submission (login CSRF)

    Examples:
      | how                                              |
      | from another site                                |
      | with its anti-forgery value removed              |
      | with its anti-forgery value from another session |

  @RFC9700-4.16 @MUST
  Scenario: The login and approval pages forbid framing by other sites
    RFC 9700 4.16: "Authorization servers MUST prevent clickjacking attacks. Multiple countermeasures are described in [RFC6819], including the use of the X-Frame-Options HTTP response header field and frame-busting JavaScript."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then every page the server showed forbids framing

  @RFC9700-4.16 @SHOULD
  Scenario: The login and approval pages restrict framing with Content Security Policy
    RFC 9700 4.16: "In addition to those, authorization servers SHOULD also use Content Security Policy (CSP) level 2 [W3C.CSP-2] or greater."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then every page the server showed has a Content-Security-Policy frame-ancestors directive

  @RFC9700-4.2.4 @SHOULD
  Scenario: The login and approval pages load nothing from third parties
    RFC 9700 4.2.4: "The page rendered as a result of the OAuth authorization response and the authorization endpoint SHOULD NOT include third-party resources or links to external sites."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the browser loaded nothing from outside the authorization server

  @RFC9700-4.12 @MUST
  Scenario: The redirect after the login form does not use HTTP 307
    RFC 9700 4.12: "Authorization servers that redirect a request that potentially contains the user's credentials therefore MUST NOT use the HTTP 307 status code for redirection."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then no redirect answering the login form was an HTTP 307
