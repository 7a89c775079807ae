package browser

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/playwright-community/playwright-go"

	callbackpkg "github.com/oauthconf/oauthconf/steps/callback"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

const (
	// optionalGrace is how long an optional action's element may take to appear before the
	// action is skipped.
	optionalGrace = 500 * time.Millisecond
	// settleGrace is how long a loaded page that shows neither the login nor the approval
	// elements may take to render them (a script-built page) before it counts as an error page.
	// Server-rendered pages are classified at once, without this wait.
	settleGrace = 300 * time.Millisecond
	// settleQuick is how long settle trusts playwright-go's own record of the load state before
	// asking the page (see settle).
	settleQuick = 150 * time.Millisecond
	// maxPages bounds the pages one authorization may go through (login, approval, a repeat).
	maxPages = 6
	// maxPageText bounds the page text kept in an Outcome.
	maxPageText = 4000
)

// Session is one scenario's browser context and page. It is not safe for concurrent use by
// several goroutines (a scenario is sequential); the navigation record is, since Playwright
// reports events on its own goroutine.
type Session struct {
	owner *Browser
	ctx   playwright.BrowserContext
	page  playwright.Page
	// screenshots: Authorize shoots every page (Options.Screenshots).
	screenshots bool
	closeOnce   sync.Once

	mu     sync.Mutex
	navs   []string // main-frame navigation requests since the last reset, in order
	status int      // status of the last main-frame navigation response
	// redirects are the targets of the main-frame redirects since the last reset, as the server
	// wrote them in Location (resolved against the response's URL): a navigation request shows
	// the URL after Chromium's canonicalisation ("/%63allback" becomes "/callback").
	redirects []string
}

// Close closes the context and its page, in the background: the Browser's Close waits for it.
func (s *Session) Close() error {
	if s == nil {
		return nil
	}
	if s.owner != nil {
		return s.owner.release(s)
	}
	return s.close()
}

func (s *Session) close() error {
	var err error
	s.closeOnce.Do(func() { err = s.ctx.Close() })
	return err
}

// Page is the scenario's page, for steps that need more than this package offers.
func (s *Session) Page() playwright.Page { return s.page }

func (s *Session) onRequest(r playwright.Request) {
	if !r.IsNavigationRequest() || r.Frame() != s.page.MainFrame() {
		return
	}
	s.mu.Lock()
	s.navs = append(s.navs, r.URL())
	s.mu.Unlock()
}

func (s *Session) onResponse(r playwright.Response) {
	req := r.Request()
	if !req.IsNavigationRequest() || req.Frame() != s.page.MainFrame() {
		return
	}
	var target string
	if st := r.Status(); st >= 300 && st <= 399 {
		// Headers() is what the driver reported with the event: no round trip from its goroutine.
		if loc := r.Headers()["location"]; loc != "" {
			if base, err := url.Parse(r.URL()); err == nil {
				if u, err := base.Parse(loc); err == nil {
					target = u.String()
				}
			}
		}
	}
	s.mu.Lock()
	s.status = r.Status()
	if target != "" {
		s.redirects = append(s.redirects, target)
	}
	s.mu.Unlock()
}

func (s *Session) resetNavigation() {
	s.mu.Lock()
	s.navs, s.status, s.redirects = nil, 0, nil
	s.mu.Unlock()
}

func (s *Session) navigation() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.navs...), s.status
}

func (s *Session) redirectTargets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.redirects...)
}

// Seen returns the main-frame navigation requests and the redirect targets (each Location as
// the server wrote it, resolved) recorded since the last Authorize, for steps that drive the
// page themselves: a redirect the page's policy then blocks (a CSP form-action) still shows.
func (s *Session) Seen() (navigations, redirects []string) {
	navs, _ := s.navigation()
	return navs, s.redirectTargets()
}

