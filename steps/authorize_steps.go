package steps

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/callback"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// authResponse is where an authorization request ended: a redirect to the client (seen over
// HTTP or in the browser) or a page of the server.
type authResponse struct {
	via string // "http" or "browser"
	// reached: the user agent was sent to the requested redirect URI.
	reached bool
	// params are the response parameters where the response type puts them: the query for
	// "code", the fragment for "token" (RFC 6749 4.1.2, 4.2.2).
	params, query, fragment url.Values
	http                    *oauthclient.Response
	outcome                 *browser.Outcome
	hits                    []*url.URL
}

func (a *authResponse) describe() string {
	if a == nil {
		return "(no authorization response: no request was sent)"
	}
	if a.via == "http" && a.http != nil {
		return a.http.Exchange.String()
	}
	if o := a.outcome; o != nil {
		final := ""
		if o.FinalURL != nil {
			final = redactedURL(o.FinalURL.String())
		}
		// The page may echo the response (the suite's callback page shows its query).
		text := oauthclient.RedactText(o.PageText)
		if len(text) > 300 {
			text = text[:300] + "..."
		}
		return fmt.Sprintf("browser ended at %s (HTTP %d, reached redirect URI: %v, login shown: %v, approval shown: %v)\npage text: %q",
			final, o.Status, o.ReachedCallback, o.LoginShown, o.ApprovalShown, text)
	}
	return "(no authorization response)"
}

func redactedURL(s string) string {
	ex := &oauthclient.Exchange{Method: "GET", URL: s}
	line, _, _ := strings.Cut(ex.String(), "\n")
	return strings.TrimPrefix(line, "> GET ")
}

func (w *World) authFail(format string, args ...any) error {
	return fmt.Errorf("%s\n--- authorization response ---\n%s", fmt.Sprintf(format, args...), w.authResp.describe())
}

// startAuthorization builds a conforming authorization request for the client of role: its
// response type, its redirect URI on the listener's port, a scope it may have, a fresh state
// and, for the code flow, an S256 PKCE challenge (RFC 9700 2.1.1).
func (w *World) startAuthorization(role string) error {
	c, err := w.client(role)
	if err != nil {
		return err
	}
	w.authRole = role
	redirect, err := w.redirectURIFor(role)
	if err != nil {
		return err
	}
	if w.p.Endpoints.Authorization == "" {
		return fmt.Errorf("the target's authorization endpoint is unknown (endpoints.authorization or the metadata)")
	}
	w.state = oauthclient.RandomString(24)
	w.verifier, err = oauthclient.NewVerifier(64)
	if err != nil {
		return err
	}
	scope, err := w.expand("{allowed-scope}")
	if err != nil {
		return err
	}
	a := oauthclient.NewAuthorizeURL(w.p.Endpoints.Authorization)
	implicit := roleKey(role) == "implicit"
	if implicit {
		a.Set("response_type", "token")
	} else {
		a.Set("response_type", "code")
		if w.p.Scopes.Refresh != "" {
			scope += " " + w.p.Scopes.Refresh
		}
	}
	a.Set("client_id", c.ID).Set("redirect_uri", redirect).Set("scope", scope).Set("state", w.state)
	if ok, _ := w.p.Supports("pkce"); ok && !implicit {
		a.Set("code_challenge", oauthclient.S256(w.verifier)).Set("code_challenge_method", "S256")
	}
	// The parameters the target needs for this flow or client (profile authorization_params),
	// on every request the steps build, in the browser and over HTTP alike.
	for k, vs := range w.p.ExtraAuthorizationParams(roleKey(role), a.Get("response_type")) {
		for _, v := range vs {
			a.Set(k, v)
		}
	}
	w.authReq = a
	w.authResp = nil
	return nil
}

func (w *World) requireAuthReq() error {
	if w.authReq == nil {
		return fmt.Errorf("no authorization request: start one with \"the ... client starts an authorization request\"")
	}
	return nil
}

