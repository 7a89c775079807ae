@introspection
Feature: Token introspection (RFC 7662)
  An authorized caller learns whether a token is active; an inactive, unknown, expired or revoked
  token is simply {"active": false}. The members other than "active" are OPTIONAL and are checked
  only when present. Tokens come from the grant of the profile's token_endpoints_caller, else from
  whichever grant the target offers (client credentials for an access token, the authorization
  code grant for a refresh token); the caller is the client the token was issued to.

  @RFC7662-2.2 @MUST @user-token
  Scenario: An active access token is reported active, with its client_id and scope when named
    RFC 7662 2.2: "active [...] REQUIRED.  Boolean indicator of whether or not the presented token is currently active."
    Given a client that may introspect and revoke has an access token
    When the token's client introspects the access token
    Then the token is reported active
    And the response is JSON
    And the response's "client_id", if present, is the token's client
    And the response's "scope", if present, is the granted scope

  @RFC7662-2.2 @SHOULD @user-token
  Scenario: The introspection timestamps mean what RFC 7662 says
    RFC 7662 2.2: "active [...] REQUIRED.  Boolean indicator of whether or not the presented token is currently active.  The specifics of a token's "active" state will vary depending on the implementation of the authorization server and the information it keeps about its tokens, but a "true" value return for the "active" property will generally indicate that a given token has been issued by this authorization server, has not been revoked by the resource owner, and is within its given time window of validity (e.g., after its issuance time and before its expiration time)."
    RFC 7662 2.2: "exp [...] OPTIONAL.  Integer timestamp, measured in the number of seconds since January 1 1970 UTC, indicating when this token will expire, as defined in JWT [RFC7519]."
    RFC 7662 2.2: "iat [...] OPTIONAL.  Integer timestamp, measured in the number of seconds since January 1 1970 UTC, indicating when this token was originally issued, as defined in JWT [RFC7519]."
    Given a client that may introspect and revoke has an access token
    When the token's client introspects the access token
    Then the token is reported active
    And the response's "exp", if present, is a time in the future
    And the response's "iat", if present, is a time not in the future

  @RFC7662-2.2 @MAY @user-token
  Scenario: The token_type of an introspected access token is named
    RFC 7662 2.2: "token_type [...] OPTIONAL.  Type of the token as defined in Section 5.1 of OAuth 2.0 [RFC6749]."
    Given a client that may introspect and revoke has an access token
    When the token's client introspects the access token
    Then the token is reported active
    And the response's token_type is Bearer

  @RFC7662-2.1 @MAY @user-token
  Scenario: A refresh token can be introspected and names its resource owner when it names one
    RFC 7662 2.1: "For refresh tokens, this is the "refresh_token" value returned from the token endpoint as defined in OAuth 2.0 [RFC6749], Section 5.1."
    RFC 7662 2.2: "username [...] OPTIONAL.  Human-readable identifier for the resource owner who authorized this token."
    Given a client has an access token and a refresh token
    And the tokens were issued to a confidential client
    When the token's client introspects the refresh token
    Then the token is reported active
    And the response's "username", if present, is "{username}"

  @RFC7662-2.2 @MUST
  Scenario: An unknown token is reported inactive, not as an error
    RFC 7662 2.2: "If the introspection call is properly authorized but the token is not active, does not exist on this server, or the protected resource is not allowed to introspect this particular token, then the authorization server MUST return an introspection response with the "active" field set to "false"."
    When the client that may introspect and revoke introspects an unknown token
    Then the token is reported inactive

  @RFC7662-2.2 @SHOULD
  Scenario: An inactive token's response carries nothing but "active"
    RFC 7662 2.2: "Note that to avoid disclosing too much of the authorization server's state to a third party, the authorization server SHOULD NOT include any additional information about an inactive token, including why the token is inactive."
    Given the introspection endpoint has reported an unknown token inactive
    Then the response has only the member "active"

  @RFC7662-2.1 @MUST @user-token
  Scenario: The introspection endpoint refuses a caller without authorization
    RFC 7662 2.1: "To prevent token scanning attacks, the endpoint MUST also require some form of authorization to access this endpoint, such as client authentication as described in OAuth 2.0 [RFC6749] or a separate OAuth 2.0 access token such as the bearer token described in OAuth 2.0 Bearer Token Usage [RFC6750]."
    Given a client that may introspect and revoke has an access token
    When the token's client introspects the access token without client authentication
    Then the introspection endpoint refuses the caller

  @RFC7662-2.3 @MUST @user-token
  Scenario: The introspection endpoint refuses a caller with a wrong secret with 401
    The refusal is the MUST of 2.1; the 401 of 2.3 has no keyword, so another status is a warning.
    RFC 7662 2.1: "To prevent token scanning attacks, the endpoint MUST also require some form of authorization to access this endpoint, such as client authentication as described in OAuth 2.0 [RFC6749] or a separate OAuth 2.0 access token such as the bearer token described in OAuth 2.0 Bearer Token Usage [RFC6750]."
    RFC 7662 2.3: "If the protected resource uses OAuth 2.0 client credentials to authenticate to the introspection endpoint and its credentials are invalid, the authorization server responds with an HTTP 401 (Unauthorized) as described in Section 5.2 of OAuth 2.0 [RFC6749]."
    Given a client that may introspect and revoke has an access token
    When the token's client introspects the access token with a wrong client secret
    Then the introspection endpoint refuses the caller
    And the response status is 401, or the report warns

  @RFC7662-2.1 @MUST @user-token
  Scenario: A wrong token_type_hint does not stop the lookup
    RFC 7662 2.1: "If the server is unable to locate the token using the given hint, it MUST extend its search across all of its supported token types."
    Given a client that may introspect and revoke has an access token
    When the token's client introspects the access token with token_type_hint "refresh_token"
    Then the token is reported active

  @RFC7662-2.2 @MUST @short-lifetimes
  Scenario: An expired access token is reported inactive
    RFC 7662 2.2: "a "true" value return for the "active" property will generally indicate that a given token has been issued by this authorization server, has not been revoked by the resource owner, and is within its given time window of validity (e.g., after its issuance time and before its expiration time)."
    RFC 7662 2.2: "If the introspection call is properly authorized but the token is not active, does not exist on this server, or the protected resource is not allowed to introspect this particular token, then the authorization server MUST return an introspection response with the "active" field set to "false"."
    Given the short-lived client has an access token
    Then the access token expires within the expiry wait
