@grant-client-credentials
Feature: Client authentication at the token endpoint (RFC 6749 2.3.1, 5.2)
  Confidential clients authenticate with HTTP Basic (which the server MUST support) or with
  credentials in the request body; never in the URL. A failed Basic authentication is a 401 with a
  WWW-Authenticate challenge.

  @RFC6749-2.3.1 @MUST @client-secret-basic
  Scenario: A client authenticates with HTTP Basic
    When the client credentials client requests a token with its client credentials with HTTP Basic client authentication
    Then the token endpoint issues an access token

  @RFC6749-2.3.1 @MAY @client-secret-post
  Scenario: A client authenticates with its credentials in the request body
    When the client credentials client requests a token with its client credentials with client authentication in the request body
    Then the token endpoint issues an access token

  @RFC6749-5.2 @RFC6749-2.3.1 @MUST @client-secret-basic
  Scenario: A wrong secret with HTTP Basic gets 401 invalid_client with a Basic challenge
    When the client credentials client requests a token with its client credentials with HTTP Basic client authentication and a wrong client secret
    Then the token endpoint refuses the request with error "invalid_client"
    And the response status is 401
    And the response has a "Basic" challenge

  @RFC6749-5.2 @MUST @client-secret-basic
  Scenario: An unknown client with HTTP Basic gets 401 invalid_client with a Basic challenge
    When the client credentials client requests a token with its client credentials with HTTP Basic client authentication and an unknown client_id
    Then the token endpoint refuses the request with error "invalid_client"
    And the response status is 401
    And the response has a "Basic" challenge

  @RFC6749-5.2 @MUST @client-secret-post
  Scenario: A wrong secret in the request body is refused with invalid_client
    When the client credentials client requests a token with its client credentials with client authentication in the request body and a wrong client secret
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-2.3.1 @RFC6749-3.2 @MUST
  Scenario: Client credentials in the URL query are not accepted
    When the client credentials client requests a token with its client credentials with the client credentials in the URL query
    Then the token endpoint does not issue an access token

  @RFC6749-5.2 @RFC6749-3.2.1 @MUST
  Scenario: A token request without any client identification is refused with invalid_client
    When the client credentials client requests a token with its client credentials without a client_id
    Then the token endpoint refuses the request with error "invalid_client"