func (w *World) setAuthParam(name, value string) error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	v, err := w.expand(value)
	if err != nil {
		return asNotApplicable(err)
	}
	w.authReq.Set(name, v)
	return nil
}

func (w *World) deleteAuthParam(name string) error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	if !w.authReq.Has(name) {
		return fmt.Errorf("the authorization request has no %s to remove", name)
	}
	w.authReq.Del(name)
	if name == "code_challenge" {
		w.authReq.Del("code_challenge_method")
	}
	return nil
}

func (w *World) repeatAuthParam(name string) error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	if !w.authReq.Has(name) {
		return fmt.Errorf("the authorization request has no %s to repeat", name)
	}
	// The same value twice: RFC 6749 3.1 forbids any repetition, not only conflicting ones.
	w.authReq.Add(name, w.authReq.Get(name))
	return nil
}

func (w *World) portChosenAtRequestTime() error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	c, _ := w.client(w.authRole)
	sent, _ := url.Parse(w.authReq.Get("redirect_uri"))
	reg, err := url.Parse(c.RedirectURI)
	if err != nil || sent == nil {
		return fmt.Errorf("cannot compare the redirect URI sent with the registered %q", c.RedirectURI)
	}
	if sent.Port() == "" || sent.Port() == reg.Port() {
		return fmt.Errorf("the redirect URI sent (%s) does not use a port other than the registered one (%s)", sent, c.RedirectURI)
	}
	return nil
}

// responseInFragment reports whether the request's response type returns its parameters in
// the fragment (RFC 6749 4.2.2: every response type that issues a token at the authorization
// endpoint).
func (w *World) responseInFragment() bool {
	for _, t := range strings.Fields(w.authReq.Get("response_type")) {
		if t == "token" {
			return true
		}
	}
	return false
}

// requestedRedirect is the redirect URI the request names, or the client's registered one.
func (w *World) requestedRedirect() string {
	if w.authReq.Has("redirect_uri") {
		return w.authReq.Get("redirect_uri")
	}
	r, _ := w.redirectURIFor(w.authRole)
	return r
}

// reachesURI reports whether a request to u is a request to the redirect URI requested:
// the raw path and query, compared as callback.Reaches says (a redirect to the registered URI
// is not one to a variant of it).
func reachesURI(u, requested *url.URL) bool { return callback.Reaches(u, requested) }

// reachedRequested is the first request that reached the requested redirect URI: a hit on the
// suite's callback listener, or a navigation of the browser, or a redirect (its Location, as the
// server wrote it: the browser decodes "%63" to "c" before it requests the URL).
func (w *World) reachedRequested(navs []string, hits []*url.URL) *url.URL {
	requested, err := url.Parse(w.requestedRedirect())
	if err != nil {
		return nil
	}
	for _, h := range hits {
		if reachesURI(h, requested) {
			return h
		}
	}
	for _, n := range navs {
		if u, err := url.Parse(n); err == nil && reachesURI(u, requested) {
			return u
		}
	}
	return nil
}

func (w *World) fill(a *authResponse, final *url.URL) {
	a.query = final.Query()
	a.fragment, _ = url.ParseQuery(final.EscapedFragment())
	if w.responseInFragment() {
		a.params = a.fragment
	} else {
		a.params = a.query
	}
}

