package steps

import (
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// everyPageForbidsFraming judges RFC 9700 4.16 ("Authorization servers MUST prevent
// clickjacking attacks. Multiple countermeasures are described in [RFC6819], including the use
// of the X-Frame-Options HTTP response header field and frame-busting JavaScript."). The
// headers are the first evidence: X-Frame-Options or a CSP frame-ancestors directive on every
// server page passes. When a page has neither, the countermeasure may be frame-busting
// JavaScript, so the suite judges by behaviour (framedBehaviour): it fails only when the login
// page renders inside a frame of another origin and leaves the top page where it is.
func (w *World) everyPageForbidsFraming() error {
	err := w.everyServerPage(forbidsFraming)
	if err == nil {
		return nil
	}
	var v *verdict.Error
	if errors.As(err, &v) || verdict.IsSuiteTrouble(err) {
		return err
	}
	return w.framedBehaviour(err)
}

var framingPage = template.Must(template.New("framing").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>another origin framing the login page</title></head><body>
<script>window.oauthconfFrameLoaded = false;</script>
<iframe id="oauthconf-frame" width="900" height="700" src="{{.}}" onload="window.oauthconfFrameLoaded = true"></iframe>
</body></html>
`))

// framedBehaviour loads the authorization request inside an iframe of a page on another
// loopback origin, waits for the frame's load event, and fails only if a form of the server's
// pages (login, approval) is present inside the frame and the top page was not navigated away
// (frame-busting JavaScript navigates it; a blocked frame shows no form). It tries a fresh
// browser context (no session: the login page) and the scenario's own context, where the
// resource owner is logged in (the approval page).
func (w *World) framedBehaviour(headerErr error) error {
	selectors := map[string]string{"login": profile.PageSelector(w.p.Browser.Login), "approval": profile.PageSelector(w.p.Browser.Approve)}
	if selectors["login"] == "" && selectors["approval"] == "" {
		return verdict.Inconclusive("no page header forbids framing (%v), and the profile names no login or approval element to look for inside a frame", headerErr)
	}
	if w.env.Browser == nil || w.authReq == nil {
		return verdict.Inconclusive("no page header forbids framing (%v), and the framing could not be tried in a browser", headerErr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return verdict.SuiteTrouble(fmt.Errorf("listening for the framing page: %w", err))
	}
	authURL := w.authReq.String()
	srv := &http.Server{ReadHeaderTimeout: w.browserTimeout(), Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = framingPage.Execute(rw, template.URL(authURL))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	top := "http://" + ln.Addr().String() + "/"

	fresh, err := w.env.Browser.NewSession()
	if err != nil {
		return verdict.SuiteTrouble(fmt.Errorf("a browser context for the framing check: %w", err))
	}
	defer fresh.Close()
	pages := []playwright.Page{fresh.Page()}
	if w.session != nil {
		p, err := w.session.Page().Context().NewPage()
		if err != nil {
			return verdict.SuiteTrouble(fmt.Errorf("a page for the framing check: %w", err))
		}
		defer p.Close()
		pages = append(pages, p)
	}
	for _, page := range pages {
		which, err := w.framedIn(page, top, selectors)
		if err != nil {
			return err
		}
		if which != "" {
			return fmt.Errorf("%w; and the %s page rendered inside a frame of another origin (%s): its element %s was visible in the frame and the top page was not navigated away, so neither a header nor frame-busting JavaScript prevented the framing", headerErr, which, strings.TrimSuffix(top, "/"), selectors[which])
		}
	}
	return nil
}

// framedIn loads the framing page top in page and names the server page ("login" or
// "approval") that rendered inside the frame while the top page stayed; "" when none did.
func (w *World) framedIn(page playwright.Page, top string, selectors map[string]string) (string, error) {
	timeout := w.browserTimeout()
	if _, err := page.Goto(top, playwright.PageGotoOptions{Timeout: playwright.Float(float64(timeout.Milliseconds())), WaitUntil: playwright.WaitUntilStateLoad}); err != nil {
		return "", verdict.Inconclusive("loading the framing page: %v", err)
	}
	_, waitErr := page.WaitForFunction("() => window.oauthconfFrameLoaded === true", nil,
		playwright.PageWaitForFunctionOptions{Timeout: playwright.Float(float64(timeout.Milliseconds()))})
	if !strings.HasPrefix(page.URL(), top) {
		return "", nil // the top page was navigated away: frame-busting
	}
	if waitErr != nil {
		return "", verdict.Inconclusive("the framed authorization request did not finish loading: %v", waitErr)
	}
	frame := page.FrameLocator("#oauthconf-frame")
	for _, which := range []string{"login", "approval"} {
		sel := selectors[which]
		if sel == "" {
			continue
		}
		if frame.Locator(sel).First().WaitFor(playwright.LocatorWaitForOptions{State: playwright.WaitForSelectorStateVisible, Timeout: playwright.Float(1000)}) == nil &&
			strings.HasPrefix(page.URL(), top) {
			return which, nil
		}
	}
	return "", nil
}
