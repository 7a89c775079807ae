package refserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// The grant types this token endpoint supports (RFC 6749 4.1.3, 4.3.2, 4.4.2, 6).
var tokenGrantTypes = []string{
	store.GrantAuthorizationCode,
	store.GrantClientCredentials,
	store.GrantPassword,
	store.GrantRefreshToken,
}

// scopeOfflineAccess asks for a refresh token; it is never part of a default scope.
const scopeOfflineAccess = "offline_access"

// handleToken is the token endpoint (RFC 6749 3.2). fosite runs the grants; this handler
// checks the request first and corrects fosite where it departs from the RFCs (see
// shared/reference/fosite-notes.md): the error codes and statuses, scope defaults and
// narrowing, and the response headers and members.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	resp, oe := s.token(w, r)
	if oe != nil {
		if s.quirks.Has(QuirkNoWWWAuthenticate) {
			oe.Challenge = ""
		}
		writeOAuthError(w, r, oe)
		return
	}
	setNoStore(w)
	if s.quirks.Has(QuirkNoCacheControl) {
		w.Header().Del("Cache-Control")
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) (map[string]any, *oauthError) {
	form, oe := readForm(w, r)
	if oe != nil {
		return nil, oe
	}
	gt := form.Get("grant_type")
	if gt == "" {
		return nil, newOAuthError(errInvalidRequest, "grant_type is required")
	}
	if !contains(tokenGrantTypes, gt) {
		if s.quirks.Has(QuirkUnknownGrantInvalidRequest) {
			return nil, newOAuthError(errInvalidRequest, "unknown grant_type")
		}
		// RFC 6749 5.2: "The authorization grant type is not supported by the authorization
		// server." fosite answers invalid_request.
		return nil, newOAuthError(errUnsupportedGrantType, "grant_type "+safeName(gt)+" is not supported: use one of "+strings.Join(tokenGrantTypes, ", "))
	}
	ctx := r.Context()
	client, oe := s.clientAuth.authenticate(ctx, r, form)
	s.auditClientAuth(r, form, client, oe)
	if oe != nil && gt == store.GrantRefreshToken && s.quirks.Has(QuirkRefreshClientUnchecked) {
		// The refresh token alone names its client; the credentials sent are not looked at.
		if c := s.refreshTokenClient(ctx, form.Get("refresh_token")); c != nil {
			client, oe = c, nil
		}
	}
	if oe != nil {
		return nil, oe
	}
	// RFC 6749 5.2 unauthorized_client: "The authenticated client is not authorized to use this
	// authorization grant type." RFC 6749 4.4 and 4.3.2 limit client credentials and the
	// password grant to clients that can authenticate, i.e. confidential ones.
	if !client.HasGrant(gt) {
		return nil, newOAuthError(errUnauthorizedClient, "this client may not use grant_type "+gt)
	}
	if client.Public && (gt == store.GrantClientCredentials || gt == store.GrantPassword) {
		return nil, newOAuthError(errUnauthorizedClient, "a public client may not use grant_type "+gt)
	}
	pkceQuirk := gt == store.GrantAuthorizationCode && s.pkceQuirkAccepts(ctx, form)
	params := form
	if pkceQuirk {
		// QuirkPKCEShortVerifier: the verifier's syntax is not checked either.
		params = url.Values{"code": form["code"]}
	}
	if oe := checkGrantParams(gt, params); oe != nil {
		return nil, oe
	}

	ctx = context.WithValue(ctx, authenticatedClientKey{}, client)
	provider := s.provider
	if s.quirks.Has(QuirkPKCEVerifierOptional) && gt == store.GrantAuthorizationCode && form.Get("code_verifier") == "" {
		// PKCE checked only when a verifier is sent: the code's challenge is never looked at.
		provider = s.quirkProvider
	}
	if s.quirks.Has(QuirkPKCEDowngrade) && gt == store.GrantAuthorizationCode && form.Get("code_verifier") != "" && !s.codeHasChallenge(ctx, form.Get("code")) {
		// A verifier for a code issued without a challenge is ignored instead of refused.
		provider = s.quirkProvider
	}
	if pkceQuirk {
		// The code's challenge is not compared by the PKCE handler (quirks.go).
		provider = s.quirkProvider
	}
	if s.quirks.Has(QuirkMadeUpGrantServerError) && s.grantUnknown(ctx, gt, form) {
		return nil, serverError(errors.New("quirk: an unknown grant crashes the lookup"))
	}
	var attempt *throttle.Attempt
	if gt == store.GrantPassword {
		// RFC 6749 4.3.2: "the authorization server MUST protect the endpoint against brute
		// force attacks (e.g., using rate-limitation or generating alerts)" (guessing.go).
		done, err := s.gate.Admit()
		if err != nil {
			return nil, gateBusy()
		}
		defer done()
		var ref *throttle.Refusal
		if attempt, ref = s.reservePasswordGrant(r.WithContext(ctx), form); ref != nil {
			return nil, throttledPassword(ref)
		}
	}
	ar, err := provider.NewAccessRequest(ctx, r.WithContext(ctx), NewSession(""))
	if gt == store.GrantPassword {
		passwordGrantOutcome(attempt, err)
		s.auditPasswordGrant(r, client, form.Get("username"), err)
	}
	if err != nil {
		oe := fromFosite(err)
		if s.quirks.Has(QuirkPKCEMismatchInvalidRequest) && gt == store.GrantAuthorizationCode && form.Get("code_verifier") != "" && oe.Code == errInvalidGrant {
			oe = newOAuthError(errInvalidRequest, "the code_verifier does not match")
		}
		return nil, oe
	}
	switch gt {
	case store.GrantClientCredentials, store.GrantPassword:
		if oe := grantRequestedScopes(ar, client); oe != nil {
			return nil, oe
		}
		if sess, ok := ar.GetSession().(*Session); ok && gt == store.GrantPassword {
			sess.Username = sess.Subject
		}
	case store.GrantRefreshToken:
		var oe *oauthError
		if s.quirks.Has(QuirkRefreshWidensScope) {
			widenRefreshScope(ar, form)
			break
		}
		if ctx, oe = narrowRefreshScope(ctx, ar, form); oe != nil {
			return nil, oe
		}
	}
	ares, err := provider.NewAccessResponse(ctx, ar)
	if err != nil {
		if oe := s.grantUsedTwice(ctx, gt, ar, err); oe != nil {
			return nil, oe
		}
		return nil, fromFosite(err)
	}

	out := map[string]any{
		"access_token": ares.GetAccessToken(),
		// RFC 6749 7.1 / RFC 6750 4: the bearer token type; the value is case insensitive.
		"token_type": "bearer",
		// RFC 6749 5.1: scope is OPTIONAL if identical to the requested scope; it is always
		// sent here so a client never has to guess what it was granted.
		"scope": strings.Join(ar.GetGrantedScopes(), " "),
	}
	if v := ares.GetExtra("expires_in"); v != nil {
		out["expires_in"] = v
	}
	// RFC 6749 4.4.3: "A refresh token SHOULD NOT be included" for client credentials; and
	// only clients allowed the refresh_token grant get one.
	if rt, ok := ares.GetExtra("refresh_token").(string); ok && rt != "" &&
		gt != store.GrantClientCredentials && client.HasGrant(store.GrantRefreshToken) {
		out["refresh_token"] = rt
		if s.quirks.Has(QuirkRefreshNotRotated) && gt == store.GrantRefreshToken {
			out["refresh_token"] = form.Get("refresh_token")
		}
	}
	s.auditTokenIssued(r, gt, client, ar, ares.GetAccessToken())
	return out, nil
}