// Goto loads url and returns the status of the final response (after redirects).
func (s *Session) Goto(rawURL string, timeout time.Duration) (int, error) {
	resp, err := s.page.Goto(rawURL, playwright.PageGotoOptions{
		Timeout: ms(timeout),
		// DOMContentLoaded: a server-rendered page is usable once parsed; "load" would also
		// wait for images and styles no flow needs.
		WaitUntil: playwright.WaitUntilStateDomcontentloaded,
	})
	if err != nil {
		// net::ERR_*, a timeout, a crashed page: the suite did not see the server's answer.
		// The network error's name goes first: the reports cut long reasons after the URL.
		if code := netError.FindString(err.Error()); code != "" {
			hint := ""
			if code == "net::ERR_UNSAFE_PORT" {
				hint = " (Chromium refuses this port unless the browser is launched with it: the runner allows the ports of the profile's issuer, endpoints, origins and redirect URIs)"
			}
			return 0, verdict.SuiteTrouble(fmt.Errorf("browser: %s loading %s%s", code, rawURL, hint))
		}
		return 0, verdict.SuiteTrouble(fmt.Errorf("browser: loading %s: %s", rawURL, shortError(err, timeout)))
	}
	if resp == nil {
		return 0, nil // a same-document navigation (only the fragment changed)
	}
	return resp.Status(), nil
}

// Screenshot is a PNG of the page's viewport.
func (s *Session) Screenshot() ([]byte, error) {
	b, err := s.page.Screenshot(playwright.PageScreenshotOptions{
		Type: playwright.ScreenshotTypePng,
		// Leave the caret alone: hiding it costs Playwright a style injection per shot.
		Caret: playwright.ScreenshotCaretInitial,
	})
	if err != nil {
		return nil, fmt.Errorf("browser: screenshot: %w", err)
	}
	return b, nil
}

// netError is the name of a Chromium network error in a Playwright message.
var netError = regexp.MustCompile(`net::ERR_[A-Z_]+`)

var placeholder = regexp.MustCompile(`{{\s*([^}]*?)\s*}}`)

// Perform runs the profile's actions in order. {{user.username}} and {{user.password}} in With
// are replaced from vars["user.username"] and vars["user.password"]. timeout bounds each action.
// Its errors are the suite's trouble (verdict.SuiteTrouble): an element that never appears
// means a wrong profile as much as a server's error page, so the scenario is inconclusive, and
// the error names the page (URL and title).
func (s *Session) Perform(actions []profile.Action, vars map[string]string, timeout time.Duration) error {
	for i, a := range actions {
		if err := s.perform(a, vars, timeout); err != nil {
			return verdict.SuiteTrouble(fmt.Errorf("step %d (%s) on %s: %w", i+1, a.Describe(), s.where(), err))
		}
	}
	return nil
}

func (s *Session) perform(a profile.Action, vars map[string]string, timeout time.Duration) error {
	if a.WaitURL != "" {
		if err := s.waitURLGlob(a.WaitURL, timeout); err != nil {
			if a.Optional {
				return nil
			}
			return fmt.Errorf("the page URL did not match %q: %s", a.WaitURL, shortError(err, timeout))
		}
		return nil
	}
	selector := a.Fill + a.Click + a.WaitFor // exactly one is set (profile validation)
	loc := s.page.Locator(selector)
	if a.Optional {
		visible, _ := loc.First().IsVisible()
		if !visible && !s.mayStillRender() {
			return nil // a parsed page without scripts will not grow the element: skip at once
		}
		if !visible && loc.First().WaitFor(playwright.LocatorWaitForOptions{
			State: playwright.WaitForSelectorStateVisible, Timeout: ms(min(timeout, optionalGrace)),
		}) != nil {
			return nil // the optional element is not there: skip the action
		}
	}
	var err error
	switch {
	case a.Fill != "":
		var value string
		if value, err = expand(a.With, vars); err == nil {
			err = loc.Fill(value, playwright.LocatorFillOptions{Timeout: ms(timeout)})
		}
	case a.Click != "":
		err = loc.Click(playwright.LocatorClickOptions{Timeout: ms(timeout)})
	case a.WaitFor != "":
		err = loc.WaitFor(playwright.LocatorWaitForOptions{State: playwright.WaitForSelectorStateVisible, Timeout: ms(timeout)})
	default:
		err = errors.New("the action has none of fill, click, wait_for, wait_url")
	}
	if err != nil {
		if errors.Is(err, playwright.ErrTimeout) {
			return fmt.Errorf("%s never became usable: either the profile's selector is wrong for this page or the server showed another page (%s)", selector, shortError(err, timeout))
		}
		return errors.New(shortError(err, timeout))
	}
	return nil
}

