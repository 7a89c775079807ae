package refserver

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
)

func TestClientAddressBehindTrustedProxies(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	for _, c := range []struct {
		remote string
		header http.Header
		want   string
	}{
		// The rightmost untrusted address; what the client wrote to its left is ignored.
		{"10.0.0.5:443", http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9"}}, "203.0.113.9:0"},
		{"10.0.0.5:443", http.Header{"X-Forwarded-For": {"1.2.3.4", "203.0.113.9, 10.0.0.7"}}, "203.0.113.9:0"},
		{"[::1]:443", http.Header{"Forwarded": {`for=1.2.3.4, for="[2001:db8::1]:4711";proto=https`}}, "[2001:db8::1]:0"},
		// Forwarded wins over X-Forwarded-For.
		{"10.0.0.5:443", http.Header{"Forwarded": {"for=198.51.100.2"}, "X-Forwarded-For": {"203.0.113.9"}}, "198.51.100.2:0"},
		// From an untrusted peer the headers are ignored.
		{"192.0.2.1:5", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "192.0.2.1:5"},
		// Unparsable: the last trusted hop.
		{"10.0.0.5:443", http.Header{"Forwarded": {"for=unknown"}}, "10.0.0.5:443"},
		{"10.0.0.5:443", nil, "10.0.0.5:443"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		for k, v := range c.header {
			r.Header[k] = v
		}
		if got := s.clientAddress(r).RemoteAddr; got != c.want {
			t.Errorf("%s with %v: client %s, want %s", c.remote, c.header, got, c.want)
		}
	}
}

// Issue 16 item 3: behind a trusted proxy the per-source limits count the client's address:
// an attacker guessing bob's password through the proxy is throttled, bob through the same
// proxy is not.
func TestThrottleBehindTrustedProxy(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	cheapPasswords(t, e.st)
	via := func(client, pw string) *response {
		return e.doFrom("10.0.0.5:443", request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret,
			Form:   url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {pw}},
			Header: http.Header{"X-Forwarded-For": {client}}})
	}
	for i := 0; i < 20; i++ {
		if r := via("203.0.113.9", "wrong"); r.Header.Get("Retry-After") != "" {
			t.Fatalf("throttled after %d failures", i)
		}
	}
	if r := via("203.0.113.9", "wrong"); r.Header.Get("Retry-After") == "" {
		t.Errorf("the attacker's 21st guess through the proxy: expected throttled, got %s", r)
	}
	if r := via("198.51.100.7", "bob-Secret-2"); r.Status != http.StatusOK {
		t.Errorf("bob through the same proxy: expected 200, got %s", r)
	}
}