// grantUsedTwice answers the loser of two requests that redeem one authorization code or one
// refresh token at the same moment. Both pass fosite's first look at the grant; the store then
// lets only one invalidate it, and fosite reports the other as server_error (code) or
// invalid_request (refresh; also when a third request's reuse handling deleted the refresh
// token meanwhile). Each is a grant used twice: RFC 6749 5.2 invalid_grant ("The
// provided authorization grant ... or refresh token is invalid, expired, revoked ..."), and,
// as for any reuse, the tokens issued from the grant are revoked: RFC 6749 4.1.2 ("If an
// authorization code is used more than once, the authorization server MUST deny the request
// and SHOULD revoke (when possible) all tokens previously issued based on that authorization
// code") and RFC 9700 4.14.2 for refresh tokens. The winner has committed by then: the store's
// single writer runs the loser's transaction only after the winner's. nil when err is not
// such a loss.
func (s *Server) grantUsedTwice(ctx context.Context, gt string, ar fosite.AccessRequester, err error) *oauthError {
	var keep bool
	switch gt {
	case store.GrantAuthorizationCode:
		if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
			return nil
		}
		keep = s.quirks.Has(QuirkCodeReuseKeepsTokens)
	case store.GrantRefreshToken:
		// Not found: fosite's reuse handling in a third request deleted the token meanwhile.
		if !errors.Is(err, fosite.ErrInactiveToken) && !errors.Is(err, fosite.ErrNotFound) {
			return nil
		}
		keep = s.quirks.Has(QuirkRefreshReuseUndetected)
	default:
		return nil
	}
	if id := ar.GetID(); id != "" && !keep {
		// Not the request's context: a client that gives up must not stop the revocation.
		ctx := context.WithoutCancel(ctx)
		if err := s.store.RevokeRefreshToken(ctx, id); err != nil {
			return serverError(err)
		}
		if err := s.store.RevokeAccessToken(ctx, id); err != nil {
			return serverError(err)
		}
	}
	return newOAuthError(errInvalidGrant, "this "+strings.ReplaceAll(gt, "_", " ")+" grant has already been used")
}

