package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// roleRe matches a client role as the features write it.
// "PKCE" is the client the PKCE checks use: the public one, or the confidential one when the
// profile has no public client (profile.Profile.Client).
const roleRe = `(confidential|second confidential|public|implicit|client credentials|password|trusted|short-lived|query-redirect|PKCE)`

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
	w.keepTokens(ctx, role, resp, tr.Scope)
	return nil
}

// keepTokens remembers the tokens of a successful response.
func (w *World) keepTokens(ctx context.Context, role string, resp *oauthclient.Response, asked string) {
	if resp.Status != 200 || resp.AccessToken() == "" {
		return
	}
	w.accessTokens = append(w.accessTokens, resp.AccessToken())
	w.noteStatedExpiry(resp)
	if rt := resp.RefreshToken(); rt != "" {
		w.refreshTokens = append(w.refreshTokens, rt)
	}
	w.tokenOwner = role
	w.noteActive(ctx, resp.AccessToken(), "access_token")
	if rt := resp.RefreshToken(); rt != "" {
		w.noteActive(ctx, rt, "refresh_token")
	}
	if w.originalScope == "" {
		w.originalScope = asked
		if resp.Has("scope") {
			w.originalScope = resp.String("scope")
		}
	}
}

// How a scenario obtains its tokens, in a fixed order of preference (issue 8: no token-side
// scenario may depend on the password grant, which RFC 9700 2.4 says MUST NOT be used):
//
//  1. the client credentials grant, when the scenario needs only an access token of a
//     confidential client;
//  2. the authorization code grant in the browser (with PKCE whenever the target supports it,
//     which covers public clients and targets requiring it), when the scenario needs a refresh
//     token or a resource owner, or when the client credentials grant is not offered;
//  3. the resource owner password credentials grant, only when neither of the above is offered
//     (or this run has no browser and the target offers it).
//
// A refresh token is optional (RFC 6749 1.5: "Issuing a refresh token is optional at the
// discretion of the authorization server"): a scenario that needs one and gets none is not
// applicable, with the reason.
type tokenWay struct {
	role  string // as the features write it: "client credentials", "confidential", ...
	grant string // client_credentials, authorization_code or password
}

// waysFor lists the ways the client of role may obtain tokens, in the order of preference.
func (w *World) waysFor(role string, needRefresh bool) []tokenWay {
	var grants []string
	switch roleKey(role) {
	case "client_credentials":
		grants = []string{profile.GrantClientCredentials}
	case "password":
		grants = []string{profile.GrantPassword}
	case "short_lived":
		// The expiry scenarios judge the token, not the grant it came from: the grants
		// without a browser first, as they are the quickest.
		grants = []string{profile.GrantClientCredentials, profile.GrantPassword, profile.GrantAuthorizationCode}
	default:
		grants = []string{profile.GrantAuthorizationCode}
	}
	var out []tokenWay
	for _, g := range grants {
		if g == profile.GrantClientCredentials && needRefresh {
			continue // RFC 6749 4.4.3: "A refresh token SHOULD NOT be included."
		}
		out = append(out, tokenWay{role: role, grant: g})
	}
	return out
}

// anyClientWays lists the ways any suitable client may obtain tokens: for an access token of a
// confidential client, or for a refresh token (and a resource owner).
func (w *World) anyClientWays(needRefresh bool) []tokenWay {
	var out []tokenWay
	if !needRefresh {
		out = append(out, tokenWay{"client credentials", profile.GrantClientCredentials})
	}
	out = append(out, tokenWay{"confidential", profile.GrantAuthorizationCode})
	if needRefresh {
		out = append(out, tokenWay{"public", profile.GrantAuthorizationCode})
	}
	return append(out, tokenWay{"password", profile.GrantPassword})
}

// usable reports whether way can be taken against this target in this run, and why not.
func (w *World) usable(way tokenWay) (bool, string) {
	c, ok := w.p.Client(roleKey(way.role))
	if !ok {
		return false, fmt.Sprintf("the profile has no %s client (clients.%s)", way.role, roleKey(way.role))
	}
	if !w.p.HasGrant(way.grant) {
		return false, fmt.Sprintf("the target does not offer the %s grant", way.grant)
	}
	if way.grant == profile.GrantClientCredentials && !c.Confidential() {
		return false, fmt.Sprintf("the %s client has no secret", way.role)
	}
	if registered, declared := c.RegisteredFor(way.grant); declared && !registered {
		return false, fmt.Sprintf("the profile says the %s client is not registered for the %s grant (clients.%s.grants)", way.role, way.grant, roleKey(way.role))
	}
	if way.grant == profile.GrantAuthorizationCode {
		if ok, why := w.p.Supports("browser"); !ok {
			return false, why
		}
		if w.env.Browser == nil {
			return false, fmt.Sprintf("this run started no browser for the authorization code grant (%v)", w.env.BrowserErr)
		}
	}
	return true, ""
}