// sendAuthorization sends the request as a user agent would, without a browser first: a server
// that validates the request before asking the resource owner answers an error by redirect at
// once. When it shows a page instead, or sends the user agent anywhere but the redirect URI (its
// login page, on its own origin or another), the browser takes over as the resource owner.
func (w *World) sendAuthorization(ctx context.Context) (context.Context, error) {
	if err := w.requireAuthReq(); err != nil {
		return ctx, err
	}
	authURL := w.authReq.String()
	resp, err := w.http.Get(ctx, authURL)
	if err != nil {
		return ctx, err
	}
	w.last = resp
	a := &authResponse{via: "http", http: resp, params: url.Values{}, query: url.Values{}, fragment: url.Values{}}
	w.authResp = a
	w.redirect.httpLocation = ""
	redirect, _ := url.Parse(w.requestedRedirect())
	base, _ := url.Parse(authURL)
	if resp.IsRedirect() {
		loc, err := base.Parse(resp.Location())
		if err != nil {
			// A Location that Go's parser refuses may still be one a browser follows
			// ("http://attacker.example\@host/cb"): read it as the browser would.
			loc, err = callback.ParseLikeBrowser(resp.Location())
		}
		if err != nil {
			return ctx, oauthclient.Failf(resp, "the Location header %q is not a URL", resp.Location())
		}
		w.redirect.httpLocation = loc.String()
		if reachesURI(loc, redirect) {
			a.reached = true
			w.fill(a, loc)
			return ctx, nil
		}
	} else if resp.Status != 200 {
		return ctx, nil // an error page: the scenario judges it
	}
	return w.authorizeInBrowser(ctx, "approve")
}

// authorizeInBrowser performs the request in the browser as the resource owner.
func (w *World) authorizeInBrowser(ctx context.Context, decision string) (context.Context, error) {
	if err := w.requireAuthReq(); err != nil {
		return ctx, err
	}
	s, err := w.ensureSession()
	if err != nil {
		return ctx, err
	}
	out, err := s.Authorize(w.authReq.String(), browser.Flow{
		Profile: w.p, User: w.p.ValidUser(), Decision: decision,
		CallbackPrefix: w.browserCallback(), Timeout: w.browserTimeout(),
	})
	if out != nil {
		ctx = w.attachScreenshots(ctx, "authorization", out.Screenshots)
	}
	if err != nil {
		return ctx, err
	}
	a := &authResponse{via: "browser", outcome: out, reached: out.ReachedCallback, hits: w.listener.Hits()}
	a.params, a.query, a.fragment = url.Values{}, url.Values{}, url.Values{}
	if out.ReachedCallback && out.FinalURL != nil {
		w.fill(a, out.FinalURL)
	} else if u := w.reachedRequested(append(out.Navigations, out.Redirects...), a.hits); u != nil {
		// The browser resolved the URI before requesting it ("/cb/../evil" is "/evil").
		a.reached = true
		w.fill(a, u)
	}
	w.authResp = a
	if decision == "deny" && !out.ApprovalShown && !(a.reached && a.params.Get("error") != "") {
		return ctx, verdict.Inconclusive("the server showed no approval page, so the resource owner could not deny the request (%s)", verdict.FirstLine(a.describe()))
	}
	return ctx, nil
}

func (w *World) resourceOwnerDecides(ctx context.Context, decision string) (context.Context, error) {
	d := "approve"
	if decision == "denies" {
		d = "deny"
		if len(w.p.Browser.Deny) == 0 {
			return ctx, verdict.NotApplicable("the profile names no deny action (browser.deny): the server shows no approval page to deny on")
		}
	}
	return w.authorizeInBrowser(ctx, d)
}

func (w *World) openInBrowser(ctx context.Context) (context.Context, error) {
	return w.authorizeInBrowser(ctx, "approve")
}

// hasAuthorizationCode is the usual way to a code: a conforming request, approved.
func (w *World) hasAuthorizationCode(ctx context.Context, role string) (context.Context, error) {
	if err := w.startAuthorization(role); err != nil {
		return ctx, err
	}
	ctx, err := w.authorizeInBrowser(ctx, "approve")
	if err != nil {
		return ctx, err
	}
	return ctx, w.receivesCode()
}

func (w *World) requireAuthResp() error {
	if w.authResp == nil {
		return fmt.Errorf("no authorization response: an earlier step must send the authorization request")
	}
	return nil
}

