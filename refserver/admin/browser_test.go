package admin_test

// The console in a real browser (Chromium through playwright): what html/template tests cannot
// see (the CSP, cookies and the Origin header as a browser sends them) on the path the
// @refserver scenarios take: sign in, register a client, copy its secret, use it, revoke the
// token in the tokens view.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/admin"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/steps/browser"
)

func TestConsoleInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	opts := browser.DefaultOptions()
	if err := opts.Check(); err != nil {
		t.Fatalf("no browser (make setup installs it): %v", err)
	}
	// A copy of the database TestMain seeded from fixtures/refserver/seed.yaml.
	db := filepath.Join(t.TempDir(), "oauth.db")
	if err := seed.CopyDB(admin.SeededDBPath(), db); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := httptest.NewUnstartedServer(nil)
	h, err := refserver.New(refserver.Config{Issuer: "http://" + ts.Listener.Addr().String(), GlobalSecret: bytes.Repeat([]byte("g"), 32)}, st)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	defer ts.Close()

	b, err := browser.Launch(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := b.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Page()
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			png, _ := p.Screenshot()
			t.Fatalf("%s: %v (page %s, %d bytes of screenshot)", what, err, p.URL(), len(png))
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := p.Locator(sel).TextContent(playwright.LocatorTextContentOptions{Timeout: playwright.Float(10000)})
		step("read "+sel, err)
		return strings.TrimSpace(v)
	}
	_, err = s.Goto(ts.URL+"/admin/", 15*time.Second)
	step("open the console", err)
	step("fill the username", p.Locator("#admin-username").Fill("admin"))
	step("fill the password", p.Locator("#admin-password").Fill("admin-Secret-0123456789"))
	step("sign in", p.Locator("#admin-login").Click())
	step("open the client form", p.Locator("#new-client").Click())
	step("name", p.Locator("#client-name").Fill("Browser-made client"))
	step("grant", p.Locator("#grant-client_credentials").Check())
	step("scope", p.Locator(`[data-scope="calc:read"]`).Check())
	step("register", p.Locator("#client-save").Click())
	id, secret := text("#client-id"), text("#client-secret")
	if id == "" || len(secret) < 40 {
		t.Fatalf("the console showed id %q and secret %q", id, secret)
	}

	// The copied secret works at the token endpoint.
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}
	req, _ := http.NewRequest("POST", ts.URL+refserver.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token request with the console's secret: status %d", res.StatusCode)
	}

	// The token shows in the tokens view; revoking it there makes it inactive.
	_, err = s.Goto(ts.URL+"/admin/tokens?client_id="+url.QueryEscape(id), 15*time.Second)
	step("open the tokens view", err)
	step("revoke", p.Locator("#revoke-1").Click())
	if got := text("#flash"); got != "Revoked." {
		t.Errorf("after revoking the page says %q", got)
	}
	if !strings.Contains(text("#no-tokens"), "No active tokens") {
		t.Errorf("the revoked token is still listed")
	}
	req, _ = http.NewRequest("POST", ts.URL+refserver.PathIntrospect, strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Active bool `json:"active"`
	}
	_ = json.NewDecoder(res.Body).Decode(&in)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || in.Active {
		t.Errorf("introspection after revoking in the console: status %d, active %v", res.StatusCode, in.Active)
	}
}