// obtainTokens takes the usable ways in turn until one yields tokens: a setup step. A way that
// fails (an HTTP 500, an error response, a response without a token) does not end the scenario:
// the next way the target offers is tried, so that one broken grant is reported once, by its own
// scenario, and never as the failure of the checks that only needed a token from it (issue 14,
// item 3). When every usable way failed, the scenario is blocked by the first broken grant; when
// no way is usable, or a refresh token is needed and the target issues none, it is not
// applicable.
func (w *World) obtainTokens(ctx context.Context, ways []tokenWay, needRefresh bool, scope string) (context.Context, error) {
	return w.obtainTokensWith(ctx, ways, needRefresh, scope, "", "")
}

// obtainTokensWith is obtainTokens for a check about the token request itself: mods are the
// request modifiers of the final token request (" with an unknown parameter"; for the code
// grant, of the code's redemption), method the client authentication the check is about. A
// failure that is the check's own is not a broken grant: its response is left for the check's
// Then steps to judge. It is a way that fails with mods and issues a token without them (the
// unknown parameter was not ignored), or that answers the method with invalid_client or HTTP
// 401 (RFC 6749 5.2: "Client authentication failed (e.g., ... unsupported authentication
// method)").
func (w *World) obtainTokensWith(ctx context.Context, ways []tokenWay, needRefresh bool, scope, mods, method string) (context.Context, error) {
	var why, broken, noRefresh []string
	var firstBroken tokenWay
	var trouble error // the first way that ended inconclusive (the browser, not the target)
	for _, way := range ways {
		ok, reason := w.usable(way)
		if !ok {
			why = append(why, fmt.Sprintf("%s client, %s grant: %s", way.role, way.grant, reason))
			continue
		}
		next, err := w.obtainWith(ctx, way, needRefresh, scope, mods)
		if err == nil && needRefresh && w.last.RefreshToken() == "" {
			// RFC 6749 1.5: issuing a refresh token is optional; another way may issue one.
			noRefresh = append(noRefresh, fmt.Sprintf("the %s client (%s grant, scope %q)", way.role, way.grant, w.lastScopeAsked))
			ctx = next
			continue
		}
		if err == nil {
			return next, nil
		}
		ctx = next
		var v *verdict.Error
		var g *grantFailure
		switch {
		case errors.As(err, &v) && v.Outcome == verdict.OutcomeNotApplicable:
			why = append(why, fmt.Sprintf("%s client, %s grant: %s", way.role, way.grant, v.Reason))
		case errors.As(err, &v) || verdict.IsSuiteTrouble(err):
			if trouble == nil {
				trouble = err
			}
		case !errors.As(err, &g):
			return ctx, err // the suite's or the profile's problem, not the grant's
		default:
			if w.checksOwnFailure(ctx, way, needRefresh, scope, mods, method) {
				return ctx, nil
			}
			if broken == nil {
				firstBroken = way
			}
			broken = append(broken, fmt.Sprintf("the %s grant (%s client) failed: %s", way.grant, way.role, verdict.FirstLine(err.Error())))
		}
	}
	what := "an access token"
	if needRefresh {
		what = "an access token and a refresh token"
	}
	if broken != nil {
		reason := fmt.Sprintf("no grant the target offers yielded %s: %s", what, strings.Join(broken, "; "))
		if len(why) > 0 {
			reason += "; not tried: " + strings.Join(why, "; ")
		}
		return ctx, verdict.Blocked(fmt.Sprintf("the %s grant (%s client)", firstBroken.grant, firstBroken.role), "%s", reason)
	}
	if trouble != nil {
		return ctx, trouble
	}
	if noRefresh != nil {
		reason := fmt.Sprintf("the target issued no refresh token to %s; RFC 6749 1.5: issuing one is optional", strings.Join(noRefresh, ", nor to "))
		if len(why) > 0 {
			reason += "; not tried: " + strings.Join(why, "; ")
		}
		return ctx, verdict.NotApplicable("%s", reason)
	}
	if w.env.Browser == nil && ways != nil {
		for _, way := range ways {
			if way.grant == profile.GrantAuthorizationCode && w.p.HasGrant(way.grant) {
				if ok, _ := w.p.Supports("browser"); ok {
					return ctx, verdict.Inconclusive("the scenario needs %s through the authorization code grant in a browser, and this run has none: %s", what, strings.Join(why, "; "))
				}
			}
		}
	}
	return ctx, verdict.NotApplicable("no way to obtain %s: %s", what, strings.Join(why, "; "))
}