// unrecognisedPage ends the scenario inconclusive when the browser stopped on a page answered
// with a success status that is neither the login nor the approval page the profile describes
// (verdict: "a page it could not recognise"): it may be the server's error page, or a page the
// profile's selectors miss (a second consent step, a changed element id), and a FAIL would then
// be the profile's doing. A page answered with an error status is the server's refusal.
func (w *World) unrecognisedPage(expected string) error {
	o := w.authResp.outcome
	if w.authResp.via != "browser" || o == nil || !o.OtherPage || o.Status < 200 || o.Status > 299 {
		return nil
	}
	text := oauthclient.RedactText(o.PageText)
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	final := ""
	if o.FinalURL != nil {
		final = redactedURL(o.FinalURL.String())
	}
	return verdict.Inconclusive("expected %s, but the browser stopped on a page (HTTP %d, %s) that matches none of the profile's browser.login, browser.approve and browser.deny selectors: the server's error page, or a page the profile does not describe (page text %q)", expected, o.Status, final, text)
}

// receivesCode checks the redirect carries a code and no error (RFC 6749 4.1.2), and keeps
// what redeeming it needs.
func (w *World) receivesCode() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached {
		if err := w.unrecognisedPage("a redirect to the client with a code"); err != nil {
			return err
		}
		return w.authFail("expected a redirect to the client with a code, but the user agent did not reach %s", redactedURL(w.requestedRedirect()))
	}
	if e := a.params.Get("error"); e != "" {
		return w.authFail("expected a code, got error %q (%s)", e, a.params.Get("error_description"))
	}
	code := a.params.Get("code")
	if code == "" {
		return w.authFail("expected a code in the redirect's query, got none")
	}
	w.code, w.codeRole = code, w.authRole
	w.codeHasRedirect = w.authReq.Has("redirect_uri")
	w.codeRedirectURI = w.authReq.Get("redirect_uri")
	w.codeVerifier = ""
	if w.authReq.Has("code_challenge") {
		w.codeVerifier = w.verifier
	}
	return nil
}

// receivesTokenInFragment checks an implicit response (RFC 6749 4.2.2).
func (w *World) receivesTokenInFragment() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached {
		if err := w.unrecognisedPage("a redirect to the client with an access token"); err != nil {
			return err
		}
		return w.authFail("expected a redirect to the client with an access token, but the user agent did not reach %s", redactedURL(w.requestedRedirect()))
	}
	if e := a.fragment.Get("error"); e != "" {
		return w.authFail("expected an access token, got error %q in the fragment", e)
	}
	tok := a.fragment.Get("access_token")
	if tok == "" {
		return w.authFail("expected access_token in the fragment, got none")
	}
	if a.fragment.Get("token_type") == "" {
		return w.authFail("expected token_type in the fragment (RFC 6749 4.2.2: REQUIRED), got none")
	}
	w.accessTokens = append(w.accessTokens, tok)
	w.tokenOwner = w.authRole
	return nil
}

// carriesError checks an error redirect (RFC 6749 4.1.2.1, 4.2.2.1) in two parts
// (oauthclient.JudgeCode). The protection: the request reached the client refused, with no code
// or token. The wording: the error code the RFC names (alt: a second code the RFC also allows,
// e.g. invalid_request where 3.1.1 lets a server answer a response type it does not understand),
// another code a FAIL only where the RFC text excludes it, otherwise a warning; an error in the
// other component than the flow's (query for the code flow, fragment for the implicit flow:
// "adding the following parameters to the fragment component", no keyword) is a warning too.
// An empty code accepts any error code (RFC 6749 3.1.1 demands "an error response", not a
// particular one).
func (w *World) carriesError(ctx context.Context, code, alt string) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	a := w.authResp
	e := w.expectRefusal(oauthclient.AuthorizationEndpoint, code, alt)
	want := "an error"
	if code != "" {
		want = fmt.Sprintf("error %q", code)
		if alt != "" {
			want += fmt.Sprintf(" or %q", alt)
		}
	}
	where, other := "query", a.fragment
	if w.responseInFragment() {
		where, other = "fragment", a.query
	}
	if !a.reached {
		return ctx, w.authFail("expected %s delivered to the client's redirect URI, but the user agent did not reach it", want)
	}
	for _, leak := range []string{"code", "access_token"} {
		if a.query.Get(leak) != "" || a.fragment.Get(leak) != "" {
			return ctx, w.authFail("expected the request to be refused with %s, got %s at the client's redirect URI: the server issued it", want, leak)
		}
	}
	got := a.params.Get("error")
	if got == "" {
		got = other.Get("error")
		if got == "" {
			return ctx, w.authFail("expected %s in the %s, got no error", want, where)
		}
		otherWhere := map[string]string{"query": "fragment", "fragment": "query"}[where]
		ctx = warnAttach(ctx, fmt.Sprintf("the error %q came in the %s of the redirect, not in the %s where RFC 6749 %s puts it for this response type", got, otherWhere, where, map[string]string{"query": "4.1.2.1", "fragment": "4.2.2.1"}[where]))
	}
	fail, warning := oauthclient.JudgeCode(got, e)
	if fail != "" {
		return ctx, w.authFail("%s", fail)
	}
	if warning != "" {
		ctx = warnAttach(ctx, warning)
	}
	return ctx, nil
}

