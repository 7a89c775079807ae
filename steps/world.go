// Package steps holds the godog step definitions of the conformance suite. Every scenario gets
// its own World (recording HTTP client, callback listener, browser session, codes and tokens);
// nothing is shared between scenarios, so the suite runs concurrently and in random order.
package steps

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/callback"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// Env is what every scenario of a run shares, read-only: built once by the runner.
type Env struct {
	Profile *profile.Profile
	// Browser is nil when no browser could be launched; BrowserErr says why, and @browser
	// scenarios fail with it.
	Browser    *browser.Browser
	BrowserErr error
	// AuditLog returns the security audit log the embedded reference server has written so
	// far (JSON lines); nil when the target is not the embedded server.
	AuditLog func() []byte
	// OnExchange, when set, is called with every HTTP exchange the scenarios make.
	OnExchange func(*oauthclient.Exchange)
	// TLS is the TLS configuration of the suite's connections to the target (the profile's
	// tls.ca_file as extra roots); nil: crypto/tls's defaults.
	TLS *tls.Config
	// ScreenshotsAll attaches a screenshot after every browser step; by default only a failed,
	// blocked or inconclusive scenario gets one (its last page), which keeps the flows fast.
	ScreenshotsAll bool
}

// InitializeScenario registers the steps and hooks; each scenario gets a fresh World.
func InitializeScenario(env *Env) func(*godog.ScenarioContext) {
	return func(sc *godog.ScenarioContext) {
		w := newWorld(env)
		sc.Before(w.before)
		sc.After(w.after)
		sc.StepContext().Before(w.beforeStep)
		sc.StepContext().After(w.afterStep)
		w.register(sc)
	}
}

// World is one scenario's state.
type World struct {
	env  *Env
	p    *profile.Profile
	http *oauthclient.Client

	listener *callback.Listener
	session  *browser.Session
	pages    *pageLog

	// authAs is the authentication method a scenario chose for a role's client among those
	// the server accepts from it (clients.<role>.auth_methods), by role key.
	authAs map[string]string

	// The authorization request being built and what came back.
	authRole string
	authReq  *oauthclient.AuthorizeURL
	verifier string
	state    string
	authResp *authResponse
	// forgery is what a forged form submission showed (authz_more_steps.go).
	forgery *forgery
	// redirect is what the redirect URI and open-redirector checks saw (redirect_steps.go).
	redirect redirectState

	// The code obtained, with what its redemption needs.
	code            string
	codeRole        string
	codeRedirectURI string
	codeHasRedirect bool
	codeVerifier    string

	// Tokens, oldest first; owner is the role of the client they were issued to.
	accessTokens  []string
	refreshTokens []string
	tokenOwner    string
	originalScope string
	// otherMayNotRefresh is set when "another client" was chosen for a refresh without the
	// profile declaring it for refresh_token (otherRole).
	otherMayNotRefresh bool

	// admin is what the administrator made in this scenario (admin_steps.go).
	admin adminState
	// side is the token-side steps' own state (tokenops_steps.go): who saw which token active,
	// the answers of the last parallel requests.
	side tokenSide

	last           *oauthclient.Response
	lastScopeAsked string
	lastAuth       oauthclient.AuthMethod

	// stepMark is how many HTTP exchanges were recorded before the current step began.
	stepMark int
	// level is the scenario's strongest level tag (MUST, SHOULD, MAY or ""), for verdict.Classify.
	level string
	// requirements are the scenario's requirement tags without "@" ("RFC7636-4.6"): a refusal
	// step reads which sentence, if any, requires the error code it names (refusal_steps.go).
	requirements []string
	// unsupportedMethod is the PKCE method the scenario takes as unsupported; methodsFromMetadata
	// says that only the metadata said so (response_steps.go).
	unsupportedMethod   string
	methodsFromMetadata bool

	// basicUnregistered (pkce_steps.go, RFC 6749 2.3.1) names the clients HTTP Basic was tried
	// with although the profile registers them for another method; "" when none was.
	basicUnregistered string

	// ended is set when a step ended the scenario without judging the target (a verdict.Error).
	ended *verdict.Error
}

func newWorld(env *Env) *World {
	timeout := env.Profile.Timeouts.Request
	if timeout <= 0 {
		timeout = profile.DefaultRequestTimeout
	}
	w := &World{env: env, p: env.Profile, http: oauthclient.NewTLS(timeout, env.TLS)}
	if env.OnExchange != nil {
		w.http.Observe(env.OnExchange)
	}
	return w
}

