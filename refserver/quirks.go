package refserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
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
	// RFC 7636 4.6: a wrong code_verifier "MUST" be answered invalid_grant. The request is still
	// refused: the quirk proves the suite fails the code where a sentence requires it, and only
	// there (a wording deviation elsewhere is a warning).
	QuirkPKCEMismatchInvalidRequest Quirk = "pkce-mismatch-invalid-request"
	// RFC 7009 2.2: an unknown token_type_hint is ignored and does not change the answer.
	QuirkRevocationHintRefused Quirk = "revocation-hint-refused"
	// RFC 6749 6: "authenticate the client if client authentication is included".
	QuirkRefreshClientUnchecked Quirk = "refresh-client-unchecked"
	// RFC 6749 6: a new refresh token's scope is identical to the one it replaces.
	QuirkRefreshTokenScopeNarrowed Quirk = "refresh-token-scope-narrowed"
	// RFC 6749 5.2: an unknown code or refresh token is invalid_grant, not a server error.
	QuirkMadeUpGrantServerError Quirk = "made-up-grant-server-error"
	// RFC 9700 2.1.1: a code_verifier is accepted only if the code was issued for a challenge.
	QuirkPKCEDowngrade Quirk = "pkce-downgrade"
	// RFC 6749 4.1.2: a code is used once, even by requests that arrive together; this one
	// loses the race for about one code in eight, so only repeated rounds show it.
	QuirkCodeRaceSometimes Quirk = "code-race-sometimes"
	// RFC 6750 3: the Bearer scheme "MUST be followed by one or more auth-param values".
	QuirkBareBearerChallenge Quirk = "bare-bearer-challenge"
	// RFC 9700 2.1: exact string matching; a host that merely ends with the registered one
	// ("evil.127.0.0.1" for "127.0.0.1", "attacker-example.com" for "example.com") is another host.
	QuirkRedirectURIHostSuffix Quirk = "redirect-uri-host-suffix"
	// RFC 6749 10.12: "The authorization server MUST implement CSRF protection for its
	// authorization endpoint".
	QuirkConsentCSRFUnchecked Quirk = "consent-csrf-unchecked"
	// RFC 6750 3: a request whose token the resource does not take (here: one in the form
	// body, RFC 6750 2.2's MAY) carries no credentials it understands, and still "MUST
	// include the HTTP "WWW-Authenticate" response header field".
	QuirkFormTokenUnchallenged Quirk = "form-token-unchallenged"

	// pkce (issue 17 items 5 and 6).
	// RFC 7636 4.1: a code_verifier has 43 to 128 characters; this server redeems a shorter one
	// whose S256 challenge matches (a warning: no sentence obliges the server to refuse it).
	QuirkPKCEShortVerifier Quirk = "pkce-short-verifier"
	// RFC 7636 4.6, RFC 9700 2.1.1: an S256 verifier is hashed before it is compared; this
	// server also takes the challenge itself as the verifier (S256 treated as plain).
	QuirkPKCEChallengeAsVerifier Quirk = "pkce-challenge-as-verifier"
	// RFC 6750 3: error_description in a Bearer challenge stays within %x20-21 / %x23-5B /
	// %x5D-7E; this one quotes a word (an escaped '"') and has a non-ASCII dash.
	QuirkBearerChallengeUnsafeChars Quirk = "bearer-challenge-unsafe-chars"
	// Not a deviation of the protocol: the metadata omits code_challenge_methods_supported
	// (RFC 9700 2.1.1 RECOMMENDS publishing it) while PKCE is enforced as always. It proves the
	// PKCE checks run whatever the metadata says, and that only the metadata check fails.
	QuirkMetadataOmitsPKCE Quirk = "metadata-omits-pkce"
	// RFC 6749 2.3.1: "The authorization server MUST support the HTTP Basic authentication
	// scheme for authenticating clients that were issued a client password." This server
	// refuses Basic and says so in its metadata (client_secret_post and none only).
	QuirkBasicAuthRefused Quirk = "basic-auth-refused"
	// tokens (issue 17 item 8): RFC 6749 7 "The resource server MUST validate the access
	// token", RFC 7662 4 "If the token has been signed, the authorization server MUST validate
	// the signature". Switching it on also switches on JWT access tokens (jwt.go).
	QuirkJWTSignatureUnchecked Quirk = "jwt-signature-unchecked"
	// Authorization endpoint hygiene and consent (issue 17 items 4 and 7).
	//
	// RFC 9700 2.6: "CORS MUST NOT be supported at the authorization endpoint".
	QuirkAuthorizeCORS Quirk = "authorize-cors"
	// RFC 9700 4.11.2: "The authorization server MUST always authenticate the user first ...
	// before redirecting the user."
	QuirkErrorRedirectBeforeLogin Quirk = "error-redirect-before-login"
	// RFC 9700 4.12: the login POST's redirect "SHOULD use HTTP status code 303".
	QuirkLoginRedirect302 Quirk = "login-redirect-302"
	// RFC 9700 4.12: "MUST NOT use the HTTP 307 status code" for a request carrying credentials.
	QuirkLoginRedirect307 Quirk = "login-redirect-307"
	// RFC 9700 4.2.4: the pages' Referrer Policy should suppress the Referer to other sites.
	QuirkReferrerLeaksURL Quirk = "referrer-leaks-url"
	// RFC 6749 4.1.2: state is "The exact value received from the client", however long.
	QuirkStateTruncated Quirk = "state-truncated"
	// RFC 6749 10.2: repeated requests are not processed "automatically (without active
	// resource owner interaction) without authenticating the client".
	QuirkPublicClientAutoApprove Quirk = "public-client-auto-approve"
	// RFC 6750 5.3: "Token servers SHOULD issue short-lived (one hour or less) bearer tokens".
	QuirkLongLivedBrowserTokens Quirk = "long-lived-browser-tokens"
	// issue 17, TLS: listener-level quirks, applied by refserver/launch (a TLS server only).
	//
	// RFC 9325 3.1.1: "Implementations MUST NOT negotiate TLS version 1.0" (and 1.1); 4.1:
	// "Implementations MUST NOT negotiate RC4 cipher suites."
	QuirkTLSLegacy Quirk = "tls-legacy"
	// RFC 6749 3.2: "the authorization server MUST require the use of TLS [...] when sending
	// requests to the token endpoint" (and 3.1 for the authorization endpoint).
	QuirkPlainHTTPToo Quirk = "plain-http-too"
	// Redirect URI confusion and open redirectors (issue 17, redirect_uri.feature and
	// open_redirect.feature).
	//
	// RFC 6749 3.1.2.3: "simple string comparison"; RFC 9700 2.1: "exact string matching". This
	// server decodes the requested URI's path, drops its ";" parameters and dot segments and its
	// user information before comparing, as servlet-style normalisation does, and then redirects
	// to the URI as requested.
	QuirkRedirectURINormalised Quirk = "redirect-uri-normalised"
	// RFC 6749 3.1.2.3, RFC 9700 2.1: the query is part of the string compared.
	QuirkRedirectURIQueryIgnored Quirk = "redirect-uri-query-ignored"
	// RFC 9700 2.1: "MUST NOT expose URLs that forward the user's browser to arbitrary URIs
	// obtained from a query parameter (open redirectors)".
	QuirkLoginOpenReturnTo Quirk = "login-open-return-to"
	// RFC 6749 3.1.2: a registered query "MUST be retained when adding additional query
	// parameters".
	QuirkRedirectURIQueryDropped Quirk = "redirect-uri-query-dropped"
	// RFC 9700 2.1, as above, on the sign-out page.
	QuirkLogoutOpenRedirect Quirk = "logout-open-redirect"
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
	{QuirkPKCEMismatchInvalidRequest, "a code redeemed with a wrong code_verifier is refused with invalid_request instead of invalid_grant (RFC 7636 4.6)"},
	{QuirkRevocationHintRefused, "a revocation with an unknown token_type_hint is refused with unsupported_token_type instead of ignoring the hint (RFC 7009 2.2)"},
	{QuirkRefreshClientUnchecked, "a refresh is served to a wrong client secret or an unknown client_id, as the refresh token's client (RFC 6749 6)"},
	{QuirkRefreshTokenScopeNarrowed, "a refresh that narrows the scope gives the new refresh token the narrower scope, not the original (RFC 6749 6)"},
	{QuirkMadeUpGrantServerError, "a made-up authorization code or refresh token is answered 500 server_error instead of invalid_grant (RFC 6749 5.2)"},
	{QuirkPKCEDowngrade, "a code issued without a code_challenge is redeemed with a code_verifier (PKCE downgrade, RFC 9700 2.1.1)"},
	{QuirkCodeRaceSometimes, "about one authorization code in eight stays redeemable after its redemption, as a lost race lets through (RFC 6749 4.1.2)"},
	{QuirkBareBearerChallenge, "a request without a token gets a bare WWW-Authenticate: Bearer, without auth-params (RFC 6750 3)"},
	{QuirkRedirectURIHostSuffix, "a redirect URI whose host ends with the registered host is accepted (RFC 9700 2.1)"},
	{QuirkConsentCSRFUnchecked, "the approval form's anti-forgery token is not checked and the session cookie is SameSite=None, so another site can submit an approval (RFC 6749 10.12)"},
	{QuirkFormTokenUnchallenged, "an access token in a form body is refused with 400 and no WWW-Authenticate challenge (RFC 6750 3)"},
	// pkce (issue 17 items 5 and 6)
	{QuirkPKCEShortVerifier, "a code_verifier shorter than 43 characters is accepted when its S256 challenge matches (RFC 7636 4.1)"},
	{QuirkPKCEChallengeAsVerifier, "the S256 code_challenge itself is accepted as the code_verifier (RFC 7636 4.6, RFC 9700 2.1.1)"},
	{QuirkBearerChallengeUnsafeChars, "an invalid token's Bearer challenge has a '\"' and a non-ASCII character in error_description (RFC 6750 3)"},
	{QuirkMetadataOmitsPKCE, "the metadata omits code_challenge_methods_supported while PKCE is enforced (RFC 9700 2.1.1's RECOMMENDED metadata)"},
	{QuirkBasicAuthRefused, "HTTP Basic client authentication is refused, and the metadata lists client_secret_post and none only (RFC 6749 2.3.1)"},
	// tokens (issue 17 item 8)
	{QuirkJWTSignatureUnchecked, "JWT access tokens are issued, and the resource and introspection decode them without checking alg, signature or key: forged tokens are accepted (RFC 6749 7, RFC 7662 4, RFC 8725 3.1)"},
	// Authorization endpoint hygiene and consent (issue 17 items 4 and 7).
	{QuirkAuthorizeCORS, "the authorization endpoint answers CORS: it echoes any Origin in Access-Control-Allow-Origin and answers preflights (RFC 9700 2.6)"},
	{QuirkErrorRedirectBeforeLogin, "an erroneous request of a registered client is redirected to the client at once, before the user logs in (RFC 9700 4.11.2)"},
	{QuirkLoginRedirect302, "the login form's POST is answered with a 302 instead of a 303 (RFC 9700 4.12)"},
	{QuirkLoginRedirect307, "the login form's POST is answered with a 307, so the browser re-posts the password (RFC 9700 4.12)"},
	{QuirkReferrerLeaksURL, "the login and approval pages send Referrer-Policy: unsafe-url, so other sites get their full URL (RFC 9700 4.2.4)"},
	{QuirkStateTruncated, "a state longer than 512 bytes comes back cut to 512 bytes (RFC 6749 4.1.2)"},
	{QuirkPublicClientAutoApprove, "a public client's repeated request in a session that approved it before is approved without asking (RFC 6749 10.2)"},
	{QuirkLongLivedBrowserTokens, "access tokens of public clients live a day (RFC 6750 5.3)"},
	{QuirkTLSLegacy, "the TLS listener negotiates TLS 1.0 and 1.1 and the RC4, 3DES and static-RSA cipher suites (RFC 9325 3.1.1, 4.1)"},
	{QuirkPlainHTTPToo, "the TLS listener also answers plain http on the same port, tokens and pages included (RFC 6749 3.1, 3.2)"},
	// redirect (issue 17)
	{QuirkRedirectURINormalised, "a redirect URI is compared after decoding its path and dropping ';' parameters, dot segments and user information, then followed as requested (RFC 9700 2.1)"},
	{QuirkRedirectURIQueryIgnored, "a redirect URI is compared without its query, so an added, changed or dropped query is followed (RFC 9700 2.1)"},
	{QuirkLoginOpenReturnTo, "the login page takes a return_to parameter and redirects there after the login, wherever it points (RFC 9700 2.1)"},
	{QuirkRedirectURIQueryDropped, "a successful code response replaces the registered redirect URI's query instead of adding to it (RFC 6749 3.1.2)"},
	{QuirkLogoutOpenRedirect, "the sign-out page takes post_logout_redirect_uri and redirects there after signing out, wherever it points (RFC 9700 2.1)"},
}

