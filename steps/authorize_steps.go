package steps

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
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
		text := o.PageText
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
		return err
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

func sameEndpoint(u, target *url.URL) bool {
	p := func(s string) string {
		if s == "" {
			return "/"
		}
		return s
	}
	return strings.EqualFold(u.Scheme, target.Scheme) && strings.EqualFold(u.Host, target.Host) && p(u.Path) == p(target.Path)
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
// once. When it shows its login page instead, the browser takes over as the resource owner.
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
	a := &authResponse{via: "http", http: resp}
	w.authResp = a
	redirect, _ := url.Parse(w.requestedRedirect())
	base, _ := url.Parse(authURL)
	if resp.IsRedirect() {
		loc, err := base.Parse(resp.Location())
		if err != nil {
			return ctx, oauthclient.Failf(resp, "the Location header %q is not a URL", resp.Location())
		}
		if redirect != nil && sameEndpoint(loc, redirect) {
			a.reached = true
			w.fill(a, loc)
			return ctx, nil
		}
		if !strings.EqualFold(loc.Host, base.Host) {
			return ctx, nil // sent elsewhere: the scenario judges it
		}
	} else if resp.Status != 200 {
		return ctx, nil // an error page
	}
	// The server asks the resource owner first (a login or approval page).
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
		CallbackPrefix: w.requestedRedirect(), Timeout: w.browserTimeout(),
	})
	if out != nil {
		ctx = w.attachScreenshots(ctx, "authorization", out.Screenshots)
	}
	if err != nil {
		return ctx, err
	}
	a := &authResponse{via: "browser", outcome: out, reached: out.ReachedCallback, hits: w.listener.Hits()}
	if out.ReachedCallback && out.FinalURL != nil {
		w.fill(a, out.FinalURL)
	} else {
		a.params, a.query, a.fragment = url.Values{}, url.Values{}, url.Values{}
	}
	w.authResp = a
	return ctx, nil
}

