package steps

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/callback"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// Redirect URI confusion and open redirectors (issue 17, item 3): the registered redirect URI
// in encoded and mixed spellings is never followed (RFC 6749 3.1.2.3, RFC 9700 2.1); a
// registered query is kept, and a changed one refused; and no page of the server (its login
// page, its sign-out) forwards the browser to a URI taken from a query parameter (RFC 9700
// 2.1: "MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from
// a query parameter (open redirectors)").

// redirectState is what the redirect checks saw in one scenario.
type redirectState struct {
	// httpLocation is the Location of the authorization request's answer over HTTP, resolved
	// against the request ("" when the answer was no redirect).
	httpLocation string
	// probe is the open-redirector probe's record; nil until a probe ran.
	probe *probeLog
}

// probeLog records what the browser did while the suite offered it the attacker's URI.
type probeLog struct {
	mu sync.Mutex
	// hits are the requests the page made to the attacker's host (answered by the suite).
	hits []string
	// params are the parameters that carried the attacker's URI, for the report.
	params []string
	// seen are the navigations and redirect targets the session recorded during the probes.
	seen []string
}

func (l *probeLog) hit(u string) {
	l.mu.Lock()
	l.hits = append(l.hits, u)
	l.mu.Unlock()
}

// sentToAttacker is the first request to, or redirect naming, the attacker's host ("" when none).
func (l *probeLog) sentToAttacker() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > 0 {
		return l.hits[0]
	}
	for _, s := range l.seen {
		if attackerURL.MatchString(s) {
			return s
		}
	}
	return ""
}

// attackerHost is the host of the attacker's URI. It never resolves: the browser's requests to
// it are answered by the suite (see probeLog), and a redirect to it shows in Location.
const attackerHost = "attacker.example"