// checksOwnFailure tells a failure of the check's own requirement from a broken grant (see
// obtainTokensWith). For the check's own, it makes the failed response the one the scenario's
// Then steps judge (a failed When would be inconclusive, and this is the target's answer to the
// very request the check is about) and reports true.
func (w *World) checksOwnFailure(ctx context.Context, way tokenWay, needRefresh bool, scope, mods, method string) bool {
	failed := w.last
	if failed == nil {
		return false
	}
	if method != "" && (failed.Status == 401 || failed.Error() == "invalid_client") {
		return true
	}
	if strings.TrimSpace(mods) == "" {
		return false
	}
	// The control request: the same way without the modifiers.
	if _, err := w.obtainWith(ctx, way, needRefresh, scope, ""); err != nil {
		return false // the grant fails either way: broken, not the check's
	}
	w.last = failed
	return true
}

// grantFailure is what the target did wrong while a way was taken: it answered the token
// request with an error or something that is not a token response, or the authorization step of
// the code grant did not yield a code. The other errors of a way (a profile without the data, a
// browser that could not be driven) are not the grant's.
type grantFailure struct{ err error }

func (g *grantFailure) Error() string { return g.err.Error() }
func (g *grantFailure) Unwrap() error { return g.err }

func (w *World) obtainWith(ctx context.Context, way tokenWay, needRefresh bool, scope, extra string) (context.Context, error) {
	if needRefresh {
		scope = joinScopes(scope, w.p.Scopes.Refresh)
	}
	mods := fmt.Sprintf(` with scope "%s"`, scope)
	if extra = strings.TrimSpace(extra); extra != "" {
		mods += " and " + extra
	}
	sent := len(w.http.Exchanges())
	// target marks an error of a request the target answered as the grant's failure.
	target := func(err error) error {
		var v *verdict.Error
		if err == nil || errors.As(err, &v) || verdict.IsSuiteTrouble(err) || len(w.http.Exchanges()) == sent {
			return err
		}
		return &grantFailure{err}
	}
	var err error
	switch way.grant {
	case profile.GrantClientCredentials:
		err = target(w.tokenRequest(ctx, way.role, "requests a token with its client credentials", mods))
	case profile.GrantPassword:
		err = target(w.tokenRequest(ctx, way.role, "requests a token with the resource owner's password", mods))
	default:
		if err = w.startAuthorization(way.role); err != nil {
			return ctx, err
		}
		w.authReq.Set("scope", scope)
		ctx, err = w.authorizeInBrowser(ctx, "approve")
		if err != nil {
			return ctx, err
		}
		if err = w.receivesCode(); err != nil {
			return ctx, &grantFailure{err}
		}
		if extra != "" {
			extra = " " + extra
		}
		err = target(w.tokenRequest(ctx, way.role, "redeems the authorization code", extra))
		// The scope was requested at the authorization endpoint; RFC 6749 5.1: a response
		// without scope grants the requested one.
		w.lastScopeAsked = scope
		if w.last != nil && w.last.Status == 200 && !w.last.Has("scope") {
			w.originalScope = scope
		}
	}
	if err != nil {
		return ctx, err
	}
	if err := oauthclient.ExpectTokenResponse(w.last); err != nil {
		return ctx, &grantFailure{err}
	}
	return ctx, nil
}

// anyConfidentialRole is the first confidential client of the profile, for the checks of a
// token request the server must refuse whichever grant the client has (an unknown grant type):
// they need client authentication, not the client credentials grant.
func (w *World) anyConfidentialRole() (string, error) {
	for _, r := range []string{"client credentials", "confidential", "password", "second confidential", "trusted", "short-lived"} {
		if c, ok := w.p.Client(roleKey(r)); ok && c.Confidential() {
			return r, nil
		}
	}
	return "", verdict.NotApplicable("the scenario needs a confidential client, and the profile has none (clients.confidential, clients.client_credentials)")
}

// anyConfidentialRequest sends a token request of the first confidential client (the client
// credentials request, whose grant_type a modifier replaces).
func (w *World) anyConfidentialRequest(ctx context.Context, tail string) error {
	role, err := w.anyConfidentialRole()
	if err != nil {
		return err
	}
	return w.tokenRequest(ctx, role, "requests a token with its client credentials", tail)
}

