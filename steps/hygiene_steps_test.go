package steps

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
)

func TestEffectiveReferrerPolicy(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   string
		leaks  bool
	}{
		{nil, "", false},
		{[]string{"no-referrer"}, "no-referrer", false},
		{[]string{"unsafe-url"}, "unsafe-url", true},
		{[]string{"No-Referrer-When-Downgrade"}, "no-referrer-when-downgrade", true},
		// W3C Referrer Policy 11.1: the last value the browser understands wins.
		{[]string{"no-referrer, unsafe-url"}, "unsafe-url", true},
		{[]string{"unsafe-url, strict-origin-when-cross-origin"}, "strict-origin-when-cross-origin", false},
		{[]string{"unsafe-url, some-future-policy"}, "unsafe-url", true},
		{[]string{"origin-when-cross-origin"}, "origin-when-cross-origin", false},
		{[]string{"bogus"}, "", false},
		// A meta element (second value) applies after the header.
		{[]string{"unsafe-url", "no-referrer"}, "no-referrer", false},
	} {
		got := effectivePolicy(c.values...)
		if got != c.want || leakingReferrerPolicies[got] != c.leaks {
			t.Errorf("effectivePolicy(%q) = %q (leaks %v), want %q (leaks %v)", c.values, got, leakingReferrerPolicies[got], c.want, c.leaks)
		}
	}
}

// TestNoCORSAllowed: any Access-Control-Allow-Origin on an answer to the other site fails (CORS
// supported); none passes.
func TestNoCORSAllowed(t *testing.T) {
	for _, c := range []struct {
		name     string
		get, opt string
		fails    bool
	}{
		{"no CORS", "", "", false},
		{"another origin", "https://client.example", "", true},
		{"null", "", "null", true},
		{"the other site's origin", attackerOrigin, "", true},
		{"wildcard on the preflight only", "", "*", true},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			acao := c.get
			if r.Method == http.MethodOptions {
				acao = c.opt
			}
			if acao != "" {
				rw.Header().Set("Access-Control-Allow-Origin", acao)
			}
			rw.WriteHeader(http.StatusOK)
		}))
		w := newWorld(&Env{Profile: &profile.Profile{}})
		w.authReq = oauthclient.NewAuthorizeURL(srv.URL+"/authorize").Set("client_id", "c")
		if err := w.crossOriginAuthorize(context.Background()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := w.noCORSAllowed(); (err != nil) != c.fails {
			t.Errorf("%s: noCORSAllowed() = %v, want failure %v", c.name, err, c.fails)
		}
		srv.Close()
	}
	w := newWorld(&Env{Profile: &profile.Profile{}})
	if err := w.noCORSAllowed(); err == nil {
		t.Error("no answers: noCORSAllowed() passed")
	}
}
