package steps

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// roleRe matches a client role as the features write it.
const roleRe = `(confidential|second confidential|public|implicit|client credentials|password|trusted|short-lived)`

// modsRe is the optional tail of a request step: "with ...", "without ...", "using ...",
// joined by "and".
const modsRe = `((?: (?:with|without|using) .+)?)`

// request is a token, introspection or revocation request being built, so the same modifiers
// ("without client authentication", "with a wrong client secret", ...) apply to all three.
type request struct {
	auth   *oauthclient.AuthMethod
	creds  *oauthclient.Credentials
	method *string
	extra  url.Values
	query  url.Values
	tr     *oauthclient.TokenRequest
	op     *oauthclient.TokenOpRequest
}

var quoted = regexp.MustCompile(`"([^"]*)"`)

// splitMods splits " with A and B without C" into ["with A", "with B", "without C"].
func splitMods(tail string) []string {
	tail = strings.TrimSpace(tail)
	if tail == "" {
		return nil
	}
	var out []string
	prefix := ""
	for _, part := range strings.Split(tail, " and ") {
		part = strings.TrimSpace(part)
		for _, p := range []string{"with ", "without ", "using "} {
			if strings.HasPrefix(part, p) {
				prefix = strings.TrimSpace(p)
				part = strings.TrimPrefix(part, p)
				break
			}
		}
		out = append(out, prefix+" "+part)
	}
	return out
}

// apply applies one modifier. Each names exactly what it changes in the request.
func (w *World) apply(r *request, mod string) error {
	arg := ""
	if m := quoted.FindStringSubmatch(mod); m != nil {
		v, err := w.expand(m[1])
		if err != nil {
			return err
		}
		arg = v
		mod = quoted.ReplaceAllString(mod, `"…"`)
	}
	needTR := func() error {
		if r.tr == nil {
			return fmt.Errorf("%q applies only to token requests", mod)
		}
		return nil
	}
	switch mod {
	case "without client authentication":
		*r.auth = oauthclient.AuthNone
	case "without a client_id":
		*r.auth = oauthclient.AuthOmit
	case "with HTTP Basic client authentication":
		*r.auth = oauthclient.AuthBasic
	case "with client authentication in the request body":
		*r.auth = oauthclient.AuthPost
	case "with a wrong client secret":
		r.creds.Secret = "wrong-" + r.creds.Secret
	case "with an unknown client_id":
		r.creds.ID = "no-such-client-" + oauthclient.RandomString(8)
	case "with the client credentials in the URL query":
		// RFC 6749 2.3.1: client credentials "MUST NOT be included in the request URI".
		r.query.Set("client_id", r.creds.ID)
		r.query.Set("client_secret", r.creds.Secret)
		*r.auth = oauthclient.AuthOmit
	case "using the GET method":
		*r.method = "GET"
	case `with token_type_hint "…"`:
		if r.op == nil {
			return fmt.Errorf("token_type_hint applies to introspection and revocation")
		}
		r.op.TokenTypeHint = arg
	case `with scope "…"`:
		if err := needTR(); err != nil {
			return err
		}
		r.tr.Scope = arg
	case "without a scope":
		if err := needTR(); err != nil {
			return err
		}
		r.tr.Scope = ""
	case `with grant_type "…"`:
		if err := needTR(); err != nil {
			return err
		}
		r.tr.GrantType = arg
	case "with the grant_type repeated":
		if err := needTR(); err != nil {
			return err
		}
		r.extra.Add("grant_type", r.tr.GrantType)
	case "with an unknown parameter":
		r.extra.Set("x_oauthconf_unknown", "ignored")
	case "without the code_verifier":
		if err := needTR(); err != nil {
			return err
		}
		r.tr.CodeVerifier = ""
	case "with a wrong code_verifier", "with a code_verifier":
		// A fresh verifier: wrong for a code issued with a challenge, and one the server never
		// asked for when the code was issued without (the PKCE downgrade check).
		if err := needTR(); err != nil {
			return err
		}
		v, err := oauthclient.NewVerifier(64)
		if err != nil {
			return err
		}
		r.tr.CodeVerifier = v
	case "without the redirect_uri":
		if err := needTR(); err != nil {
			return err
		}
		if r.tr.RedirectURI == "" {
			return fmt.Errorf("the authorization request had no redirect_uri to leave out")
		}
		r.tr.RedirectURI = ""
	case "with a different redirect_uri":
		if err := needTR(); err != nil {
			return err
		}
		u, err := url.Parse(r.tr.RedirectURI)
		if err != nil || r.tr.RedirectURI == "" {
			return fmt.Errorf("the authorization request had no redirect_uri to change")
		}
		u.Path = strings.TrimSuffix(u.Path, "/") + "-other"
		r.tr.RedirectURI = u.String()
	case "with the redirect_uri of the authorization request":
		if err := needTR(); err != nil {
			return err
		}
		if r.tr.RedirectURI != w.codeRedirectURI {
			return fmt.Errorf("the redirect_uri differs from the authorization request's")
		}
	case "with a wrong password":
		if err := needTR(); err != nil {
			return err
		}
		r.tr.Password = "wrong-" + r.tr.Password
	case "with an unknown username":
		if err := needTR(); err != nil {
			return err
		}
		r.tr.Username = "no-such-user-" + oauthclient.RandomString(8)
	case "without the username":
		if err := needTR(); err != nil {
			return err
		}
		r.tr.Username = ""
	case "without the password":
		if err := needTR(); err != nil {
			return err
		}
		r.tr.Password = ""
	case "with the previous refresh token":
		if err := needTR(); err != nil {
			return err
		}
		if len(w.refreshTokens) < 2 {
			return fmt.Errorf("there is no previous refresh token: the scenario obtained %d", len(w.refreshTokens))
		}
		r.tr.RefreshToken = w.refreshTokens[len(w.refreshTokens)-2]
	default:
		return fmt.Errorf("unknown request modifier %q", mod)
	}
	return nil
}