// before skips a scenario whose capability tags the target does not support: the report lists
// it as not applicable, with the reason, never as passed.
func (w *World) before(ctx context.Context, sc *godog.Scenario) (context.Context, error) {
	for _, t := range sc.Tags {
		switch tag := strings.TrimPrefix(t.Name, "@"); tag {
		case "MUST", "SHOULD", "MAY":
			if levelRank[tag] > levelRank[w.level] {
				w.level = tag
			}
		default:
			if strings.HasPrefix(tag, "RFC") {
				w.requirements = append(w.requirements, tag)
			}
		}
	}
	for _, t := range sc.Tags {
		// The runner refuses unknown tags when the suite loads; this guards a suite run another
		// way: an unknown tag is an error of the features, never "not applicable".
		if err := profile.CheckTag(t.Name); err != nil {
			return ctx, err
		}
	}
	for _, t := range sc.Tags {
		tag := strings.TrimPrefix(t.Name, "@")
		if ok, reason := w.p.Supports(tag); !ok {
			return ctx, verdict.NotApplicable("%s", reason)
		}
		if tag == "browser" && w.env.Browser == nil {
			return ctx, verdict.Inconclusive("this scenario needs a browser, and none could be started: %v", w.env.BrowserErr)
		}
	}
	return ctx, nil
}

var levelRank = map[string]int{"": 0, "MAY": 1, "SHOULD": 2, "MUST": 3}

// after closes the scenario's browser session and callback listener; on failure it attaches a
// last screenshot of the browser.
func (w *World) after(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
	if w.session != nil {
		if (err != nil && !errors.Is(err, godog.ErrSkip)) || (w.ended != nil && w.ended.Outcome != verdict.OutcomeNotApplicable) {
			if png, serr := w.session.Screenshot(); serr == nil {
				ctx = godog.Attach(ctx, godog.Attachment{Body: png, FileName: "on-failure.png", MediaType: "image/png"})
			}
		}
		_ = w.session.Close()
		w.session = nil
	}
	if w.listener != nil {
		_ = w.listener.Close()
		w.listener = nil
	}
	return ctx, nil
}

func (w *World) beforeStep(ctx context.Context, _ *godog.Step) (context.Context, error) {
	w.stepMark = len(w.http.Exchanges())
	return ctx, nil
}

// afterStep decides what a failed step means (verdict.Classify: a failure of the target, or a
// scenario that ends not applicable, inconclusive or blocked) and records that decision on the
// step, where every report reads it. To a step that did not pass it attaches the HTTP exchanges it
// made (secrets and tokens redacted by Exchange.String), so that the reports show the request and
// response behind the outcome; an assertion about an earlier step's response attaches that
// exchange.
func (w *World) afterStep(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
	if err == nil {
		return ctx, nil
	}
	if w.ended != nil {
		return ctx, nil // an earlier step ended the scenario; these are godog's skips
	}
	var v *verdict.Error
	if errors.Is(err, godog.ErrSkip) && !errors.As(err, &v) {
		// A step that skips with a bare godog.ErrSkip: the target lacks what it needs.
		v = &verdict.Error{Outcome: verdict.OutcomeNotApplicable, Reason: strings.TrimPrefix(err.Error(), "skipped: ")}
	} else if v == nil {
		v = verdict.Classify(st, w.level, err)
	}
	exchanges := w.http.Exchanges()
	if w.stepMark <= len(exchanges) {
		exchanges = exchanges[w.stepMark:]
	}
	var ae *oauthclient.AssertionError
	if errors.As(err, &ae) && ae.Exchange != nil && !slices.Contains(exchanges, ae.Exchange) {
		exchanges = append([]*oauthclient.Exchange{ae.Exchange}, exchanges...)
	}
	for i, ex := range exchanges {
		ctx = godog.Attach(ctx, godog.Attachment{Body: []byte(ex.String()), MediaType: "text/plain",
			FileName: fmt.Sprintf("http-exchange-%d.txt", i+1)})
	}
	if v == nil {
		return ctx, nil // a failure of the target, at the scenario's level
	}
	w.ended = v
	text := ""
	if st != nil {
		text = st.Text
	}
	rec := verdict.Record{Outcome: v.Outcome, Reason: v.Reason, BlockedBy: v.BlockedBy, Step: text}
	ctx = godog.Attach(ctx, godog.Attachment{Body: rec.Marshal(), MediaType: verdict.MediaType, FileName: "verdict.json"})
	if errors.Is(err, godog.ErrSkip) {
		return ctx, nil
	}
	return ctx, v // joined with err, it makes godog record the step as skipped
}

// client returns the profile's client of a role written as in the features ("short-lived").
// A role the profile lacks makes the scenario not applicable, naming the client to add: a
// profile may describe a server with a single confidential client, or no public client.
func (w *World) client(role string) (profile.Client, error) {
	key := roleKey(role)
	c, ok := w.p.Client(key)
	if !ok {
		if key == profile.RolePKCE {
			return c, verdict.NotApplicable("the scenario needs a client to use PKCE with, and the profile has neither a public nor a confidential client (clients.public, clients.confidential)")
		}
		return c, verdict.NotApplicable("the scenario needs the %s client, and the target profile has none (clients.%s)", role, key)
	}
	return c, nil
}

// roleKey is the profile's key of a role as the features write it ("short-lived" is
// short_lived, "PKCE" is pkce).
func roleKey(role string) string {
	return strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(role))
}

