package selftest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver"
)

// cases is THE table: for each quirk, the part of the suite run against it and the scenarios
// that must catch it. Every other scenario of those feature files must pass. When the suite
// gains or loses power, this table is what changes.
var cases = []Case{
	{Quirk: refserver.QuirkNoWWWAuthenticate,
		Features: []string{"client_authentication.feature", "introspection.feature", "revocation.feature"},
		Catch: []string{
			"A wrong secret with HTTP Basic gets 401 invalid_client with a Basic challenge",
			"An unknown client with HTTP Basic gets 401 invalid_client with a Basic challenge",
		}},
	{Quirk: refserver.QuirkUnknownGrantInvalidRequest,
		Features: []string{"token_response.feature"},
		Catch: []string{
			"An unknown grant type is refused with unsupported_grant_type",
		}},
	{Quirk: refserver.QuirkCodeReusable,
		Features: []string{"security.feature", "races.feature"},
		Catch: []string{
			"A reused authorization code is refused",
			"A reused authorization code is refused and its tokens are revoked",
			"Parallel redemptions of one authorization code yield at most one token",
		}},
	{Quirk: refserver.QuirkCodeReuseKeepsTokens,
		Features: []string{"security.feature"},
		Catch: []string{
			"A reused authorization code is refused and its tokens are revoked",
		}},
	{Quirk: refserver.QuirkCodeNotClientBound,
		Features: []string{"authorization_code.feature"}, Tags: "@RFC6749-4.1.3",
		Catch: []string{
			"An authorization code issued to one client is refused for another client",
		}},
	{Quirk: refserver.QuirkRedirectURIUnchecked,
		Features: []string{"authorization_code.feature"}, Tags: "@RFC6749-4.1.3",
		Catch: []string{
			"A code redeemed with a different redirect_uri than the authorization request is refused",
			"A code redeemed without the redirect_uri of the authorization request is refused",
		}},
	{Quirk: refserver.QuirkRedirectURIPrefix,
		Features: []string{"redirect_uri.feature"},
		Catch: []string{
			"A redirect URI that differs from the registered one is not followed (extra query parameter)",
			"A redirect URI that differs from the registered one is not followed (longer path)",
			"A redirect URI that differs from the registered one is not followed (path traversal)",
			"A redirect URI that differs from the registered one is not followed (trailing slash)",
			"An unregistered redirect URI is shown as an error page rather than followed (longer path)",
			// redirect (issue 17): the spellings that extend the registered URI.
			"The registered redirect URI in another spelling is not followed (encoded slash)",
			"The registered redirect URI in another spelling is not followed (double-encoded slash)",
			"The registered redirect URI in another spelling is not followed (half-encoded traversal)",
			"The registered redirect URI in another spelling is not followed (path parameter)",
			"The registered redirect URI in another spelling is not followed (encoded path parameter)",
			"The registered redirect URI in another spelling is not followed (encoded CR LF)",
			"The registered redirect URI in another spelling is not followed (space)",
			"The registered redirect URI in another spelling is not followed (backslash)",
			"The registered redirect URI in another spelling is not followed (encoded fragment)",
			"A changed query on a registered redirect URI is not followed (added parameter)",
		}},
	{Quirk: refserver.QuirkErrorRedirectUnregistered,
		Features: []string{"redirect_uri.feature", "security.feature"},
		Catch: []string{
			"A request with an unregistered redirect URI and an unknown response_type is not redirected",
			"A request with an unregistered redirect URI and another error is not redirected",
		}},
	{Quirk: refserver.QuirkStateNotEchoed,
		Features: []string{"security.feature", "approval.feature"}, Tags: "@RFC6749-4.1.2,@RFC6749-4.1.2.1",
		Catch: []string{
			"A denied request returns access_denied and the state to the client",
			"The state is echoed exactly (percent sign)",
			"The state is echoed exactly (random)",
			"The state is echoed exactly (single character)",
			"The state is echoed exactly (spaces and punctuation)",
		}},
	{Quirk: refserver.QuirkPKCEVerifierOptional,
		Features: []string{"pkce.feature"},
		Catch: []string{
			"A code issued with a challenge is refused without the code_verifier",
			"A code issued with a challenge keeps needing its verifier after a failed attempt",
		}},
	{Quirk: refserver.QuirkPKCEPlain,
		Features: []string{"pkce.feature"},
		Catch: []string{
			"A code_challenge without a method is taken as plain, refused where plain is not supported",
			"The plain method is refused where the server does not support it",
		}},
	{Quirk: refserver.QuirkRefreshNotRotated,
		Features: []string{"refresh_token.feature"},
		Catch: []string{
			"A public client's refresh token is rotated on use",
			"Reusing a rotated refresh token is refused and revokes its successor",
		}},
	{Quirk: refserver.QuirkRefreshReuseUndetected,
		Features: []string{"refresh_token.feature"},
		Catch: []string{
			"Reusing a rotated refresh token is refused and revokes its successor",
		}},
	{Quirk: refserver.QuirkRefreshWidensScope,
		Features: []string{"refresh_token.feature"},
		Catch: []string{
			"A refresh asking for more than the original scope is refused with invalid_scope (a scope of the client not granted)",
			"A refresh asking for more than the original scope is refused with invalid_scope (a scope the client may not have)",
			// The asked scope goes to the new refresh token as well, narrower or wider.
			"A refresh asking for a wider scope leaves the refresh token's scope as it was",
			"A refresh that narrows the scope leaves the new refresh token's scope as it was",
		}},
	{Quirk: refserver.QuirkForeignTokenRevocable,
		Features: []string{"revocation.feature"},
		Catch: []string{
			"A client cannot revoke a token issued to another client",
			"A client cannot revoke another client's access token",
		}},
	{Quirk: refserver.QuirkIntrospectionUnauthenticated,
		Features: []string{"introspection.feature"},
		Catch: []string{
			"The introspection endpoint refuses a caller with a wrong secret with 401",
			"The introspection endpoint refuses a caller without authorization",
		}},
	{Quirk: refserver.QuirkRevokedTokenActive,
		Features: []string{"revocation.feature"},
		Catch: []string{
			"A client revokes its access token",
		}},
	{Quirk: refserver.QuirkNoCacheControl,
		Features: []string{"token_response.feature", "client_credentials.feature"},
		Catch: []string{
			"Every token response forbids caching: Cache-Control no-store",
		}},
	{Quirk: refserver.QuirkFrameableApproval,
		Features: []string{"approval.feature", "security.feature"}, Tags: "@RFC6749-10.13,@RFC9700-4.16,@RFC9700-4.2,@RFC6749-10.12",
		Catch: []string{
			"The login and approval pages forbid framing by other sites",
			"The login and approval pages restrict framing with Content Security Policy",
		}},
	// The request is refused either way: only the scenario whose sentence requires the code
	// with MUST (RFC 7636 4.6) fails; the others meet a refusal and pass.
	{Quirk: refserver.QuirkPKCEMismatchInvalidRequest,
		Features: []string{"pkce.feature"},
		Catch: []string{
			"A code issued with a challenge is refused with a wrong code_verifier",
			// The challenge sent as the verifier is a wrong verifier too (pkce, issue 17).
			"A code issued for an S256 challenge is refused when the challenge itself is sent as the code_verifier",
		}},
	{Quirk: refserver.QuirkImplicitTokenInQuery,
		Features: []string{"implicit.feature", "iss.feature"},
		Catch: []string{
			"An implicit authorization response carries iss in the fragment",
			"The access token is returned in the fragment, not the query",
			"The implicit grant never issues a refresh token",
			"The implicit response states how long the token lives",
			"The target offers the implicit grant, which RFC 9700 says should not be used",
		}},
	{Quirk: refserver.QuirkRevocationHintRefused,
		Features: []string{"revocation.feature"},
		Catch: []string{
			"An unknown token_type_hint does not change the revocation's answer",
		}},
	{Quirk: refserver.QuirkRefreshClientUnchecked,
		Features: []string{"refresh_token.feature"},
		Catch: []string{
			// The refresh token alone names its client, so no credentials at all pass too.
			"A confidential client that does not authenticate cannot refresh",
			"A refresh with a wrong client secret is refused",
			"A refresh with an unknown client_id is refused",
		}},
	{Quirk: refserver.QuirkRefreshTokenScopeNarrowed,
		Features: []string{"refresh_token.feature"},
		Catch: []string{
			"A refresh that narrows the scope leaves the new refresh token's scope as it was",
		}},
	{Quirk: refserver.QuirkMadeUpGrantServerError,
		Features: []string{"authorization_code.feature", "refresh_token.feature"}, Tags: "@RFC6749-5.2",
		Catch: []string{
			"A made-up authorization code is refused with invalid_grant",
			"A made-up refresh token is refused with invalid_grant",
		}},
	{Quirk: refserver.QuirkPKCEDowngrade,
		Features: []string{"authorization_code.feature", "pkce.feature"}, Tags: "@RFC9700-2.1.1,@RFC7636-4.6",
		Catch: []string{
			"A code issued without a challenge is refused when redeemed with a code_verifier (PKCE downgrade)",
		}},
	// One code in eight: a single round would catch it one run in eight; race_rounds (50 by
	// default) misses it once in about 800 runs.
	{Quirk: refserver.QuirkCodeRaceSometimes,
		Features: []string{"races.feature", "authorization_code.feature"}, Tags: "@RFC6749-10.5,@RFC6749-4.1.3 && ~@browser",
		Catch: []string{
			"Parallel redemptions of one authorization code yield at most one token",
		}},
	{Quirk: refserver.QuirkBareBearerChallenge,
		Features: []string{"bearer.feature"},
		Catch: []string{
			"A request without a token gets a Bearer challenge",
		}},
	// pkce (issue 17 items 5 and 6).
	{Quirk: refserver.QuirkPKCEChallengeAsVerifier,
		Features: []string{"pkce.feature"},
		Catch: []string{
			"A code issued for an S256 challenge is refused when the challenge itself is sent as the code_verifier",
		}},
	// RFC 7636 4.1 binds the client: a short verifier the server redeems is a warning.
	{Quirk: refserver.QuirkPKCEShortVerifier,
		Features: []string{"pkce.feature"},
		Warn: []string{
			"A code_verifier shorter than 43 characters is refused even when its S256 challenge matches, or accepted with a warning",
		}},
	{Quirk: refserver.QuirkBearerChallengeUnsafeChars,
		Features: []string{"bearer.feature"}, Tags: "@RFC6750-3 && ~@user-token",
		Catch: []string{
			"The attribute values of the resource's Bearer challenges use only the characters RFC 6750 allows",
		}},
	// The profile declares nothing of PKCE, so the run reads the metadata, which omits it: the
	// @pkce scenarios still run (RFC 9700 2.1.1) and pass, and only the metadata's RECOMMENDED
	// member fails (itself @pkce: not applicable, it could not fail, were PKCE read from the
	// metadata).
	{Quirk: refserver.QuirkMetadataOmitsPKCE, Undeclare: []string{"pkce", "code_challenge_methods"},
		Features: []string{"metadata.feature", "pkce.feature"},
		Catch: []string{
			"The metadata advertises S256 as a code challenge method",
		}},
	// The profile leaves token_endpoint_auth_methods to the metadata, which lists no
	// client_secret_basic: RFC 6749 2.3.1 is checked all the same.
	{Quirk: refserver.QuirkBasicAuthRefused, Undeclare: []string{"token_endpoint_auth_methods"},
		Features: []string{"client_authentication.feature"},
		Catch: []string{
			"A client authenticates with HTTP Basic",
		}},
	{Quirk: refserver.QuirkFormTokenUnchallenged,
		Features: []string{"bearer.feature"}, Tags: "@RFC6750-2.2,@RFC6750-2.1",
		Catch: []string{
			"A token in a form-encoded POST body is accepted or refused with a Bearer challenge",
		}},
	{Quirk: refserver.QuirkRedirectURIHostSuffix,
		Features: []string{"redirect_uri.feature"},
		Catch: []string{
			"A redirect URI that differs from the registered one is not followed (host ending with the registered host)",
			// redirect (issue 17): "evil@127.0.0.1" ends with the registered host too.
			"The registered redirect URI in another spelling is not followed (user-info on the registered host)",
		}},
	{Quirk: refserver.QuirkConsentCSRFUnchecked,
		Features: []string{"approval.feature"}, Tags: "@RFC6749-10.12",
		Catch: []string{
			"A forged approval submission (from another site) yields no authorization code",
			"A forged approval submission (with its anti-forgery value from another session) yields no authorization code",
			"A forged approval submission (with its anti-forgery value removed) yields no authorization code",
		}},
	// tokens (issue 17 item 8): the quirk also switches on JWT access tokens, so the forgery
	// scenarios run; every forgery is accepted by introspection, and by the resource except
	// another subject: the forged subject (the second user) is not in the calculator's ACL, so
	// the resource refuses that token for its principal, by luck rather than by validation.
	{Quirk: refserver.QuirkJWTSignatureUnchecked,
		Features: []string{"jwt_access_tokens.feature"},
		Catch: []string{
			"The resource refuses a JWT access token forged with alg \"none\"",
			"The resource refuses a JWT access token forged with alg \"None\"",
			"The resource refuses a JWT access token forged with alg \"NONE\"",
			"The resource refuses a JWT access token forged with alg \"nOnE\"",
			"The resource refuses a JWT access token forged with a signature by another key with the same kid",
			"The resource refuses a JWT access token forged with a signature by another key with another kid",
			"The resource refuses a JWT access token forged with a widened scope under the original signature",
			"The resource refuses a JWT access token forged with a later expiry under the original signature",
			"The resource refuses a JWT access token forged with HS256 keyed with the server's public key",
			"Introspection reports a JWT access token forged with alg \"none\" inactive",
			"Introspection reports a JWT access token forged with alg \"None\" inactive",
			"Introspection reports a JWT access token forged with alg \"NONE\" inactive",
			"Introspection reports a JWT access token forged with alg \"nOnE\" inactive",
			"Introspection reports a JWT access token forged with a signature by another key with the same kid inactive",
			"Introspection reports a JWT access token forged with a signature by another key with another kid inactive",
			"Introspection reports a JWT access token forged with a widened scope under the original signature inactive",
			"Introspection reports a JWT access token forged with another subject under the original signature inactive",
			"Introspection reports a JWT access token forged with a later expiry under the original signature inactive",
			"Introspection reports a JWT access token forged with HS256 keyed with the server's public key inactive",
		}},
	// Authorization endpoint hygiene and consent (issue 17 items 4 and 7).
	{Quirk: refserver.QuirkAuthorizeCORS,
		Features: []string{"authorization_endpoint.feature"},
		Catch: []string{
			"The authorization endpoint does not support CORS",
		}},
	{Quirk: refserver.QuirkErrorRedirectBeforeLogin,
		Features: []string{"authorization_endpoint.feature"},
		Catch: []string{
			"A request with an invalid scope is not redirected to the client before the resource owner logs in",
			"A request with an unknown response_type is not redirected to the client before the resource owner logs in",
		}},
	{Quirk: refserver.QuirkLoginRedirect302,
		Features: []string{"authorization_endpoint.feature", "approval.feature"}, Tags: "@RFC9700-4.12",
		Catch: []string{
			"The redirect after the login form uses HTTP 303",
		}},
	{Quirk: refserver.QuirkLoginRedirect307,
		Features: []string{"authorization_endpoint.feature", "approval.feature"},
		Catch: []string{
			"The redirect after the login form does not use HTTP 307",
			"The redirect after the login form uses HTTP 303",
		}},
	{Quirk: refserver.QuirkReferrerLeaksURL,
		Features: []string{"authorization_endpoint.feature"},
		Catch: []string{
			"The login and approval pages keep their URL from other sites",
		}},
	{Quirk: refserver.QuirkStateTruncated,
		Features: []string{"authorization_endpoint.feature", "security.feature"}, Tags: "@RFC6749-4.1.2",
		Catch: []string{
			"A 1,000-character state comes back whole, or the request is refused",
		}},
	{Quirk: refserver.QuirkPublicClientAutoApprove,
		Features: []string{"consent_lifetimes.feature"},
		Catch: []string{
			"A public client's repeated authorization request is not approved without the resource owner",
		}},
	{Quirk: refserver.QuirkLongLivedBrowserTokens,
		Features: []string{"consent_lifetimes.feature"},
		Catch: []string{
			"A public client's access token is stated to live one hour or less",
		}},
	// issue 17, TLS: the listener's quirks, on a server served over https.
	{Quirk: refserver.QuirkTLSLegacy, TLS: true,
		Features: []string{"tls.feature"},
		Catch: []string{
			"A handshake offering only TLS 1.0 is refused",
			"A handshake offering only TLS 1.1 is refused",
			"A handshake offering only RC4 cipher suites is refused",
			"A handshake offering only 3DES cipher suites is refused",
			"A handshake offering only static RSA cipher suites is refused",
		}},
	// The resource's scenario only warns (RFC 6750 5.3 binds the client), and the revocation
	// endpoint is judged by the URL it publishes (RFC 7009 2 asks for a service on plain http).
	{Quirk: refserver.QuirkPlainHTTPToo, TLS: true,
		Features: []string{"tls.feature"},
		Catch: []string{
			"An authorization request over plain http is refused or redirected to https",
			"A token request over plain http issues no token",
			"An introspection request over plain http is not answered",
		}},
	// redirect (issue 17): redirect URI confusion and open redirectors.
	{Quirk: refserver.QuirkRedirectURINormalised,
		Features: []string{"redirect_uri.feature"},
		Catch: []string{
			"A redirect URI that differs from the registered one is not followed (encoded path)",
			"The registered redirect URI in another spelling is not followed (encoded dot segments)",
			"The registered redirect URI in another spelling is not followed (path parameter)",
			"The registered redirect URI in another spelling is not followed (encoded path parameter)",
			"The registered redirect URI in another spelling is not followed (user-info on the registered host)",
		}},
	{Quirk: refserver.QuirkRedirectURIQueryIgnored,
		Features: []string{"redirect_uri.feature"},
		Catch: []string{
			"A redirect URI that differs from the registered one is not followed (extra query parameter)",
			"A changed query on a registered redirect URI is not followed (added parameter)",
			"A changed query on a registered redirect URI is not followed (changed value)",
			"A changed query on a registered redirect URI is not followed (query removed)",
		}},
	{Quirk: refserver.QuirkRedirectURIQueryDropped,
		Features: []string{"redirect_uri.feature"},
		Catch: []string{
			"A registered redirect URI's query is retained in the response",
		}},
	{Quirk: refserver.QuirkLoginOpenReturnTo,
		Features: []string{"open_redirect.feature"},
		Catch: []string{
			"The login page does not forward the browser to a URI from its parameters",
		}},
	{Quirk: refserver.QuirkLogoutOpenRedirect,
		Features: []string{"open_redirect.feature"},
		Catch: []string{
			"The sign-out page does not forward the browser to a URI from its parameters",
		}},
}

