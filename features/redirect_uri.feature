@grant-authorization-code
Feature: Redirect URI handling (RFC 6749 3.1.2, RFC 9700 2.1, RFC 8252 7.3)
  The server sends the user agent only to a redirect URI registered for the client, compared by
  exact string; anything else is shown to the resource owner as an error, never followed. A
  redirect to the server's own login or error page, on whatever origin, is not a redirect to the
  invalid URI: only a request that reaches the URI the request named counts, compared by its raw
  path and query (a redirect to the registered URI is not one to a variant of it). A server whose
  profile says it registers origins (capabilities.redirect_uri_registration: origin) follows RFC
  6749 3.1.2.2, which allows that; a same-origin variant it follows is reported under RFC 9700
  2.1 alone.

  @RFC6749-3.1.2.4 @RFC9700-2.1 @MUST
  Scenario Outline: A redirect URI that differs from the registered one is not followed (<variant>)
    RFC 9700 2.1: "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in `localhost` redirection URIs of native apps (see Section 4.1.3)."
    RFC 6749 3.1.2.4: "If an authorization request fails validation due to a missing, invalid, or mismatching redirection URI, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "<redirect_uri>"
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI

    Examples:
      | variant                              | redirect_uri                     |
      | longer path                          | {callback}/extra                 |
      | extra query parameter                | {callback}?extra=1               |
      | trailing slash                       | {callback}/                      |
      | different path                       | {callback-origin}/evil           |
      | path in other case                   | {callback-origin}/CALLBACK       |
      | https instead of http                | {callback-https}                 |
      | localhost name                       | {callback-localhost}             |
      | another host                         | http://attacker.example/callback |
      | host ending with the registered host | {callback-host-suffix}           |
      | path traversal                       | {callback}/../evil               |
      | encoded path                         | {callback-origin}/%63allback     |

  @RFC6749-3.1.2.3 @RFC9700-2.1 @MUST
  Scenario Outline: The registered redirect URI in another spelling is not followed (<variant>)
    A server that decodes, normalises or partly parses the requested URI before comparing takes
    these for the registered one. Judged by where the user agent went: refused, or answered at
    the exact registered URI, passes; sent to any other URI on the registered or the requested
    origin (as a browser reads it) fails.
    RFC 6749 3.1.2.3: "If the client registration included the full redirection URI, the authorization server MUST compare the two URIs using simple string comparison as defined in [RFC3986] Section 6.2.1."
    RFC 9700 2.1: "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in `localhost` redirection URIs of native apps (see Section 4.1.3)."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "<redirect_uri>"
    When the user agent sends the authorization request and follows where it is sent
    Then the user agent is sent to no URI but the registered redirect URI

    Examples:
      | variant                         | redirect_uri                                                         |
      | encoded slash                   | {callback}%2Fevil                                                    |
      | double-encoded slash            | {callback}%252Fevil                                                  |
      | encoded dot segments            | {callback-scheme}://{callback-authority}/evil%2F..{callback-path}    |
      | double-encoded dot segments     | {callback-scheme}://{callback-authority}/evil%252F..{callback-path}  |
      | half-encoded traversal          | {callback}/..%2Fevil                                                 |
      | path parameter                  | {callback};evil                                                      |
      | encoded path parameter          | {callback}%3Bevil                                                    |
      | encoded CR LF                   | {callback}%0D%0Aevil                                                 |
      | raw CR LF                       | {callback-crlf}                                                      |
      | space                           | {callback} evil                                                      |
      | backslash                       | {callback}\\evil                                                     |
      | encoded fragment                | {callback}%23evil                                                    |
      | backslash before user-info      | {callback-scheme}://attacker.example\\@{callback-authority}{callback-path} |
      | registered host as user-info    | {callback-scheme}://{callback-authority}@attacker.example{callback-path} |
      | user-info on the registered host | {callback-userinfo}                                                 |
      | fragment before user-info       | {callback-scheme}://attacker.example#@{callback-authority}{callback-path} |
      | query before user-info          | {callback-scheme}://attacker.example?@{callback-authority}{callback-path} |
      | another port                    | {callback-other-port}                                                |

  @RFC6749-3.1.2 @RFC6749-3.1.2.3 @MUST @browser
  Scenario: A registered redirect URI's query is retained in the response
    RFC 6749 3.1.2: "The endpoint URI MAY include an "application/x-www-form-urlencoded" formatted (per Appendix B) query component ([RFC3986] Section 3.4), which MUST be retained when adding additional query parameters."
    Given the query-redirect client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an authorization code at the registered redirect URI with its query

  @RFC6749-3.1.2.3 @RFC9700-2.1 @MUST
  Scenario Outline: A changed query on a registered redirect URI is not followed (<variant>)
    RFC 6749 3.1.2.3: "If the client registration included the full redirection URI, the authorization server MUST compare the two URIs using simple string comparison as defined in [RFC3986] Section 6.2.1."
    RFC 9700 2.1: "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in `localhost` redirection URIs of native apps (see Section 4.1.3)."
    Given the query-redirect client starts an authorization request
    And the authorization request has redirect_uri "<redirect_uri>"
    When the user agent sends the authorization request and follows where it is sent
    Then the user agent is sent to no URI but the registered redirect URI

    Examples:
      | variant         | redirect_uri             |
      | added parameter | {callback-query-added}   |
      | changed value   | {callback-query-changed} |
      | query removed   | {callback-query-dropped} |

  @RFC6749-3.1.2 @RFC6749-3.1.2.4 @MUST
  Scenario: A redirect URI with a fragment is not followed
    RFC 6749 3.1.2: "The endpoint URI MUST NOT include a fragment component."
    RFC 6749 3.1.2.4: "If an authorization request fails validation due to a missing, invalid, or mismatching redirection URI, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "{callback}#fragment"
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI

  @RFC6749-4.1.2.1 @MUST
  Scenario Outline: An authorization request with a <problem> is not redirected
    RFC 6749 4.1.2.1: "If the request fails due to a missing, invalid, or mismatching redirection URI, or if the client identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the confidential client starts an authorization request
    And the authorization request <change>
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI

    Examples:
      | problem           | change                                  |
      | missing client_id | has no client_id                        |
      | unknown client_id | has client_id "no-such-client-{state}"  |

  @RFC6749-3.1.2.4 @RFC9700-2.1 @MUST @browser
  Scenario Outline: An unregistered redirect URI is shown as an error page rather than followed (<variant>)
    RFC 9700 2.1: "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in `localhost` redirection URIs of native apps (see Section 4.1.3)."
    RFC 6749 3.1.2.4: "If an authorization request fails validation due to a missing, invalid, or mismatching redirection URI, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "<redirect_uri>"
    When the resource owner opens the authorization request in the browser
    Then the user agent is not sent to the requested redirect URI

    Examples:
      | variant         | redirect_uri           |
      | different path  | {callback-origin}/evil |
      | longer path     | {callback}/extra       |

  @RFC6749-3.1.2.3 @RFC6749-4.1.2.1 @MUST @refserver
  Scenario: A client with several registered redirect URIs must name one in the request
    RFC 6749 3.1.2.3: "If multiple redirection URIs have been registered, if only part of the redirection URI has been registered, or if no redirection URI has been registered, the client MUST include a redirection URI with the authorization request using the "redirect_uri" request parameter."
    RFC 6749 4.1.2.1: "If the request fails due to a missing, invalid, or mismatching redirection URI, or if the client identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the second confidential client starts an authorization request
    And the authorization request has no redirect_uri
    When the user agent sends the authorization request
    Then the user agent is not sent to the client

  @RFC8252-7.3 @MUST @browser @loopback-any-port
  Scenario: A loopback redirect URI is accepted on any port chosen at request time
    RFC 8252 7.3: "The authorization server MUST allow any port to be specified at the time of the request for loopback IP redirect URIs, to accommodate clients that obtain an available ephemeral port from the operating system at the time of the request."
    Given the confidential client starts an authorization request
    And the redirect URI uses a port chosen at request time
    When the resource owner approves the authorization request
    Then the client receives an authorization code

  @RFC6749-4.2.1 @RFC6749-4.2.2.1 @RFC9700-2.1 @MUST @grant-implicit
  Scenario: An implicit client is not redirected to an unregistered redirect URI
    RFC 9700 2.1: "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in `localhost` redirection URIs of native apps (see Section 4.1.3)."
    RFC 6749 4.2.1: "The authorization server MUST verify that the redirection URI to which it will redirect the access token matches a redirection URI registered by the client as described in Section 3.1.2."
    RFC 6749 4.2.2.1: "If the request fails due to a missing, invalid, or mismatching redirection URI, or if the client identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the implicit client starts an authorization request
    And the authorization request has redirect_uri "{callback-origin}/evil"
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI
