Feature: Races at the token endpoint (RFC 6749 4.1.2, RFC 9700 4.14.2)
  A grant used once must not be redeemable twice, not even by requests that arrive at the same
  moment. The suite sends race_requests (default 8) copies of one request in parallel: at most one
  may get a token. A race a server loses now and then shows only over many tries, so the round is
  repeated race_rounds times (default 50), each with a fresh code from the browser, and the report
  gives the rate of rounds that issued more than one token. None getting one in any round says
  nothing about reuse and is inconclusive. The parallel refreshes of one rotated refresh token
  are in refresh_token.feature.

  @RFC6749-4.1.2 @RFC6749-10.5 @MUST @browser @grant-authorization-code
  Scenario: Parallel redemptions of one authorization code yield at most one token
    RFC 6749 4.1.2: "The client MUST NOT use the authorization code more than once.  If an authorization code is used more than once, the authorization server MUST deny the request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
    Given the confidential client has an authorization code
    When the confidential client redeems fresh authorization codes in parallel requests, round after round
    Then at most one of the parallel requests of each round got a token