var attackerURL = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*@)?attacker\.example(:\d+)?([/?#]|$)`)

// returnParamNames are names servers commonly give a parameter that says where to go after a
// page (a login, a sign-out). They are offered besides the parameters discovered on the page,
// never instead of them.
var returnParamNames = []string{"return_to", "returnTo", "return_url", "returnUrl", "ReturnUrl", "redirect",
	"redirect_to", "redirect_url", "redirectUrl", "next", "continue", "goto", "url", "target", "dest",
	"destination", "back", "success_url", "post_logout_redirect_uri"}

// redirectVariant is a spelling of the registered redirect URI u for the confusion checks
// ({callback-...} placeholders beyond those of callbackVariant). Each is another string than the
// registered one (RFC 6749 3.1.2.3: "simple string comparison"); the ones a lenient comparison
// (decoding, normalising, ignoring user information or the query) takes for the registered URI
// are the point.
func (w *World) redirectVariant(name string, u *url.URL) (string, error) {
	switch name {
	case "callback-scheme":
		return u.Scheme, nil
	case "callback-authority":
		return u.Host, nil
	case "callback-path":
		return u.RequestURI(), nil
	case "callback-userinfo":
		v := *u
		v.User = url.User("evil")
		return v.String(), nil
	case "callback-crlf":
		// A raw CR LF, as a server writing the URI into a Location header would copy it.
		return u.String() + "\r\nLocation: http://" + attackerHost + "/", nil
	case "callback-other-port":
		if w.loopbackAnyPort(u) {
			return "", &notApplicableValue{"the registered redirect URI is a loopback one and the profile says loopback redirect URIs may use any port (RFC 8252 7.3; RFC 9700 2.1 excepts their port numbers), so another port is a registered URI"}
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			return "", &notApplicableValue{fmt.Sprintf("the registered redirect URI %s has no port to change", u.Redacted())}
		}
		if n++; n > 65535 {
			n = 1024
		}
		v := *u
		v.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(n))
		return v.String(), nil
	case "callback-query-added", "callback-query-changed", "callback-query-dropped":
		if u.RawQuery == "" {
			return "", &notApplicableValue{fmt.Sprintf("{%s} needs a registered redirect URI with a query (clients.query_redirect), and %s has none", name, u.Redacted())}
		}
		v := *u
		switch name {
		case "callback-query-added":
			v.RawQuery += "&evil=1"
		case "callback-query-changed":
			pairs := strings.Split(v.RawQuery, "&")
			for i, p := range pairs {
				k, _, _ := strings.Cut(p, "=")
				pairs[i] = k + "=evil"
			}
			v.RawQuery = strings.Join(pairs, "&")
		default:
			v.RawQuery, v.ForceQuery = "", false
		}
		return v.String(), nil
	}
	return "", fmt.Errorf("unknown placeholder {%s}", name)
}

// loopbackAnyPort reports whether u is a loopback redirect URI whose port the target lets vary
// (RFC 8252 7.3; RFC 9700 2.1 "except for port numbers in `localhost` redirection URIs").
func (w *World) loopbackAnyPort(u *url.URL) bool {
	if ok, _ := w.p.Supports("loopback-any-port"); !ok {
		return false
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return strings.EqualFold(h, "localhost") || (ip != nil && ip.IsLoopback())
}

// browserCallback is the requested redirect URI as the browser flow compares it: as sent, or,
// when Go's parser refuses it, read as a browser reads it.
func (w *World) browserCallback() string {
	r := w.requestedRedirect()
	if u, err := url.Parse(r); err == nil && u.Host != "" {
		return r
	}
	if u, err := callback.ParseLikeBrowser(r); err == nil && u.Host != "" {
		return u.String()
	}
	return r
}

// destinations are the URLs the user agent was sent to in this scenario: the Location of the
// answer over HTTP, the browser's navigations and redirect targets, and the requests that
// reached the suite's callback listener.
func (w *World) destinations() []string {
	var out []string
	if w.redirect.httpLocation != "" {
		out = append(out, w.redirect.httpLocation)
	}
	if a := w.authResp; a != nil {
		if o := a.outcome; o != nil {
			out = append(out, o.Navigations...)
			out = append(out, o.Redirects...)
			if o.FinalURL != nil {
				out = append(out, o.FinalURL.String())
			}
		}
		for _, h := range a.hits {
			out = append(out, h.String())
		}
	}
	if w.listener != nil {
		for _, h := range w.listener.Hits() {
			out = append(out, h.String())
		}
	}
	return out
}

// sentOnlyToRegistered checks RFC 6749 3.1.2.4 / RFC 9700 2.1 by where the user agent went,
// not by what the server said: it may refuse the requested variant, or answer at the exact
// registered URI (a server that normalises the request and then redirects to the registered
// URI follows nothing of the attacker's), but it never sends the user agent to another URI on
// the registered URI's origin or on the requested one's (as Go reads it, and as a browser
// does). Pages of the server on its own origins are not redirects to a client.
func (w *World) sentOnlyToRegistered() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	regRaw, err := w.redirectURIFor(w.authRole)
	if err != nil {
		return err
	}
	registered, err := url.Parse(regRaw)
	if err != nil {
		return fmt.Errorf("the registered redirect URI %q is not a URL: %w", regRaw, err)
	}
	requestedRaw := w.requestedRedirect()
	watched := []*url.URL{registered}
	var requested *url.URL
	if u, err := url.Parse(requestedRaw); err == nil && u.Host != "" {
		watched, requested = append(watched, u), u
	}
	if u, err := callback.ParseLikeBrowser(requestedRaw); err == nil && u.Host != "" {
		watched = append(watched, u)
		if requested == nil {
			requested = u
		}
	}
	for _, d := range w.destinations() {
		u, err := callback.ParseLikeBrowser(d)
		if err != nil || u.Host == "" || callback.IsRegistered(u, registered, requested) {
			continue
		}
		if w.p.IsServerOrigin(u) && !callback.SameOrigin(u, registered) {
			continue // a page of the server: its login or error page
		}
		for _, o := range watched {
			if callback.SameOrigin(u, o) {
				return w.authFail("expected the user agent to be sent to the registered redirect URI %s or nowhere, but it was sent to %s for the requested %q (RFC 9700 2.1: \"authorization servers MUST utilize exact string matching\"; RFC 6749 3.1.2.4: \"MUST NOT automatically redirect the user-agent to the invalid redirection URI\")",
					redactedURL(regRaw), redactedURL(u.String()), redactedURL(requestedRaw))
			}
		}
	}
	return nil
}

// sendAndFollow sends the authorization request as sendAuthorization does. When the server's
// answer over HTTP already sent the user agent off the server's origins and the browser then
// could not load where it was sent (a host that does not resolve, such as the attacker's),
// that answer is the evidence, for sentOnlyToRegistered to judge, not the suite's trouble.
func (w *World) sendAndFollow(ctx context.Context) (context.Context, error) {
	ctx, err := w.sendAuthorization(ctx)
	if err != nil && w.redirect.httpLocation != "" && w.authResp != nil {
		if loc, perr := url.Parse(w.redirect.httpLocation); perr == nil && !w.p.IsServerOrigin(loc) {
			return ctx, nil
		}
	}
	return ctx, err
}

// codeKeepsRegisteredQuery checks RFC 6749 3.1.2: the registered URI's query "MUST be retained
// when adding additional query parameters". A code that reached the registered path without
// that query is the failure; a code at the registered URI is receivesCode's to judge.
func (w *World) codeKeepsRegisteredQuery() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	regRaw, err := w.redirectURIFor(w.authRole)
	if err != nil {
		return err
	}
	registered, _ := url.Parse(regRaw)
	if !w.authResp.reached && registered != nil {
		for _, d := range w.destinations() {
			u, err := url.Parse(d)
			if err != nil || !callback.SameOrigin(u, registered) || u.EscapedPath() != registered.EscapedPath() {
				continue
			}
			if u.Query().Get("code") != "" || u.Query().Get("error") != "" {
				return w.authFail("expected the response at %s with its query retained (RFC 6749 3.1.2: the query component \"MUST be retained when adding additional query parameters\"), but the client was sent to %s",
					redactedURL(regRaw), redactedURL(d))
			}
		}
	}
	return w.receivesCode()
}

