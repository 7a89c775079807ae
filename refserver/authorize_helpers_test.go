package refserver

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Test helpers for the authorization endpoint, the login and the approval pages: a real
// store seeded from fixtures, a real server over httptest, and a "browser" (an HTTP client
// with a cookie jar) that follows redirects within the server and stops at the client.

const (
	azCallback = "http://127.0.0.1/callback"
	azUser     = "alice"
	azPassword = "alice-Secret-1"
	// A valid S256 challenge: BASE64URL(SHA256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
	// the example of RFC 7636 Appendix B.
	azVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	azChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

type azEnv struct {
	ts     *httptest.Server
	srv    *Server
	issuer string
}

// newAZEnv starts a reference server on a copy of the seeded store; mod may change the
// config. Use variant for another configuration over the same store.
func newAZEnv(t *testing.T, mod func(*Config)) *azEnv {
	t.Helper()
	st, _ := openSeededCopy(t)
	return startAZEnv(t, st, mod)
}

// variant starts another server over the same store with a changed config.
func (e *azEnv) variant(t *testing.T, mod func(*Config)) *azEnv {
	t.Helper()
	return startAZEnv(t, e.srv.db, mod)
}

func startAZEnv(t *testing.T, st *store.Store, mod func(*Config)) *azEnv {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	cfg := Config{Issuer: issuer, GlobalSecret: bytes.Repeat([]byte("s"), 32)}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := newServer(cfg, st)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return &azEnv{ts: ts, srv: srv, issuer: issuer}
}

// authURL builds an authorization request URL from name/value pairs; "" values are kept as
// given (so a test can send empty parameters).
func (e *azEnv) authURL(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return e.issuer + PathAuthorize + "?" + b.String()
}

type azBrowser struct {
	t   *testing.T
	env *azEnv
	c   *http.Client
}

func (e *azEnv) browser(t *testing.T) *azBrowser {
	jar, _ := cookiejar.New(nil)
	host := e.ts.Listener.Addr().String()
	c := &http.Client{
		Jar: jar,
		// Follow redirects within the server; stop at anything else (the client's redirect URI).
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != host || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return &azBrowser{t: t, env: e, c: c}
}

type azPage struct {
	resp *http.Response
	body string
}

func (b *azBrowser) do(req *http.Request) azPage {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		b.t.Fatalf("%s %s: status %d: %s", req.Method, req.URL, resp.StatusCode, body)
	}
	return azPage{resp: resp, body: string(body)}
}

func (b *azBrowser) get(u string) azPage {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *azBrowser) post(u string, form url.Values) azPage {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	azFormRe   = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	azHiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// form returns the action and hidden fields of the page's form.
func (p azPage) form(t *testing.T) (string, url.Values) {
	t.Helper()
	m := azFormRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form on the page (status %d): %s", p.resp.StatusCode, p.body)
	}
	v := url.Values{}
	for _, h := range azHiddenRe.FindAllStringSubmatch(p.body, -1) {
		v.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), v
}

// signedIn is a browser whose resource owner has logged in already (on the login page reached
// by its own URL): its erroneous authorization requests are redirected to the client at once,
// where a browser without a session is asked to log in first (RFC 9700 4.11.2).
func (e *azEnv) signedIn(t *testing.T) *azBrowser {
	t.Helper()
	b := e.browser(t)
	p := b.login(b.get(e.issuer+PathLogin), azUser, azPassword)
	if p.resp.StatusCode != http.StatusOK || p.isLogin() {
		t.Fatalf("signing in: status %d: %s", p.resp.StatusCode, p.body)
	}
	return b
}

func (p azPage) isLogin() bool    { return strings.Contains(p.body, `id="username"`) }
func (p azPage) isApproval() bool { return strings.Contains(p.body, `id="approve"`) }

// login fills and submits the login page.
func (b *azBrowser) login(p azPage, user, password string) azPage {
	b.t.Helper()
	if !p.isLogin() {
		b.t.Fatalf("expected the login page, got status %d: %s", p.resp.StatusCode, p.body)
	}
	action, v := p.form(b.t)
	v.Set("username", user)
	v.Set("password", password)
	return b.post(b.env.issuer+action, v)
}

// decide clicks #approve or #deny on the approval page.
func (b *azBrowser) decide(p azPage, decision string) azPage {
	b.t.Helper()
	if !p.isApproval() {
		b.t.Fatalf("expected the approval page, got status %d: %s", p.resp.StatusCode, p.body)
	}
	action, v := p.form(b.t)
	v.Set("decision", decision)
	return b.post(b.env.issuer+action, v)
}

// authorize runs the whole flow from the authorization URL: login if asked, then the decision
// ("approve"/"deny") if the approval page shows. It returns the last response.
func (b *azBrowser) authorize(authURL, decision string) azPage {
	b.t.Helper()
	p := b.get(authURL)
	if p.isLogin() {
		p = b.login(p, azUser, azPassword)
	}
	if p.isApproval() {
		p = b.decide(p, decision)
	}
	return p
}

// azResponse is an authorization response at the client's redirect URI.
type azResponse struct {
	loc      *url.URL
	query    url.Values
	fragment url.Values
}

// redirected asserts p is a 303 to the client's redirect URI (prefix) and parses it. Every
// authorization response carries iss (RFC 9207 2): checked here, for every test.
func (e *azEnv) redirected(t *testing.T, p azPage, prefix string, inFragment bool) azResponse {
	t.Helper()
	if p.resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expected a 303 redirect to the client, got %d: %s", p.resp.StatusCode, p.body)
	}
	loc := p.resp.Header.Get("Location")
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("redirect to %q, want a URL starting with %q", loc, prefix)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("bad Location %q: %v", loc, err)
	}
	fr, err := url.ParseQuery(u.Fragment)
	if err != nil {
		t.Fatalf("bad fragment in %q: %v", loc, err)
	}
	r := azResponse{loc: u, query: u.Query(), fragment: fr}
	params := r.query
	if inFragment {
		params = r.fragment
		if len(r.query) != 0 {
			t.Errorf("implicit response has query parameters: %q", loc)
		}
	} else if u.Fragment != "" {
		t.Errorf("code response has a fragment: %q", loc)
	}
	if got := params["iss"]; len(got) != 1 || got[0] != e.issuer {
		t.Errorf("iss = %q, want exactly [%q] (RFC 9207) in %q", got, e.issuer, loc)
	}
	return r
}