// TestTableCoversEveryQuirk: a new quirk must be declared here, with the scenarios that
// catch it; a quirk nothing catches is a gap in the suite, not a row to drop.
func TestTableCoversEveryQuirk(t *testing.T) {
	declared := map[refserver.Quirk]int{}
	for _, c := range cases {
		declared[c.Quirk]++
		if len(c.Catch)+len(c.Warn) == 0 {
			t.Errorf("quirk %s: no scenario declared to catch it (to fail, or to warn)", c.Quirk)
		}
		if len(c.Features) == 0 {
			t.Errorf("quirk %s: no feature file to run", c.Quirk)
		}
	}
	known := refserver.KnownQuirks()
	if len(known) < 18 {
		t.Errorf("the reference server knows %d quirks, want at least 18", len(known))
	}
	for _, q := range known {
		if declared[q.Name] != 1 {
			t.Errorf("quirk %s is declared %d times in the table, want once", q.Name, declared[q.Name])
		}
		delete(declared, q.Name)
	}
	for q := range declared {
		t.Errorf("the table declares %s, which the reference server does not know", q)
	}
}

// TestSelfTest starts the reference server once per quirk and requires that exactly the
// declared scenarios fail. The full suite against the default server is
// features.TestConformance. `make selftest` runs this with -v and prints the table.
func TestSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("the self-test runs the suite (with a browser) once per quirk; skipped with -short")
	}
	if raceEnabled {
		// Under the race detector bcrypt (every wrong secret, every password grant) is about ten
		// times slower and twenty runs of the suite take over ten minutes. The quirk branches are
		// race-tested in ./refserver; `make test` runs this test again without -race.
		t.Skip("the self-test does not run under -race; make test runs it separately: go test ./refserver/selftest/")
	}
	start := time.Now()
	ctx := context.Background()
	h, err := NewHarness(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []*Outcome
	for _, c := range cases {
		t.Run(string(c.Quirk), func(t *testing.T) {
			o, err := h.RunChecked(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			outcomes = append(outcomes, o)
			if len(o.Failed)+len(o.Warned) == 0 {
				t.Errorf("quirk %s was not caught by any scenario of %s: the suite has a gap", c.Quirk, strings.Join(c.Features, ", "))
			}
			for _, n := range o.Missed {
				t.Errorf("declared to catch %s, but passed: %s", c.Quirk, n)
			}
			for _, n := range o.Unexpected {
				t.Errorf("failed with %s on, but not declared: %s", c.Quirk, n)
			}
			if f := o.FirstAttempt; f != nil && !t.Failed() {
				t.Logf("passed on the second attempt; the first differed: missed %v, unexpected %v", f.Missed, f.Unexpected)
			}
			if t.Failed() {
				t.Logf("runner output:\n%s", o.Log)
			}
		})
	}
	if os.Getenv("OAUTHCONF_SELFTEST_TABLE") != "" || testing.Verbose() {
		WriteTable(os.Stdout, outcomes)
		os.Stdout.WriteString("self-test wall time: " + time.Since(start).Round(time.Second).String() + "\n")
	}
}