// hasErrorResponse is the precondition of the checks of an error response's contents: the
// request was answered with an OAuth error. Anything else blocks the check, whose requirement
// (the characters of error_description) was then never exercised.
func (w *World) hasErrorResponse(ctx context.Context, grantType string) error {
	if err := w.anyConfidentialRequest(ctx, fmt.Sprintf(` with grant_type "%s"`, grantType)); err != nil {
		return err
	}
	if w.last == nil || w.last.Error() == "" || w.last.Status < 400 {
		status := 0
		if w.last != nil {
			status = w.last.Status
		}
		return verdict.Blocked("RFC6749-5.2", "the check needs an error response to a token request with grant_type %q, and the target answered HTTP %d without an error member", grantType, status)
	}
	return nil
}

// anyGrantToken is the token request of the generic checks (the token response's format,
// headers and characters, client authentication, unknown parameters, scope naming): they judge
// a token response, whichever grant it came from, so they take the first grant the target
// offers that works (obtainTokens), and a grant that is broken blocks them only when every
// other grant is broken too. method, when set, is the client authentication the check is
// about: only clients the server accepts it from are used, with it.
func (w *World) anyGrantToken(ctx context.Context, method, tail string) (context.Context, error) {
	scope, err := w.scopeFor("")
	if err != nil {
		return ctx, err
	}
	// The public client last but one: its token response is as good a sample as any, and it
	// lets a target without confidential clients be judged.
	ways := []tokenWay{{"client credentials", profile.GrantClientCredentials}, {"confidential", profile.GrantAuthorizationCode},
		{"public", profile.GrantAuthorizationCode}, {"password", profile.GrantPassword}}
	if method != "" {
		var kept []tokenWay
		var why []string
		for _, way := range ways {
			c, ok := w.p.Client(roleKey(way.role))
			if ok && c.Accepts(method) {
				if w.authAs == nil {
					w.authAs = map[string]string{}
				}
				w.authAs[roleKey(way.role)] = method
				kept = append(kept, way)
			} else if ok {
				why = append(why, fmt.Sprintf("the %s client authenticates with %s (clients.%s.auth_method, auth_methods)", way.role, c.AuthMethod, roleKey(way.role)))
			}
		}
		if kept == nil && method == "client_secret_basic" {
			// RFC 6749 2.3.1: "The authorization server MUST support the HTTP Basic
			// authentication scheme for authenticating clients that were issued a client
			// password": tried with every client that has a secret, whatever it is registered
			// for (issuesTokenToBasic tells a refusal of that client from a missing scheme).
			for _, way := range ways {
				if c, ok := w.p.Client(roleKey(way.role)); ok && c.Confidential() {
					if w.authAs == nil {
						w.authAs = map[string]string{}
					}
					w.authAs[roleKey(way.role)] = method
					kept = append(kept, way)
				}
			}
			w.basicUnregistered = strings.Join(why, "; ")
		}
		if kept == nil {
			return ctx, verdict.NotApplicable("the profile has no client registered for %s: %s", method, strings.Join(why, "; "))
		}
		ways = kept
	}
	return w.obtainTokensWith(ctx, ways, false, scope, tail, method)
}

func (w *World) anyGrantTokenStep(ctx context.Context, tail string) (context.Context, error) {
	return w.anyGrantToken(ctx, "", tail)
}

// hasTokens obtains tokens for the client of role, the preferred way first.
func (w *World) hasTokens(ctx context.Context, role, which string) (context.Context, error) {
	scope, err := w.scopeFor(which)
	if err != nil {
		return ctx, err
	}
	withRefresh := which == " and a refresh token"
	return w.obtainTokens(ctx, w.waysFor(role, withRefresh), withRefresh, scope)
}

// anyClientHasTokens obtains tokens through whichever client and grant the target offers.
func (w *World) anyClientHasTokens(ctx context.Context, which string) (context.Context, error) {
	scope, err := w.scopeFor(which)
	if err != nil {
		return ctx, err
	}
	withRefresh := which == " and a refresh token"
	return w.obtainTokens(ctx, w.anyClientWays(withRefresh), withRefresh, scope)
}

// resourceHasTokens obtains a token for the profile's resource through the grant it serves
// (resource.token_grant), or through whichever grant the target offers. It asks for the default
// scope and resource.required_scope (Profile.ResourceScope), or, "without the resource's scope",
// for an allowed scope other than the required one.
func (w *World) resourceHasTokens(ctx context.Context, which string) (context.Context, error) {
	scope, err := w.scopeFor(which)
	if err != nil {
		return ctx, err
	}
	w.side.withoutResourceScope = which != ""
	if which == "" {
		scope = w.p.ResourceScope()
	}
	return w.obtainTokens(ctx, w.resourceWays(), false, scope)
}

