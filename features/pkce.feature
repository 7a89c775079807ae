@grant-authorization-code @pkce
Feature: Proof Key for Code Exchange (RFC 7636, RFC 9700 2.1.1)
  A code issued for a code_challenge can only be redeemed with the matching code_verifier.

  @RFC7636-4.6 @RFC9700-2.1.1 @MUST @browser
  Scenario: A code issued with a challenge is refused without the code_verifier
    Given the public client has an authorization code
    When the public client redeems the authorization code without the code_verifier
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC7636-4.6 @MUST @browser
  Scenario: A code issued with a challenge is refused with a wrong code_verifier
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code with a wrong code_verifier
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC7636-4.6 @RFC9700-4.8.2 @MUST @browser
  Scenario: A code issued with a challenge keeps needing its verifier after a failed attempt
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code without the code_verifier
    Then the token endpoint refuses the request
    When the confidential client redeems the authorization code without the code_verifier
    Then the token endpoint refuses the request

  @RFC9700-2.1.1 @RFC9700-4.8.2 @MUST @browser
  Scenario: A code issued without a challenge is refused when redeemed with a code_verifier (PKCE downgrade)
    Given the confidential client starts an authorization request
    And the authorization request has no code_challenge
    When the resource owner approves the authorization request
    Then the client receives an authorization code
    When the confidential client redeems the authorization code with a code_verifier
    Then the token endpoint refuses the request

  @RFC7636-4.4.1 @RFC9700-2.1.1 @RFC8252-8.1 @MUST
  Scenario: A public client's authorization request without a code_challenge is refused
    Given the target requires PKCE for public clients
    And the public client starts an authorization request
    And the authorization request has no code_challenge
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC7636-4.4.1 @MUST
  Scenario: An unsupported code_challenge_method is refused with invalid_request
    Given the public client starts an authorization request
    And the authorization request has code_challenge_method "urn:example:no-such-method"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC7636-4.3 @RFC7636-4.4.1 @RFC9700-2.1.1 @MUST
  Scenario: A code_challenge without a method is taken as plain, refused where plain is not supported
    Given the target does not support the "plain" code challenge method
    And the public client starts an authorization request
    And the authorization request has no code_challenge_method
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC7636-4.2 @RFC9700-2.1.1 @MUST
  Scenario: The plain method is refused where the server does not support it
    Given the target does not support the "plain" code challenge method
    And the public client starts an authorization request
    And the authorization request has code_challenge "{code_verifier}"
    And the authorization request has code_challenge_method "plain"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC7636-4.1 @RFC7636-4.2 @MUST
  Scenario Outline: A code_challenge that is not 43 characters of base64url is refused (<case>)
    Given the public client starts an authorization request
    And the authorization request has code_challenge "<challenge>"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

    Examples:
      | case      | challenge   |
      | too short | abc         |
