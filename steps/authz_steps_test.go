package steps

import (
	"net/url"
	"testing"

	"github.com/oauthconf/oauthconf/steps/profile"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// reachesURI decides whether the server sent the user agent to the invalid redirect URI: only
// a request to that very URI counts, not a redirect to a login page elsewhere.
func TestReachesURI(t *testing.T) {
	cases := []struct {
		requested, got string
		want           bool
	}{
		{"http://127.0.0.1:5/cb", "http://127.0.0.1:5/cb?code=x&state=y", true},
		{"http://127.0.0.1:5/cb/../evil", "http://127.0.0.1:5/evil?code=x", true},
		{"http://127.0.0.1:5/cb?extra=1", "http://127.0.0.1:5/cb?extra=1&error=access_denied", true},
		{"http://127.0.0.1:5/cb?extra=1", "http://127.0.0.1:5/cb?error=invalid_request", false},
		{"http://attacker.example/callback", "http://attacker.example/callback?error=x", true},
		{"http://attacker.example/callback", "https://login.example.com/login?next=x", false},
		{"http://127.0.0.1:5/cb/extra", "http://127.0.0.1:5/cb", false},
	}
	for _, c := range cases {
		if got := reachesURI(mustURL(t, c.got), mustURL(t, c.requested)); got != c.want {
			t.Errorf("reachesURI(%s, requested %s) = %v, want %v", c.got, c.requested, got, c.want)
		}
	}
}

func TestCSPFrameAncestors(t *testing.T) {
	for csp, ok := range map[string]bool{
		"frame-ancestors 'none'":                       true,
		"default-src 'self'; frame-ancestors 'self'":   true,
		"frame-ancestors https://app.example.com":      true,
		"frame-ancestors":                              true, // an empty source list is 'none'
		"frame-ancestors *":                            false,
		"frame-ancestors https:":                       false,
		"frame-ancestors 'self' https://*.example.com": true, // one domain's hosts, not any site
		"default-src 'self'":                           false,
		"":                                             false,
	} {
		if err := cspFrameAncestors(csp); (err == nil) != ok {
			t.Errorf("cspFrameAncestors(%q): got %v, want ok=%v", csp, err, ok)
		}
	}
	headers := map[string]string{"X-Frame-Options": "SAMEORIGIN"}
	if err := forbidsFraming(func(k string) string { return headers[k] }); err != nil {
		t.Errorf("X-Frame-Options SAMEORIGIN: %v", err)
	}
}

func TestIsServerOriginStub(t *testing.T) {
	p := &profile.Profile{Issuer: "https://as.example.com", Endpoints: profile.Endpoints{Authorization: "https://login.example.com:8443/authorize"}}
	for u, want := range map[string]bool{
		"https://as.example.com/login":        true,
		"https://as.example.com:443/x":        true,
		"https://login.example.com:8443/page": true,
		"https://login.example.com/page":      false,
		"http://as.example.com/login":         false,
		"https://cdn.example.net/app.js":      false,
	} {
		if got := p.IsServerOrigin(mustURL(t, u)); got != want {
			t.Errorf("IsServerOrigin(%s) = %v, want %v", u, got, want)
		}
	}
}

// TestFirstSelectorSkipsOptional: the CSRF checks locate a form by the profile's first click;
// an optional action ("Keep me signed in", absent on most visits) must not be that click, or
// locating the form waits for an element that never appears.
func TestFirstSelectorSkipsOptional(t *testing.T) {
	acts := []profile.Action{
		{Fill: "[name=username]"},
		{Click: "text=Keep me signed in", Optional: true},
		{Click: "button:has-text(\"Sign in\")"},
	}
	if got := firstSelector(acts, "click"); got != "button:has-text(\"Sign in\")" {
		t.Errorf("firstSelector(click) = %q", got)
	}
	if got := firstSelector([]profile.Action{{Fill: "#u", Optional: true}, {Fill: "#p"}}, "fill"); got != "#p" {
		t.Errorf("firstSelector(fill) = %q", got)
	}
}