// HasQuirk reports whether names (Config.Quirks) switches q on: for the quirks applied outside
// the handler, by refserver/launch (QuirkTLSLegacy, QuirkPlainHTTPToo).
func HasQuirk(names []string, q Quirk) bool {
	for _, n := range names {
		if Quirk(strings.TrimSpace(n)) == q {
			return true
		}
	}
	return false
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

// refreshTokenClient is the client a refresh token was issued to, or nil (QuirkRefreshClientUnchecked).
func (s *Server) refreshTokenClient(ctx context.Context, token string) *store.Client {
	req, err := s.store.GetRefreshTokenSession(ctx, s.strategy.RefreshTokenSignature(ctx, token), NewSession(""))
	if err != nil || req == nil || req.GetClient() == nil {
		return nil
	}
	c, err := s.store.GetClient(ctx, req.GetClient().GetID())
	if err != nil {
		return nil
	}
	client, _ := c.(*store.Client)
	return client
}

// codeHasChallenge reports whether a code was issued for a PKCE challenge (QuirkPKCEDowngrade).
func (s *Server) codeHasChallenge(ctx context.Context, code string) bool {
	_, err := s.store.GetPKCERequestSession(ctx, s.strategy.AuthorizeCodeSignature(ctx, code), NewSession(""))
	return err == nil
}

// grantUnknown reports a code or refresh token the store has never seen (QuirkMadeUpGrantServerError);
// a used or revoked one is not unknown.
func (s *Server) grantUnknown(ctx context.Context, gt string, form url.Values) bool {
	var err error
	switch gt {
	case store.GrantAuthorizationCode:
		_, err = s.store.GetAuthorizeCodeSession(ctx, s.strategy.AuthorizeCodeSignature(ctx, form.Get("code")), NewSession(""))
	case store.GrantRefreshToken:
		_, err = s.store.GetRefreshTokenSession(ctx, s.strategy.RefreshTokenSignature(ctx, form.Get("refresh_token")), NewSession(""))
	default:
		return false
	}
	return errors.Is(err, fosite.ErrNotFound) || errors.Is(err, store.ErrNotFound)
}

// losesRace reports whether a code is one of those QuirkCodeRaceSometimes lets through: about one
// in eight, chosen by the code's signature so that every redemption of one code agrees.
func losesRace(signature string) bool {
	sum := sha256.Sum256([]byte(signature))
	return sum[0]%8 == 0
}

// pkceQuirkAccepts reports whether QuirkPKCEShortVerifier or QuirkPKCEChallengeAsVerifier lets
// this code redemption's code_verifier through: the redemption then skips the PKCE handler.
func (s *Server) pkceQuirkAccepts(ctx context.Context, form url.Values) bool {
	v := form.Get("code_verifier")
	if v == "" || !(s.quirks.Has(QuirkPKCEShortVerifier) || s.quirks.Has(QuirkPKCEChallengeAsVerifier)) {
		return false
	}
	req, err := s.store.GetPKCERequestSession(ctx, s.strategy.AuthorizeCodeSignature(ctx, form.Get("code")), NewSession(""))
	if err != nil || req == nil {
		return false
	}
	challenge := req.GetRequestForm().Get("code_challenge")
	if challenge == "" || req.GetRequestForm().Get("code_challenge_method") != "S256" {
		return false
	}
	sum := sha256.Sum256([]byte(v))
	matches := base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
	return (s.quirks.Has(QuirkPKCEShortVerifier) && len(v) < 43 && matches) ||
		(s.quirks.Has(QuirkPKCEChallengeAsVerifier) && v == challenge)
}

// quirkStore is what the quirks' deliberately deviating paths read.
type quirkStore interface {
	GetAuthorizeCodeSession(ctx context.Context, code string, sess fosite.Session) (fosite.Requester, error)
	GetClient(ctx context.Context, id string) (fosite.Client, error)
	GetPKCERequestSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error)
	GetRefreshTokenSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error)
}

var _ quirkStore = (*store.Store)(nil)
