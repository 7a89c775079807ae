package refserver

import (
	"fmt"
	"sort"
	"strings"
)

// Quirks: deliberate deviations from the RFCs, each reproducing a bug seen in real
// authorization servers. They exist so that the conformance suite can prove it catches what it
// claims to catch (the self-test in refserver/selftest starts the server with each quirk and
// requires the scenarios aimed at it to fail and every other scenario to pass).
//
// A quirk is off unless Config.Quirks names it; the default server has none. Each one is a
// single `if s.quirks.Has(QuirkX) { ... }` branch placed where the correct behaviour is
// implemented, so the default code path never changes. Never enable a quirk on a server that
// real clients use.

// Quirk names one deliberate deviation. The names are kebab-case and stable: they are the
// values of `oauthconf serve --quirk` and of Config.Quirks.
type Quirk string

// The quirks. Each comment names the rule the quirk breaks.
const (
	// RFC 6749 5.2: a 401 invalid_client must carry WWW-Authenticate.
	QuirkNoWWWAuthenticate Quirk = "no-www-authenticate"
	// RFC 6749 5.2: an unknown grant type is unsupported_grant_type (fosite's invalid_request).
	QuirkUnknownGrantInvalidRequest Quirk = "unknown-grant-invalid-request"
	// RFC 6749 4.1.2: "The client MUST NOT use the authorization code more than once."
	QuirkCodeReusable Quirk = "code-reusable"
	// RFC 6749 4.1.2: a reused code SHOULD revoke the tokens issued from it.
	QuirkCodeReuseKeepsTokens Quirk = "code-reuse-keeps-tokens"
	// RFC 6749 4.1.3: the code must have been issued to the authenticated client.
	QuirkCodeNotClientBound Quirk = "code-not-client-bound"
	// RFC 6749 4.1.3: redirect_uri at the token endpoint must equal the authorization request's.
	QuirkRedirectURIUnchecked Quirk = "redirect-uri-unchecked"
	// RFC 9700 2.1: redirect URIs are compared by exact string, not by prefix.
	QuirkRedirectURIPrefix Quirk = "redirect-uri-prefix"
	// RFC 6749 3.1.2.4, RFC 9700 4.11: never redirect to an unregistered redirect URI.
	QuirkErrorRedirectUnregistered Quirk = "error-redirect-unregistered"
	// RFC 6749 4.1.2, 4.1.2.1: state comes back exactly as sent.
	QuirkStateNotEchoed Quirk = "state-not-echoed"
	// RFC 7636 4.6, RFC 9700 2.1.1: a code issued with a challenge needs its verifier.
	QuirkPKCEVerifierOptional Quirk = "pkce-verifier-optional"
	// RFC 9700 2.1.1: the plain PKCE method (and a challenge without a method) is refused.
	QuirkPKCEPlain Quirk = "pkce-plain"
	// RFC 9700 2.2.2: a public client's refresh token is rotated on every use.
	QuirkRefreshNotRotated Quirk = "refresh-not-rotated"
	// RFC 9700 4.14.2: reusing a rotated refresh token revokes the whole grant.
	QuirkRefreshReuseUndetected Quirk = "refresh-reuse-undetected"
	// RFC 6749 6: a refresh may not ask for a scope not originally granted.
	QuirkRefreshWidensScope Quirk = "refresh-widens-scope"
	// RFC 7009 2.1: a client may revoke only its own tokens.
	QuirkForeignTokenRevocable Quirk = "foreign-token-revocable"
	// RFC 7662 2.1: the introspection endpoint requires authorization.
	QuirkIntrospectionUnauthenticated Quirk = "introspection-unauthenticated"
	// RFC 7009 2.2, RFC 7662 4: a revoked token is no longer active.
	QuirkRevokedTokenActive Quirk = "revoked-token-active"
	// RFC 6749 5.1: token responses carry Cache-Control: no-store.
	QuirkNoCacheControl Quirk = "no-cache-control"
	// RFC 6749 10.13, RFC 9700 4.16: the approval page must not be framed by other sites.
	QuirkFrameableApproval Quirk = "frameable-approval"
	// RFC 6749 4.2.2: implicit tokens travel in the fragment, never in the query.
	QuirkImplicitTokenInQuery Quirk = "implicit-token-in-query"
)

// QuirkInfo describes a quirk for `oauthconf serve --list-quirks` and the self-test report.
type QuirkInfo struct {
	Name        Quirk
	Description string
}