// errorReachedClient ends the scenario as blocked when no error response reached the client:
// the rule it checks (state, iss, the characters of error_description) is about that response.
func (w *World) errorReachedClient(anyResponse string) error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached {
		return verdict.Blocked("RFC6749-4.1.2.1", "no authorization response reached the client: %s", verdict.FirstLine(a.describe()))
	}
	if anyResponse == "" && a.params.Get("error") == "" {
		return verdict.Blocked("RFC6749-4.1.2.1", "the authorization response that reached the client is not an error response")
	}
	return nil
}

// stateEchoedOrRefused: RFC 6749 A.5 limits state to VSCHAR (%x20-7E), so a server may refuse
// a state outside it; when it answers with a code or token, the state is the exact value sent.
func (w *World) stateEchoedOrRefused(want string) error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached || a.params.Get("error") != "" {
		return nil // refused: allowed for a state outside VSCHAR
	}
	if got := a.params.Get("state"); !a.params.Has("state") || got != want {
		return w.authFail("expected the state %q exactly (RFC 6749 4.1.2: \"The exact value received from the client\"), got %q", want, got)
	}
	return nil
}

func (w *World) authHas(no, name string) error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	v := w.authResp.params.Get(name)
	if no == "" && v == "" {
		return w.authFail("expected %s in the authorization response, got none", name)
	}
	if no != "" && w.authResp.params.Has(name) {
		return w.authFail("expected no %s in the authorization response, got one", name)
	}
	return nil
}

func (w *World) authParamIs(name, want string) error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	v, err := w.expand(want)
	if err != nil {
		return err
	}
	if !w.authResp.params.Has(name) {
		return w.authFail("expected %s %q in the authorization response, got none", name, v)
	}
	if got := w.authResp.params.Get(name); got != v {
		return w.authFail("expected %s %q, got %q", name, v, got)
	}
	return nil
}

func (w *World) queryCarriesNoToken() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	for _, name := range []string{"access_token", "token_type"} {
		if w.authResp.query.Has(name) {
			return w.authFail("expected the token only in the fragment, got %s in the query (RFC 6749 4.2.2)", name)
		}
	}
	return nil
}