// callerHasTokens obtains an access token for the introspection and revocation scenarios:
// through the grant of the profile's token_endpoints_caller, or whichever the target offers.
func (w *World) callerHasTokens(ctx context.Context) (context.Context, error) {
	scope, err := w.scopeFor("")
	if err != nil {
		return ctx, err
	}
	ways := w.anyClientWays(false)
	if role := w.p.TokenEndpointsCaller; role != "" {
		ways = w.waysFor(strings.ReplaceAll(role, "_", " "), false)
	}
	return w.obtainTokens(ctx, ways, false, scope)
}

func (w *World) resourceWays() []tokenWay {
	grant := ""
	if w.p.Resource != nil {
		grant = w.p.Resource.TokenGrant
	}
	switch grant {
	case profile.GrantClientCredentials:
		return []tokenWay{{"client credentials", profile.GrantClientCredentials}}
	case profile.GrantAuthorizationCode:
		return []tokenWay{{"confidential", profile.GrantAuthorizationCode}, {"public", profile.GrantAuthorizationCode}}
	}
	return w.anyClientWays(false)
}

// scopeFor is the scope a "has an access token" step asks for: the profile's default scope
// (Profile.DefaultScope, which is never the resource's required_scope when another is allowed),
// or one without the resource's required scope.
func (w *World) scopeFor(which string) (string, error) {
	if which != " without the resource's scope" {
		return w.expand("{allowed-scope}")
	}
	if w.p.Resource == nil || w.p.Resource.RequiredScope == "" {
		return "", verdict.NotApplicable("the profile's resource names no required_scope")
	}
	for _, s := range w.p.Scopes.Allowed {
		if s != w.p.Resource.RequiredScope {
			return s, nil
		}
	}
	return "", verdict.NotApplicable("the profile has no allowed scope other than the resource's required_scope (scopes.allowed)")
}

// tokenClientIsConfidential is a precondition: the client the tokens were issued to has a secret.
func (w *World) tokenClientIsConfidential() error {
	c, err := w.client(w.tokenOwner)
	if err != nil {
		return err
	}
	if !c.Confidential() {
		return verdict.NotApplicable("the tokens were issued to the %s client, which is public", w.tokenOwner)
	}
	return nil
}

// otherRole picks a confidential client other than the one the tokens were issued to. For a
// refresh (grant refresh_token) it takes a client the profile declares for refresh_token
// (clients.<role>.grants), so that a refused refresh shows the token's binding to its client
// rather than a grant the client lacks; with none declared it takes another confidential client
// and notes that the refusal may then also be unauthorized_client (RFC 6749 5.2: "The
// authenticated client is not authorized to use this authorization grant type"), see
// refusesOtherClientsRefresh. The clients of the authorization code grant come first, as they
// are the likeliest to refresh.
func (w *World) otherRole(grant string) (string, error) {
	owner, _ := w.client(w.tokenOwner)
	roles := []string{"confidential", "second confidential", "trusted", "client credentials", "password", "short-lived"}
	others := []string{}
	for _, r := range roles {
		c, ok := w.p.Client(roleKey(r))
		if ok && c.Confidential() && c.ID != owner.ID {
			others = append(others, r)
		}
	}
	if len(others) == 0 {
		return "", verdict.NotApplicable("the profile has no confidential client besides the %s client that holds the tokens", w.tokenOwner)
	}
	w.otherMayNotRefresh = false
	if grant == profile.GrantRefreshToken {
		for _, r := range others {
			c, _ := w.p.Client(roleKey(r))
			if registered, declared := c.RegisteredFor(grant); declared && registered {
				return r, nil
			}
		}
		w.otherMayNotRefresh = true
	}
	return others[0], nil
}

// refusesOtherClientsRefresh checks the refusal of a refresh by a client the token was not
// issued to: invalid_grant ("was issued to another client", RFC 6749 5.2), or, when the profile
// declares no other client for refresh_token, unauthorized_client too, which is as much a
// refusal and the code RFC 6749 5.2 defines for a client not allowed the grant.
func (w *World) refusesOtherClientsRefresh() error {
	if w.otherMayNotRefresh && w.last != nil && w.last.Error() == "unauthorized_client" {
		return oauthclient.ExpectOAuthError(w.last, "unauthorized_client")
	}
	return oauthclient.ExpectOAuthError(w.last, "invalid_grant")
}

