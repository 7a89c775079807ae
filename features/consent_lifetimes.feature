@grant-authorization-code
Feature: Consent to repeated requests, and the lifetimes stated for tokens (RFC 6749 10.2; RFC 6750 5.3)
  A public client cannot prove who it is, so the resource owner is asked again before its
  repeated request is granted; a token given to a client in a browser lives an hour or less.

  # Why SHOULD, and why a public client. A public client has no credentials: anyone can send
  # its client_id with its registered redirect URI, and a loopback or private-scheme redirect
  # URI can be claimed by any application on the device (RFC 8252 8.1, 8.6). A repeated request
  # granted without the resource owner then hands the owner's authorization to an impersonator
  # without the owner's knowledge. The sentence allows "other measures", which the suite cannot
  # see (an https redirect URI the impersonator cannot receive, a check of the device); so a
  # code issued at once fails at the sentence's own level, SHOULD, and never fails a run. A
  # trusted client, or a server that asks nobody for approval, is not applicable: the first
  # request must have shown the approval page.
  @RFC6749-10.2 @SHOULD @browser
  Scenario: A public client's repeated authorization request is not approved without the resource owner
    RFC 6749 10.2: "The authorization server SHOULD NOT process repeated authorization requests automatically (without active resource owner interaction) without authenticating the client or relying on other measures to ensure that the repeated request comes from the original client and not an impersonator."
    Given the resource owner has approved an authorization request of the public client
    And the public client starts another authorization request
    When the resource owner opens the authorization request in the browser
    Then the resource owner was asked again: the login or approval page was shown

  @RFC6750-5.3 @SHOULD @browser
  Scenario: A public client's access token is stated to live one hour or less
    RFC 6750 5.3: "Token servers SHOULD issue short-lived (one hour or less) bearer tokens, particularly when issuing tokens to clients that run within a web browser or other environments where information leakage may occur."
    RFC 6749 5.1: "expires_in RECOMMENDED.  The lifetime in seconds of the access token."
    Given the public client has an authorization code
    When the public client redeems the authorization code
    Then the token endpoint issues an access token
    And the access token's stated lifetime is one hour or less
