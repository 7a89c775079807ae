package refserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

const (
	adminUser = "root"
	adminPass = "root-Secret-0123"
)

func withAdmin(t testing.TB) func(*Config) {
	h, err := bcrypt.GenerateFromPassword([]byte(adminPass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config) { c.AdminUsername, c.AdminPasswordHash = adminUser, h }
}

// adminAPI calls the mounted admin API with the given Basic credentials.
func (e *testEnv) adminAPI(user, pass, method, path string, body any) *response {
	e.t.Helper()
	raw := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		raw = string(b)
	}
	return e.do(request{Method: method, Path: path, RawBody: raw, ContentType: "application/json", BasicID: user, BasicSecret: pass})
}

func TestAdminIsMountedAndNeedsAnAdministrator(t *testing.T) {
	e := newTestEnv(t, withAdmin(t))
	if r := e.adminAPI(adminUser, adminPass, "GET", "/admin/api/clients", nil); r.Status != http.StatusOK || !strings.Contains(r.Body, ccID) {
		t.Fatalf("admin API as the configured administrator: %s", r)
	}
	// A client's credentials are not an administrator's.
	if r := e.adminAPI(ccID, ccSecret, "GET", "/admin/api/clients", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("admin API with a client's id and secret: %s, want 401", r)
	}
	if r := e.do(request{Method: "GET", Path: "/admin/login"}); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="admin-username"`) {
		t.Errorf("console login page: %d", r.Status)
	}
	// Without a configured or stored administrator nobody gets in.
	bare := newTestEnv(t)
	if r := bare.adminAPI(adminUser, adminPass, "GET", "/admin/api/clients", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("admin API with no administrator configured: %s, want 401", r)
	}
	if _, err := New(Config{Issuer: testIssuer, GlobalSecret: []byte("0123456789abcdef0123456789abcdef-test"),
		AdminUsername: "x", AdminPasswordHash: []byte("not bcrypt")}, e.st); err == nil {
		t.Errorf("New accepted an administrator password hash that is not bcrypt")
	}
}

func TestRuntimeTokenLifetimeSetting(t *testing.T) {
	e := newTestEnv(t, withAdmin(t))
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}
	if got, _ := e.mustToken(ccID, ccSecret, form).JSON["expires_in"].(float64); got < 3598 || got > 3600 {
		t.Fatalf("expires_in before the change = %v, want 3600", got)
	}
	r := e.adminAPI(adminUser, adminPass, "PUT", "/admin/api/settings", map[string]any{
		"access_token_ttl": 120, "refresh_token_ttl": 600, "auth_code_ttl": 60, "pkce_required_for_public": true, "approval_title": "Allow?",
	})
	if r.Status != http.StatusOK {
		t.Fatalf("put settings: %s", r)
	}
	exp, _ := e.mustToken(ccID, ccSecret, form).JSON["expires_in"].(float64)
	if exp < 118 || exp > 120 {
		t.Fatalf("expires_in after setting 120 s = %v", exp)
	}
	// A new server over the same database (a restart, or another replica) reads the setting.
	if exp, _ := e.restart().mustToken(ccID, ccSecret, form).JSON["expires_in"].(float64); exp < 118 || exp > 120 {
		t.Errorf("after a restart expires_in = %v, want the saved 120 s", exp)
	}
}

func TestRuntimePKCEAndBrandingSettings(t *testing.T) {
	env := newAZEnv(t, withAdmin(t))
	put := func(pkce bool, title, heading, footer string) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"access_token_ttl": 3600, "refresh_token_ttl": 3600, "auth_code_ttl": 600,
			"pkce_required_for_public": pkce, "approval_title": title, "approval_heading": heading, "approval_footer": footer})
		req, _ := http.NewRequest("PUT", env.issuer+"/admin/api/settings", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(adminUser, adminPass)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("put settings: status %d", res.StatusCode)
		}
	}
	noChallenge := env.authURL("response_type", "code", "client_id", "public-pkce", "redirect_uri", "http://127.0.0.1/callback",
		"scope", "calc:read", "state", "s1")
	b := env.browser(t)
	// RFC 9700 2.1.1: required by default.
	env.wantError(t, env.signedIn(t).get(noChallenge), false, "invalid_request", "s1")
	put(false, "Approve access", "", "")
	if p := b.get(noChallenge); !p.isLogin() {
		t.Fatalf("with PKCE no longer required the login page should show, got %d: %s", p.resp.StatusCode, p.body)
	}
	put(true, "Let Example in?", "Example Corp sign-in", "Questions: it@example.com")
	env.wantError(t, env.signedIn(t).get(noChallenge), false, "invalid_request", "s1")

	approval := b.get(env.authURL("response_type", "code", "client_id", "conf-code", "redirect_uri", "http://127.0.0.1/callback",
		"scope", "calc:read", "state", "s2"))
	if approval.isLogin() {
		approval = b.login(approval, azUser, azPassword)
	}
	if !approval.isApproval() {
		t.Fatalf("expected the approval page, got %d: %s", approval.resp.StatusCode, approval.body)
	}
	for _, want := range []string{"<title>Let Example in?</title>", "Example Corp sign-in", "Questions: it@example.com"} {
		if !strings.Contains(approval.body, want) {
			t.Errorf("the approval page lacks %q", want)
		}
	}
}