func (w *World) resourceOwnerDecides(ctx context.Context, decision string) (context.Context, error) {
	d := "approve"
	if decision == "denies" {
		d = "deny"
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

// receivesCode checks the redirect carries a code and no error (RFC 6749 4.1.2), and keeps
// what redeeming it needs.
func (w *World) receivesCode() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached {
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

// carriesError checks an error redirect (RFC 6749 4.1.2.1, 4.2.2.1): delivered to the client,
// in the query for the code flow and in the fragment for the implicit flow.
func (w *World) carriesError(code string) error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	where := "query"
	if w.responseInFragment() {
		where = "fragment"
	}
	if !a.reached {
		return w.authFail("expected error %q delivered to the client's redirect URI, but the user agent did not reach it", code)
	}
	got := a.params.Get("error")
	if got == "" {
		other := a.query
		if where == "query" {
			other = a.fragment
		}
		if e := other.Get("error"); e != "" {
			return w.authFail("expected error %q in the %s, got it in the wrong component (error=%q)", code, where, e)
		}
		return w.authFail("expected error %q in the %s, got no error", code, where)
	}
	if got != code {
		return w.authFail("expected error %q, got %q", code, got)
	}
	for _, leak := range []string{"code", "access_token"} {
		if a.params.Get(leak) != "" {
			return w.authFail("an error response must not carry %s", leak)
		}
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
// server "MUST NOT automatically redirect the user-agent": it may only send the user agent to
// its own pages.
func (w *World) doesNotRedirect() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	as, _ := url.Parse(w.p.Endpoints.Authorization)
	if a.reached {
		return w.authFail("expected no redirect to the client, but the user agent was sent to %s", redactedURL(w.requestedRedirect()))
	}
	if a.via == "http" {
		if a.http.IsRedirect() {
			loc, err := url.Parse(a.http.Exchange.URL)
			if err == nil {
				loc, err = loc.Parse(a.http.Location())
			}
			if err != nil || !strings.EqualFold(loc.Host, as.Host) {
				return w.authFail("expected no redirect away from the authorization server, got HTTP %d to %s", a.http.Status, redactedURL(a.http.Location()))
			}
		}
		return nil
	}
	if len(a.hits) > 0 {
		return w.authFail("expected no request at the client's listener, got %s", redactedURL(a.hits[0].String()))
	}
	for _, n := range a.outcome.Navigations {
		if u, err := url.Parse(n); err == nil && u.Host != "" && !strings.EqualFold(u.Host, as.Host) {
			return w.authFail("expected the browser to stay on the authorization server, but it was sent to %s", redactedURL(n))
		}
	}
	return nil
}

func (w *World) showsErrorPage() error {
	if err := w.doesNotRedirect(); err != nil {
		return err
	}
	if hits := w.listener.Hits(); len(hits) > 0 {
		return w.authFail("expected the redirect URI not to be reached, but the client's listener got %s", redactedURL(hits[0].String()))
	}
	a := w.authResp
	if a.outcome == nil {
		return w.authFail("expected the browser to show a page")
	}
	// RFC 6749 4.1.2.1: the server "SHOULD inform the resource owner of the error".
	if a.outcome.Status < 400 && strings.TrimSpace(a.outcome.PageText) == "" {
		return w.authFail("expected an error page, got an empty page with HTTP %d", a.outcome.Status)
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
		return w.authFail("expected the %s page to be shown, it was not", page)
	}
	if not != "" && shown {
		return w.authFail("expected no %s page, but it was shown", page)
	}
	return nil
}

// tamperedApproval logs in, removes or alters the approval form's anti-CSRF field, approves,
// and records where the browser ended (RFC 6749 10.12: the server MUST protect its
// authorization endpoint against CSRF).
func (w *World) tamperedApproval(ctx context.Context, how string) (context.Context, error) {
	if err := w.requireAuthReq(); err != nil {
		return ctx, err
	}
	s, err := w.ensureSession()
	if err != nil {
		return ctx, err
	}
	timeout := w.browserTimeout()
	// Stop at the approval page: log in, but decide nothing yet.
	out, err := s.Authorize(w.authReq.String(), browser.Flow{Profile: w.p, User: w.p.ValidUser(), Decision: "",
		CallbackPrefix: w.requestedRedirect(), Timeout: timeout})
	if out != nil {
		ctx = w.attachScreenshots(ctx, "before-tampering", out.Screenshots)
	}
	if err != nil {
		return ctx, err
	}
	if !out.ApprovalShown {
		return ctx, fmt.Errorf("expected the approval page, got %s", (&authResponse{outcome: out}).describe())
	}
	sel := ""
	for _, a := range w.p.Browser.Approve {
		if a.Click != "" {
			sel = a.Click
			break
		}
	}
	// The profile's selector may use any Playwright engine (text=, role=, ...), which
	// document.querySelector does not understand: let Playwright find the button.
	var n any
	if sel != "" {
		n, err = s.Page().Locator(sel).First().Evaluate(tamperJS, how, playwright.LocatorEvaluateOptions{Timeout: playwright.Float(float64(timeout.Milliseconds()))})
	} else {
		n, err = s.Page().Evaluate("(mode) => ("+tamperJS+")(null, mode)", how)
	}
	if err != nil {
		return ctx, fmt.Errorf("tampering with the approval form: %w", err)
	}
	if count := toFloat(n); count == 0 {
		return ctx, fmt.Errorf("found no anti-CSRF field in the approval form (a hidden input whose name contains csrf, xsrf, token or nonce): the suite cannot check CSRF protection")
	}
	if err := s.Perform(w.p.Browser.Approve, nil, timeout); err != nil {
		return ctx, fmt.Errorf("approving after tampering: %w", err)
	}
	page := s.Page()
	_ = page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{State: playwright.LoadStateLoad})
	if png, err := s.Screenshot(); err == nil {
		ctx = w.attachScreenshots(ctx, "after-tampering", [][]byte{png})
	}
	final, _ := url.Parse(page.URL())
	redirect, _ := url.Parse(w.requestedRedirect())
	_, responses := w.pages.snapshot()
	status := 0
	navs := []string{}
	for _, r := range responses {
		navs = append(navs, r.url)
		status = r.status
	}
	text, _ := page.Locator("body").InnerText()
	o := &browser.Outcome{FinalURL: final, Status: status, PageText: text, Navigations: navs, LoginShown: out.LoginShown, ApprovalShown: true}
	a := &authResponse{via: "browser", outcome: o, hits: w.listener.Hits(), params: url.Values{}, query: url.Values{}, fragment: url.Values{}}
	if final != nil && redirect != nil && sameEndpoint(final, redirect) {
		o.ReachedCallback = true
		a.reached = true
		w.fill(a, final)
	}
	w.authResp = a
	return ctx, nil
}

// tamperJS removes or alters the hidden anti-CSRF inputs of the form holding the approve button.
const tamperJS = `(btn, mode) => {
  const form = (btn && btn.form) || document.querySelector('form');
  if (!form) return 0;
  let n = 0;
  for (const input of Array.from(form.querySelectorAll('input[type=hidden]'))) {
    if (!/csrf|xsrf|token|nonce/i.test(input.name)) continue;
    n++;
    if (mode === 'removed') input.remove();
    else input.value = 'tampered' + input.value.split('').reverse().join('');
  }
  return n;
}`

// fetchLoginPage follows the server's own redirects from the authorization request to the
// page it shows the resource owner, without a browser.
func (w *World) fetchLoginPage(ctx context.Context) error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	next := w.authReq.String()
	as, _ := url.Parse(next)
	for range 5 {
		resp, err := w.http.Get(ctx, next, "Accept", "text/html")
		if err != nil {
			return err
		}
		w.last = resp
		if !resp.IsRedirect() {
			if resp.Status != 200 {
				return oauthclient.Failf(resp, "expected the login page (HTTP 200), got HTTP %d", resp.Status)
			}
			return nil
		}
		cur, _ := url.Parse(next)
		loc, err := cur.Parse(resp.Location())
		if err != nil || !strings.EqualFold(loc.Host, as.Host) {
			return oauthclient.Failf(resp, "expected a redirect to the server's login page, got %q", resp.Location())
		}
		next = loc.String()
	}
	return oauthclient.Failf(w.last, "still redirected after 5 hops: no login page")
}

// forbidsFraming checks RFC 9700 4.16 / RFC 6749 10.13: X-Frame-Options or CSP frame-ancestors.
func forbidsFraming(get func(string) string) error {
	xfo := strings.ToUpper(strings.TrimSpace(get("X-Frame-Options")))
	if xfo == "DENY" || xfo == "SAMEORIGIN" {
		return nil
	}
	for _, d := range strings.Split(get("Content-Security-Policy"), ";") {
		d = strings.TrimSpace(d)
		name, value, _ := strings.Cut(d, " ")
		if strings.EqualFold(name, "frame-ancestors") && !strings.Contains(value, "*") {
			return nil
		}
	}
	return fmt.Errorf("expected X-Frame-Options DENY or SAMEORIGIN, or a Content-Security-Policy frame-ancestors directive, got X-Frame-Options %q and Content-Security-Policy %q",
		get("X-Frame-Options"), get("Content-Security-Policy"))
}

func (w *World) pageForbidsFraming() error {
	if w.last == nil {
		return fmt.Errorf("no page was fetched")
	}
	if err := forbidsFraming(w.last.Header.Get); err != nil {
		return oauthclient.Failf(w.last, "%v", err)
	}
	return nil
}

// serverPages are the HTML pages of the authorization server the browser loaded (login,
// approval, error pages), not the client's callback.
func (w *World) serverPages() ([]pageResponse, error) {
	if w.pages == nil {
		return nil, fmt.Errorf("the browser was not used in this scenario")
	}
	as, _ := url.Parse(w.p.Endpoints.Authorization)
	_, responses := w.pages.snapshot()
	var out []pageResponse
	for _, r := range responses {
		u, err := url.Parse(r.url)
		if err == nil && strings.EqualFold(u.Host, as.Host) && r.status == 200 {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the browser loaded no page of the authorization server")
	}
	return out, nil
}

func (w *World) everyPageForbidsFraming() error {
	pages, err := w.serverPages()
	if err != nil {
		return err
	}
	for _, p := range pages {
		h, err := p.resp.AllHeaders()
		if err != nil {
			return fmt.Errorf("reading the headers of %s: %w", redactedURL(p.url), err)
		}
		get := func(name string) string { return h[strings.ToLower(name)] }
		if err := forbidsFraming(get); err != nil {
			return fmt.Errorf("%s: %w", redactedURL(p.url), err)
		}
	}
	return nil
}

func (w *World) nothingThirdParty() error {
	if w.pages == nil {
		return fmt.Errorf("the browser was not used in this scenario")
	}
	as, _ := url.Parse(w.p.Endpoints.Authorization)
	cb, _ := url.Parse(w.requestedRedirect())
	requests, _ := w.pages.snapshot()
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" {
			continue
		}
		if !strings.EqualFold(u.Host, as.Host) && !(cb != nil && strings.EqualFold(u.Host, cb.Host)) {
			return fmt.Errorf("expected only requests to the authorization server and the client, got a request to %s (RFC 9700 4.2: third-party resources leak the Referer)", redactedURL(r))
		}
	}
	return nil
}