// tokenRequest sends a token request of one kind for the client of role, with modifiers.
func (w *World) tokenRequest(ctx context.Context, role, kind, tail string) error {
	creds, auth, err := w.creds(role)
	if err != nil {
		return err
	}
	tr := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, Client: creds, AuthMethod: auth}
	allowed, err := w.expand("{allowed-scope}")
	if err != nil {
		return err
	}
	switch kind {
	case "redeems the authorization code":
		if w.code == "" {
			return fmt.Errorf("no authorization code: an earlier step must obtain one")
		}
		tr.GrantType, tr.Code, tr.CodeVerifier = "authorization_code", w.code, w.codeVerifier
		if w.codeHasRedirect {
			// RFC 6749 4.1.3: REQUIRED when it was in the authorization request, identical.
			tr.RedirectURI = w.codeRedirectURI
		}
	case "requests a token with its client credentials":
		tr.GrantType, tr.Scope = "client_credentials", allowed
	case "requests a token with the resource owner's password":
		u := w.p.ValidUser()
		tr.GrantType, tr.Scope, tr.Username, tr.Password = "password", allowed, u.Username, u.Password
	case "refreshes the access token":
		if len(w.refreshTokens) == 0 {
			return fmt.Errorf("no refresh token: an earlier step must obtain one")
		}
		tr.GrantType, tr.RefreshToken = "refresh_token", w.refreshTokens[len(w.refreshTokens)-1]
	default:
		return fmt.Errorf("unknown token request %q", kind)
	}
	method := ""
	r := &request{auth: &tr.AuthMethod, creds: &tr.Client, method: &method, extra: url.Values{}, query: url.Values{}, tr: &tr}
	for _, m := range splitMods(tail) {
		if err := w.apply(r, m); err != nil {
			return err
		}
	}
	tr.Method, tr.Extra, tr.Query = method, r.extra, r.query
	resp, err := tr.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.last, w.lastScopeAsked, w.lastAuth = resp, tr.Scope, tr.AuthMethod
	w.keepTokens(role, resp, tr.Scope)
	return nil
}

// keepTokens remembers the tokens of a successful response.
func (w *World) keepTokens(role string, resp *oauthclient.Response, asked string) {
	if resp.Status != 200 || resp.AccessToken() == "" {
		return
	}
	w.accessTokens = append(w.accessTokens, resp.AccessToken())
	if rt := resp.RefreshToken(); rt != "" {
		w.refreshTokens = append(w.refreshTokens, rt)
	}
	w.tokenOwner = role
	if w.originalScope == "" {
		w.originalScope = asked
		if resp.Has("scope") {
			w.originalScope = resp.String("scope")
		}
	}
}

