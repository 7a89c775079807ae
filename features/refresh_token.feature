@grant-refresh-token
Feature: Refreshing an access token (RFC 6749 6, RFC 9700 2.2.2)
  A refresh token gets a new access token for the same or a narrower scope, only for the client it
  was issued to. Public clients' refresh tokens are rotated and a reused one revokes the family.
  Refresh tokens come from the authorization code grant in the browser (the password grant only
  when the target offers nothing else); issuing one is optional (RFC 6749 1.5), so a scenario
  whose client and scope get none is not applicable. @user-token marks the scenarios that obtain
  their tokens in a browser when the target offers the authorization code grant.

  @RFC6749-6 @RFC6749-5.1 @MUST @user-token
  Scenario: A client refreshes its access token
    RFC 6749 6: "If valid and authorized, the authorization server issues an access token as described in Section 5.1."
    RFC 6749 5.1: "The authorization server MUST include the HTTP "Cache-Control" response header field [RFC2616] with a value of "no-store" in any response containing tokens, credentials, or other sensitive information, as well as the "Pragma" response header field [RFC2616] with a value of "no-cache"."
    Given a client has an access token and a refresh token
    When the token's client refreshes the access token
    Then the token endpoint issues an access token
    And the response has header "Cache-Control" with "no-store"

  @RFC6749-6 @RFC6749-3.2.1 @MUST @user-token
  Scenario: A confidential client that does not authenticate cannot refresh
    RFC 6749 6: "If the client type is confidential or the client was issued client credentials (or assigned other authentication requirements), the client MUST authenticate with the authorization server as described in Section 3.2.1."
    Given a client has an access token and a refresh token
    And the tokens were issued to a confidential client
    When the token's client refreshes the access token without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-6 @RFC6749-10.4 @MUST @user-token
  Scenario: A refresh token issued to one client is refused for another client
    RFC 6749 6: "The authorization server MUST: [...] authenticate the client if client authentication is included and ensure that the refresh token was issued to the authenticated client, and"
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    Given a client has an access token and a refresh token
    When another client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant", or "unauthorized_client" from a client not registered for refresh_token

  @RFC6749-6 @RFC6749-3.3 @MUST @user-token
  Scenario: A refresh without scope grants no more than the original scope
    RFC 6749 6: "The requested scope MUST NOT include any scope not originally granted by the resource owner, and if omitted is treated as equal to the scope originally granted by the resource owner."
    RFC 6749 3.3: "If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    Given a client has an access token and a refresh token
    When the token's client refreshes the access token
    Then the token endpoint issues an access token
    And the granted scope is within the original scope

  @RFC6749-6 @RFC6749-1.5 @MAY @user-token
  Scenario: A refresh may narrow the scope
    RFC 6749 1.5: "Refresh tokens are issued to the client by the authorization server and are used to obtain a new access token when the current access token becomes invalid or expires, or to obtain additional access tokens with identical or narrower scope (access tokens may have a shorter lifetime and fewer permissions than authorized by the resource owner)."
    Given a client has an access token and a refresh token
    When the token's client refreshes the access token with scope "{allowed-scope}"
    Then the token endpoint issues an access token
    And the granted scope is within the original scope

  @RFC6749-6 @RFC6749-5.2 @MUST @user-token
  Scenario Outline: A refresh asking for more than the original scope is refused with invalid_scope (<case>)
    RFC 6749 6: "The requested scope MUST NOT include any scope not originally granted by the resource owner, and if omitted is treated as equal to the scope originally granted by the resource owner."
    RFC 6749 3.3: "The authorization server MAY fully or partially ignore the scope requested by the client, based on the authorization server policy or the resource owner's instructions.  If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    Given a client has an access token and a refresh token
    When the token's client refreshes the access token with scope "<scope>"
    Then the token endpoint refuses the request with error "invalid_scope" or grants a scope within the original

    Examples:
      | case                          | scope                                     |
      | a scope of the client not granted | {allowed-scope} {refresh-scope} {other-allowed-scope} |
      | a scope the client may not have | {allowed-scope} {not-allowed-scope}      |

  @RFC6749-6 @MUST @user-token
  Scenario: A new refresh token has the scope of the one it replaces
    RFC 6749 6: "If a new refresh token is issued, the refresh token scope MUST be identical to that of the refresh token included by the client in the request."
    The new refresh token's scope is read from the introspection endpoint; where it cannot be, the access token's scope stands in: RFC 6749 3.3 lets the server narrow the access token and name it, so only a broader one fails.
    Given a client has an access token and a refresh token
    And the refresh token is rotated on use
    When the token's client refreshes the access token
    Then the token endpoint issues an access token
    And the new refresh token's scope is the original scope

  @RFC9700-2.2.2 @RFC9700-4.14.2 @MUST @browser @grant-authorization-code @pkce
  Scenario: A public client's refresh token is rotated on use
    RFC 9700 2.2.2: "Refresh tokens for public clients MUST be sender-constrained or use refresh token rotation as described in Section 4.14."
    RFC 9700 4.14.2: "Refresh token rotation: The authorization server issues a new refresh token with every access token refresh response."
    Given the public client has an access token and a refresh token
    When the public client refreshes the access token
    Then the token endpoint issues an access token and a refresh token
    And the new refresh token differs from the previous one

  @RFC9700-2.2.2 @RFC9700-4.14.2 @MUST @browser @grant-authorization-code @pkce
  Scenario: Reusing a rotated refresh token is refused and revokes its successor
    RFC 9700 2.2.2: "Refresh tokens for public clients MUST be sender-constrained or use refresh token rotation as described in Section 4.14."
    RFC 9700 4.14.2: "If a refresh token is compromised and subsequently used by both the attacker and the legitimate client, one of them will present an invalidated refresh token, which will inform the authorization server of the breach.  The authorization server cannot determine which party submitted the invalid refresh token, but it will revoke the active refresh token."
    Given the public client has an access token and a refresh token
    When the public client refreshes the access token
    Then the token endpoint issues an access token and a refresh token
    When the public client refreshes the access token with the previous refresh token
    Then the token endpoint refuses the request with error "invalid_grant"
    When the public client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC9700-4.14.2 @RFC9700-2.2.2 @MUST @browser @grant-authorization-code @pkce
  Scenario: Parallel refreshes with one rotated refresh token yield at most one token
    RFC 9700 4.14.2: "Authorization servers MUST utilize one of these methods to detect refresh token replay by malicious actors for public clients"
    RFC 9700 4.14.2: "The previous refresh token is invalidated but information about the relationship is retained by the authorization server."
    Repeated race_rounds times while a round's winner has a refresh token to carry on with (a server that revokes the grant when the losers reuse its token ends the rounds: that is RFC 9700 4.14.2's detection at work); the report gives the rate of rounds that issued more than one token.
    Given the public client has an access token and a refresh token
    And the refresh token is rotated on use
    When the token's client refreshes the access token in parallel requests, round after round
    Then at most one of the parallel requests of each round got a token

  @RFC6749-5.2 @MUST @short-lifetimes @introspection @user-token
  Scenario: An expired refresh token is refused with invalid_grant
    RFC 6749 6: "The authorization server MUST: [...] validate the refresh token."
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    Given the short-lived client has an access token and a refresh token
    And the refresh token has expired
    When the short-lived client refreshes the access token
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-A.17 @SHOULD @user-token
  Scenario: A refresh token uses only the characters RFC 6749 allows
    The syntax of Appendix A has no BCP 14 keyword: a token outside it fails at SHOULD, as the access token's does.
    RFC 6749 A.17: "refresh-token = 1*VSCHAR"
    Given a client has an access token and a refresh token
    Then the refresh token uses only the characters RFC 6749 allows

  @RFC6749-6 @RFC6749-5.2 @MUST @user-token
  Scenario: A refresh with a wrong client secret is refused
    RFC 6749 6: "The authorization server MUST: [...] authenticate the client if client authentication is included and ensure that the refresh token was issued to the authenticated client"
    RFC 6749 5.2: "invalid_client [...] Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
    Given a client has an access token and a refresh token
    And the tokens were issued to a confidential client
    When the token's client refreshes the access token with a wrong client secret
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-6 @RFC6749-5.2 @MUST @user-token
  Scenario: A refresh with an unknown client_id is refused
    RFC 6749 6: "The authorization server MUST: [...] authenticate the client if client authentication is included and ensure that the refresh token was issued to the authenticated client"
    RFC 6749 5.2: "invalid_client [...] Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
    Given a client has an access token and a refresh token
    And the tokens were issued to a confidential client
    When the token's client refreshes the access token with an unknown client_id
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-6 @MUST @introspection @user-token
  Scenario: A refresh that narrows the scope leaves the new refresh token's scope as it was
    RFC 6749 6: "If a new refresh token is issued, the refresh token scope MUST be identical to that of the refresh token included by the client in the request."
    The refresh token's scope is read from the introspection endpoint.
    Given a client has an access token and a refresh token
    When the token's client refreshes the access token with scope "{allowed-scope}"
    Then the token endpoint issues an access token
    And the newest refresh token's scope is the original scope

  @RFC6749-6 @MUST @introspection @user-token
  Scenario: A refresh asking for a wider scope leaves the refresh token's scope as it was
    RFC 6749 6: "The requested scope MUST NOT include any scope not originally granted by the resource owner, and if omitted is treated as equal to the scope originally granted by the resource owner."
    RFC 6749 6: "If a new refresh token is issued, the refresh token scope MUST be identical to that of the refresh token included by the client in the request."
    Whether the wider refresh is refused or served, the newest refresh token (the one sent when refused) keeps the original scope, read from the introspection endpoint.
    Given a client has an access token and a refresh token
    When the token's client refreshes the access token with scope "{allowed-scope} {refresh-scope} {other-allowed-scope}"
    Then the newest refresh token's scope is the original scope

  @RFC6749-6 @RFC6749-5.2 @MUST
  Scenario: A made-up refresh token is refused with invalid_grant
    RFC 6749 6: "The authorization server MUST: [...] validate the refresh token."
    RFC 6749 5.2: "invalid_grant [...] The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    When the confidential client refreshes a made-up refresh token
    Then the token endpoint refuses the request with error "invalid_grant"
