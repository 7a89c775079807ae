package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestConsoleLogin(t *testing.T) {
	e := newEnv(t)
	c := e.console()
	if p := c.get("/admin/clients"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/login" {
		t.Fatalf("without a session: status %d, Location %q; want a redirect to the login", p.status, p.header.Get("Location"))
	}
	login := c.get("/admin/login")
	for _, id := range []string{"admin-username", "admin-password", "admin-login"} {
		if !strings.Contains(login.body, `id="`+id+`"`) {
			t.Errorf("the login page lacks #%s", id)
		}
	}
	csrf := login.csrf(t)
	form := func(user, pass, token string) map[string][]string {
		return map[string][]string{"csrf": {token}, "username": {user}, "password": {pass}}
	}
	if p := c.post("/admin/login", form(testAdmin, testPassword, "forged")); p.status != http.StatusForbidden || cookieNamed(p.header, sessionCookie) != nil {
		t.Errorf("login without the CSRF token: status %d; want 403 and no session", p.status)
	}
	csrf = c.get("/admin/login").csrf(t)
	for _, bad := range [][2]string{{testAdmin, "wrong"}, {"conf-code", "conf-code-secret-0123456789"}, {"alice", "alice-Secret-1"}} {
		p := c.post("/admin/login", form(bad[0], bad[1], csrf))
		if p.status != http.StatusUnauthorized || cookieNamed(p.header, sessionCookie) != nil {
			t.Errorf("login as %s: status %d; want 401 and no session", bad[0], p.status)
		}
		if msg, ok := p.byID("login-error"); !ok || msg == "" {
			t.Errorf("login as %s: no #login-error message", bad[0])
		}
		csrf = p.csrf(t)
	}
	p := c.post("/admin/login", form(testAdmin, testPassword, csrf))
	if p.status != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", p.status, p.body)
	}
	sc := cookieNamed(p.header, sessionCookie)
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain http", sc)
	}
	if p := c.get("/admin/clients"); p.status != http.StatusOK || !strings.Contains(p.body, "conf-code") {
		t.Fatalf("after login: status %d", p.status)
	}
	// Signing out needs the CSRF token, then ends the session.
	clients := c.get("/admin/clients")
	if p := c.post("/admin/logout", nil); p.status != http.StatusForbidden {
		t.Errorf("logout without CSRF: status %d, want 403", p.status)
	}
	if p := c.post("/admin/logout", map[string][]string{"csrf": {clients.csrf(t)}}); p.status != http.StatusSeeOther {
		t.Errorf("logout: status %d", p.status)
	}
	if p := c.get("/admin/clients"); p.status != http.StatusSeeOther {
		t.Errorf("after logout: status %d, want a redirect to the login", p.status)
	}
}

func TestConsoleSessionCookieIsSecureUnderTLSConfig(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SecureCookies = true })
	c := e.console()
	p := c.post("/admin/login", map[string][]string{"csrf": {c.get("/admin/login").csrf(t)}, "username": {testAdmin}, "password": {testPassword}})
	if sc := cookieNamed(p.header, "__Host-"+sessionCookie); sc == nil || !sc.Secure || sc.Path != "/" {
		t.Fatalf("session cookie %+v: want __Host-, Secure, Path=/", sc)
	}
}

func TestConsoleCSRFTokenIsBoundToTheSession(t *testing.T) {
	e := newEnv(t)
	a, b := e.console(), e.console()
	a.login()
	b.login()
	tokenA := a.get("/admin/clients").csrf(t)
	if p := b.post("/admin/clients/conf-code/disable", map[string][]string{"csrf": {tokenA}}); p.status != http.StatusForbidden {
		t.Fatalf("another session's CSRF token: status %d, want 403", p.status)
	}
	if c, _ := e.st.LookupClient(context.Background(), "conf-code"); !c.Enabled {
		t.Fatalf("a forged form disabled the client")
	}
	if p := a.post("/admin/clients/conf-code/disable", map[string][]string{"csrf": {tokenA}}); p.status != http.StatusSeeOther {
		t.Fatalf("own token: status %d", p.status)
	}
	if c, _ := e.st.LookupClient(context.Background(), "conf-code"); c.Enabled {
		t.Fatalf("the client was not disabled")
	}
}

var (
	scriptOrRemote = regexp.MustCompile(`(?i)<script|<iframe|<link|(src|href|action)="(https?:)?//`)
	postForm       = regexp.MustCompile(`(?s)<form method="post".*?</form>`)
)