// probeReturnParams reopens the page the browser is on (a login page, a sign-out page) with every
// parameter that says where to go next pointing to the attacker's URI, and performs the page's
// actions (actions; none to only load it). The parameters are those the page's URL and its
// forms carry whose name or value says so, and the common names (returnParamNames); each gets
// the attacker's URI absolute in one pass and scheme-relative ("//attacker.example/...", which
// passes a check for a leading "/") in a second. The browser's requests to the attacker's host
// are answered by the suite and recorded.
func (w *World) probeReturnParams(pageURL string, skip []string, actions func() error) error {
	s, err := w.ensureSession()
	if err != nil {
		return verdict.SuiteTrouble(err)
	}
	page := s.Page()
	log := w.redirect.probe
	if log == nil {
		log = &probeLog{}
		w.redirect.probe = log
	}
	handler := func(r playwright.Route) {
		log.hit(r.Request().URL())
		_ = r.Fulfill(playwright.RouteFulfillOptions{Status: playwright.Int(200), ContentType: playwright.String("text/html"),
			Body: "<!doctype html><title>attacker</title><p id=oauthconf-attacker>The attacker's page</p>"})
	}
	// Every navigation is fetched by the suite so that each redirect's Location is recorded,
	// also one the page's CSP form-action then blocks; the attacker's host (routed after, so
	// first) is answered by the suite.
	stopWatch, err := s.WatchRedirects(w.browserTimeout())
	if err != nil {
		return verdict.SuiteTrouble(err)
	}
	defer stopWatch()
	if err := page.Route(attackerURL, handler); err != nil {
		return verdict.SuiteTrouble(fmt.Errorf("browser: answering the attacker's host: %w", err))
	}
	defer func() { _ = page.Unroute(attackerURL, handler) }()

	base, err := url.Parse(pageURL)
	if err != nil {
		return verdict.SuiteTrouble(fmt.Errorf("the page's URL %q is not a URL: %w", pageURL, err))
	}
	hidden := w.hiddenReturnInputs()
	for _, scheme := range []string{"https:", ""} {
		target := func(name string) string { return scheme + "//" + attackerHost + "/oauthconf/" + url.PathEscape(name) }
		u := *base
		q := u.Query()
		var names []string
		for name, vs := range q {
			if isReturnParam(name, vs) && !slices.Contains(skip, name) {
				names = append(names, name)
			}
		}
		for _, name := range returnParamNames {
			if !q.Has(name) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			q.Set(name, target(name))
		}
		u.RawQuery = q.Encode()
		log.params = appendNew(log.params, names...)
		// Where the browser went is recorded before any error is looked at: a redirect to the
		// attacker's host is not answered by the route (Playwright routes the first request of
		// a navigation only), so the browser may fail to load it.
		record := func() {
			navs, redirects := s.Seen()
			log.mu.Lock()
			log.seen = append(log.seen, navs...)
			log.seen = append(log.seen, redirects...)
			log.mu.Unlock()
		}
		_, err := s.Goto(u.String(), w.browserTimeout())
		record()
		if log.sentToAttacker() != "" {
			return nil
		}
		if err != nil {
			return err
		}
		if len(hidden) > 0 && !attackerURL.MatchString(page.URL()) {
			// The same for the page's hidden form fields that say where to go next.
			log.params = appendNew(log.params, hidden...)
			_, _ = page.Evaluate(`([names, prefix]) => {
				for (const el of document.querySelectorAll('form input[type=hidden]')) {
					if (names.includes(el.name)) el.value = prefix + encodeURIComponent(el.name);
				}
			}`, []any{hidden, scheme + "//" + attackerHost + "/oauthconf/"})
		}
		err = actions()
		record()
		if log.sentToAttacker() != "" {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// hiddenReturnInputs are the names of the current page's hidden form fields that say where to go
// next: a common name, or a value that is a URL or a path.
func (w *World) hiddenReturnInputs() []string {
	v, err := w.session.Page().Evaluate(`() => Array.from(document.querySelectorAll('form input[type=hidden]')).map(i => [i.name, i.value])`)
	if err != nil {
		return nil
	}
	list, _ := v.([]any)
	var out []string
	for _, item := range list {
		pair, _ := item.([]any)
		if len(pair) != 2 {
			continue
		}
		name, _ := pair[0].(string)
		value, _ := pair[1].(string)
		if name != "" && isReturnParam(name, []string{value}) {
			out = appendNew(out, name)
		}
	}
	return out
}

// isReturnParam reports whether a parameter says where to go next: a common name for one, or
// a value that is an absolute URL, a scheme-relative one or a path.
func isReturnParam(name string, values []string) bool {
	if slices.ContainsFunc(returnParamNames, func(n string) bool { return strings.EqualFold(n, name) }) {
		return true
	}
	for _, v := range values {
		lower := strings.ToLower(v)
		if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(v, "/") {
			return true
		}
	}
	return false
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// probeLogin reopens the login page the browser stopped on with its return parameters pointing
// to the attacker's URI, and logs in there (when the login form shows: a server that already
// has the session may move on at once).
func (w *World) probeLogin(ctx context.Context) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	o := w.authResp.outcome
	if o == nil || !o.LoginShown || o.FinalURL == nil {
		if err := w.unrecognisedPage("the login page"); err != nil {
			return ctx, err
		}
		return ctx, verdict.Blocked("RFC6749-4.1.1", "the browser did not stop at the login page: %s", verdict.FirstLine(w.authResp.describe()))
	}
	vars := map[string]string{"user.username": w.p.ValidUser().Username, "user.password": w.p.ValidUser().Password}
	login := w.p.Browser.Login
	err := w.probeReturnParams(o.FinalURL.String(), nil, func() error {
		if len(login) == 0 || !w.loginFormShown() {
			return w.session.Settle(w.browserTimeout())
		}
		if err := w.session.Perform(login, vars, w.browserTimeout()); err != nil {
			return err
		}
		return w.session.Settle(w.browserTimeout())
	})
	return ctx, err
}

// probeLogout opens the sign-out page (endpoints.logout, or the metadata's end_session_endpoint)
// in the browser that holds the resource owner's session, with the client's id and its return
// parameters pointing to the attacker's URI (post_logout_redirect_uri among the common names),
// and signs out with the profile's browser.logout actions when the page shows them.
func (w *World) probeLogout(ctx context.Context) (context.Context, error) {
	logout := w.p.Endpoints.Logout
	if logout == "" {
		return ctx, verdict.NotApplicable("the profile names no sign-out page (endpoints.logout) and the metadata no end_session_endpoint")
	}
	u, err := url.Parse(logout)
	if err != nil || !u.IsAbs() {
		return ctx, fmt.Errorf("endpoints.logout %q is not an absolute URL", logout)
	}
	q := u.Query()
	if c, err := w.client("confidential"); err == nil {
		q.Set("client_id", c.ID)
	}
	q.Set("state", w.state)
	u.RawQuery = q.Encode()
	actions := w.p.Browser.Logout
	err = w.probeReturnParams(u.String(), nil, func() error {
		if len(actions) == 0 || !w.firstActionShown(actions) {
			return w.session.Settle(w.browserTimeout())
		}
		if err := w.session.Perform(actions, nil, w.browserTimeout()); err != nil {
			return err
		}
		return w.session.Settle(w.browserTimeout())
	})
	return ctx, err
}

// probeErrorPage reopens the error page the browser stopped on with return parameters pointing
// to the attacker's URI: the common names, and those the page's URL carries beyond the
// authorization request's own (an error page at the authorization endpoint is that request,
// whose redirect_uri the redirect URI scenarios judge).
func (w *World) probeErrorPage(ctx context.Context) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	o := w.authResp.outcome
	if o == nil || w.authResp.reached || o.FinalURL == nil || o.LoginShown || o.ApprovalShown {
		return ctx, verdict.Blocked("RFC6749-3.1.2.4", "the browser did not stop at an error page of the server: %s", verdict.FirstLine(w.authResp.describe()))
	}
	var skip []string
	if req, err := url.Parse(w.authReq.String()); err == nil {
		for name := range req.Query() {
			skip = append(skip, name)
		}
	}
	return ctx, w.probeReturnParams(o.FinalURL.String(), skip, func() error { return w.session.Settle(w.browserTimeout()) })
}

// loginFormShown reports whether the page shows the element of the profile's first login action.
func (w *World) loginFormShown() bool { return w.firstActionShown(w.p.Browser.Login) }

// firstActionShown reports whether the page shows the element of the first action with a selector.
func (w *World) firstActionShown(actions []profile.Action) bool {
	for _, a := range actions {
		if sel := a.Fill + a.Click + a.WaitFor; sel != "" {
			v, err := w.session.Page().Locator(sel).First().IsVisible()
			return err == nil && v
		}
	}
	return false
}

// neverSentToAttacker checks RFC 9700 2.1's "MUST NOT expose URLs that forward the user's
// browser to arbitrary URIs obtained from a query parameter": no request of the browser went to
// the attacker's host, and no redirect named it (a redirect a page policy then blocked, such as
// a CSP form-action, still forwards any other user agent).
func (w *World) neverSentToAttacker() error {
	log := w.redirect.probe
	if log == nil {
		return fmt.Errorf("no open-redirector probe ran in this scenario")
	}
	if to := log.sentToAttacker(); to != "" {
		return fmt.Errorf("expected the browser never to be sent to the attacker's URI, but it was sent to %s, taken from the parameters offered (%s) (RFC 9700 2.1: \"MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors)\")",
			redactedURL(to), strings.Join(log.params, ", "))
	}
	return nil
}

// registerRedirect adds the steps of redirect_uri.feature's confusion checks and of
// open_redirect.feature.
func (w *World) registerRedirect(sc stepAdder) {
	sc.Step(`^the user agent sends the authorization request and follows where it is sent$`, w.sendAndFollow)
	sc.Step(`^the user agent is sent to no URI but the registered redirect URI$`, w.sentOnlyToRegistered)
	sc.Step(`^the client receives an authorization code at the registered redirect URI with its query$`, w.codeKeepsRegisteredQuery)
	sc.Step(`^the login page is opened with its return parameters set to an attacker's URI and the resource owner logs in$`, w.probeLogin)
	sc.Step(`^the sign-out page is opened with its return parameters set to an attacker's URI and the resource owner signs out$`, w.probeLogout)
	sc.Step(`^the error page is opened again with return parameters set to an attacker's URI$`, w.probeErrorPage)
	sc.Step(`^the browser is never sent to the attacker's URI$`, w.neverSentToAttacker)
}
