package refserver

import (
	"net/http"
	"testing"
)

// Issue 16 item 5: DNS rebinding. A page on evil.example, whose name resolves to 127.0.0.1,
// sent the demo administrator's credentials with Host and Origin evil.example and created a
// user (201). The admin API and console now answer only the issuer's host and loopback
// literals; with RestrictHosts (serve --demo) every path does.
func TestDNSRebindingIsRefused(t *testing.T) {
	cheap := func(e *testEnv) { cheapPasswords(t, e.st) }
	adminAs := func(e *testEnv, host string) *response {
		return e.do(request{Method: http.MethodPost, Path: "/admin/api/users", ContentType: "application/json",
			RawBody: `{"username":"rebound","password":"rebound-Password-1"}`, BasicID: "admin", BasicSecret: "admin-Secret-0123456789",
			Header: http.Header{"Host": {host}, "Origin": {"http://" + host}}})
	}
	e := newTestEnv(t)
	cheap(e)
	for _, host := range []string{"evil.example:9999", "evil.example", "127.0.0.1.evil.example", "localhost.evil.example:9999"} {
		if r := adminAs(e, host); r.Status != http.StatusMisdirectedRequest {
			t.Errorf("admin API with Host %s: expected 421, got %s", host, r)
		}
	}
	// The issuer's host and loopback literals are served.
	for _, host := range []string{"127.0.0.1:9999", "localhost:9999", "[::1]:9999", "127.0.0.2"} {
		r := e.do(request{Method: http.MethodGet, Path: "/admin/api/clients", BasicID: "admin", BasicSecret: "admin-Secret-0123456789",
			Header: http.Header{"Host": {host}}})
		if r.Status != http.StatusOK {
			t.Errorf("admin API with Host %s: expected 200, got %s", host, r)
		}
	}
	// Without RestrictHosts the OAuth endpoints answer any Host (a deployment behind a
	// proxy may use names the issuer does not show); with it they are refused too.
	tokenAs := func(e *testEnv, host string) *response {
		return e.do(request{Path: PathToken, Form: ccForm, BasicID: ccID, BasicSecret: ccSecret, Header: http.Header{"Host": {host}}})
	}
	if r := tokenAs(e, "evil.example"); r.Status != http.StatusOK {
		t.Errorf("token endpoint with another Host, not restricted: expected 200, got %s", r)
	}
	d := newTestEnv(t, func(c *Config) { c.RestrictHosts = true })
	if r := tokenAs(d, "evil.example"); r.Status != http.StatusMisdirectedRequest {
		t.Errorf("token endpoint with Host evil.example under RestrictHosts: expected 421, got %s", r)
	}
	if r := tokenAs(d, "127.0.0.1:9999"); r.Status != http.StatusOK {
		t.Errorf("token endpoint with the issuer's Host under RestrictHosts: expected 200, got %s", r)
	}
}