// hasTokens obtains tokens the usual way for the role: client credentials, the password grant,
// or the code flow in the browser.
func (w *World) hasTokens(ctx context.Context, role, which string) (context.Context, error) {
	withRefresh := which == " and a refresh token"
	key := roleKey(role)
	scope, err := w.expand("{allowed-scope}")
	if err != nil {
		return ctx, err
	}
	mods := ""
	switch {
	case which == " without the resource's scope":
		if w.p.Resource == nil || w.p.Resource.RequiredScope == "" {
			return ctx, fmt.Errorf("%w: the profile's resource names no required_scope", godog.ErrSkip)
		}
		other := ""
		for _, s := range w.p.Scopes.Allowed {
			if s != w.p.Resource.RequiredScope {
				other = s
			}
		}
		if other == "" {
			return ctx, fmt.Errorf("%w: no allowed scope other than the resource's", godog.ErrSkip)
		}
		scope = other
	case withRefresh && w.p.Scopes.Refresh != "":
		scope += " " + w.p.Scopes.Refresh
	}
	mods = fmt.Sprintf(` with scope "%s"`, scope)
	kind := ""
	switch {
	case key == "client_credentials" || (key == "short_lived" && !withRefresh && w.p.HasGrant("client_credentials")):
		kind = "requests a token with its client credentials"
	case key == "password" || (key == "short_lived" && w.p.HasGrant("password")):
		kind = "requests a token with the resource owner's password"
	}
	if kind != "" {
		if err := w.tokenRequest(ctx, role, kind, mods); err != nil {
			return ctx, err
		}
	} else {
		if err := w.startAuthorization(role); err != nil {
			return ctx, err
		}
		w.authReq.Set("scope", scope)
		ctx, err = w.authorizeInBrowser(ctx, "approve")
		if err != nil {
			return ctx, err
		}
		if err := w.receivesCode(); err != nil {
			return ctx, err
		}
		if err := w.tokenRequest(ctx, role, "redeems the authorization code", ""); err != nil {
			return ctx, err
		}
	}
	if err := oauthclient.ExpectTokenResponse(w.last); err != nil {
		return ctx, err
	}
	if withRefresh && w.last.RefreshToken() == "" {
		return ctx, oauthclient.Failf(w.last, "expected a refresh_token (scope %q), got none", scope)
	}
	return ctx, nil
}

func (w *World) issuesToken(refresh string) error {
	if err := oauthclient.ExpectTokenResponse(w.last); err != nil {
		return err
	}
	if refresh != "" {
		return oauthclient.ExpectMember(w.last, "refresh_token")
	}
	return nil
}

func (w *World) refusesWith(code string) error { return oauthclient.ExpectOAuthError(w.last, code) }

// refuses checks an error response without naming the code, where the RFC names none.
func (w *World) refuses() error {
	r := w.last
	if r == nil {
		return fmt.Errorf("no request was sent")
	}
	if r.Status < 400 || r.Status > 499 {
		return oauthclient.Failf(r, "expected HTTP 400 or 401 with an error, got %d", r.Status)
	}
	if err := oauthclient.ExpectMember(r, "error"); err != nil {
		return err
	}
	return nil
}

func (w *World) doesNotIssue() error {
	r := w.last
	if r == nil {
		return fmt.Errorf("no request was sent")
	}
	if r.Status == 200 || r.AccessToken() != "" {
		return oauthclient.Failf(r, "expected no access token, got HTTP %d with one", r.Status)
	}
	return nil
}

func (w *World) issuesOrRefuses(code string) error {
	if w.last != nil && w.last.Status == 200 {
		return oauthclient.ExpectTokenResponse(w.last)
	}
	return oauthclient.ExpectOAuthError(w.last, code)
}

// grantedScope checks RFC 6749 5.1: scope is OPTIONAL if identical to the scope requested,
// REQUIRED otherwise; so a response without scope grants what was asked.
func (w *World) grantedScope(want string) error {
	v, err := w.expand(want)
	if err != nil {
		return err
	}
	return w.checkGranted(v, fmt.Sprintf("%q", v))
}

func (w *World) checkGranted(want, label string) error {
	r := w.last
	if err := oauthclient.ExpectTokenResponse(r); err != nil {
		return err
	}
	if r.Has("scope") {
		if !sameScopes(r.String("scope"), want) {
			return oauthclient.Failf(r, "expected the granted scope %s, got %q", label, r.String("scope"))
		}
		return nil
	}
	if w.lastScopeAsked != "" && !sameScopes(w.lastScopeAsked, want) {
		return oauthclient.Failf(r, "the response names no scope, so it grants the requested %q; expected %s", w.lastScopeAsked, label)
	}
	return nil
}

func (w *World) grantedOriginalScope() error {
	if w.originalScope == "" {
		return fmt.Errorf("the original grant's scope is unknown")
	}
	// A refresh without scope asks for the original scope (RFC 6749 6).
	return w.checkGranted(w.originalScope, fmt.Sprintf("of the original grant %q", w.originalScope))
}

