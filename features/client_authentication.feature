Feature: Client authentication at the token endpoint (RFC 6749 2.3.1, 5.2)
  Confidential clients authenticate with HTTP Basic or with credentials in the request body, as
  each client is registered (clients.<role>.auth_method); never in the URL. A failed Basic
  authentication is a 401 with a WWW-Authenticate challenge. The refusals use the client
  credentials grant, the request that carries the authentication with no resource owner
  involved; an accepted authentication is shown by whichever grant the target offers, so a
  broken client credentials grant is reported once, by its own scenario.

  @RFC6749-2.3.1 @MUST @client-secret-basic
  Scenario: A client authenticates with HTTP Basic
    RFC 6749 2.3.1: "The authorization server MUST support the HTTP Basic authentication scheme for authenticating clients that were issued a client password."
    Checked on every target whose profile has a client with a secret, whatever token_endpoint_auth_methods_supported or the profile's token_endpoint_auth_methods say. A refusal fails when the client is declared for client_secret_basic, or when the target does not list client_secret_basic at all; a target that lists it but refuses it from a client the profile registers for client_secret_post may accept Basic only from clients registered for it, and the scenario is then inconclusive.
    When a client authenticating with client_secret_basic obtains an access token through any grant the target offers
    Then the token endpoint issues an access token to the client authenticating with HTTP Basic

  @RFC6749-2.3.1 @MAY @client-secret-post
  Scenario: A client authenticates with its credentials in the request body
    RFC 6749 2.3.1: "Alternatively, the authorization server MAY support including the client credentials in the request-body using the following parameters:"
    When a client authenticating with client_secret_post obtains an access token through any grant the target offers
    Then the token endpoint issues an access token

  @RFC6749-5.2 @RFC6749-2.3.1 @MUST @client-secret-basic @grant-client-credentials
  Scenario: A wrong secret with HTTP Basic gets 401 invalid_client with a Basic challenge
    RFC 6749 5.2: "If the client attempted to authenticate via the "Authorization" request header field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code and include the "WWW-Authenticate" response header field matching the authentication scheme used by the client."
    Given the client credentials client authenticates with client_secret_basic
    When the client credentials client requests a token with its client credentials with a wrong client secret
    Then the token endpoint refuses the request with error "invalid_client"
    And the response status is 401
    And the response has a "Basic" challenge

  @RFC6749-5.2 @MUST @client-secret-basic @grant-client-credentials
  Scenario: An unknown client with HTTP Basic gets 401 invalid_client with a Basic challenge
    RFC 6749 5.2: "If the client attempted to authenticate via the "Authorization" request header field, the authorization server MUST respond with an HTTP 401 (Unauthorized) status code and include the "WWW-Authenticate" response header field matching the authentication scheme used by the client."
    When the client credentials client requests a token with its client credentials with HTTP Basic client authentication and an unknown client_id
    Then the token endpoint refuses the request with error "invalid_client"
    And the response status is 401
    And the response has a "Basic" challenge

  @RFC6749-5.2 @RFC6749-4.4.2 @MUST @client-secret-post @grant-client-credentials
  Scenario: A wrong secret in the request body is refused with invalid_client
    RFC 6749 4.4.2: "The authorization server MUST authenticate the client."
    RFC 6749 5.2: "invalid_client [...] Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
    Given the client credentials client authenticates with client_secret_post
    When the client credentials client requests a token with its client credentials with a wrong client secret
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-2.3.1 @RFC6749-3.2 @MUST @warning @grant-client-credentials
  Scenario: Client credentials in the URL query are refused, or accepted with a warning
    RFC 6749 2.3.1: "The parameters can only be transmitted in the request-body and MUST NOT be included in the request URI."
    When the client credentials client requests a token with its client credentials with the client credentials in the URL query
    Then the report warns if the token endpoint issued an access token: the token endpoint accepted client credentials in the URL query (RFC 6749 2.3.1 forbids the client to send them there; they end up in logs)

  @RFC6749-5.2 @RFC6749-3.2.1 @MUST @grant-client-credentials
  Scenario: A token request without any client identification is refused with invalid_client
    RFC 6749 3.2.1: "Confidential clients or other clients issued client credentials MUST authenticate with the authorization server as described in Section 2.3 when making requests to the token endpoint."
    RFC 6749 5.2: "invalid_client [...] Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
    When the client credentials client requests a token with its client credentials without a client_id
    Then the token endpoint refuses the request with error "invalid_client"