// knownQuirks lists every quirk with a one-line description of the bug it reproduces. It is
// never modified; KnownQuirks hands out copies.
var knownQuirks = []QuirkInfo{
	{QuirkNoWWWAuthenticate, "token endpoint answers invalid_client with 401 but no WWW-Authenticate header (RFC 6749 5.2)"},
	{QuirkUnknownGrantInvalidRequest, "an unknown grant_type is answered invalid_request instead of unsupported_grant_type (RFC 6749 5.2)"},
	{QuirkCodeReusable, "an authorization code can be redeemed more than once (RFC 6749 4.1.2)"},
	{QuirkCodeReuseKeepsTokens, "a reused code is refused but the tokens already issued from it stay active (RFC 6749 4.1.2)"},
	{QuirkCodeNotClientBound, "a code issued to one client can be redeemed by another client (RFC 6749 4.1.3)"},
	{QuirkRedirectURIUnchecked, "the token endpoint does not compare redirect_uri with the authorization request's (RFC 6749 4.1.3)"},
	{QuirkRedirectURIPrefix, "redirect URIs are matched by prefix instead of exactly at the authorization endpoint (RFC 9700 2.1)"},
	{QuirkErrorRedirectUnregistered, "authorization errors are redirected to an unregistered redirect URI (RFC 6749 3.1.2.4, RFC 9700 4.11)"},
	{QuirkStateNotEchoed, "the state parameter is dropped from authorization responses (RFC 6749 4.1.2)"},
	{QuirkPKCEVerifierOptional, "a code issued with a PKCE challenge is redeemed without any code_verifier (RFC 7636 4.6)"},
	{QuirkPKCEPlain, "the plain PKCE method (or a challenge without a method) is accepted (RFC 9700 2.1.1)"},
	{QuirkRefreshNotRotated, "a refresh returns the same refresh token, which stays valid (RFC 9700 2.2.2)"},
	{QuirkRefreshReuseUndetected, "a reused rotated refresh token is refused but its successor stays valid (RFC 9700 4.14.2)"},
	{QuirkRefreshWidensScope, "a refresh may ask for, and gets, more scope than originally granted (RFC 6749 6)"},
	{QuirkForeignTokenRevocable, "a client can revoke a token issued to another client (RFC 7009 2.1)"},
	{QuirkIntrospectionUnauthenticated, "the introspection endpoint answers callers without valid client authentication (RFC 7662 2.1)"},
	{QuirkRevokedTokenActive, "revoking an access token answers 200 but the token stays active (RFC 7009 2.2, RFC 7662 4)"},
	{QuirkNoCacheControl, "successful token responses lack Cache-Control: no-store (RFC 6749 5.1)"},
	{QuirkFrameableApproval, "the approval page sends neither X-Frame-Options nor CSP frame-ancestors (RFC 6749 10.13)"},
	{QuirkImplicitTokenInQuery, "implicit grant tokens are returned in the query instead of the fragment (RFC 6749 4.2.2)"},
}

// KnownQuirks returns every quirk the server knows, in a stable order.
func KnownQuirks() []QuirkInfo {
	return append([]QuirkInfo(nil), knownQuirks...)
}

// quirkSet is the set of quirks a server runs with. The zero value has none.
type quirkSet map[Quirk]bool

// Has reports whether quirk q is switched on.
func (s quirkSet) Has(q Quirk) bool { return s[q] }

// names lists the quirks switched on, sorted.
func (s quirkSet) names() []string {
	out := make([]string, 0, len(s))
	for q := range s {
		out = append(out, string(q))
	}
	sort.Strings(out)
	return out
}

// parseQuirks checks the names of Config.Quirks. An unknown name is an error naming every
// known quirk, so a typo never silently starts a conforming server.
func parseQuirks(names []string) (quirkSet, error) {
	if len(names) == 0 {
		return nil, nil
	}
	known := map[Quirk]bool{}
	for _, q := range knownQuirks {
		known[q.Name] = true
	}
	set := quirkSet{}
	var unknown []string
	for _, n := range names {
		q := Quirk(strings.TrimSpace(n))
		if !known[q] {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		set[q] = true
	}
	if len(unknown) > 0 {
		all := make([]string, len(knownQuirks))
		for i, q := range knownQuirks {
			all[i] = string(q.Name)
		}
		return nil, fmt.Errorf("unknown quirk %s: the known quirks are %s", strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	return set, nil
}