func (w *World) newRefreshDiffers() error {
	n := len(w.refreshTokens)
	if n < 2 {
		return oauthclient.Failf(w.last, "expected a new refresh token besides the previous one, have %d", n)
	}
	if w.refreshTokens[n-1] == w.refreshTokens[n-2] {
		return oauthclient.Failf(w.last, "expected a rotated refresh token, got the same one back (RFC 9700 2.2.2)")
	}
	return nil
}

// vschar checks RFC 6749 Appendix A: code, access_token and refresh_token are 1*VSCHAR
// (%x20-7E).
func vschar(kind, s string) error {
	if s == "" {
		return fmt.Errorf("there is no %s to check", kind)
	}
	for i, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return fmt.Errorf("the %s has byte 0x%02x at %d, outside VSCHAR (%%x20-7E, RFC 6749 Appendix A)", kind, c, i)
		}
	}
	return nil
}

func (w *World) tokenChars(kind string) error {
	switch kind {
	case "authorization code":
		return vschar(kind, w.code)
	case "access token":
		if len(w.accessTokens) == 0 {
			return fmt.Errorf("no access token was issued")
		}
		return vschar(kind, w.accessTokens[len(w.accessTokens)-1])
	default:
		if len(w.refreshTokens) == 0 {
			return fmt.Errorf("no refresh token was issued")
		}
		return vschar(kind, w.refreshTokens[len(w.refreshTokens)-1])
	}
}

// errorChars checks RFC 6749 4.1.2.1 and 5.2: error_description is %x20-21 / %x23-5B /
// %x5D-7E; error_uri is %x21 / %x23-5B / %x5D-7E.
func errorChars(desc, uri string) error {
	bad := func(s string, space bool) int {
		for i, c := range []byte(s) {
			ok := (c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)) || (space && c == 0x20)
			if !ok {
				return i
			}
		}
		return -1
	}
	if i := bad(desc, true); i >= 0 {
		return fmt.Errorf("error_description has byte 0x%02x at %d, outside %%x20-21 / %%x23-5B / %%x5D-7E (RFC 6749 5.2)", desc[i], i)
	}
	if i := bad(uri, false); i >= 0 {
		return fmt.Errorf("error_uri has byte 0x%02x at %d, outside %%x21 / %%x23-5B / %%x5D-7E (RFC 6749 5.2)", uri[i], i)
	}
	return nil
}

func (w *World) tokenErrorChars() error {
	if err := oauthclient.ExpectMember(w.last, "error"); err != nil {
		return err
	}
	if err := errorChars(w.last.String("error_description"), w.last.String("error_uri")); err != nil {
		return oauthclient.Failf(w.last, "%v", err)
	}
	return nil
}

func (w *World) authErrorChars() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	p := w.authResp.params
	if p.Get("error") == "" {
		return w.authFail("expected an error response")
	}
	if err := errorChars(p.Get("error_description"), p.Get("error_uri")); err != nil {
		return w.authFail("%v", err)
	}
	return nil
}

func (w *World) registerToken(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client (redeems the authorization code|requests a token with its client credentials|requests a token with the resource owner's password|refreshes the access token)`+modsRe+`$`, w.tokenRequest)
	sc.Step(`^the `+roleRe+` client has an access token( and a refresh token| without the resource's scope)?$`, w.hasTokens)
	sc.Step(`^the token endpoint issues an access token( and a refresh token)?$`, w.issuesToken)
	sc.Step(`^the (?:token|revocation|introspection) endpoint refuses the request with error "([a-z_]+)"$`, w.refusesWith)
	sc.Step(`^the (?:token|revocation) endpoint refuses the request$`, w.refuses)
	sc.Step(`^the token endpoint does not issue an access token$`, w.doesNotIssue)
	sc.Step(`^the token endpoint issues an access token or refuses with error "([a-z_]+)"$`, w.issuesOrRefuses)
	sc.Step(`^the granted scope is "([^"]*)"$`, w.grantedScope)
	sc.Step(`^the granted scope is the original scope$`, w.grantedOriginalScope)
	sc.Step(`^the new refresh token differs from the previous one$`, w.newRefreshDiffers)
	sc.Step(`^the (authorization code|access token|refresh token) uses only the characters RFC 6749 allows$`, w.tokenChars)
	sc.Step(`^the error_description and error_uri use only the characters RFC 6749 allows$`, w.tokenErrorChars)
	sc.Step(`^the authorization error_description and error_uri use only the characters RFC 6749 allows$`, w.authErrorChars)
}
