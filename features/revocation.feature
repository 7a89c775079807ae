@revocation
Feature: Token revocation (RFC 7009)
  A client revokes its own tokens; revoking a refresh token ends the grant; a token of another
  client is not revoked; an unknown token is not an error. Access tokens come from the grant of the
  profile's token_endpoints_caller, else from the client credentials grant when the target offers
  it; refresh tokens from the authorization code grant
  (the password grant only when nothing else is offered). A revocation may take a moment to
  propagate (RFC 7009 2.1), so the checks that follow one wait for it within the request timeout.

  @RFC7009-2 @RFC7009-2.1 @RFC7009-2.2 @RFC6749-5.2 @MUST @user-token
  Scenario: A client revokes its refresh token
    RFC 7009 2: "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of access tokens (see Implementation Note)."
    RFC 7009 2.1: "The invalidation takes place immediately, and the token cannot be used again after the revocation."
    RFC 7009 2.2: "The authorization server responds with HTTP status code 200 if the token has been revoked successfully or if the client submitted an invalid token."
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    Given a client has an access token and a refresh token
    When the token's client revokes the refresh token
    Then the response status is 200
    And the refresh token no longer works

  @RFC7009-2 @SHOULD @introspection @user-token
  Scenario: A client revokes its access token
    RFC 7009 2: "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of access tokens (see Implementation Note)."
    RFC 7009 2.1: "The invalidation takes place immediately, and the token cannot be used again after the revocation.  In practice, there could be a propagation delay, for example, in which some servers know about the invalidation while others do not."
    Given a client that may introspect and revoke has an access token
    When the token's client revokes the access token
    Then the revocation is accepted
    And the access token is no longer active

  @RFC7009-2.1 @SHOULD @introspection @user-token
  Scenario: Revoking a refresh token also revokes the access tokens of its grant
    RFC 7009 2.1: "If the particular token is a refresh token and the authorization server supports the revocation of access tokens, then the authorization server SHOULD also invalidate all access tokens based on the same authorization grant (see Implementation Note)."
    Given a client has an access token and a refresh token
    And the target supports the revocation of access tokens
    When the token's client revokes the refresh token
    Then the response status is 200
    And the access token is no longer active

  @RFC7009-2.1 @MUST @introspection @user-token
  Scenario: A client cannot revoke a token issued to another client
    RFC 7009 2.1: "The authorization server first validates the client credentials (in case of a confidential client) and then verifies whether the token was issued to the client making the revocation request.  If this validation fails, the request is refused and the client is informed of the error by the authorization server as described below."
    RFC 7009 2: "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of access tokens (see Implementation Note)."
    The protection is judged: a token another client could revoke would let any client revoke anyone's tokens, so a revoked token fails at MUST. The refusal itself has no keyword in 2.1, and 2.2 answers 200 "if the client submitted an invalid token", which another client's token is to it: a 200 that leaves the token active passes with a warning.
    Given a client has an access token and a refresh token
    When another client revokes the refresh token
    Then the refresh token is still active
    And the report warns unless the revocation endpoint refused the request

  @RFC7009-2.1 @MUST @introspection @user-token
  Scenario: A client cannot revoke another client's access token
    RFC 7009 2.1: "The authorization server first validates the client credentials (in case of a confidential client) and then verifies whether the token was issued to the client making the revocation request.  If this validation fails, the request is refused and the client is informed of the error by the authorization server as described below."
    RFC 7009 2: "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of access tokens (see Implementation Note)."
    The protection is judged: a token another client could revoke would let any client revoke anyone's tokens, so a revoked token fails at MUST. The refusal itself has no keyword in 2.1, and 2.2 answers 200 "if the client submitted an invalid token", which another client's token is to it: a 200 that leaves the token active passes with a warning.
    Given a client that may introspect and revoke has an access token
    When another client revokes the access token
    Then the access token is still active
    And the report warns unless the revocation endpoint refused the request

  @RFC7009-2.2 @SHOULD
  Scenario: Revoking an unknown token answers 200
    RFC 7009 2.2: "The authorization server responds with HTTP status code 200 if the token has been revoked successfully or if the client submitted an invalid token."
    The sentence has no BCP 14 keyword, so another answer fails at SHOULD, never at MUST.
    When the client that may introspect and revoke revokes an unknown token
    Then the response status is 200

  @RFC7009-2.1 @RFC7009-2.2.1 @MUST @user-token
  Scenario: Revocation requires client authentication
    RFC 7009 2.1: "The client also includes its authentication credentials as described in Section 2.3. of [RFC6749]."
    RFC 7009 2.1: "The authorization server first validates the client credentials (in case of a confidential client) and then verifies whether the token was issued to the client making the revocation request.  If this validation fails, the request is refused and the client is informed of the error by the authorization server as described below."
    RFC 7009 2: "Implementations MUST support the revocation of refresh tokens and SHOULD support the revocation of access tokens (see Implementation Note)."
    RFC 7009 2.2.1: "The error presentation conforms to the definition in Section 5.2 of [RFC6749]."
    The protection is judged, as for another client's revocation: a token revoked by a request without client authentication would let anyone revoke anyone's tokens, so a revoked token fails at MUST. The refusal itself has no keyword in 2.1: a refusal passes (with a warning when its code is not invalid_client), and a 200 that leaves the token active passes with a warning (RFC 7009 2.2 answers 200 "if the client submitted an invalid token").
    Given a client that may introspect and revoke has an access token
    When the token's client revokes the access token without client authentication
    Then the access token was not revoked, and the report warns unless the request was refused with "invalid_client"

  @RFC7009-2.1 @MUST @user-token
  Scenario: A wrong token_type_hint does not stop the revocation
    RFC 7009 2.1: "If the server is unable to locate the token using the given hint, it MUST extend its search across all of its supported token types."
    A token that still works is revoked again without the hint: refused then, the hint stopped the revocation (FAIL); still working, the target revokes no refresh token at all, which "A client revokes its refresh token" reports, and this scenario is blocked.
    Given a client has an access token and a refresh token
    When the token's client revokes the refresh token with token_type_hint "access_token"
    Then the response status is 200
    And the refresh token no longer works, unless a revocation without the hint does not stop it either

  @RFC7009-2.2 @SHOULD @user-token
  Scenario: An unknown token_type_hint does not change the revocation's answer
    RFC 7009 2.2: "An invalid token type hint value is ignored by the authorization server and does not influence the revocation response."
    The sentence has no BCP 14 keyword, so a hint that changes the answer fails at SHOULD, never at MUST. The same revocation is sent again without the hint: a 200 to both (the token revoked, then an invalid token) or the same error to both passes.
    Given a client that may introspect and revoke has an access token
    When the token's client revokes the access token with token_type_hint "urn:example:no-such-type"
    Then the answer is the one the revocation gets without a token_type_hint