// doesNotRedirect checks RFC 6749 3.1.2.4 / 4.1.2.1: with an invalid redirect URI or client the
// server "MUST NOT automatically redirect the user-agent to the invalid redirection URI". Only a
// request that reached that URI fails: a Location naming it, a hit on the suite's callback
// listener, or the browser navigating to it. A redirect to a login or error page, on the
// server's origin or another, is no redirect to the invalid URI.
func (w *World) doesNotRedirect() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	if w.authResp.reached {
		requested, _ := url.Parse(w.requestedRedirect())
		registered, _ := w.redirectURIFor(w.authRole)
		reg, _ := url.Parse(registered)
		if w.p.Capabilities.RegistersOrigins() && requested != nil && reg != nil && callback.SameOrigin(requested, reg) {
			// The server does what its profile says: it registers origins. RFC 6749 3.1.2.2
			// allows that ("SHOULD require ... the complete redirection URI"), so the URI is not
			// invalid under RFC 6749; RFC 9700 2.1 forbids it.
			return w.authFail("expected the user agent not to be sent to %s, a variant of the registered redirect URI on the same origin, but it was sent there. The profile says this server registers origins (capabilities.redirect_uri_registration: origin), which RFC 6749 3.1.2.2 permits; RFC 9700 2.1 does not: \"When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching\"",
				redactedURL(w.requestedRedirect()))
		}
		return w.authFail("expected the user agent not to be sent to the invalid redirect URI, but it was sent to %s", redactedURL(w.requestedRedirect()))
	}
	return nil
}

// noCodeAtRedirect accepts an error redirect to the requested URI (a valid client and redirect
// URI get their errors by redirect), but no code or token.
func (w *World) noCodeAtRedirect() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached {
		return nil
	}
	for _, leak := range []string{"code", "access_token"} {
		if a.params.Get(leak) != "" || a.query.Get(leak) != "" || a.fragment.Get(leak) != "" {
			return w.authFail("expected the request to be refused, but the client received %s", leak)
		}
	}
	return nil
}

func (w *World) pageShown(page, not string) error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	o := w.authResp.outcome
	if o == nil {
		return fmt.Errorf("the authorization was not performed in the browser")
	}
	shown := o.LoginShown
	if page == "approval" {
		shown = o.ApprovalShown
	}
	if not == "" && !shown {
		if err := w.unrecognisedPage("the " + page + " page"); err != nil {
			return err
		}
		return w.authFail("expected the %s page to be shown, it was not", page)
	}
	if not != "" && shown {
		return w.authFail("expected no %s page, but it was shown", page)
	}
	return nil
}

// forbidsFraming checks the evidence RFC 9700 4.16 names for preventing clickjacking: the
// X-Frame-Options header (DENY or SAMEORIGIN) or a Content-Security-Policy frame-ancestors
// directive that lets no arbitrary site frame the page (no "*", no bare scheme such as "https:").
func forbidsFraming(get func(string) string) error {
	xfo := strings.ToUpper(strings.TrimSpace(get("X-Frame-Options")))
	if xfo == "DENY" || xfo == "SAMEORIGIN" {
		return nil
	}
	if cspFrameAncestors(get("Content-Security-Policy")) == nil {
		return nil
	}
	return fmt.Errorf("expected X-Frame-Options DENY or SAMEORIGIN, or a Content-Security-Policy frame-ancestors directive that no arbitrary site matches, got X-Frame-Options %q and Content-Security-Policy %q",
		get("X-Frame-Options"), get("Content-Security-Policy"))
}

// cspFrameAncestors checks a Content-Security-Policy for a frame-ancestors directive that keeps
// arbitrary sites out.
func cspFrameAncestors(csp string) error {
	for _, policy := range strings.Split(csp, ",") { // several headers are joined with commas
		for _, d := range strings.Split(policy, ";") {
			fields := strings.Fields(d)
			if len(fields) == 0 || !strings.EqualFold(fields[0], "frame-ancestors") {
				continue
			}
			// An empty source list means 'none'. A wildcard or a bare scheme ("https:") lets
			// any site of that scheme frame the page.
			open := false
			for _, src := range fields[1:] {
				if strings.HasPrefix(src, "*") || strings.HasSuffix(src, ":") {
					open = true
				}
			}
			if !open {
				return nil
			}
		}
	}
	return fmt.Errorf("expected a Content-Security-Policy frame-ancestors directive that no arbitrary site matches, got %q", csp)
}

