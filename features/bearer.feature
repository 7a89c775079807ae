@resource
Feature: Using a bearer token at the protected resource (RFC 6750)
  The target's protected resource accepts a valid bearer token in the Authorization header and
  answers a missing, invalid or insufficient token with a Bearer challenge. Runs only when the
  target profile names a resource.

  @RFC6750-2.1 @MUST @grant-client-credentials
  Scenario: The resource accepts a token in the Authorization header
    Given the client credentials client has an access token
    When the client calls the resource with the access token in the Authorization header
    Then the resource accepts the request

  @RFC6750-2.1 @MUST @grant-client-credentials
  Scenario: The Bearer scheme name is not case-sensitive
    Given the client credentials client has an access token
    When the client calls the resource with the access token in the Authorization header with the scheme "bearer"
    Then the resource accepts the request

  @RFC6750-2.3 @SHOULD @grant-client-credentials
  Scenario: The resource does not accept a token in the URL query
    Given the client credentials client has an access token
    When the client calls the resource with the access token in the URL query
    Then the resource refuses the request

  @RFC6750-3 @RFC6750-3.1 @MUST
  Scenario: A request without a token gets a Bearer challenge without an error code
    When the client calls the resource without a token
    Then the response status is 401
    And the response has a "Bearer" challenge
    And the Bearer challenge carries no error code

  @RFC6750-3 @RFC6750-3.1 @MUST
  Scenario: An invalid token gets 401 invalid_token
    When the client calls the resource with an unknown token in the Authorization header
    Then the response status is 401
    And the response has a "Bearer" challenge
    And the Bearer challenge carries the error "invalid_token"

  @RFC6750-3.1 @MUST @grant-client-credentials @revocation
  Scenario: A revoked token gets 401 invalid_token
    Given the client credentials client has an access token
    When the client credentials client revokes the access token
    And the client calls the resource with the access token in the Authorization header
    Then the response status is 401
    And the Bearer challenge carries the error "invalid_token"

  @RFC6750-3.1 @MUST @short-lifetimes
  Scenario: An expired token gets 401 invalid_token
    Given the short-lived client has an access token
    When the access token expires within the expiry wait
    And the client calls the resource with the access token in the Authorization header
    Then the response status is 401
    And the Bearer challenge carries the error "invalid_token"

  @RFC6750-3.1 @MUST @grant-client-credentials
  Scenario: A token without the required scope gets 403 insufficient_scope
    Given the client credentials client has an access token without the resource's scope
    When the client calls the resource with the access token in the Authorization header
    Then the response status is 403
    And the Bearer challenge carries the error "insufficient_scope"

  @RFC6750-2.2 @MAY @grant-client-credentials
  Scenario: A token in a form-encoded POST body is accepted or refused with a Bearer challenge
    Given the client credentials client has an access token
    When the client calls the resource with the access token in the form body
    Then the resource accepts the request or answers with a Bearer challenge
