package admin

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// grant stores an active access and refresh token of clientID for subject, as a grant would.
func (e *env) grant(clientID, subject string) {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.st.LookupClient(ctx, clientID)
	if err != nil {
		e.t.Fatal(err)
	}
	now := time.Now().UTC()
	sess := &fosite.DefaultSession{Subject: subject, ExpiresAt: map[fosite.TokenType]time.Time{
		fosite.AccessToken: now.Add(time.Hour), fosite.RefreshToken: now.Add(time.Hour)}}
	req := &fosite.Request{ID: "req-" + clientID + "-" + subject, RequestedAt: now, Client: c, Session: sess, Form: url.Values{}}
	if err := e.st.CreateAccessTokenSession(ctx, "at-"+clientID+"-"+subject, req); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateRefreshTokenSession(ctx, "rt-"+clientID+"-"+subject, "at-"+clientID+"-"+subject, req); err != nil {
		e.t.Fatal(err)
	}
}

// activeTokens counts the active tokens matching f.
func (e *env) activeTokens(f store.TokenFilter) int {
	e.t.Helper()
	f.ActiveOnly = true
	ts, err := e.st.ListTokens(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(ts)
}

// Issue 10 item 2: disabling a user or a client, through the API or the console, revokes
// their tokens; enabling again brings none back.
func TestDisablingRevokesTokensInAPIAndConsole(t *testing.T) {
	e := newEnv(t)
	e.grant("conf-code", "alice")
	e.grant("conf-code", "bob")
	e.grant("conf-code-2", "alice")
	e.grant("trusted-client", "alice")
	e.grant("implicit-client", "alice")

	// A user, through the API.
	if r := e.api("PUT", "/admin/api/users/alice", map[string]any{"enabled": false}); r.status != http.StatusOK {
		t.Fatalf("disable alice: %d", r.status)
	}
	if n := e.activeTokens(store.TokenFilter{Subject: "alice"}); n != 0 {
		t.Errorf("after disabling alice through the API: %d active tokens, want 0", n)
	}
	if n := e.activeTokens(store.TokenFilter{Subject: "bob"}); n != 2 {
		t.Errorf("bob's tokens: %d active, want 2 (untouched)", n)
	}
	if r := e.api("PUT", "/admin/api/users/alice", map[string]any{"enabled": true}); r.status != http.StatusOK {
		t.Fatalf("enable alice: %d", r.status)
	}
	if n := e.activeTokens(store.TokenFilter{Subject: "alice"}); n != 0 {
		t.Errorf("after re-enabling alice: %d active tokens, want 0 (nothing resurrected)", n)
	}

	// A user, through the console (the form without "enabled" disables).
	c := e.console()
	c.login()
	users := c.get("/admin/users")
	if p := c.post("/admin/users/bob", map[string][]string{"csrf": {users.csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("disable bob in the console: %d %s", p.status, p.body)
	}
	if n := e.activeTokens(store.TokenFilter{Subject: "bob"}); n != 0 {
		t.Errorf("after disabling bob in the console: %d active tokens, want 0", n)
	}

	// Clients: grants for them again (alice is enabled), then disable and enable.
	e.grant("conf-code-2", "carol")
	e.grant("trusted-client", "carol")
	if r := e.api("POST", "/admin/api/clients/conf-code-2/disable", nil); r.status != http.StatusOK {
		t.Fatalf("disable conf-code-2: %d", r.status)
	}
	if r := e.api("POST", "/admin/api/clients/conf-code-2/enable", nil); r.status != http.StatusOK {
		t.Fatalf("enable conf-code-2: %d", r.status)
	}
	if n := e.activeTokens(store.TokenFilter{ClientID: "conf-code-2"}); n != 0 {
		t.Errorf("after disabling and enabling conf-code-2 through the API: %d active tokens, want 0", n)
	}
	clients := c.get("/admin/clients/trusted-client")
	if p := c.post("/admin/clients/trusted-client/disable", map[string][]string{"csrf": {clients.csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("disable trusted-client in the console: %d %s", p.status, p.body)
	}
	if n := e.activeTokens(store.TokenFilter{ClientID: "trusted-client"}); n != 0 {
		t.Errorf("after disabling trusted-client in the console: %d active tokens, want 0", n)
	}
	if n := e.activeTokens(store.TokenFilter{ClientID: "implicit-client"}); n != 0 {
		// implicit-client's only grant was alice's, revoked when alice was disabled.
		t.Errorf("implicit-client: %d active tokens, want 0", n)
	}
}

// Issue 10 item 5: the console's sign-out ends the session server-side: a copy of the
// session cookie taken before no longer opens the console.
func TestConsoleSignOutEndsTheSessionServerSide(t *testing.T) {
	e := newEnv(t)
	a, stolen := e.console(), e.console()
	a.login()
	u, _ := url.Parse(e.srv.URL + "/admin/")
	stolen.hc.Jar.SetCookies(u, a.hc.Jar.Cookies(u))
	if p := stolen.get("/admin/clients"); p.status != http.StatusOK {
		t.Fatalf("the copied cookie does not open the console: %d", p.status)
	}
	if p := a.post("/admin/logout", map[string][]string{"csrf": {a.get("/admin/clients").csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	if p := stolen.get("/admin/clients"); p.status != http.StatusSeeOther {
		t.Errorf("a copy of the signed-out session cookie: status %d, want a redirect to the login", p.status)
	}
	a.login()
	if p := a.get("/admin/clients"); p.status != http.StatusOK {
		t.Errorf("signing in again: %d", p.status)
	}
}

// Issue 10 item 6: the client form's action escapes the client id for its path segment (ids
// may hold '/', '?' or '#'), so saving the form edits that client, not another path.
func TestClientFormActionEscapesTheID(t *testing.T) {
	e := newEnv(t)
	const id = "odd/id?x=1#frag"
	if err := e.st.CreateClient(context.Background(), &store.Client{ID: id, Name: "Odd", Public: true,
		TokenEndpointAuthMethod: "none", RedirectURIs: []string{"http://127.0.0.1/callback"},
		GrantTypes: []string{"authorization_code"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c := e.console()
	c.login()
	p := c.get("/admin/clients/" + url.PathEscape(id))
	if p.status != http.StatusOK {
		t.Fatalf("the client's page: %d", p.status)
	}
	want := `action="/admin/clients/` + url.PathEscape(id) + `"`
	if !strings.Contains(p.body, strings.ReplaceAll(want, "&", "&amp;")) && !strings.Contains(p.body, want) {
		t.Errorf("the client form's action is not %s:\n%s", want, p.body)
	}
}

// Under TLS the console's cookies are __Host- cookies (Secure, Path=/), and signing in,
// using the console and signing out work with them, as in a browser.
func TestConsoleUnderTLSUsesHostPrefixedCookies(t *testing.T) {
	e := newEnv(t)
	ts := httptest.NewTLSServer(e.srv.Config.Handler)
	t.Cleanup(ts.Close)
	hc := ts.Client()
	hc.Jar, _ = cookiejar.New(nil)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &console{t: t, e: e, hc: hc, url: ts.URL}
	login := c.get("/admin/login")
	p := c.post("/admin/login", map[string][]string{"csrf": {login.csrf(t)}, "username": {testAdmin}, "password": {testPassword}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("login under TLS: status %d: %s", p.status, p.body)
	}
	sc := cookieNamed(p.header, "__Host-"+sessionCookie)
	if sc == nil || !sc.Secure || sc.Path != "/" || sc.Domain != "" {
		t.Fatalf("session cookie %+v: want __Host-, Secure, Path=/, no Domain", sc)
	}
	clients := c.get("/admin/clients")
	if clients.status != http.StatusOK {
		t.Fatalf("the console under TLS: status %d", clients.status)
	}
	if p := c.post("/admin/logout", map[string][]string{"csrf": {clients.csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("logout under TLS: status %d", p.status)
	}
	if p := c.get("/admin/clients"); p.status != http.StatusSeeOther {
		t.Errorf("after logout under TLS: status %d, want a redirect to the login", p.status)
	}
}