// where names the page for an error: its URL and title.
func (s *Session) where() string {
	title, err := s.page.Title()
	if err != nil || title == "" {
		return s.page.URL()
	}
	return fmt.Sprintf("%s (title %q)", s.page.URL(), title)
}

func expand(with string, vars map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(with, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for {{%s}}", strings.Join(missing, "}}, {{"))
	}
	return out, nil
}

// Flow describes one authorization request performed in the browser.
type Flow struct {
	Profile *profile.Profile
	// User logs in when the login page shows; with an empty Username the flow stops at the
	// login page (LoginShown) instead.
	User profile.User
	// Decision on the approval page: "approve", "deny", or "" to stop there (ApprovalShown).
	Decision string
	// CallbackPrefix is the redirect URI the browser should land on, the one the request
	// names: callback.Reaches decides what reaches it (the raw path and the requested query
	// must match; the parameters added to it are the response).
	CallbackPrefix string
	// Timeout bounds each navigation and action (default: the profile's timeouts.browser_step).
	Timeout time.Duration
}

// Outcome is where an authorization ended.
type Outcome struct {
	FinalURL        *url.URL
	Query, Fragment url.Values
	ReachedCallback bool
	LoginShown      bool
	ApprovalShown   bool
	// LoginAttempts counts the times the login actions were performed; 2 means the login
	// page came back after logging in (wrong credentials).
	LoginAttempts int
	// OtherPage: the flow ended on a page that is neither the callback nor the login or
	// approval page the profile describes: the server's error page, or a page the profile's
	// selectors do not match (Status tells them apart only when it is an error status).
	OtherPage bool
	// Status of the last page's HTTP response (0 when it did not load).
	Status int
	// PageText is the visible text of the last page when it was not the callback.
	PageText string
	// Navigations lists the URLs the page was directed to, redirects included.
	Navigations []string
	// Redirects lists the Location targets of the redirects, as the server wrote them.
	Redirects []string
	// Screenshots are PNGs taken after loading the authorization URL and after each set of
	// actions, with Options.Screenshots only; the steps attach them to the report.
	Screenshots [][]byte
}

type pageKind int

const (
	pageOther pageKind = iota
	pageLogin
	pageApproval
)