// serverPages are the pages of the authorization server the browser loaded (login, approval,
// error pages) on any of its origins (the issuer's, its endpoints', the profile's origins),
// not the client's callback.
func (w *World) serverPages() ([]pageResponse, error) {
	if w.pages == nil {
		return nil, verdict.Inconclusive("the browser was not used in this scenario")
	}
	_, responses := w.pages.snapshot()
	var out []pageResponse
	for _, r := range responses {
		u, err := url.Parse(r.url)
		if err == nil && w.p.IsServerOrigin(u) && r.status == 200 {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, verdict.Inconclusive("the browser loaded no page of the authorization server (200 on its origins: add a login page's origin to the profile's origins)")
	}
	return out, nil
}

// everyServerPage applies check to the headers of every server page the browser loaded.
func (w *World) everyServerPage(check func(get func(string) string) error) error {
	pages, err := w.serverPages()
	if err != nil {
		return err
	}
	for _, p := range pages {
		h, err := p.resp.AllHeaders()
		if err != nil {
			return verdict.SuiteTrouble(fmt.Errorf("reading the headers of %s: %w", redactedURL(p.url), err))
		}
		get := func(name string) string { return h[strings.ToLower(name)] }
		if err := check(get); err != nil {
			return fmt.Errorf("%s: %w", redactedURL(p.url), err)
		}
	}
	return nil
}

func (w *World) everyPageHasCSPFrameAncestors() error {
	return w.everyServerPage(func(get func(string) string) error {
		return cspFrameAncestors(get("Content-Security-Policy"))
	})
}

// nothingThirdParty checks RFC 9700 4.2.4: the pages of the authorization endpoint load nothing
// from third parties. The server's own origins and the client's are not third parties.
func (w *World) nothingThirdParty() error {
	if w.pages == nil {
		return verdict.Inconclusive("the browser was not used in this scenario")
	}
	cb, _ := url.Parse(w.requestedRedirect())
	requests, _ := w.pages.snapshot()
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" {
			continue
		}
		if !w.p.IsServerOrigin(u) && !(cb != nil && strings.EqualFold(u.Host, cb.Host)) {
			return fmt.Errorf("expected only requests to the authorization server and the client, got a request to %s (RFC 9700 4.2: third-party resources leak the Referer; an origin of the server itself belongs in the profile's origins)", redactedURL(r))
		}
	}
	return nil
}

// browserNo307 checks RFC 9700 4.12: a redirect answering a request that carries the user's
// credentials (the login form's POST) must not be a 307. Other redirects are not judged.
func (w *World) browserNo307() error {
	if w.pages == nil {
		return verdict.Inconclusive("the browser was not used in this scenario")
	}
	password := w.p.ValidUser().Password
	_, responses := w.pages.snapshot()
	judged := 0
	for _, r := range responses {
		if r.method != "POST" || r.status < 300 || r.status > 399 || !carriesSecret(r, password) {
			continue
		}
		judged++
		if r.status == 307 {
			return fmt.Errorf("expected no HTTP 307 answering the login form's POST (it carries the password), got 307 from POST %s (RFC 9700 4.12: use 303)", redactedURL(r.url))
		}
	}
	if judged == 0 {
		return verdict.NotApplicable("no request carrying the user's credentials was answered by an HTTP redirect (the rule is about such redirects)")
	}
	return nil
}

// carriesSecret reports whether the navigation request's form body holds the secret.
func carriesSecret(r pageResponse, secret string) bool {
	resp, ok := r.resp.(playwright.Response)
	if !ok || secret == "" {
		return false
	}
	body, err := resp.Request().PostData()
	if err != nil {
		return false
	}
	if strings.Contains(body, secret) {
		return true
	}
	if v, err := url.ParseQuery(body); err == nil {
		for _, vs := range v {
			if slices.Contains(vs, secret) {
				return true
			}
		}
	}
	return false
}

