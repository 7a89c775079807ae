package refserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// The access and refresh tokens of a user, and a check that they work.
type userTokens struct{ access, refresh string }

func (e *testEnv) aliceTokens() userTokens {
	e.t.Helper()
	r := e.passwordToken("alice", "alice-Secret-1", "calc:write offline_access")
	if r.str("refresh_token") == "" {
		e.t.Fatalf("no refresh token: %s", r)
	}
	return userTokens{r.str("access_token"), r.str("refresh_token")}
}

func (e *testEnv) refresh(rt string) *response {
	e.t.Helper()
	return e.token(ropcID, ropcSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func (e *testEnv) calc(token string) int {
	e.t.Helper()
	return e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", token).Status
}

func (e *testEnv) setUserEnabled(name string, on bool) {
	e.t.Helper()
	if err := e.st.UpdateUser(context.Background(), &store.User{Username: name, Enabled: on}); err != nil {
		e.t.Fatal(err)
	}
}

// Issue 10 item 2: disabling a user stops their tokens at once, at introspection, at the
// resource and at the refresh grant; enabling them again brings none of the old tokens back.
func TestDisabledUserTokensStopAtOnce(t *testing.T) {
	e := newTestEnv(t)
	tok := e.aliceTokens()
	code := e.codeTokens("calc:write").str("access_token") // another grant of alice's
	if !e.active(ropcID, ropcSecret, tok.access) || e.calc(tok.access) != http.StatusOK || e.calc(code) != http.StatusOK {
		t.Fatal("alice's tokens do not work before the test")
	}
	e.setUserEnabled("alice", false)
	if e.active(ropcID, ropcSecret, tok.access) || e.active(ropcID, ropcSecret, tok.refresh) {
		t.Error("a disabled user's token introspects active")
	}
	if s := e.calc(tok.access); s != http.StatusUnauthorized {
		t.Errorf("a disabled user's token at the resource: status %d, want 401", s)
	}
	if s := e.calc(code); s != http.StatusUnauthorized {
		t.Errorf("a disabled user's code-grant token at the resource: status %d, want 401", s)
	}
	expectError(t, e.refresh(tok.refresh), http.StatusBadRequest, "invalid_grant")
	if r := e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}}); r.Status != http.StatusBadRequest {
		t.Errorf("password grant for a disabled user: %s", r)
	}

	e.setUserEnabled("alice", true)
	if e.active(ropcID, ropcSecret, tok.access) || e.calc(tok.access) != http.StatusUnauthorized {
		t.Error("re-enabling the user brought an old access token back")
	}
	expectError(t, e.refresh(tok.refresh), http.StatusBadRequest, "invalid_grant")
	// New grants work again.
	if fresh := e.aliceTokens(); e.calc(fresh.access) != http.StatusOK {
		t.Error("a re-enabled user's new token does not work")
	}
	// Another user's tokens were never touched.
	bob := e.passwordToken("bob", "bob-Secret-2", "calc:write").str("access_token")
	e.setUserEnabled("alice", false)
	if !e.active(ropcID, ropcSecret, bob) {
		t.Error("disabling alice revoked bob's token")
	}
}

// Issue 10 item 2, for clients: a disabled client's tokens stop at once (getToken treats a
// disabled client's token as unknown) and, because disabling also revokes them, enabling the
// client again brings none back.
func TestDisabledClientTokensStopAndStayRevoked(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	tok := e.aliceTokens()
	other := e.ccToken(ccID, ccSecret, "calc:write")
	c, err := e.st.LookupClient(ctx, ropcID)
	if err != nil {
		t.Fatal(err)
	}
	c.Enabled = false
	if err := e.st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if e.active(ccID, ccSecret, tok.access) {
		t.Error("a disabled client's token introspects active")
	}
	if s := e.calc(tok.access); s != http.StatusUnauthorized {
		t.Errorf("a disabled client's token at the resource: status %d, want 401", s)
	}
	if r := e.refresh(tok.refresh); r.Status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
		t.Errorf("refresh by a disabled client: %s, want 401 invalid_client", r)
	}
	c.Enabled = true
	if err := e.st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if e.active(ropcID, ropcSecret, tok.access) || e.calc(tok.access) != http.StatusUnauthorized {
		t.Error("re-enabling the client brought an old access token back")
	}
	expectError(t, e.refresh(tok.refresh), http.StatusBadRequest, "invalid_grant")
	if !e.active(ccID, ccSecret, other) {
		t.Error("disabling one client revoked another client's token")
	}
}