// Authorize loads authURL and acts as the resource owner until the browser lands on the
// callback or on a page that is neither the login nor the approval page (an error page). The
// error is for failures of the harness or of the page (an action's element missing, a load
// failing away from the callback); a server refusing the request shows in the Outcome.
func (s *Session) Authorize(authURL string, flow Flow) (*Outcome, error) {
	if flow.Profile == nil {
		return nil, errors.New("browser: Authorize needs the target profile")
	}
	timeout := flow.Timeout
	if timeout <= 0 {
		timeout = flow.Profile.Timeouts.BrowserStep
	}
	if timeout <= 0 {
		timeout = profile.DefaultBrowserStepTimeout
	}
	switch flow.Decision {
	case "", "approve", "deny":
	default:
		return nil, fmt.Errorf("browser: unknown decision %q (want approve, deny or empty)", flow.Decision)
	}
	callback, err := url.Parse(flow.CallbackPrefix)
	if err != nil || callback.Host == "" {
		return nil, fmt.Errorf("browser: callback %q is not an absolute URL", flow.CallbackPrefix)
	}
	b := flow.Profile.Browser
	login, approve, deny := profile.PageSelector(b.Login), profile.PageSelector(b.Approve), profile.PageSelector(b.Deny)
	vars := map[string]string{"user.username": flow.User.Username, "user.password": flow.User.Password}

	out := &Outcome{}
	s.resetNavigation()
	if !loadable(callback.Hostname()) {
		// Chromium refuses to follow a redirect to this host (net::ERR_INVALID_REDIRECT, with
		// no response event), so the suite would never see where the server sent it: the
		// navigations are fetched through a route instead, which shows each redirect.
		stop, err := s.watchRedirects(timeout)
		if err != nil {
			return nil, verdict.SuiteTrouble(err)
		}
		defer stop()
	}
	_, navErr := s.Goto(authURL, timeout)
	s.shoot(out)
	decided := false
	for range maxPages {
		if s.landed(callback, out) {
			return out, nil
		}
		kind := s.classify(login, approve, deny)
		if navErr != nil && kind == pageOther {
			// A page that did not finish loading only matters when it is not one the flow
			// knows: the login or approval form may be usable before its load event.
			s.finish(out)
			return out, navErr
		}
		switch kind {
		case pageLogin:
			out.LoginShown = true
			if flow.User.Username == "" || out.LoginAttempts > 0 {
				// Asked to stop here, or the login page came back after logging in.
				s.finish(out)
				return out, nil
			}
			out.LoginAttempts++
			if err := s.Perform(b.Login, vars, timeout); err != nil {
				s.shoot(out)
				s.finish(out)
				return out, fmt.Errorf("browser: login (browser.login) %w", err)
			}
		case pageApproval:
			out.ApprovalShown = true
			if flow.Decision == "" || decided {
				s.finish(out)
				return out, nil
			}
			decided = true
			actions, name := b.Approve, "approve"
			if flow.Decision == "deny" {
				actions, name = b.Deny, "deny"
			}
			if err := s.Perform(actions, vars, timeout); err != nil {
				s.shoot(out)
				s.finish(out)
				return out, fmt.Errorf("browser: %s (browser.%s) %w", name, name, err)
			}
		default:
			s.finish(out)
			out.OtherPage = true
			return out, nil // an error page, or one the profile does not describe: the scenario judges it
		}
		navErr = s.settle(timeout)
		s.shoot(out)
	}
	s.finish(out)
	return out, verdict.SuiteTrouble(fmt.Errorf("browser: still not at %s after %d pages; last page %s", flow.CallbackPrefix, maxPages, s.where()))
}

func (s *Session) classify(login, approve, deny string) pageKind {
	check := func() pageKind {
		if visibleNow(s.page, login) {
			return pageLogin
		}
		if visibleNow(s.page, approve) || visibleNow(s.page, deny) {
			return pageApproval
		}
		return pageOther
	}
	if k := check(); k != pageOther {
		return k
	}
	var either playwright.Locator
	for _, sel := range []string{login, approve, deny} {
		if sel == "" {
			continue
		}
		if either == nil {
			either = s.page.Locator(sel)
		} else {
			either = either.Or(s.page.Locator(sel))
		}
	}
	if either == nil || !s.mayStillRender() {
		return pageOther
	}
	if either.First().WaitFor(playwright.LocatorWaitForOptions{State: playwright.WaitForSelectorStateVisible, Timeout: ms(settleGrace)}) != nil {
		return pageOther
	}
	return check()
}

// mayStillRender reports whether the page may yet build the elements the profile looks for: it
// has scripts, or is still being parsed. A parsed page without scripts is complete, so it is
// classified at once instead of after settleGrace.
func (s *Session) mayStillRender() bool {
	v, err := s.page.Evaluate(`() => document.readyState === "loading" || document.scripts.length > 0`)
	b, ok := v.(bool)
	return err != nil || !ok || b
}