// wantError asserts an error redirect with the given code and state.
func (e *azEnv) wantError(t *testing.T, p azPage, inFragment bool, code, state string) azResponse {
	t.Helper()
	r := e.redirected(t, p, azCallback, inFragment)
	params := r.query
	if inFragment {
		params = r.fragment
	}
	if got := params.Get("error"); got != code {
		t.Errorf("error = %q (%s), want %q", got, params.Get("error_description"), code)
	}
	if state == "" {
		if _, ok := params["state"]; ok {
			t.Errorf("state present (%q) though none was sent", params.Get("state"))
		}
	} else if got := params["state"]; len(got) != 1 || got[0] != state {
		t.Errorf("state = %q, want [%q]", got, state)
	}
	for _, c := range params.Get("error_description") {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("error_description has a character RFC 6749 4.1.2.1 forbids: %q", params.Get("error_description"))
			break
		}
	}
	if params.Get("code") != "" || params.Get("access_token") != "" {
		t.Errorf("an error response carries a code or token: %v", params)
	}
	return r
}

// wantPage asserts an error page (never a redirect) with the status.
func (e *azEnv) wantPage(t *testing.T, p azPage, status int) {
	t.Helper()
	if p.resp.StatusCode != status {
		t.Errorf("status %d, want %d (an error page): %s", p.resp.StatusCode, status, p.body)
	}
	if loc := p.resp.Header.Get("Location"); loc != "" {
		t.Errorf("error page redirects to %q; it must not", loc)
	}
	if !strings.Contains(p.body, `id="error-message"`) {
		t.Errorf("not the error page: %s", p.body)
	}
	azCheckPageHeaders(t, p.resp)
}

func azCheckPageHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	h := resp.Header
	if got := h.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q, want DENY", got)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "default-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type = %q, want text/html", h.Get("Content-Type"))
	}
}

// The authorize handler holds redirect URIs to the registration rule (refserver/domain), not
// to a stricter one of its own: a private-use URI without a host (RFC 8252 7.1) is redirected
// to; what registration refuses is refused here too, even if it was stored.
func TestMatchRedirectURIFollowsTheDomainRule(t *testing.T) {
	for _, c := range []struct {
		requested string
		ok        bool
	}{
		{"com.example.app:/cb", true},
		{"com.example.app:/cb?x=1", true},
		{"https://app.example/cb", true},
		{"http://127.0.0.1/callback", true},
		{"http://app.example/cb", false}, // http on a non-loopback host
		{"myapp:/cb", false},             // a private-use scheme not in reverse-domain form
		{"https:///cb", false},           // no host
		{"http://example.com/cb/*", false},
	} {
		u, msg := matchRedirectURI(c.requested, false, []string{c.requested})
		if (u != nil) != c.ok {
			t.Errorf("%q registered and requested: matched %v (%q), want %v", c.requested, u != nil, msg, c.ok)
		}
		// Without redirect_uri, the one registered is used, under the same rule.
		u, msg = matchRedirectURI("", false, []string{c.requested})
		if (u != nil) != c.ok {
			t.Errorf("%q registered, none requested: matched %v (%q), want %v", c.requested, u != nil, msg, c.ok)
		}
	}
}
