@grant-authorization-code
Feature: Redirect URI handling (RFC 6749 3.1.2, RFC 9700 2.1, RFC 8252 7.3)
  The server sends the user agent only to a redirect URI registered for the client, compared by
  exact string; anything else is shown to the resource owner as an error, never followed.

  @RFC6749-3.1.2.3 @RFC6749-3.1.2.4 @RFC9700-2.1 @RFC9700-4.1.3 @MUST
  Scenario Outline: A redirect URI that differs from the registered one is not followed (<variant>)
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "<redirect_uri>"
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

    Examples:
      | variant                  | redirect_uri                      |
      | longer path              | {callback}/extra                  |
      | extra query parameter    | {callback}?extra=1                |
      | trailing slash           | {callback}/                       |
      | different path           | {callback-origin}/evil            |
      | path in other case       | {callback-origin}/CALLBACK        |
      | https instead of http    | {callback-https}                  |
      | localhost name           | {callback-localhost}              |
      | another host             | http://attacker.example/callback  |
      | path traversal           | {callback}/../evil                |
      | encoded path             | {callback-origin}/%63allback      |

  @RFC6749-3.1.2 @RFC6749-3.1.2.4 @MUST
  Scenario: A redirect URI with a fragment is not followed
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "{callback}#fragment"
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

  @RFC6749-3.1.2.4 @RFC6749-4.1.2.1 @MUST
  Scenario Outline: An authorization request with a <problem> is not redirected
    Given the confidential client starts an authorization request
    And the authorization request <change>
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

    Examples:
      | problem           | change                                  |
      | missing client_id | has no client_id                        |
      | unknown client_id | has client_id "no-such-client-{state}"  |

  @RFC6749-3.1.2.4 @RFC6749-4.1.2.1 @MUST @browser
  Scenario Outline: An unregistered redirect URI is shown as an error page rather than followed (<variant>)
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "<redirect_uri>"
    When the resource owner opens the authorization request in the browser
    Then the browser shows an error page and the redirect URI is not reached

    Examples:
      | variant         | redirect_uri           |
      | different path  | {callback-origin}/evil |
      | longer path     | {callback}/extra       |

  @RFC6749-3.1.2.3 @MUST @refserver
  Scenario: A client with several registered redirect URIs must name one in the request
    Given the second confidential client starts an authorization request
    And the authorization request has no redirect_uri
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the client

  @RFC8252-7.3 @RFC9700-2.1 @MUST @browser @loopback-any-port
  Scenario: A loopback redirect URI is accepted on any port chosen at request time
    Given the confidential client starts an authorization request
    And the redirect URI uses a port chosen at request time
    When the resource owner approves the authorization request
    Then the client receives an authorization code

  @RFC6749-3.1.2.2 @RFC6749-4.2.1 @MUST @grant-implicit
  Scenario: An implicit client is not redirected to an unregistered redirect URI
    Given the implicit client starts an authorization request
    And the authorization request has redirect_uri "{callback-origin}/evil"
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

  @RFC9700-4.12 @MUST
  Scenario: An error redirect does not use HTTP 307
    Given the confidential client starts an authorization request
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_scope"
    And the redirect was not an HTTP 307