func visibleNow(page playwright.Page, selector string) bool {
	if selector == "" {
		return false
	}
	v, err := page.Locator(selector).First().IsVisible()
	return err == nil && v
}

// settle waits for the page an action led to. Playwright's click already waits for the
// navigation it starts to commit; this waits for that document to be parsed (DOMContentLoaded:
// the server-rendered forms are usable then; "load" would also wait for images and styles the
// flow never needs).
//
// page.WaitForLoadState alone cannot be trusted: playwright-go (v0.5200.1) checks the load
// states it has seen and then starts listening for the next one, so a state reported in between
// is missed and the wait runs to its timeout. It did, in about one run of the suite in three: a
// 10 s stall on a page that had long been loaded. So it is asked only briefly (it answers at
// once, without a round trip to the driver, when it has seen the state), and then the
// condition is evaluated in the page.
func (s *Session) settle(timeout time.Duration) error {
	if s.page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{
		State: playwright.LoadStateDomcontentloaded, Timeout: ms(min(timeout, settleQuick)),
	}) == nil {
		return nil
	}
	h, err := s.page.WaitForFunction(`() => document.readyState !== "loading"`, nil,
		playwright.PageWaitForFunctionOptions{Timeout: ms(timeout)})
	if h != nil {
		_ = h.Dispose()
	}
	if err != nil {
		navs, status := s.navigation()
		if len(navs) > 3 {
			navs = navs[len(navs)-3:]
		}
		return verdict.SuiteTrouble(fmt.Errorf("browser: waiting for %s to load: %s (last navigations: %s; last status %d)",
			s.page.URL(), shortError(err, timeout), strings.Join(navs, " -> "), status))
	}
	return nil
}

// Settle waits until the page's document is parsed (see settle), for steps that drive the
// page themselves.
func (s *Session) Settle(timeout time.Duration) error { return s.settle(timeout) }

// WaitURL waits until the page's URL satisfies match, then for its document to be parsed. It
// watches the URL the driver reports rather than using page.WaitForURL, which checks the URL
// and then starts listening for navigations, and so misses one that lands in between.
func (s *Session) WaitURL(match func(string) bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !match(s.page.URL()) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the page stayed at %s for %s", s.page.URL(), timeout)
		}
		<-tick.C
	}
	return s.settle(max(time.Until(deadline), time.Second))
}

// waitURLGlob waits until the page URL matches a Playwright glob (a profile's wait_url).
// page.WaitForURL checks the URL and then starts listening, so it can miss a navigation that
// lands in between (see WaitURL); short attempts, each starting with a fresh check, bound what a
// miss costs to one attempt.
func (s *Session) waitURLGlob(glob string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		attempt := min(time.Until(deadline), 250*time.Millisecond)
		err := s.page.WaitForURL(glob, playwright.PageWaitForURLOptions{Timeout: ms(max(attempt, time.Millisecond))})
		if err == nil || !errors.Is(err, playwright.ErrTimeout) || time.Until(deadline) <= 0 {
			return err
		}
	}
}

// landed reports whether the browser reached the callback, filling out when it did. The page
// URL carries the fragment; when the callback did not load (nothing listening), the navigation
// request shows where the server sent the browser; a redirect's Location shows the URL as the
// server wrote it, before Chromium canonicalised it.
func (s *Session) landed(callback *url.URL, out *Outcome) bool {
	navs, status := s.navigation()
	redirects := s.redirectTargets()
	out.Navigations, out.Redirects = navs, redirects
	var final *url.URL
	if u, err := url.Parse(s.page.URL()); err == nil && reaches(u, callback) {
		final = u
	} else {
		for _, list := range [][]string{navs, redirects} {
			for i := len(list) - 1; i >= 0 && final == nil; i-- {
				if u, err := url.Parse(list[i]); err == nil && reaches(u, callback) {
					final = u
				}
			}
		}
	}
	if final == nil {
		return false
	}
	out.ReachedCallback = true
	out.FinalURL = final
	out.Query = final.Query()
	out.Fragment, _ = url.ParseQuery(final.EscapedFragment())
	out.Status = status
	return true
}