// tokenClientRequest is tokenRequest for the client the tokens were issued to ("the token's
// client") or for another confidential client ("another client").
func (w *World) tokenClientRequest(ctx context.Context, who, kind, tail string) error {
	grant := "" // the grant "another client" must be fit for: only a refresh asks for one
	if kind == "refreshes the access token" {
		grant = profile.GrantRefreshToken
	}
	role, err := w.whoRoleFor(who, grant)
	if err != nil {
		return err
	}
	return w.tokenRequest(ctx, role, kind, tail)
}

func (w *World) whoRole(who string) (string, error) { return w.whoRoleFor(who, "") }

func (w *World) whoRoleFor(who, grant string) (string, error) {
	if w.tokenOwner == "" {
		return "", fmt.Errorf("no token was issued in this scenario")
	}
	if who == "another client" {
		return w.otherRole(grant)
	}
	return w.tokenOwner, nil
}

// notRegisteredFor is the precondition of the unauthorized_client checks: RFC 6749 does not
// require per-client grant limits, so a scenario relying on one is applicable only when the
// profile declares the client's grants (clients.<role>.grants) without this one.
func (w *World) notRegisteredFor(role, grant string) error {
	c, err := w.client(role)
	if err != nil {
		return verdict.NotApplicable("%v", err)
	}
	registered, declared := c.RegisteredFor(grant)
	if !declared {
		return verdict.NotApplicable("the profile does not declare which grants the %s client is registered for (clients.%s.grants)", role, roleKey(role))
	}
	if registered {
		return verdict.NotApplicable("the %s client is registered for the %s grant (clients.%s.grants)", role, grant, roleKey(role))
	}
	return nil
}

