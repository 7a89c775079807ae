@grant-authorization-code
Feature: Security rules of the authorization flow (RFC 6749 10, RFC 9700)
  Codes are single-use and bound to their client and redirect URI; the server is no open
  redirector; state comes back exactly; repeated parameters are refused; the resource owner's
  pages cannot be framed.

  @RFC6749-4.1.2 @RFC6749-10.5 @MUST @browser
  Scenario: A reused authorization code is refused
    RFC 6749 4.1.2: "If an authorization code is used more than once, the authorization server MUST deny the request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
    RFC 6749 10.5: "Authorization codes MUST be short lived and single-use."
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code
    Then the token endpoint issues an access token
    When the confidential client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.2 @RFC6749-10.5 @SHOULD @browser @introspection
  Scenario: A reused authorization code is refused and its tokens are revoked
    RFC 6749 4.1.2: "If an authorization code is used more than once, the authorization server MUST deny the request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
    RFC 6749 10.5: "If the authorization server observes multiple attempts to exchange an authorization code for an access token, the authorization server SHOULD attempt to revoke all access tokens already granted based on the compromised authorization code."
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code
    Then the token endpoint issues an access token
    When the confidential client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"
    And the first access token is no longer active
    And the refresh token, if one was issued, no longer works

  @RFC6749-4.1.2.1 @RFC9700-2.1 @MUST
  Scenario: An unknown client's request is not redirected to an attacker's URI
    RFC 6749 4.1.2.1: "If the request fails due to a missing, invalid, or mismatching redirection URI, or if the client identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."
    Given the confidential client starts an authorization request
    And the authorization request has client_id "no-such-client-{state}"
    And the authorization request has redirect_uri "http://attacker.example/callback"
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI

  @RFC6749-3.1.2.4 @RFC9700-2.1 @MUST
  Scenario: A request with an unregistered redirect URI and another error is not redirected
    RFC 6749 3.1.2.4: "If an authorization request fails validation due to a missing, invalid, or mismatching redirection URI, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "http://attacker.example/callback"
    And the authorization request has scope "{made-up-scope}"
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI

  @RFC6749-3.1.2.4 @RFC9700-2.1 @MUST
  Scenario: A request with an unregistered redirect URI and an unknown response_type is not redirected
    RFC 6749 3.1.2.4: "If an authorization request fails validation due to a missing, invalid, or mismatching redirection URI, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "http://attacker.example/callback"
    And the authorization request has response_type "urn:example:no-such-type"
    When the user agent sends the authorization request
    Then the user agent is not sent to the requested redirect URI

  @RFC6749-4.1.2 @RFC6749-4.1.2.1 @MUST @browser
  Scenario Outline: The state is echoed exactly (<kind>)
    RFC 6749 4.1.2.1: "REQUIRED if a "state" parameter was present in the client authorization request.  The exact value received from the client."
    RFC 6749 A.5: "state      = 1*VSCHAR"
    Given the confidential client starts an authorization request
    And the authorization request has state "<state>"
    When the resource owner denies the authorization request
    Then an authorization response reached the client
    And the authorization response's "state" is "<state>"

    Examples:
      | kind                    | state                              |
      | random                  | {state}                            |
      | spaces and punctuation  | a b+c/d?e=f&g#h                    |
      | percent sign            | 100%25 sure %41                    |
      | single character        | x                                  |

  @RFC6749-4.1.2 @RFC6749-4.1.2.1 @MUST @browser
  Scenario: The state is echoed exactly (non-ASCII)
    RFC 6749 4.1.2.1: "REQUIRED if a "state" parameter was present in the client authorization request.  The exact value received from the client."
    RFC 6749 A.5: "state      = 1*VSCHAR"
    Given the confidential client starts an authorization request
    And the authorization request has state "état-ünïcødé-状態"
    When the resource owner denies the authorization request
    Then the authorization response's state is "état-ünïcødé-状態" unless the server refused the request

  @RFC6749-3.1 @MUST @warning
  Scenario Outline: A repeated <parameter> is refused, or accepted with a warning
    RFC 6749 3.1: "Request and response parameters MUST NOT be included more than once."
    Given the confidential client starts an authorization request
    And the authorization request repeats <parameter>
    When the user agent sends the authorization request
    Then the report warns if the client received an authorization code: the authorization endpoint accepted a request with <parameter> repeated (RFC 6749 3.1 forbids the client to send it; 4.1.2.1 names invalid_request for refusing it)

    Examples:
      | parameter      |
      | response_type  |
      | scope          |
      | state          |
      | code_challenge |

  @RFC6749-3.1 @RFC6749-4.1.2.1 @MUST @warning
  Scenario Outline: A repeated <parameter> is refused, or accepted with a warning
    RFC 6749 3.1: "Request and response parameters MUST NOT be included more than once."
    RFC 6749 4.1.2.1: "If the request fails due to a missing, invalid, or mismatching redirection URI, or if the client identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    Given the confidential client starts an authorization request
    And the authorization request repeats <parameter>
    When the user agent sends the authorization request
    Then the report warns if the client received an authorization code: the authorization endpoint accepted a request with <parameter> repeated, and issued a code to the registered redirect URI (RFC 6749 3.1 forbids the client to send it)

    Examples:
      | parameter    |
      | client_id    |
      | redirect_uri |

  @RFC9700-4.16 @MUST @browser
  Scenario: The login page forbids framing
    RFC 9700 4.16: "Authorization servers MUST prevent clickjacking attacks. Multiple countermeasures are described in [RFC6819], including the use of the X-Frame-Options HTTP response header field and frame-busting JavaScript."
    Given the confidential client starts an authorization request
    When the user agent loads the authorization request in the browser
    Then every page the server showed forbids framing