// finish records the last page when the flow did not reach the callback.
func (s *Session) finish(out *Outcome) {
	navs, status := s.navigation()
	out.Navigations, out.Redirects = navs, s.redirectTargets()
	out.Status = status
	if u, err := url.Parse(s.page.URL()); err == nil {
		out.FinalURL = u
		out.Query = u.Query()
		out.Fragment, _ = url.ParseQuery(u.EscapedFragment())
	}
	text, err := s.page.Locator("body").InnerText(playwright.LocatorInnerTextOptions{Timeout: ms(time.Second)})
	if err == nil {
		if len(text) > maxPageText {
			text = text[:maxPageText] + "..."
		}
		out.PageText = strings.TrimSpace(text)
	}
}

func (s *Session) shoot(out *Outcome) {
	if !s.screenshots {
		return
	}
	if png, err := s.Screenshot(); err == nil {
		out.Screenshots = append(out.Screenshots, png)
	}
}

// loadable reports whether Chromium loads a URL with this host. The URL Standard parses a host
// whose last label is a number as an IPv4 address, so "evil.127.0.0.1" (a host that merely
// ends with the registered "127.0.0.1") is no valid URL for a browser.
func loadable(host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	return last == "" || strings.Trim(last, "0123456789") != "" && !strings.HasPrefix(strings.ToLower(last), "0x")
}

// WatchRedirects is watchRedirects for steps that drive the page themselves: every redirect's
// Location is recorded (Seen), even one the page's policy then blocks, such as a redirect
// answering a form's POST that the CSP form-action does not allow.
func (s *Session) WatchRedirects(timeout time.Duration) (stop func(), err error) {
	return s.watchRedirects(timeout)
}

// watchRedirects fetches the page's navigations itself (route.Fetch, no redirects followed) and
// records the Location of each redirect before handing the response to the page, until stop.
func (s *Session) watchRedirects(timeout time.Duration) (stop func(), err error) {
	handler := func(r playwright.Route) {
		req := r.Request()
		if !req.IsNavigationRequest() || req.Frame() != s.page.MainFrame() {
			_ = r.Continue()
			return
		}
		resp, err := r.Fetch(playwright.RouteFetchOptions{MaxRedirects: playwright.Int(0), Timeout: ms(timeout)})
		if err != nil {
			_ = r.Abort()
			return
		}
		if st := resp.Status(); st >= 300 && st <= 399 {
			if loc := resp.Headers()["location"]; loc != "" {
				if base, err := url.Parse(req.URL()); err == nil {
					if u, err := base.Parse(loc); err == nil {
						s.mu.Lock()
						s.redirects = append(s.redirects, u.String())
						s.mu.Unlock()
					}
				}
			}
		}
		_ = r.Fulfill(playwright.RouteFulfillOptions{Response: resp})
	}
	if err := s.page.Route("**/*", handler); err != nil {
		return nil, fmt.Errorf("browser: watching redirects: %w", err)
	}
	return func() { _ = s.page.Unroute("**/*", handler) }, nil
}

// reaches is callback.Reaches: the redirect URI the request named, compared by its raw path
// and query (RFC 9700 2.1: "exact string matching").
func reaches(u, callback *url.URL) bool { return callbackpkg.Reaches(u, callback) }

// shortError keeps the first line of a Playwright error (the rest is its call log) and says
// which timeout ran out.
func shortError(err error, timeout time.Duration) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = msg[:i]
	}
	if errors.Is(err, playwright.ErrTimeout) {
		return fmt.Sprintf("nothing happened within %s (timeouts.browser_step): %s", timeout, msg)
	}
	return msg
}

func ms(d time.Duration) *float64 {
	return playwright.Float(float64(d.Milliseconds()))
}