func TestConsolePagesAreSafe(t *testing.T) {
	e := newEnv(t)
	c := e.console()
	c.login()
	for _, path := range []string{"/admin/clients", "/admin/clients/new", "/admin/clients/conf-code", "/admin/scopes",
		"/admin/scopes/calc:read", "/admin/users", "/admin/groups", "/admin/acls", "/admin/tokens", "/admin/settings", "/admin/login", "/admin/nope"} {
		p := c.get(path)
		if path == "/admin/login" {
			if p.status != http.StatusSeeOther {
				t.Errorf("%s with a session: status %d, want a redirect", path, p.status)
			}
			continue
		}
		want := http.StatusOK
		if path == "/admin/nope" {
			want = http.StatusNotFound
		}
		if p.status != want {
			t.Errorf("%s: status %d, want %d", path, p.status, want)
		}
		if p.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s can be framed: X-Frame-Options %q, CSP %q", path, p.header.Get("X-Frame-Options"), p.header.Get("Content-Security-Policy"))
		}
		if p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, p.header.Get("Cache-Control"))
		}
		if m := scriptOrRemote.FindString(p.body); m != "" {
			t.Errorf("%s loads a script or a remote resource: %q", path, m)
		}
		for _, f := range postForm.FindAllString(p.body, -1) {
			if !strings.Contains(f, `name="csrf"`) {
				t.Errorf("%s has a form without a CSRF token: %s", path, f)
			}
		}
	}
}

