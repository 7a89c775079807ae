package steps

// Authorization-endpoint steps that judge by behaviour: CSRF protection of the resource owner's
// forms (RFC 6749 10.12), a scope the server may ignore when it names what it granted (RFC 6749
// 3.3), and a refresh token that exists only when the server chose to issue one (RFC 6749 1.5).

import (
	"context"
	"fmt"
	"html/template"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

func (w *World) registerMoreAuthorize(sc stepAdder) {
	sc.Step(`^the resource owner's (login|approval) form is submitted (from another site|with its anti-forgery value removed|with its anti-forgery value from another session)$`, w.forgedSubmission)
	sc.Step(`^no authorization code reaches the client$`, w.noCodeReachedClient)
	sc.Step(`^no authorization code reaches the client, or the report warns: (.+)$`, w.noCodeOrWarn)
	sc.Step(`^the authorization request is refused with "invalid_scope" or the scope "([^"]*)" is left out of the granted scope$`, w.scopeRefusedOrLeftOut)
	sc.Step(`^the refresh token, if one was issued, no longer works$`, w.refreshIfIssuedNoLongerWorks)
	sc.Step(`^the token endpoint refuses the request with error "([a-z_]+)" or "([a-z_]+)"$`, w.refusesWithEither)
	sc.Step(`^the `+roleRe+` client has an authorization code issued without a code_challenge$`, w.hasCodeWithoutChallenge)
	sc.Step(`^the implicit response carries no refresh token, whatever its name$`, w.noRefreshTokenInImplicitResponse)
}

// refusesWithEither accepts either of two error codes the RFCs allow for the same request (RFC
// 7636 4.6 names invalid_grant for a wrong verifier; a missing one, REQUIRED by 4.5, is also a
// missing parameter, invalid_request under RFC 6749 5.2), judged as refusesWith judges one.
func (w *World) refusesWithEither(ctx context.Context, a, b string) (context.Context, error) {
	return w.judgeRefusal(ctx, w.last, w.expectRefusal(oauthclient.TokenEndpoint, a, b))
}

// hasCodeWithoutChallenge obtains a code from a request without PKCE. A server that requires PKCE
// for this client refuses such a request, and the downgrade it protects against cannot happen:
// the scenario is then not applicable.
func (w *World) hasCodeWithoutChallenge(ctx context.Context, role string) (context.Context, error) {
	switch w.p.Capabilities.PKCE {
	case profile.PKCERequired:
		return ctx, verdict.NotApplicable("the target requires PKCE of every client (capabilities.pkce: required), so no code is issued without a code_challenge")
	case profile.PKCERequiredForPublic:
		if c, err := w.client(role); err == nil && !c.Confidential() {
			return ctx, verdict.NotApplicable("the target requires PKCE of public clients (capabilities.pkce), so no code is issued to this client without a code_challenge")
		}
	}
	if err := w.startAuthorization(role); err != nil {
		return ctx, err
	}
	w.authReq.Del("code_challenge")
	w.authReq.Del("code_challenge_method")
	ctx, err := w.authorizeInBrowser(ctx, "approve")
	if err != nil {
		return ctx, err
	}
	if a := w.authResp; a.reached && a.params.Get("error") != "" && a.params.Get("code") == "" {
		return ctx, verdict.NotApplicable("the target refuses this client's authorization request without a code_challenge (error %q), so the downgrade cannot happen", a.params.Get("error"))
	}
	return ctx, w.receivesCode()
}

// formCapture is a form of the server's page as the browser holds it.
type formCapture struct {
	Action string
	Method string
	Fields [][2]string
	Hidden map[string]string
}

// formOfJS finds the form around el (a control of it), or the page's first form. Every
// property of the form is read through HTMLFormElement.prototype: a control named "action",
// "elements" or "submit" (<button name="action" value="approve"> is common) shadows the
// form's own property of that name, so form.action would be that element.
const formOfJS = `const formOf = (el) => (el && (el.form || (el.closest && el.closest('form')))) || document.querySelector('form');
  const formElements = (form) => Array.from(Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, 'elements').get.call(form));`

// captureFormJS reads the form around el, or the page's first form: its action, method, and the
// name/value pairs a submission would send (the clicked submit button's own name/value
// included, as a browser sends it). The action is what a browser submits to (HTML, "form
// submission algorithm"): the submitter's formaction, else the form's action attribute, resolved
// against the document's base URI; absent or empty, the document's own URL.
const captureFormJS = `(el) => {
  ` + formOfJS + `
  const form = formOf(el);
  if (!form) return null;
  const submitter = el && ['submit', 'image'].includes((el.type || '').toLowerCase()) ? el : null;
  let raw = submitter && submitter.hasAttribute('formaction') ? submitter.getAttribute('formaction') : form.getAttribute('action');
  let action = '';
  try {
    action = (raw === null || raw === '') ? document.URL : new URL(raw, document.baseURI).href;
  } catch (e) {
    action = String(raw);
  }
  const rawMethod = submitter && submitter.hasAttribute('formmethod') ? submitter.getAttribute('formmethod') : form.getAttribute('method');
  const fields = [];
  for (const e of formElements(form)) {
    if (!e.name || e.disabled) continue;
    const t = (e.type || '').toLowerCase();
    if (['submit', 'button', 'image', 'reset', 'file'].includes(t)) continue;
    if ((t === 'checkbox' || t === 'radio') && !e.checked) continue;
    fields.push([e.name, String(e.value), t === 'hidden']);
  }
  if (submitter && submitter.name) fields.push([submitter.name, String(submitter.value), false]);
  return {action, method: (rawMethod || 'get').toLowerCase(), fields};
}`

// tamperFormJS removes the named fields of the form around el, or gives them the values another
// session got (what an attacker can obtain from a session of their own).
const tamperFormJS = `(el, arg) => {
  ` + formOfJS + `
  const form = formOf(el);
  if (!form) return 0;
  let n = 0;
  for (const e of formElements(form)) {
    if (!e.name || !(e.name in arg.values)) continue;
    n++;
    if (arg.mode === 'removed') e.remove();
    else e.value = arg.values[e.name];
  }
  return n;
}`

// firstSelector is the selector of the first required action of kind ("fill" or "click"): an
// optional action's element may never appear (a "remember me" box the server does not show).
func firstSelector(actions []profile.Action, kind string) string {
	for _, a := range actions {
		if a.Optional {
			continue
		}
		if kind == "fill" && a.Fill != "" {
			return a.Fill
		}
		if kind == "click" && a.Click != "" {
			return a.Click
		}
	}
	return ""
}

// reachForm brings a session to the resource owner's form (login or approval) through the
// authorization request, as the resource owner would reach it, logged in as user for the
// approval form. It returns the selector of the form's submitting control (the profile's first
// click), else of its first field ("" for the page's first form).
func (w *World) reachForm(s *browser.Session, form string, user profile.User) (string, *browser.Outcome, error) {
	if form == "approval" && len(w.p.Browser.Approve) == 0 {
		// The profile says the server has no approval page (a login redirects straight to the
		// client): there is no approval form to forge, which is the target's shape, not something
		// the suite failed to observe.
		return "", nil, verdict.NotApplicable("the profile declares no approval page (browser.approve is empty), so there is no approval form to forge")
	}
	flow := browser.Flow{Profile: w.p, Decision: "", CallbackPrefix: w.requestedRedirect(), Timeout: w.browserTimeout()}
	actions := w.p.Browser.Login
	if form == "approval" {
		flow.User = user
		actions = w.p.Browser.Approve
	}
	out, err := s.Authorize(w.authReq.String(), flow)
	if err != nil {
		return "", out, err
	}
	if form == "approval" && !out.ApprovalShown {
		return "", out, verdict.Inconclusive("the server showed no approval page for this request, so there was no approval form to submit")
	}
	if form == "login" && !out.LoginShown {
		return "", out, verdict.Inconclusive("the server showed no login page for this request, so there was no login form to submit")
	}
	if sel := firstSelector(actions, "click"); sel != "" {
		return sel, out, nil
	}
	return firstSelector(actions, "fill"), out, nil
}

func (w *World) captureForm(s *browser.Session, sel string) (*formCapture, error) {
	timeout := w.browserTimeout()
	var raw any
	var err error
	if sel != "" {
		raw, err = s.Page().Locator(sel).First().Evaluate(captureFormJS, nil, playwright.LocatorEvaluateOptions{Timeout: playwright.Float(float64(timeout.Milliseconds()))})
	} else {
		raw, err = s.Page().Evaluate("() => ("+captureFormJS+")(null)", nil)
	}
	if err != nil {
		return nil, verdict.Inconclusive("could not read the form on %s: %v", redactedURL(s.Page().URL()), verdict.FirstLine(err.Error()))
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, verdict.Inconclusive("found no form on %s", redactedURL(s.Page().URL()))
	}
	action, _ := m["action"].(string)
	method, _ := m["method"].(string)
	f := &formCapture{Action: action, Method: method, Hidden: map[string]string{}}
	list, _ := m["fields"].([]any)
	for _, item := range list {
		t, _ := item.([]any)
		if len(t) != 3 {
			continue
		}
		name, value := fmt.Sprint(t[0]), fmt.Sprint(t[1])
		f.Fields = append(f.Fields, [2]string{name, value})
		if hidden, _ := t[2].(bool); hidden {
			f.Hidden[name] = value
		}
	}
	return f, nil
}

// forger is the account whose session plays the attacker: the profile's second user, or else
// the valid user in a session of its own (sameUser).
func (w *World) forger() (u profile.User, sameUser bool) {
	if u, ok := w.p.SecondUser(); ok {
		return u, false
	}
	return w.p.ValidUser(), true
}

// fillLogin fills the login form's fields (not its submit) with user's credentials.
func (w *World) fillLogin(s *browser.Session, user profile.User) error {
	vars := map[string]string{"user.username": user.Username, "user.password": user.Password}
	for _, a := range w.p.Browser.Login {
		if a.Fill != "" {
			if err := s.Perform([]profile.Action{a}, vars, w.browserTimeout()); err != nil {
				return verdict.Inconclusive("filling the login form: %v", err)
			}
		}
	}
	return nil
}

// attackerForm is the form as an attacker obtains it: from a browser session of its own (the
// profile's second user, else another session of the valid user) that makes the same
// authorization request. A forged login carries the forger's own credentials.
func (w *World) attackerForm(form string) (*formCapture, error) {
	s2, err := w.env.Browser.NewSession()
	if err != nil {
		return nil, verdict.SuiteTrouble(err)
	}
	defer func() { _ = s2.Close() }()
	user, _ := w.forger()
	sel, _, err := w.reachForm(s2, form, user)
	if err != nil {
		return nil, err
	}
	if form == "login" {
		if err := w.fillLogin(s2, user); err != nil {
			return nil, err
		}
	}
	return w.captureForm(s2, sel)
}

// forgery is what a forged submission showed beyond where the browser ended: a same-origin
// submission without a valid anti-forgery value that yielded a code although a cross-site one
// did not (a warning, not a failure: only a cross-site request is a forgery).
type forgery struct {
	warning string
}

// forgedSubmission submits the resource owner's login or approval form as a cross-site request
// forgery would. RFC 6749 10.12: the server "MUST implement CSRF protection for its
// authorization endpoint". The resource owner's browser holds the server's session and the
// pending request; the forged values are the attacker's own (attackerForm), never the resource
// owner's hidden values, which no other site can read.
//
//   - "from another site": a page on another site auto-submits the attacker's copy of the form
//     in the resource owner's browser.
//   - "with its anti-forgery value removed" / "from another session": the resource owner's own
//     page is submitted with a hidden value that differs between sessions removed (each such
//     field in turn), or with all of them replaced by the attacker's. A server defended by SameSite cookies or an Origin check may
//     accept this same-origin request although no other site could send it, so a code here is
//     checked again from another site with the attacker's values: only a code there fails; a
//     code only here is a warning. Without a value that differs between sessions, the cross-site
//     submission is the check.
func (w *World) forgedSubmission(ctx context.Context, form, how string) (context.Context, error) {
	if err := w.requireAuthReq(); err != nil {
		return ctx, err
	}
	s, err := w.ensureSession()
	if err != nil {
		return ctx, verdict.SuiteTrouble(err)
	}
	w.forgery = &forgery{}
	sel, _, err := w.reachForm(s, form, w.p.ValidUser())
	if err != nil {
		return ctx, err
	}
	forged, err := w.attackerForm(form)
	if err != nil {
		return ctx, err
	}
	if how == "from another site" {
		return ctx, w.crossSiteForgery(s, forged, 0)
	}
	if form == "login" {
		forger, _ := w.forger()
		if err := w.fillLogin(s, forger); err != nil {
			return ctx, err
		}
	}
	own, err := w.captureForm(s, sel)
	if err != nil {
		return ctx, err
	}
	other := map[string]string{}
	for name, v := range own.Hidden {
		if v2, ok := forged.Hidden[name]; ok && v2 != v {
			other[name] = v2
		}
	}
	if len(other) == 0 {
		// No per-session value to take away: the form must then resist a cross-site
		// submission by other means (SameSite cookies, an Origin check).
		return ctx, w.crossSiteForgery(s, forged, 0)
	}
	mode := "removed"
	if strings.HasSuffix(how, "from another session") {
		mode = "altered"
	}
	// Altered: every differing value replaced by the attacker's, a consistent set. Removed: one
	// differing field at a time, each in a fresh session of the resource owner, since some
	// (a sealed pending request) are needed for any answer and would hide the one that guards.
	attempts := []map[string]string{other}
	if mode == "removed" {
		attempts = nil
		for _, name := range slices.Sorted(maps.Keys(other)) {
			attempts = append(attempts, map[string]string{name: other[name]})
		}
	}
	var guarded []string
	for i, fields := range attempts {
		page, pageSel := s, sel
		if i > 0 {
			fresh, err := w.env.Browser.NewSession()
			if err != nil {
				return ctx, verdict.SuiteTrouble(err)
			}
			defer func() { _ = fresh.Close() }()
			if pageSel, _, err = w.reachForm(fresh, form, w.p.ValidUser()); err != nil {
				return ctx, err
			}
			if form == "login" {
				forger, _ := w.forger()
				if err := w.fillLogin(fresh, forger); err != nil {
					return ctx, err
				}
			}
			page = fresh
		}
		if err := w.tamperAndSubmit(page, form, pageSel, mode, fields, len(w.listener.Hits())); err != nil {
			return ctx, err
		}
		if w.codeAtClient() {
			guarded = slices.Sorted(maps.Keys(fields))
			break
		}
	}
	if guarded == nil {
		return ctx, nil
	}
	other = map[string]string{}
	for _, name := range guarded {
		other[name] = ""
	}
	// A code for a same-origin request no other site could send: try what another site can,
	// in a fresh session of the resource owner (this one may now be logged in as the forger).
	mark := len(w.listener.Hits())
	s3, err := w.env.Browser.NewSession()
	if err != nil {
		return ctx, verdict.SuiteTrouble(err)
	}
	defer func() { _ = s3.Close() }()
	if _, _, err := w.reachForm(s3, form, w.p.ValidUser()); err != nil {
		return ctx, err
	}
	forged, err = w.attackerForm(form)
	if err != nil {
		return ctx, err
	}
	if err := w.crossSiteForgery(s3, forged, mark); err != nil {
		return ctx, err
	}
	if !w.codeAtClient() {
		w.forgery.warning = fmt.Sprintf("the %s form yielded a code when submitted on its own page with its anti-forgery value %s (fields %v), but a submission of an attacker's copy from another site was refused: the server relies on its cookies or an Origin check, not on that value",
			form, map[string]string{"removed": "removed", "altered": "taken from another session"}[mode], slices.Sorted(maps.Keys(other)))
	}
	return ctx, nil
}

// tamperAndSubmit removes or replaces the fields of the form on s's page and submits it with
// the profile's actions (the login filled with the forger's credentials), then records where the
// browser ended (the callback hits from mark on).
func (w *World) tamperAndSubmit(s *browser.Session, form, sel, mode string, fields map[string]string, mark int) error {
	values := map[string]any{}
	for k, v := range fields {
		values[k] = v
	}
	arg := map[string]any{"mode": mode, "values": values}
	var n any
	var err error
	if sel != "" {
		n, err = s.Page().Locator(sel).First().Evaluate(tamperFormJS, arg)
	} else {
		n, err = s.Page().Evaluate("(arg) => ("+tamperFormJS+")(null, arg)", arg)
	}
	if err != nil || toNumber(n) == 0 {
		return verdict.Inconclusive("could not change the form's field(s) %v: %v", slices.Sorted(maps.Keys(fields)), err)
	}
	actions := w.p.Browser.Approve
	if form == "login" {
		actions = w.p.Browser.Login
	}
	forger, _ := w.forger()
	vars := map[string]string{"user.username": forger.Username, "user.password": forger.Password}
	if err := s.Perform(actions, vars, w.browserTimeout()); err != nil {
		return verdict.Inconclusive("submitting the changed form: %v", err)
	}
	_ = s.Settle(w.browserTimeout())
	w.recordForgedOutcome(s, mark)
	return nil
}

// crossSiteForgery submits the attacker's copy of the form from another site in the resource
// owner's browser session s and records where it ended (the callback hits after mark).
func (w *World) crossSiteForgery(s *browser.Session, forged *formCapture, mark int) error {
	if err := w.submitFromAnotherSite(s, forged, w.browserTimeout()); err != nil {
		return err
	}
	_ = s.Settle(w.browserTimeout())
	w.recordForgedOutcome(s, mark)
	return nil
}

// The forged form is submitted through HTMLFormElement.prototype: a field named "submit" would
// shadow the form's own method.
var forgedPage = template.Must(template.New("forged").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>another site</title></head><body>
<form id="forged" method="{{.Method}}" action="{{.Action}}">{{range .Fields}}<input type="hidden" name="{{index . 0}}" value="{{index . 1}}">{{end}}</form>
<script>HTMLFormElement.prototype.submit.call(document.getElementById('forged'));</script>
</body></html>
`))

// submitFromAnotherSite serves an auto-submitting copy of the form from a loopback origin on
// another site than the form's action (localhost against 127.0.0.1 and the other way round) and
// loads it in the resource owner's browser, which holds the server's cookies.
func (w *World) submitFromAnotherSite(s *browser.Session, f *formCapture, timeout time.Duration) error {
	action, err := url.Parse(f.Action)
	if err != nil || action.Host == "" || (action.Scheme != "http" && action.Scheme != "https") {
		return verdict.Inconclusive("the form's action %q is not an http(s) URL", f.Action)
	}
	host := "localhost"
	if strings.EqualFold(action.Hostname(), "localhost") {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return verdict.SuiteTrouble(fmt.Errorf("listening for the cross-site page: %w", err))
	}
	method := "post"
	if f.Method == "get" {
		method = "get"
	}
	srv := &http.Server{ReadHeaderTimeout: timeout, Handler: http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = forgedPage.Execute(rw, map[string]any{"Method": method, "Action": template.URL(f.Action), "Fields": f.Fields})
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	origin := fmt.Sprintf("http://%s:%d", host, ln.Addr().(*net.TCPAddr).Port)
	if _, err := s.Goto(origin+"/", timeout); err != nil && !strings.Contains(err.Error(), "interrupted") {
		// The forged form navigates away at once, which may interrupt the load of its page.
		if !strings.HasPrefix(s.Page().URL(), origin) && s.Page().URL() != "" {
			return nil
		}
		return verdict.SuiteTrouble(err)
	}
	if err := s.WaitURL(func(u string) bool { return !strings.HasPrefix(u, origin) }, timeout); err != nil {
		return verdict.Inconclusive("the cross-site copy of the form did not submit: %v", verdict.FirstLine(err.Error()))
	}
	return nil
}

// recordForgedOutcome keeps where the browser ended after a forged submission, with the hits
// on the client's listener from the mark-th on.
func (w *World) recordForgedOutcome(s *browser.Session, mark int) {
	page := s.Page()
	final, _ := url.Parse(page.URL())
	text, _ := page.Locator("body").InnerText(playwright.LocatorInnerTextOptions{Timeout: playwright.Float(1000)})
	o := &browser.Outcome{FinalURL: final, PageText: text}
	hits := w.listener.Hits()
	if mark <= len(hits) {
		hits = hits[mark:]
	}
	a := &authResponse{via: "browser", outcome: o, hits: hits, params: url.Values{}, query: url.Values{}, fragment: url.Values{}}
	redirect, _ := url.Parse(w.requestedRedirect())
	if final != nil && reachesURI(final, redirect) {
		o.ReachedCallback, a.reached = true, true
		w.fill(a, final)
	} else if u := w.reachedRequested(nil, a.hits); u != nil {
		a.reached = true
		w.fill(a, u)
	}
	w.authResp = a
}

// codeAtClient reports whether a code or token reached the client after the forged submission.
func (w *World) codeAtClient() bool {
	if w.authResp == nil {
		return false
	}
	for _, h := range w.authResp.hits {
		if h.Query().Get("code") != "" || h.Query().Get("access_token") != "" {
			return true
		}
	}
	return w.noCodeAtRedirect() != nil
}

// noCodeReachedClient: after a forged submission no code or token may reach the client. A code
// that only a same-origin submission got is a warning (see forgedSubmission).
func (w *World) noCodeReachedClient(ctx context.Context) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	for _, h := range w.authResp.hits {
		if h.Query().Get("code") != "" || h.Query().Get("access_token") != "" {
			return ctx, w.authFail("expected no authorization code after the forged submission, but the client's listener got %s", redactedURL(h.String()))
		}
	}
	if err := w.noCodeAtRedirect(); err != nil {
		return ctx, err
	}
	if w.forgery != nil && w.forgery.warning != "" {
		ctx = warnAttach(ctx, w.forgery.warning)
	}
	return ctx, nil
}

// noCodeOrWarn is noCodeReachedClient where no sentence makes a code a failure: a forged login
// carries the credentials of whoever forged it, so the code it yields is for the forger's own
// account (login CSRF), which RFC 6749 10.12's "without the awareness and explicit consent of
// the resource owner" does not cover. The code is reported as a warning.
func (w *World) noCodeOrWarn(ctx context.Context, text string) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	ctx, err := w.noCodeReachedClient(ctx)
	if err != nil {
		return warnAttach(ctx, text+" ("+verdict.FirstLine(err.Error())+")"), nil
	}
	return ctx, nil
}

// scopeRefusedOrLeftOut: RFC 6749 3.3 lets the server "fully or partially ignore the scope
// requested by the client" when it names the scope it granted; otherwise it refuses the request
// with invalid_scope (4.1.2.1). A code is redeemed to read the granted scope.
func (w *World) scopeRefusedOrLeftOut(ctx context.Context, raw string) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	scope, err := w.expand(raw)
	if err != nil {
		return ctx, asNotApplicable(err)
	}
	a := w.authResp
	if !a.reached {
		return ctx, w.authFail("expected either error \"invalid_scope\" at the client's redirect URI or a grant without %q, but the user agent did not reach the redirect URI", scope)
	}
	if a.params.Get("error") != "" || (a.params.Get("access_token") == "" && a.params.Get("code") == "" && (a.query.Get("error") != "" || a.fragment.Get("error") != "")) {
		// A refusal: judged as every refusal is (carriesError): access_denied for a scope
		// the client may not have is a warning, not a FAIL ("The resource owner or
		// authorization server denied the request"), and an error in the wrong component is
		// reported as that.
		return w.carriesError(ctx, "invalid_scope", "")
	}
	granted, named := "", false
	if w.responseInFragment() {
		if a.params.Get("access_token") == "" {
			return ctx, w.authFail("expected error \"invalid_scope\" in the fragment or an access token, got neither")
		}
		granted, named = a.params.Get("scope"), a.params.Has("scope")
	} else {
		if err := w.receivesCode(); err != nil {
			return ctx, err
		}
		if err := w.tokenRequest(ctx, w.authRole, "redeems the authorization code", ""); err != nil {
			return ctx, verdict.Inconclusive("could not redeem the code to see the granted scope: %v", err)
		}
		r := w.last
		if r == nil || r.Status != 200 || r.AccessToken() == "" {
			return ctx, verdict.Inconclusive("the code issued for the request was not redeemed (HTTP %d), so the granted scope is unknown", statusOf(r))
		}
		granted, named = r.String("scope"), r.Has("scope")
	}
	if !named {
		return ctx, w.authFail("the server granted the request for %q without naming the granted scope, which RFC 6749 3.3 reads as the requested scope", scope)
	}
	if err := unknownScopeKnown(raw, scope, granted); err != nil {
		return ctx, err
	}
	if scopeSet(granted)[scope] {
		return ctx, w.authFail("the server granted the scope %q, which the client may not have (granted scope %q)", scope, granted)
	}
	return ctx, nil
}

func statusOf(r *oauthclient.Response) int {
	if r == nil {
		return 0
	}
	return r.Status
}

// refreshIfIssuedNoLongerWorks: issuing a refresh token is optional (RFC 6749 1.5); when one was
// issued from the reused code, it must stop working too.
func (w *World) refreshIfIssuedNoLongerWorks(ctx context.Context) error {
	if len(w.refreshTokens) == 0 {
		return nil
	}
	return w.refreshNoLongerWorks(ctx)
}

func toNumber(v any) float64 {
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