// no307 checks RFC 9700 4.12: a redirect after a form post carrying credentials must not be 307.
func (w *World) browserNo307() error {
	if w.pages == nil {
		return fmt.Errorf("the browser was not used in this scenario")
	}
	_, responses := w.pages.snapshot()
	redirects := 0
	for _, r := range responses {
		if r.status >= 300 && r.status < 400 {
			redirects++
		}
		if r.status == 307 {
			return fmt.Errorf("expected no HTTP 307, got one from %s %s (RFC 9700 4.12: use 303)", r.method, redactedURL(r.url))
		}
	}
	if redirects == 0 {
		return fmt.Errorf("the browser followed no redirect, so nothing was checked")
	}
	return nil
}

func (w *World) httpRedirectNot307() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	if w.authResp.via != "http" || !w.authResp.http.IsRedirect() {
		return w.authFail("expected the authorization response to be a redirect seen over HTTP")
	}
	if w.authResp.http.Status == 307 {
		return oauthclient.Failf(w.authResp.http, "expected a redirect other than HTTP 307 (RFC 9700 4.12), got 307")
	}
	return nil
}

// registerAuthorize adds the authorization endpoint steps.
func (w *World) registerAuthorize(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client starts (?:an|another) authorization request$`, w.startAuthorization)
	sc.Step(`^the authorization request has ([A-Za-z0-9_]+) "([^"]*)"$`, w.setAuthParam)
	sc.Step(`^the authorization request has no ([A-Za-z0-9_]+)$`, w.deleteAuthParam)
	sc.Step(`^the authorization request repeats ([A-Za-z0-9_]+)$`, w.repeatAuthParam)
	sc.Step(`^the redirect URI uses a port chosen at request time$`, w.portChosenAtRequestTime)
	sc.Step(`^the user agent sends the authorization request$`, w.sendAuthorization)
	sc.Step(`^the resource owner (approves|denies) the authorization request$`, w.resourceOwnerDecides)
	sc.Step(`^the resource owner opens the authorization request in the browser$`, w.openInBrowser)
	sc.Step(`^the resource owner approves the authorization request after the approval form's CSRF token was (removed|altered)$`, w.tamperedApproval)
	sc.Step(`^the user agent fetches the login page$`, w.fetchLoginPage)
	sc.Step(`^the `+roleRe+` client has an authorization code$`, w.hasAuthorizationCode)
	sc.Step(`^the client receives an authorization code$`, w.receivesCode)
	sc.Step(`^the client receives an access token in the fragment$`, w.receivesTokenInFragment)
	sc.Step(`^the authorization response carries error "([a-z_]+)"$`, w.carriesError)
	sc.Step(`^the authorization response has (no )?"([a-z_]+)"$`, w.authHas)
	sc.Step(`^the authorization response's "([a-z_]+)" is "([^"]*)"$`, w.authParamIs)
	sc.Step(`^the query of the redirect carries no access_token$`, w.queryCarriesNoToken)
	sc.Step(`^the authorization server does not redirect to the (?:requested redirect URI|client)$`, w.doesNotRedirect)
	sc.Step(`^the browser shows an error page and the redirect URI is not reached$`, w.showsErrorPage)
	sc.Step(`^the (login|approval) page was (not )?shown$`, w.pageShown)
	sc.Step(`^every page the server showed forbids framing$`, w.everyPageForbidsFraming)
	sc.Step(`^the page forbids framing$`, w.pageForbidsFraming)
	sc.Step(`^the browser loaded nothing from outside the authorization server$`, w.nothingThirdParty)
	sc.Step(`^no redirect the browser followed was an HTTP 307$`, w.browserNo307)
	sc.Step(`^the redirect was not an HTTP 307$`, w.httpRedirectNot307)
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}
