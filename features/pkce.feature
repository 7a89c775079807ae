@grant-authorization-code @pkce
Feature: Proof Key for Code Exchange (RFC 7636, RFC 9700 2.1.1)
  A code issued for a code_challenge can only be redeemed with the matching code_verifier.
  "The PKCE client" is the profile's public client, or its confidential client when it has no
  public one: RFC 9700 2.1.1 asks every authorization server to support PKCE, for every client.
  These checks run on every server that offers the code grant, whatever its metadata
  (code_challenge_methods_supported absent, or plain alone) or its profile says: a server that
  ignores PKCE fails them under RFC 9700 2.1.1 "Authorization servers MUST support PKCE".

  @RFC7636-4.5 @RFC9700-2.1.1 @MUST @browser
  Scenario: A code issued with a challenge is refused without the code_verifier
    RFC 9700 2.1.1: "Authorization servers MUST support PKCE [RFC7636]."
    RFC 9700 2.1.1: "If a client sends a valid PKCE `code_challenge` parameter in the authorization request, the authorization server MUST enforce the correct usage of `code_verifier` at the token endpoint."
    RFC 7636 4.5: "code_verifier REQUIRED.  Code verifier"
    Given the PKCE client has an authorization code
    When the PKCE client redeems the authorization code without the code_verifier
    Then PKCE is enforced: the token endpoint refuses the request with error "invalid_grant" or "invalid_request"

  @RFC7636-4.6 @RFC9700-2.1.1 @MUST @browser
  Scenario: A code issued with a challenge is refused with a wrong code_verifier
    RFC 9700 2.1.1: "Authorization servers MUST support PKCE [RFC7636]."
    RFC 9700 2.1.1: "If a client sends a valid PKCE `code_challenge` parameter in the authorization request, the authorization server MUST enforce the correct usage of `code_verifier` at the token endpoint."
    RFC 7636 4.6: "If the values are not equal, an error response indicating "invalid_grant" as described in Section 5.2 of [RFC6749] MUST be returned."
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code with a wrong code_verifier
    Then PKCE is enforced: the token endpoint refuses the request with error "invalid_grant"

  @RFC7636-4.6 @RFC9700-2.1.1 @RFC9700-4.8 @MUST @browser
  Scenario: A code issued for an S256 challenge is refused when the challenge itself is sent as the code_verifier
    RFC 7636 4.6: "If the "code_challenge_method" from Section 4.3 was "S256", the received "code_verifier" is hashed by SHA-256, base64url-encoded, and then compared to the "code_challenge""
    RFC 7636 4.6: "If the values are not equal, an error response indicating "invalid_grant" as described in Section 5.2 of [RFC6749] MUST be returned."
    RFC 9700 2.1.1: "If a client sends a valid PKCE `code_challenge` parameter in the authorization request, the authorization server MUST enforce the correct usage of `code_verifier` at the token endpoint."
    A server that compares the verifier with the challenge as sent treats S256 as plain: whoever saw the authorization request (RFC 9700 4.8's downgrade, by another road) can redeem the code.
    Given the PKCE client has an authorization code
    When the PKCE client redeems the authorization code with the code_challenge as the code_verifier
    Then PKCE is enforced: the token endpoint refuses the request with error "invalid_grant"

  @RFC7636-4.1 @RFC7636-4.6 @SHOULD @warning @browser
  Scenario: A code_verifier shorter than 43 characters is refused even when its S256 challenge matches, or accepted with a warning
    RFC 7636 4.1: "code_verifier = high-entropy cryptographic random STRING using the unreserved characters [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~" from Section 2.3 of [RFC3986], with a minimum length of 43 characters and a maximum length of 128 characters."
    RFC 7636 4.6: "If the values are equal, the token endpoint MUST continue processing as normal (as defined by OAuth 2.0 [RFC6749])."
    4.1 tells the client what to send; no sentence tells the server to refuse a shorter verifier, and 4.6 compares hashes only (its MUST is about equal values). So a server that refuses passes plainly, and one that redeems the code passes with a warning: a 42-character verifier is one the client should never have made, and a short one is easier to guess.
    Given the PKCE client has an authorization code issued for a code_verifier of 42 characters
    When the PKCE client redeems the authorization code
    Then the report warns if the token endpoint issued an access token: the token endpoint redeemed a code with a code_verifier of 42 characters (RFC 7636 4.1 defines 43 to 128 characters for the client to send; a shorter verifier is easier to guess)

  @RFC9700-2.1.1 @RFC7636-4.4 @MUST @browser
  Scenario: A code issued with a challenge keeps needing its verifier after a failed attempt
    RFC 7636 4.4: "When the server issues the authorization code in the authorization response, it MUST associate the "code_challenge" and "code_challenge_method" values with the authorization code so it can be verified later."
    RFC 9700 2.1.1: "If a client sends a valid PKCE `code_challenge` parameter in the authorization request, the authorization server MUST enforce the correct usage of `code_verifier` at the token endpoint."
    Given the confidential client has an authorization code
    When the confidential client redeems the authorization code without the code_verifier
    Then the token endpoint refuses the request
    When the confidential client redeems the authorization code without the code_verifier
    Then the token endpoint refuses the request

  @RFC7636-4.4.1 @RFC8252-8.1 @MUST
  Scenario: A public client's authorization request without a code_challenge is refused
    RFC 7636 4.4.1: "If the server requires Proof Key for Code Exchange (PKCE) by OAuth public clients and the client does not send the "code_challenge" in the request, the authorization endpoint MUST return the authorization error response with the "error" value set to "invalid_request"."
    RFC 8252 8.1: "Authorization servers SHOULD reject authorization requests from native apps that don't use PKCE by returning an error message, as defined in Section 4.4.1 of PKCE [RFC7636]."
    Given the target requires PKCE for public clients
    And the public client starts an authorization request
    And the authorization request has no code_challenge
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC7636-4.4.1 @MUST
  Scenario: An unsupported code_challenge_method is refused with invalid_request
    RFC 7636 4.4.1: "If the server supporting PKCE does not support the requested transformation, the authorization endpoint MUST return the authorization error response with "error" value set to "invalid_request"."
    Given the PKCE client starts an authorization request
    And the authorization request has code_challenge_method "urn:example:no-such-method"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request"

  @RFC7636-4.3 @RFC7636-4.4.1 @MUST
  Scenario: A code_challenge without a method is taken as plain, refused where plain is not supported
    RFC 7636 4.3: "code_challenge_method OPTIONAL, defaults to "plain" if not present in the request."
    RFC 7636 4.4.1: "If the server supporting PKCE does not support the requested transformation, the authorization endpoint MUST return the authorization error response with "error" value set to "invalid_request"."
    Given the target does not support the "plain" code challenge method
    And the PKCE client starts an authorization request
    And the authorization request has no code_challenge_method
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request" unless the target supports the method without listing it

  @RFC7636-4.4.1 @MUST
  Scenario: The plain method is refused where the server does not support it
    RFC 7636 4.4.1: "If the server supporting PKCE does not support the requested transformation, the authorization endpoint MUST return the authorization error response with "error" value set to "invalid_request"."
    Given the target does not support the "plain" code challenge method
    And the PKCE client starts an authorization request
    And the authorization request has code_challenge "{code_verifier}"
    And the authorization request has code_challenge_method "plain"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_request" unless the target supports the method without listing it

  @RFC7636-4.2 @SHOULD @warning
  Scenario Outline: A code_challenge that is not 43 to 128 unreserved characters is refused, or accepted with a warning (<case>)
    RFC 7636 4.2: "code-challenge = 43*128unreserved"
    Given the PKCE client starts an authorization request
    And the authorization request has code_challenge "<challenge>"
    When the user agent sends the authorization request
    Then the report warns if the client received an authorization code: the authorization endpoint accepted a code_challenge that is not 43 to 128 unreserved characters (<case>; RFC 7636 4.2 defines the syntax the client sends; a short challenge is easier to guess)

    Examples:
      | case      | challenge   |
      | too short | abc         |