// Issue 10 item 5: a password change ends the user's login sessions and revokes their tokens.
func TestPasswordChangeEndsSessionsAndRevokesTokens(t *testing.T) {
	e := newAZEnv(t, nil)
	b := e.browser(t)
	b.login(b.get(e.issuer+PathLogin), azUser, azPassword)
	if p := b.get(e.issuer + PathLogout); !strings.Contains(p.body, `id="signout-user"`) {
		t.Fatalf("not signed in after login: %s", p.body)
	}
	te := &testEnv{t: t, srv: e.srv, st: e.srv.db}
	tok := te.aliceTokens()
	h, err := bcrypt.GenerateFromPassword([]byte("alice-New-Secret-2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.db.UpdateUser(context.Background(), &store.User{Username: "alice", PasswordHash: h, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if p := b.get(e.issuer + PathLogout); !strings.Contains(p.body, `id="not-signedin"`) {
		t.Errorf("the login session survived a password change: %s", p.body)
	}
	if te.active(ropcID, ropcSecret, tok.access) {
		t.Error("an access token survived a password change")
	}
	expectError(t, te.refresh(tok.refresh), http.StatusBadRequest, "invalid_grant")
}

// Issue 10 item 5: the sign-out page ends every login session of the user server-side: a
// copy of the session cookie taken before the sign-out no longer signs anyone in. Signing
// out needs the form's CSRF token.
func TestSignOutEndsEverySessionServerSide(t *testing.T) {
	e := newAZEnv(t, nil)
	a, copyOfA := e.browser(t), e.browser(t)
	p := a.login(a.get(e.issuer+PathLogin), azUser, azPassword)
	if !strings.Contains(p.body, `id="signout-link"`) {
		t.Errorf("the signed-in page has no sign-out link: %s", p.body)
	}
	u, _ := url.Parse(e.issuer)
	copyOfA.c.Jar.SetCookies(u, a.c.Jar.Cookies(u)) // a stolen or second-device copy
	if p := copyOfA.get(e.issuer + PathLogout); !strings.Contains(p.body, `id="signout-user"`) {
		t.Fatalf("the copied cookie is not signed in: %s", p.body)
	}
	// The approval page links to the sign-out too.
	if p := a.get(e.authURL("response_type", "code", "client_id", confID, "redirect_uri", callbackURI, "scope", "calc:read", "state", "s1")); !p.isApproval() || !strings.Contains(p.body, `id="signout-link"`) {
		t.Errorf("the approval page has no sign-out link: %s", p.body)
	}

	page := a.get(e.issuer + PathLogout)
	action, form := page.form(t)
	if p := a.post(e.issuer+action, url.Values{}); p.resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: status %d, want 403", p.resp.StatusCode)
	}
	if p := a.post(e.issuer+action, form); !strings.Contains(p.body, `id="signedout"`) {
		t.Fatalf("sign-out: %s", p.body)
	}
	for name, b := range map[string]*azBrowser{"the browser that signed out": a, "a copy of its cookie": copyOfA} {
		if p := b.get(e.issuer + PathLogout); !strings.Contains(p.body, `id="not-signedin"`) {
			t.Errorf("%s is still signed in", name)
		}
		if p := b.get(e.authURL("response_type", "code", "client_id", confID, "redirect_uri", callbackURI, "scope", "calc:read", "state", "s1")); !p.isLogin() {
			t.Errorf("%s: the authorization endpoint did not ask for a login", name)
		}
	}
	// Signing in again works.
	if p := a.login(a.get(e.issuer+PathLogin), azUser, azPassword); !strings.Contains(p.body, `id="signedin-user"`) {
		t.Errorf("signing in again: %s", p.body)
	}
}

// --secure-cookies: the owner's cookies get the __Host- prefix, Secure, Path=/ and no Domain.
func TestSecureCookiesUseHostPrefix(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.SecureCookies = true })
	r := e.do(request{Method: http.MethodGet, Path: PathLogin})
	found := 0
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %+v: want __Host-, Secure, Path=/, no Domain", c)
		}
		found++
	}
	if found == 0 {
		t.Fatal("the login page set no cookie")
	}
}

// A code issued just before the user was disabled, but stored after the revocation (the race
// the revocation alone cannot close), buys no tokens: the owner is checked at redemption.
func TestCodeOfADisabledUserIsRefusedAtRedemption(t *testing.T) {
	e := newTestEnv(t)
	e.setUserEnabled("alice", false)
	code := e.issueCode(confID, "calc:write", "") // stored after the disable, as in the race
	expectError(t, e.exchange(confID, confSecret, code, ""), http.StatusBadRequest, "invalid_grant")
}

// With SecureCookies behind TLS the owner's __Host- cookies carry a whole flow: sign in,
// approve, sign out.
func TestOwnerFlowWithHostPrefixedCookiesUnderTLS(t *testing.T) {
	st, _ := openSeededCopy(t)
	ts := httptest.NewUnstartedServer(nil)
	issuer := "https://" + ts.Listener.Addr().String()
	srv, err := newServer(Config{Issuer: issuer, GlobalSecret: []byte("0123456789abcdef0123456789abcdef-tls"), SecureCookies: true}, st)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.StartTLS()
	t.Cleanup(ts.Close)
	e := &azEnv{ts: ts, srv: srv, issuer: issuer}
	b := e.browser(t)
	tr := ts.Client().Transport
	b.c.Transport = tr
	p := b.authorize(e.authURL("response_type", "code", "client_id", confID, "redirect_uri", callbackURI, "scope", "calc:read", "state", "s1"), "approve")
	if loc := p.resp.Header.Get("Location"); !strings.HasPrefix(loc, callbackURI) || !strings.Contains(loc, "code=") {
		t.Fatalf("the flow under TLS did not end with a code: %d %q %s", p.resp.StatusCode, loc, p.body)
	}
	u, _ := url.Parse(issuer)
	names := []string{}
	for _, c := range b.c.Jar.Cookies(u) {
		names = append(names, c.Name)
	}
	if !slices.Contains(names, "__Host-"+sessionCookieBase) || !slices.Contains(names, "__Host-"+loginCSRFCookieBase) {
		t.Errorf("cookies under TLS: %v; want the __Host- session and CSRF cookies", names)
	}
	out := b.get(issuer + PathLogout)
	action, form := out.form(t)
	if p := b.post(issuer+action, form); !strings.Contains(p.body, `id="signedout"`) {
		t.Fatalf("sign-out under TLS: %s", p.body)
	}
	if p := b.get(issuer + PathLogout); !strings.Contains(p.body, `id="not-signedin"`) {
		t.Error("still signed in after the sign-out under TLS")
	}
}
