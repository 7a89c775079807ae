@grant-refresh-token
Feature: Refreshing an access token (RFC 6749 6, RFC 9700 2.2.2)
  A refresh token gets a new access token for the same or a narrower scope, only for the client it
  was issued to. Public clients' refresh tokens are rotated and a reused one revokes the family.

  @RFC6749-6 @MUST @browser @grant-authorization-code
  Scenario: A confidential client refreshes its access token
    Given the confidential client has an access token and a refresh token
    When the confidential client refreshes the access token
    Then the token endpoint issues an access token
    And the response has header "Cache-Control" with "no-store"

  @RFC6749-6 @RFC6749-3.2.1 @MUST @grant-password
  Scenario: A confidential client that does not authenticate cannot refresh
    Given the password client has an access token and a refresh token
    When the password client refreshes the access token without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-6 @RFC6749-10.4 @MUST @grant-password
  Scenario: A refresh token issued to one client is refused for another client
    Given the password client has an access token and a refresh token
    When the confidential client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-6 @MUST @grant-password
  Scenario: A refresh without scope keeps the original scope
    Given the password client has an access token and a refresh token
    When the password client refreshes the access token
    Then the token endpoint issues an access token
    And the granted scope is the original scope

  @RFC6749-6 @MUST @grant-password
  Scenario: A refresh may narrow the scope
    Given the password client has an access token and a refresh token
    When the password client refreshes the access token with scope "{allowed-scope}"
    Then the token endpoint issues an access token
    And the granted scope is "{allowed-scope}"

  @RFC6749-6 @RFC6749-5.2 @MUST @grant-password
  Scenario Outline: A refresh asking for more than the original scope is refused with invalid_scope (<case>)
    Given the password client has an access token and a refresh token
    When the password client refreshes the access token with scope "<scope>"
    Then the token endpoint refuses the request with error "invalid_scope"

    Examples:
      | case                          | scope                                     |
      | a scope of the client not granted | {allowed-scope} {refresh-scope} {other-allowed-scope} |
      | a scope the client may not have | {allowed-scope} {not-allowed-scope}      |

  @RFC6749-6 @SHOULD @grant-password
  Scenario: A new refresh token has the scope of the one it replaces
    Given the password client has an access token and a refresh token
    When the password client refreshes the access token
    Then the token endpoint issues an access token
    When the password client refreshes the access token
    Then the token endpoint issues an access token
    And the granted scope is the original scope

  @RFC9700-2.2.2 @RFC9700-4.14.2 @MUST @browser @grant-authorization-code @pkce
  Scenario: A public client's refresh token is rotated on use
    Given the public client has an access token and a refresh token
    When the public client refreshes the access token
    Then the token endpoint issues an access token and a refresh token
    And the new refresh token differs from the previous one

  @RFC9700-2.2.2 @RFC9700-4.14.2 @MUST @browser @grant-authorization-code @pkce
  Scenario: Reusing a rotated refresh token is refused and revokes its successor
    Given the public client has an access token and a refresh token
    When the public client refreshes the access token
    Then the token endpoint issues an access token and a refresh token
    When the public client refreshes the access token with the previous refresh token
    Then the token endpoint refuses the request with error "invalid_grant"
    When the public client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-5.2 @RFC7009-2.1 @MUST @revocation @grant-password
  Scenario: A revoked refresh token is refused with invalid_grant
    Given the password client has an access token and a refresh token
    When the password client revokes the refresh token
    And the password client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-5.2 @MUST @short-lifetimes @introspection
  Scenario: An expired refresh token is refused with invalid_grant
    Given the short-lived client has an access token and a refresh token
    When the refresh token has expired
    And the short-lived client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-A.17 @MUST @grant-password
  Scenario: A refresh token uses only the characters RFC 6749 allows
    Given the password client has an access token and a refresh token
    Then the refresh token uses only the characters RFC 6749 allows
