@grant-authorization-code
Feature: Security rules of the authorization flow (RFC 6749 10, RFC 9700)
  Codes are single-use and bound to their client and redirect URI; the server is no open
  redirector; state comes back exactly; repeated parameters are refused; the resource owner's
  pages cannot be framed.

  @RFC6749-4.1.2 @RFC6749-10.5 @MUST @browser
  Scenario: A reused authorization code is refused
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code
    Then the token endpoint issues an access token
    When the confidential client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.1.2 @RFC6749-10.5 @SHOULD @browser @introspection
  Scenario: A reused authorization code is refused and its tokens are revoked
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code
    Then the token endpoint issues an access token and a refresh token
    When the confidential client redeems the authorization code
    Then the token endpoint refuses the request with error "invalid_grant"
    And the first access token is no longer active
    And the refresh token no longer works

  @RFC9700-4.11 @RFC6749-3.1.2.4 @MUST
  Scenario: An unknown client's request is not redirected to an attacker's URI
    Given the confidential client starts an authorization request
    And the authorization request has client_id "no-such-client-{state}"
    And the authorization request has redirect_uri "http://attacker.example/callback"
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

  @RFC9700-4.11 @RFC6749-3.1.2.4 @MUST
  Scenario: A request with an unregistered redirect URI and another error is not redirected
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "http://attacker.example/callback"
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

  @RFC9700-4.11 @RFC6749-3.1.2.4 @MUST
  Scenario: A request with an unregistered redirect URI and an unknown response_type is not redirected
    Given the confidential client starts an authorization request
    And the authorization request has redirect_uri "http://attacker.example/callback"
    And the authorization request has response_type "urn:example:no-such-type"
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the requested redirect URI

  @RFC6749-4.1.2 @RFC6749-4.1.2.1 @MUST
  Scenario Outline: The state is echoed exactly (<kind>)
    Given the confidential client starts an authorization request
    And the authorization request has state "<state>"
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_scope"
    And the authorization response's "state" is "<state>"

    Examples:
      | kind                    | state                              |
      | random                  | {state}                            |
      | spaces and punctuation  | a b+c/d?e=f&g#h                    |
      | percent sign            | 100%25 sure %41                    |
      | non-ASCII               | état-ünïcødé-状態                   |
      | single character        | x                                  |

  @RFC6749-3.1 @RFC6749-4.1.2.1 @MUST
  Scenario Outline: A repeated <parameter> is refused with invalid_request
    Given the confidential client starts an authorization request
    And the authorization request repeats <parameter>
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

    Examples:
      | parameter      |
      | response_type  |
      | scope          |
      | state          |
      | code_challenge |

  @RFC6749-3.1 @RFC6749-3.1.2.4 @MUST
  Scenario Outline: A repeated <parameter> is refused without a redirect
    Given the confidential client starts an authorization request
    And the authorization request repeats <parameter>
    When the user agent sends the authorization request
    Then the authorization server does not redirect to the client

    Examples:
      | parameter    |
      | client_id    |
      | redirect_uri |

  @RFC9700-4.16 @RFC6749-10.13 @MUST
  Scenario: The login page forbids framing
    Given the confidential client starts an authorization request
    When the user agent fetches the login page
    Then the page forbids framing
