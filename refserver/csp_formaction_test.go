package refserver

import (
	"net/url"
	"strings"
	"testing"
)

func TestFormActionSources(t *testing.T) {
	for _, c := range []struct{ target, want string }{
		{"", "'self'"},
		{"http://127.0.0.1/callback", "'self' http://127.0.0.1"},
		{"http://127.0.0.1:53214/callback?x=1", "'self' http://127.0.0.1:53214"},
		{"https://Client.Example.COM:8443/cb", "'self' https://client.example.com:8443"},
		{"com.example.app:/oauth2redirect", "'self' com.example.app:"},
		// Not expressible as a CSP source: no form-action rather than a broken flow.
		{"http://[::1]:8080/callback", ""},
		{"http://ex;ample.com/cb", ""},
	} {
		var u *url.URL
		if c.target != "" {
			var err error
			if u, err = url.Parse(c.target); err != nil {
				t.Fatalf("%s: %v", c.target, err)
			}
		}
		if got := formActionSources(u); got != c.want {
			t.Errorf("formActionSources(%q) = %q, want %q", c.target, got, c.want)
		}
	}
}

// The login and approval pages allow their forms to end at the redirect URI of the request in
// flight and nowhere else; the other pages' forms stay on the server.
func TestPagesFormAction(t *testing.T) {
	e := newAZEnv(t, nil)
	b := e.browser(t)
	const callback = "http://127.0.0.1:41234/callback" // a loopback redirect URI may use any port
	p := b.get(e.authURL("response_type", "code", "client_id", "conf-code", "redirect_uri", callback,
		"scope", "calc:read", "state", "s"))
	if !p.isLogin() {
		t.Fatalf("expected the login page, got %d: %s", p.resp.StatusCode, p.body)
	}
	wantFA := "form-action 'self' http://127.0.0.1:41234"
	if csp := p.resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; "+wantFA) {
		t.Errorf("login page CSP %q, want it to end with %q", csp, wantFA)
	}
	p = b.login(p, azUser, azPassword)
	if !p.isApproval() {
		t.Fatalf("expected the approval page, got %d: %s", p.resp.StatusCode, p.body)
	}
	if csp := p.resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; "+wantFA) || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("approval page CSP %q, want frame-ancestors 'none' and %q", csp, wantFA)
	}
	p = b.decide(p, "approve")
	if loc := p.resp.Header.Get("Location"); !strings.HasPrefix(loc, callback) {
		t.Errorf("the approval did not redirect to the callback: %q", loc)
	}
	// A login page without a request in flight, and the sign-out page.
	for _, path := range []string{PathLogin, PathLogout} {
		p := e.browser(t).get(e.issuer + path)
		if csp := p.resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; form-action 'self'") {
			t.Errorf("%s: CSP %q, want form-action 'self'", path, csp)
		}
	}
}