// widenRefreshScope is QuirkRefreshWidensScope: whatever scope a refresh asks for is granted,
// where RFC 6749 6 allows only the original scope or less (narrowRefreshScope).
func widenRefreshScope(ar fosite.AccessRequester, form map[string][]string) {
	v := form["scope"]
	if len(v) == 0 {
		return
	}
	req, ok := ar.(*fosite.AccessRequest)
	if !ok {
		return
	}
	req.GrantedScope = nil
	for _, sc := range strings.Fields(v[0]) {
		req.GrantScope(sc)
	}
	req.SetRequestedScopes(req.GrantedScope)
}

// checkGrantParams checks the parameters each grant requires, before fosite runs, so a
// missing one is invalid_request (RFC 6749 5.2) and never reaches the store.
func checkGrantParams(gt string, form map[string][]string) *oauthError {
	need := func(names ...string) *oauthError {
		for _, n := range names {
			if len(form[n]) == 0 {
				return newOAuthError(errInvalidRequest, "grant_type "+gt+" requires the parameter "+n)
			}
		}
		return nil
	}
	switch gt {
	case store.GrantAuthorizationCode:
		if oe := need("code"); oe != nil {
			return oe
		}
		if v := form["code_verifier"]; len(v) > 0 && !validVerifier(v[0]) {
			// RFC 7636 4.1: code-verifier = 43*128unreserved. A verifier that cannot be right
			// cannot match the challenge either: RFC 7636 4.6 answers invalid_grant.
			return newOAuthError(errInvalidGrant, "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1)")
		}
	case store.GrantRefreshToken:
		return need("refresh_token")
	case store.GrantPassword:
		return need("username", "password")
	}
	return nil
}

// validVerifier reports whether v is a syntactically valid PKCE code verifier (RFC 7636 4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// grantRequestedScopes grants the scope of a client credentials or password request: fosite
// checks that each requested scope is associated with the client (invalid_scope otherwise)
// but leaves granting to the application. RFC 6749 3.3: "If the client omits the scope
// parameter when requesting authorization, the authorization server MUST either process the
// request using a pre-defined default value or fail the request indicating an invalid
// scope." The default here is every scope associated with the client except offline_access,
// which only asks for a refresh token and is granted only when asked for.
func grantRequestedScopes(ar fosite.AccessRequester, client *store.Client) *oauthError {
	requested := ar.GetRequestedScopes()
	if len(requested) == 0 {
		for _, sc := range client.Scopes {
			if sc != scopeOfflineAccess {
				requested = append(requested, sc)
			}
		}
		ar.SetRequestedScopes(requested)
	}
	for _, sc := range requested {
		if !contains(client.Scopes, sc) {
			return newOAuthError(errInvalidScope, "scope "+safeName(sc)+" is not associated with this client")
		}
		ar.GrantScope(sc)
	}
	return nil
}

// narrowRefreshScope applies the scope parameter of a refresh request. RFC 6749 6: "The
// requested scope MUST NOT include any scope not originally granted by the resource owner,
// and if omitted is treated as equal to the scope originally granted by the resource owner."
// fosite ignores the parameter and always grants the original scope (upstream issue #696).
// The new refresh token keeps the original scope (see fositeStorage.CreateRefreshTokenSession).
func narrowRefreshScope(ctx context.Context, ar fosite.AccessRequester, form map[string][]string) (context.Context, *oauthError) {
	v := form["scope"]
	if len(v) == 0 {
		return ctx, nil
	}
	orig := append(fosite.Arguments(nil), ar.GetGrantedScopes()...)
	var narrowed fosite.Arguments
	for _, sc := range strings.Split(v[0], " ") {
		if sc == "" || contains(narrowed, sc) {
			continue
		}
		if !contains(orig, sc) {
			return ctx, newOAuthError(errInvalidScope, "scope "+safeName(sc)+" was not granted to this refresh token: a refresh may only narrow the scope")
		}
		narrowed = append(narrowed, sc)
	}
	if len(narrowed) == 0 {
		return ctx, nil
	}
	req, ok := ar.(*fosite.AccessRequest)
	if !ok {
		return ctx, serverError(nil)
	}
	req.GrantedScope = narrowed
	req.SetRequestedScopes(narrowed)
	return context.WithValue(ctx, refreshScopeKey{}, orig), nil
}

func contains[S ~[]string](list S, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// tokenStore is what the token endpoint does itself (fosite does the rest through
// fositeStorage): revoke the tokens of a replayed code or refresh token.
type tokenStore interface {
	RevokeAccessToken(ctx context.Context, requestID string) error
	RevokeRefreshToken(ctx context.Context, requestID string) error
}

var _ tokenStore = (*store.Store)(nil)