// authenticatesWith is a precondition (issue 9: client roles are honoured): the server accepts
// method from the client of role (clients.<role>.auth_method or auth_methods), or the scenario
// is not applicable. The client's requests in this scenario then use method.
func (w *World) authenticatesWith(role, method string) error {
	c, err := w.client(role)
	if err != nil {
		return verdict.NotApplicable("%v", err)
	}
	if !c.Accepts(method) {
		got := c.AuthMethod
		if got == "" && c.Secret != "" {
			got = "client_secret_basic"
		}
		return verdict.NotApplicable("the %s client authenticates with %s (clients.%s.auth_method, auth_methods); the scenario needs a client registered for %s", role, got, roleKey(role), method)
	}
	if w.authAs == nil {
		w.authAs = map[string]string{}
	}
	w.authAs[roleKey(role)] = method
	return nil
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

// refusesWith judges a refusal that names its error code (oauthclient.JudgeRefusal): the
// request refused with nothing issued, at the scenario's level; another code a FAIL only where
// the RFC text excludes it, otherwise a warning. The status is the status scenario's to judge.
func (w *World) refusesWith(ctx context.Context, endpoint, code string) (context.Context, error) {
	return w.judgeRefusal(ctx, w.last, w.expectRefusal(endpointNamed(endpoint), code))
}

// refuses checks an error response of the token endpoint without naming the code, where the RFC
// names none: refused, nothing issued, an error code (RFC 6749 5.2: "error REQUIRED"). The
// status is judged by token_response.feature's status scenario alone (Status400).
func (w *World) refuses(ctx context.Context) (context.Context, error) {
	return w.judgeRefusal(ctx, w.last, w.expectRefusal(oauthclient.TokenEndpoint))
}

// revocationRefuses checks a refused revocation (RFC 7009 2.1: "the request is refused and the
// client is informed of the error"): an HTTP 4xx with an error member. The exact status is
// another rule (RFC 7009 2.2.1 refers to RFC 6749 5.2's 400), not the one these scenarios quote:
// a 403 that refuses still refuses.
func (w *World) revocationRefuses() error {
	r := w.last
	if r == nil {
		return fmt.Errorf("no request was sent")
	}
	if r.Status < 400 || r.Status > 499 {
		if e := r.Error(); e != "" {
			return oauthclient.Failf(r, "expected the revocation to be refused with an error in HTTP 4xx, got error %q answered with HTTP %d", e, r.Status)
		}
		return oauthclient.Failf(r, "expected the revocation to be refused with an error (HTTP 4xx), got HTTP %d without an error", r.Status)
	}
	return oauthclient.ExpectMember(r, "error")
}

// doesNotIssue checks that a request the client should not have sent (RFC 6749 2.3.1, 3.2) got
// no token. Refusing it is the server's only conforming answer short of issuing a token: a 4xx
// of any kind (a GET may well be 405); a 5xx is a server failure, not a refusal.
func (w *World) doesNotIssue() error {
	r := w.last
	if r == nil {
		return fmt.Errorf("no request was sent")
	}
	if r.AccessToken() != "" {
		return oauthclient.Failf(r, "expected no access token, got HTTP %d with one", r.Status)
	}
	if r.Status >= 200 && r.Status < 300 && r.Error() != "" {
		return nil // an error answered with HTTP 200: refused, in the wrong status
	}
	if r.Status < 400 || r.Status > 499 {
		return oauthclient.Failf(r, "expected the request to be refused (HTTP 4xx), got HTTP %d", r.Status)
	}
	return nil
}

// issuesOrRefuses: a token, or a refusal judged as refusesWith judges one.
func (w *World) issuesOrRefuses(ctx context.Context, code string) (context.Context, error) {
	if w.last != nil && w.last.Status == 200 && w.last.Error() == "" {
		return ctx, oauthclient.ExpectTokenResponse(w.last)
	}
	return w.judgeRefusal(ctx, w.last, w.expectRefusal(oauthclient.TokenEndpoint, code))
}

// refusesScopeOrIgnores checks a request for a scope the client may not have. RFC 6749 5.2 names
// invalid_scope for it, and 3.3 lets the server "fully or partially ignore the scope requested
// by the client" when it names the scope it grants: either answer passes; a token whose scope
// includes the scope asked for (or names none, which grants the request) fails.
func (w *World) refusesScopeOrIgnores(ctx context.Context, scope string) (context.Context, error) {
	bad, err := w.expand(scope)
	if err != nil {
		return ctx, err
	}
	r := w.last
	if r == nil || r.Status != 200 || r.Error() != "" {
		return w.judgeRefusal(ctx, r, w.expectRefusal(oauthclient.TokenEndpoint, "invalid_scope"))
	}
	if err := oauthclient.ExpectTokenResponse(r); err != nil {
		return ctx, err
	}
	if !r.Has("scope") {
		return ctx, oauthclient.Failf(r, "expected invalid_scope, or a token naming the narrower scope granted (RFC 6749 3.3); got a token without scope, which grants the requested %q", w.lastScopeAsked)
	}
	if err := unknownScopeKnown(scope, bad, r.String("scope")); err != nil {
		return ctx, err
	}
	granted := strings.Fields(r.String("scope"))
	for _, s := range strings.Fields(bad) {
		if slices.Contains(granted, s) {
			return ctx, oauthclient.Failf(r, "expected invalid_scope, or a token without %q; got a token with scope %q", s, r.String("scope"))
		}
	}
	return ctx, nil
}

// refreshScopeWithinOriginal checks a refresh that asked for more than the original grant
// (RFC 6749 6: "The requested scope MUST NOT include any scope not originally granted by the
// resource owner"): invalid_scope, or (RFC 6749 3.3) a token naming a scope within the original.
func (w *World) refreshScopeWithinOriginal(ctx context.Context) (context.Context, error) {
	r := w.last
	if r == nil || r.Status != 200 || r.Error() != "" {
		return w.judgeRefusal(ctx, r, w.expectRefusal(oauthclient.TokenEndpoint, "invalid_scope"))
	}
	if err := oauthclient.ExpectTokenResponse(r); err != nil {
		return ctx, err
	}
	if !r.Has("scope") {
		return ctx, oauthclient.Failf(r, "expected invalid_scope, or a token naming a scope within the original %q (RFC 6749 3.3); got a token without scope, which grants the requested %q", w.originalScope, w.lastScopeAsked)
	}
	return ctx, w.withinOriginal(r.String("scope"))
}

func (w *World) withinOriginal(granted string) error {
	orig := strings.Fields(w.originalScope)
	for _, s := range strings.Fields(granted) {
		if !slices.Contains(orig, s) {
			return oauthclient.Failf(w.last, "expected a scope within the original grant %q, got %q (with %q)", w.originalScope, granted, s)
		}
	}
	return nil
}

// grantedWithinOriginal checks a successful refresh grants no more than the original scope: the
// scope named in the response, or the requested one when none is named (RFC 6749 5.1, 6).
func (w *World) grantedWithinOriginal() error {
	r := w.last
	if err := oauthclient.ExpectTokenResponse(r); err != nil {
		return err
	}
	if w.originalScope == "" {
		return fmt.Errorf("the original grant's scope is unknown")
	}
	granted := w.lastScopeAsked
	if r.Has("scope") {
		granted = r.String("scope")
	}
	if granted == "" {
		return nil // nothing asked, nothing named: the original scope (RFC 6749 6)
	}
	return w.withinOriginal(granted)
}

// grantedAsAskedOrNamed checks RFC 6749 3.3 and 5.1: the response either names the scope
// granted, or grants the requested one. When it names none and the target's introspection
// endpoint reports a scope, that scope must be the requested one.
func (w *World) grantedAsAskedOrNamed(ctx context.Context) error {
	r := w.last
	if err := oauthclient.ExpectTokenResponse(r); err != nil {
		return err
	}
	if r.Has("scope") {
		return nil // a different scope is allowed when it is named (RFC 6749 3.3)
	}
	if ok, _ := w.p.Supports("introspection"); !ok {
		return nil
	}
	resp, _, err := w.introspect(ctx, r.AccessToken(), "access_token")
	if err != nil || resp.Status != 200 {
		return nil // nothing more to learn
	}
	if active, _ := resp.Bool("active"); active && resp.Has("scope") && !sameScopes(resp.String("scope"), w.lastScopeAsked) {
		return oauthclient.Failf(resp, "the token response named no scope, so it grants the requested %q (RFC 6749 5.1), but the introspection endpoint reports scope %q", w.lastScopeAsked, resp.String("scope"))
	}
	return nil
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
	sc.Step(`^a (?:confidential )?client has an access token( and a refresh token| without the resource's scope)?$`, w.anyClientHasTokens)
	sc.Step(`^a client has an access token for the resource( without the resource's scope)?$`, w.resourceHasTokens)
	sc.Step(`^a client obtains an access token through any grant the target offers`+modsRe+`$`, w.anyGrantTokenStep)
	sc.Step(`^a confidential client sends a token request`+modsRe+`$`, w.anyConfidentialRequest)
	sc.Step(`^a confidential client's token request with grant_type "([^"]*)" was answered with an error$`, w.hasErrorResponse)
	sc.Step(`^a client authenticating with (client_secret_basic|client_secret_post) obtains an access token through any grant the target offers$`, func(ctx context.Context, method string) (context.Context, error) {
		return w.anyGrantToken(ctx, method, "")
	})
	sc.Step(`^a client that may introspect and revoke has an access token$`, w.callerHasTokens)
	sc.Step(`^(the token's client|another client) (requests a token with its client credentials|refreshes the access token)`+modsRe+`$`, w.tokenClientRequest)
	sc.Step(`^the tokens were issued to a confidential client$`, w.tokenClientIsConfidential)
	sc.Step(`^the `+roleRe+` client authenticates with (client_secret_basic|client_secret_post)$`, w.authenticatesWith)
	sc.Step(`^the `+roleRe+` client is not registered for the ([a-z_]+) grant$`, w.notRegisteredFor)
	sc.Step(`^the token endpoint refuses the request with error "invalid_scope" or grants a scope without "([^"]*)"$`, w.refusesScopeOrIgnores)
	sc.Step(`^the token endpoint refuses the request with error "invalid_scope" or grants a scope within the original$`, w.refreshScopeWithinOriginal)
	sc.Step(`^the granted scope is within the original scope$`, w.grantedWithinOriginal)
	sc.Step(`^the granted scope is the requested one or named in the response$`, w.grantedAsAskedOrNamed)
	sc.Step(`^the token endpoint issues an access token( and a refresh token)?$`, w.issuesToken)
	sc.Step(`^the (token|revocation|introspection) endpoint refuses the request with error "([a-z_]+)"$`, w.refusesWith)
	sc.Step(`^the token endpoint refuses the request$`, w.refuses)
	sc.Step(`^the token endpoint refuses the request with error "invalid_grant", or "unauthorized_client" from a client not registered for refresh_token$`, w.refusesOtherClientsRefresh)
	sc.Step(`^the revocation endpoint refuses the request$`, w.revocationRefuses)
	sc.Step(`^the token endpoint does not issue an access token$`, w.doesNotIssue)
	sc.Step(`^the token endpoint issues an access token or refuses with error "([a-z_]+)"$`, w.issuesOrRefuses)
	sc.Step(`^the granted scope is "([^"]*)"$`, w.grantedScope)
	sc.Step(`^the granted scope is the original scope$`, w.grantedOriginalScope)
	sc.Step(`^the new refresh token differs from the previous one$`, w.newRefreshDiffers)
	sc.Step(`^the (authorization code|access token|refresh token) uses only the characters RFC 6749 allows$`, w.tokenChars)
	sc.Step(`^the error_description and error_uri use only the characters RFC 6749 allows$`, w.tokenErrorChars)
	sc.Step(`^the authorization error_description and error_uri use only the characters RFC 6749 allows$`, w.authErrorChars)
}