func TestConsoleRegistersClientAndShowsSecretOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.console()
	c.login()
	form := c.get("/admin/clients/new")
	for _, id := range []string{"client-name", "client-redirect-uris", "grant-authorization_code", "grant-client_credentials",
		"client-type-confidential", "client-type-public", "scope-calc:read", "client-save"} {
		if !strings.Contains(form.body, `id="`+id+`"`) {
			t.Errorf("the client form lacks #%s", id)
		}
	}
	csrf := form.csrf(t)
	before := clientCount(t, e.st)
	submit := func(token string, redirect string) page {
		return c.post("/admin/clients", map[string][]string{
			"csrf": {token}, "name": {"Made in the console"}, "client_type": {"confidential"},
			"redirect_uris": {redirect}, "grant_types": {"authorization_code", "refresh_token"},
			"scopes": {"calc:read"}, "enabled": {"on"}, "access_token_ttl": {""},
		})
	}
	if p := submit("", "https://app.example/cb"); p.status != http.StatusForbidden {
		t.Errorf("without CSRF: status %d, want 403", p.status)
	}
	p := submit(csrf, "https://app.example/cb#fragment")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="form-errors"`) || !strings.Contains(p.body, `data-field="redirect_uris[0]"`) {
		t.Errorf("bad redirect URI: status %d, want 400 naming redirect_uris[0]: %s", p.status, p.body)
	}
	if !strings.Contains(p.body, "Made in the console") {
		t.Errorf("the refused form lost what was typed")
	}
	p2 := c.post("/admin/clients", map[string][]string{"csrf": {csrf}, "name": {""}, "client_type": {"public"},
		"grant_types": {"client_credentials"}, "access_token_ttl": {"soon"}})
	for _, f := range []string{"name", "grant_types[0]", "access_token_ttl"} {
		if !strings.Contains(p2.body, `data-field="`+f+`"`) {
			t.Errorf("several bad fields: no message for %s", f)
		}
	}
	if n := clientCount(t, e.st); n != before {
		t.Fatalf("refused forms saved a client")
	}
	p = submit(csrf, "http://127.0.0.1/callback\r\nhttps://app.example/cb")
	if p.status != http.StatusCreated {
		t.Fatalf("register: status %d: %s", p.status, p.body)
	}
	id, ok1 := p.byID("client-id")
	secret, ok2 := p.byID("client-secret")
	if !ok1 || !ok2 || id == "" || len(secret) < 40 {
		t.Fatalf("the result page lacks #client-id or #client-secret: %s", p.body)
	}
	cl, err := e.st.LookupClient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword(cl.SecretHash, []byte(secret)) != nil {
		t.Errorf("the shown secret does not match the stored hash")
	}
	if !slices.Equal(cl.RedirectURIs, []string{"http://127.0.0.1/callback", "https://app.example/cb"}) || !slices.Equal(cl.Scopes, []string{"calc:read"}) {
		t.Errorf("stored client: %+v", cl)
	}
	edit := c.get("/admin/clients/" + id)
	if edit.status != http.StatusOK || strings.Contains(edit.body, secret) {
		t.Errorf("the edit page shows the secret again (status %d)", edit.status)
	}
	// Edit: make it trusted; then regenerate the secret.
	tok := edit.csrf(t)
	if p := c.post("/admin/clients/"+id, map[string][]string{"csrf": {tok}, "name": {"Renamed"}, "client_type": {"confidential"},
		"redirect_uris": {"https://app.example/cb"}, "grant_types": {"authorization_code"}, "trusted": {"on"}, "enabled": {"on"}}); p.status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", p.status, p.body)
	}
	if cl, _ := e.st.LookupClient(ctx, id); cl.Name != "Renamed" || !cl.Trusted {
		t.Errorf("saved client: %+v", cl)
	}
	p = c.post("/admin/clients/"+id+"/secret", map[string][]string{"csrf": {tok}})
	newSecret, _ := p.byID("client-secret")
	if p.status != http.StatusOK || newSecret == "" || newSecret == secret {
		t.Fatalf("regenerate: status %d", p.status)
	}
	if p := c.post("/admin/clients/"+id+"/delete", map[string][]string{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete: status %d", p.status)
	}
	if _, err := e.st.LookupClient(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the client was not deleted: %v", err)
	}
}

func TestConsoleTokensView(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a1, _ := issue(t, e.st, "conf-code", "alice", false)
	a2, _ := issue(t, e.st, "conf-code-2", "bob", false)
	c := e.console()
	c.login()
	p := c.get("/admin/tokens?client_id=conf-code")
	if !strings.Contains(p.body, `data-token-id="`+a1+`"`) || strings.Contains(p.body, a2) {
		t.Fatalf("filtered tokens view: %s", p.body)
	}
	if !strings.Contains(p.body, `id="revoke-1"`) || !strings.Contains(p.body, `id="revoke-client-tokens"`) {
		t.Errorf("the tokens view lacks #revoke-1 or #revoke-client-tokens")
	}
	if p := c.get("/admin/tokens?subject=bob"); !strings.Contains(p.body, a2) || strings.Contains(p.body, a1) {
		t.Errorf("filter by user failed")
	}
	res := c.post("/admin/tokens/revoke", map[string][]string{"csrf": {p.csrf(t)}, "kind": {"access_token"}, "id": {a1}, "client_id": {"conf-code"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/tokens?client_id=conf-code") {
		t.Fatalf("revoke: status %d, Location %q", res.status, res.header.Get("Location"))
	}
	if _, err := e.st.GetAccessTokenSession(ctx, a1, &fosite.DefaultSession{}); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("the revoked token is still active: %v", err)
	}
	after := c.get(res.header.Get("Location"))
	if strings.Contains(after.body, a1) || !strings.Contains(after.body, `id="flash"`) {
		t.Errorf("after revoking: the token is still listed or no confirmation shown")
	}
	if p := c.post("/admin/clients/conf-code-2/revoke-tokens", map[string][]string{"csrf": {p.csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke all: status %d", p.status)
	}
	if _, err := e.st.GetAccessTokenSession(ctx, a2, &fosite.DefaultSession{}); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("revoke all left a token active: %v", err)
	}
}

func TestConsoleFormsRefuseBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.console()
	c.login()
	tok := c.get("/admin/scopes").csrf(t)
	post := func(path string, f map[string][]string) page {
		f["csrf"] = []string{tok}
		return c.post(path, f)
	}
	cases := []struct {
		name, path string
		form       map[string][]string
		field      string
	}{
		{"duplicate scope", "/admin/scopes", map[string][]string{"name": {"calc:read"}}, "name"},
		{"bad resource", "/admin/scopes", map[string][]string{"name": {"new:scope"}, "resources": {"GET /ok\nbogus"}}, "resources[1]"},
		{"bad resource on edit", "/admin/scopes/calc:read", map[string][]string{"description": {"x"}, "resources": {"TRACE /x"}}, "resources[0]"},
		{"unknown user group", "/admin/users", map[string][]string{"username": {"zed"}, "password": {"zed-Secret-1"}, "groups": {"ghosts"}}, "groups[0]"},
		{"colon in username", "/admin/users", map[string][]string{"username": {"client:x"}, "password": {"zed-Secret-1"}}, "username"},
		{"unknown group member", "/admin/groups", map[string][]string{"name": {"g"}, "members": {"nobody"}}, "members[0]"},
		{"empty ACL name", "/admin/acls", map[string][]string{"name": {""}}, "name"},
		{"ACL with unknown group", "/admin/acls", map[string][]string{"name": {"x"}, "allow": {"ghosts"}}, "allow[0]"},
		{"guard with unknown ACL", "/admin/resource-acls", map[string][]string{"resource": {"GET /x"}, "acl": {"ghost"}}, "acl"},
		{"bad package folder", "/admin/packages", map[string][]string{"name": {"P"}, "folders": {"ok.folder\nnot a folder"}}, "folders[1]"},
		{"settings", "/admin/settings", map[string][]string{"access_token_ttl": {"0"}, "refresh_token_ttl": {"x"}, "auth_code_ttl": {"60"}, "approval_title": {"t"}}, "refresh_token_ttl"},
	}
	for _, cs := range cases {
		p := post(cs.path, cs.form)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `data-field="`+cs.field+`"`) {
			t.Errorf("%s: status %d, want 400 naming %s: %s", cs.name, p.status, cs.field, p.body)
		}
	}
	if _, err := e.st.GetScope(ctx, "new:scope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused scope was saved")
	}
	if _, err := e.st.GetUser(ctx, "zed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused user was saved half-way")
	}
	if sc, _ := e.st.GetScope(ctx, "calc:read"); sc.Description == "x" {
		t.Errorf("a refused scope edit changed the description")
	}
	if st, _ := e.st.GetSettings(ctx); st != nil {
		t.Errorf("refused settings were saved")
	}

	// And the same forms, filled in correctly, save.
	good := []struct {
		path string
		form map[string][]string
	}{
		{"/admin/scopes", map[string][]string{"name": {"new:scope"}, "description": {"New"}, "resources": {"GET /new"}}},
		{"/admin/scopes/new:scope", map[string][]string{"description": {"Newer"}, "resources": {"GET /new\nPOST /new"}, "clients": {"conf-code"}}},
		{"/admin/groups", map[string][]string{"name": {"staff"}, "members": {"alice\nclient:cc-client"}}},
		{"/admin/packages", map[string][]string{"name": {"Reports"}, "folders": {"reports.api"}}},
		{"/admin/users", map[string][]string{"username": {"zed"}, "password": {"zed-Secret-1"}, "groups": {"staff"}}},
		{"/admin/acls", map[string][]string{"name": {"staff-only"}, "allow": {"staff"}}},
		{"/admin/resource-acls", map[string][]string{"resource": {"GET /new"}, "acl": {"staff-only"}}},
		{"/admin/settings", map[string][]string{"access_token_ttl": {"300"}, "refresh_token_ttl": {"600"}, "auth_code_ttl": {"60"},
			"pkce_required_for_public": {"on"}, "approval_title": {"Allow?"}, "approval_heading": {"Example"}, "approval_footer": {"Footer"}}},
	}
	for _, g := range good {
		if p := post(g.path, g.form); p.status != http.StatusSeeOther {
			t.Fatalf("%s: status %d: %s", g.path, p.status, p.body)
		}
	}
	if c, _ := e.st.LookupClient(ctx, "conf-code"); !slices.Contains(c.Scopes, "new:scope") {
		t.Errorf("the scope form did not associate the client")
	}
	if rs, _ := e.st.ListScopeResources(ctx, "new:scope"); len(rs) != 2 {
		t.Errorf("scope resources: %v", rs)
	}
	if p, err := e.st.GetPackage(ctx, "Reports"); err != nil || len(p.Folders) != 1 {
		t.Errorf("package: %+v %v", p, err)
	}
	if gs, _ := e.st.GroupsOf(ctx, "zed"); !slices.Equal(gs, []string{"staff"}) {
		t.Errorf("groups of zed: %v", gs)
	}
	if st, _ := e.st.GetSettings(ctx); st == nil || st.ApprovalTitle != "Allow?" {
		t.Errorf("settings: %+v", st)
	}
	// Deleting through the console.
	for _, path := range []string{"/admin/users/zed/delete", "/admin/scopes/new:scope/delete"} {
		if p := post(path, map[string][]string{}); p.status != http.StatusSeeOther {
			t.Errorf("%s: status %d", path, p.status)
		}
	}
	if p := post("/admin/groups/staff/delete", map[string][]string{}); p.status != http.StatusConflict {
		t.Errorf("deleting a group an ACL lists: status %d, want 409", p.status)
	}
}

func TestConsoleHandlesIDsThatNeedEscaping(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	odd := "odd/id?x#y z"
	if err := e.st.CreateClient(ctx, &store.Client{ID: odd, Name: "odd", GrantTypes: []string{"implicit"}, Public: true,
		RedirectURIs: []string{"https://x.example/cb"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c := e.console()
	c.login()
	list := c.get("/admin/clients")
	m := regexp.MustCompile(`class="client-link" href="([^"]*odd[^"]*)"`).FindStringSubmatch(list.body)
	if m == nil {
		t.Fatalf("no link to the client: %s", list.body)
	}
	edit := c.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if edit.status != http.StatusOK || !strings.Contains(edit.body, "odd") {
		t.Fatalf("edit page via %s: status %d", m[1], edit.status)
	}
	action := regexp.MustCompile(`action="([^"]*/disable)"`).FindStringSubmatch(edit.body)
	if action == nil {
		t.Fatalf("no disable form")
	}
	if p := c.post(action[1], map[string][]string{"csrf": {edit.csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("disable via %s: status %d", action[1], p.status)
	}
	if cl, _ := e.st.LookupClient(ctx, odd); cl.Enabled {
		t.Errorf("the client with an odd id was not disabled")
	}
	if r := e.api("GET", "/admin/api/clients/"+url.PathEscape(odd), nil); r.status != http.StatusOK || r.json(t)["client_id"] != odd {
		t.Errorf("API get of an escaped id: %d %s", r.status, r.body)
	}
}