func (w *World) creds(role string) (oauthclient.Credentials, oauthclient.AuthMethod, error) {
	c, err := w.client(role)
	if err != nil {
		return oauthclient.Credentials{}, "", err
	}
	method := c.AuthMethod
	if m, ok := w.authAs[roleKey(role)]; ok {
		method = m // the scenario's choice among the methods the client may use
	}
	if method == "" && c.Secret != "" {
		method = "client_secret_basic"
	}
	am, err := oauthclient.ParseAuthMethod(method)
	if err != nil {
		return oauthclient.Credentials{}, "", fmt.Errorf("clients.%s.auth_method: %w", roleKey(role), err)
	}
	return oauthclient.Credentials{ID: c.ID, Secret: c.Secret}, am, nil
}

// ensureListener starts the scenario's callback listener on the first client's redirect URI.
func (w *World) ensureListener(role string) error {
	if w.listener != nil {
		return nil
	}
	c, err := w.client(role)
	if err != nil {
		return err
	}
	ru := c.RedirectURI
	if ru == "" {
		ru = "http://127.0.0.1/callback"
	}
	l, err := callback.Listen(ru)
	if err != nil {
		return fmt.Errorf("clients.%s.redirect_uri: %w", roleKey(role), err)
	}
	w.listener = l
	return nil
}

// redirectURIFor is the client's registered redirect URI on the listener's port (RFC 8252 7.3:
// a loopback redirect URI may use any port).
func (w *World) redirectURIFor(role string) (string, error) {
	if err := w.ensureListener(role); err != nil {
		return "", err
	}
	c, err := w.client(role)
	if err != nil {
		return "", err
	}
	base, _ := url.Parse(w.listener.RedirectURI())
	if c.RedirectURI == "" {
		return base.String(), nil
	}
	reg, err := url.Parse(c.RedirectURI)
	if err != nil {
		return "", fmt.Errorf("clients.%s.redirect_uri %q is not a URL: %w", roleKey(role), c.RedirectURI, err)
	}
	out := *reg
	out.Host = base.Host
	return out.String(), nil
}

// ensureSession opens the scenario's browser context on first use.
func (w *World) ensureSession() (*browser.Session, error) {
	if w.session != nil {
		return w.session, nil
	}
	if w.env.Browser == nil {
		return nil, fmt.Errorf("this step needs a browser, and none could be started: %v", w.env.BrowserErr)
	}
	s, err := w.env.Browser.NewSession()
	if err != nil {
		return nil, err
	}
	w.session = s
	w.pages = newPageLog(s)
	return s, nil
}

func (w *World) browserTimeout() time.Duration {
	if t := w.p.Timeouts.BrowserStep; t > 0 {
		return t
	}
	return profile.DefaultBrowserStepTimeout
}

func (w *World) expiryWait() time.Duration {
	if t := w.p.Timeouts.ExpiryWait; t > 0 {
		return t
	}
	return profile.DefaultExpiryWait
}

// attachScreenshots adds the browser's screenshots to the step's report.
// Only with Env.ScreenshotsAll: otherwise the scenario's after hook takes one when it fails.
func (w *World) attachScreenshots(ctx context.Context, step string, pngs [][]byte) context.Context {
	if !w.env.ScreenshotsAll {
		return ctx
	}
	for i, png := range pngs {
		ctx = godog.Attach(ctx, godog.Attachment{Body: png, MediaType: "image/png",
			FileName: fmt.Sprintf("%s-%d.png", step, i+1)})
	}
	return ctx
}

// pageLog records what the browser loaded: every request URL, and the responses to main-frame
// navigations (for their headers and redirect statuses). Playwright reports these on its own
// goroutine, hence the lock; headers are read after the flow, outside the event handler.
type pageLog struct {
	mu        sync.Mutex
	requests  []string
	responses []pageResponse
}

type pageResponse struct {
	url    string
	status int
	method string
	resp   interface {
		AllHeaders() (map[string]string, error)
	}
}

func newPageLog(s *browser.Session) *pageLog {
	l := &pageLog{}
	page := s.Page()
	page.OnRequest(func(r playwrightRequest) {
		l.mu.Lock()
		l.requests = append(l.requests, r.URL())
		l.mu.Unlock()
	})
	page.OnResponse(func(r playwrightResponse) {
		req := r.Request()
		if !req.IsNavigationRequest() {
			return
		}
		l.mu.Lock()
		l.responses = append(l.responses, pageResponse{url: r.URL(), status: r.Status(), method: req.Method(), resp: r})
		l.mu.Unlock()
	})
	return l
}

func (l *pageLog) snapshot() ([]string, []pageResponse) {
	if l == nil {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...), append([]pageResponse(nil), l.responses...)
}

// stepAdder is the part of godog's ScenarioContext the steps use to register themselves (an
// interface so that a test can list every step definition).
type stepAdder interface {
	Step(expr, stepFunc interface{})
}