// loadInBrowser loads the authorization request in the browser and stops at the first page the
// server shows the resource owner (its login page), without logging in: the login page is only
// ever reached through the authorization request, never by its own URL (a one-time interaction
// id in it would make a direct request fail).
func (w *World) loadInBrowser(ctx context.Context) (context.Context, error) {
	if err := w.requireAuthReq(); err != nil {
		return ctx, err
	}
	s, err := w.ensureSession()
	if err != nil {
		return ctx, verdict.SuiteTrouble(err)
	}
	out, err := s.Authorize(w.authReq.String(), browser.Flow{Profile: w.p, User: profile.User{}, Decision: "",
		CallbackPrefix: w.requestedRedirect(), Timeout: w.browserTimeout()})
	if out != nil {
		ctx = w.attachScreenshots(ctx, "authorization", out.Screenshots)
	}
	if err != nil {
		return ctx, err
	}
	w.authResp = &authResponse{via: "browser", outcome: out, reached: out.ReachedCallback, hits: w.listener.Hits(),
		params: url.Values{}, query: url.Values{}, fragment: url.Values{}}
	return ctx, nil
}

// registerAuthorize adds the authorization endpoint steps.
func (w *World) registerAuthorize(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client starts (?:an|another) authorization request$`, w.startAuthorization)
	sc.Step(`^the `+roleRe+` client is declared not registered for the (authorization_code|implicit) grant$`, w.notRegisteredFor)
	sc.Step(`^the authorization request has ([A-Za-z0-9_]+) "([^"]*)"$`, w.setAuthParam)
	sc.Step(`^the authorization request has no ([A-Za-z0-9_]+)$`, w.deleteAuthParam)
	sc.Step(`^the authorization request repeats ([A-Za-z0-9_]+)$`, w.repeatAuthParam)
	sc.Step(`^the redirect URI uses a port chosen at request time$`, w.portChosenAtRequestTime)
	sc.Step(`^the user agent sends the authorization request$`, w.sendAuthorization)
	sc.Step(`^the user agent loads the authorization request in the browser$`, w.loadInBrowser)
	sc.Step(`^the resource owner (approves|denies) the authorization request$`, w.resourceOwnerDecides)
	sc.Step(`^the resource owner opens the authorization request in the browser$`, w.openInBrowser)
	sc.Step(`^the `+roleRe+` client has an authorization code$`, w.hasAuthorizationCode)
	sc.Step(`^the client receives an authorization code$`, w.receivesCode)
	sc.Step(`^the client receives an access token in the fragment$`, w.receivesTokenInFragment)
	sc.Step(`^the authorization response carries error "([a-z_]+)"(?: or "([a-z_]+)")?$`, w.carriesError)
	sc.Step(`^the authorization response carries an error$`, func(ctx context.Context) (context.Context, error) { return w.carriesError(ctx, "", "") })
	sc.Step(`^an authorization error response reached the client$`, func() error { return w.errorReachedClient("") })
	sc.Step(`^an authorization response reached the client$`, func() error { return w.errorReachedClient("any") })
	sc.Step(`^the authorization response has (no )?"([a-z_]+)"$`, w.authHas)
	sc.Step(`^the authorization response's "([a-z_]+)" is "([^"]*)"$`, w.authParamIs)
	sc.Step(`^the authorization response's state is "([^"]*)" unless the server refused the request$`, w.stateEchoedOrRefused)
	sc.Step(`^the query of the redirect carries no access_token$`, w.queryCarriesNoToken)
	sc.Step(`^the user agent is not sent to the (?:requested redirect URI|client)$`, w.doesNotRedirect)
	sc.Step(`^the client receives no authorization code or access token$`, w.noCodeAtRedirect)
	sc.Step(`^the (login|approval) page was (not )?shown$`, w.pageShown)
	sc.Step(`^every page the server showed forbids framing$`, w.everyPageForbidsFraming)
	sc.Step(`^every page the server showed has a Content-Security-Policy frame-ancestors directive$`, w.everyPageHasCSPFrameAncestors)
	sc.Step(`^the browser loaded nothing from outside the authorization server$`, w.nothingThirdParty)
	sc.Step(`^no redirect answering the login form was an HTTP 307$`, w.browserNo307)
	w.registerMoreAuthorize(sc)
}
