package callback

import (
	"net/url"
	"testing"
)

// Reaches decides whether the server sent the user agent to the redirect URI the request
// named: a redirect to the registered URI, or to a login page elsewhere, is not one.
func TestReaches(t *testing.T) {
	cases := []struct {
		requested, got string
		want           bool
	}{
		{"http://127.0.0.1:5/cb", "http://127.0.0.1:5/cb?code=x&state=y", true},
		{"http://127.0.0.1:5/cb", "HTTP://127.0.0.1:5/cb?code=x", true},
		{"http://example.com/cb", "http://EXAMPLE.com:80/cb", true},
		{"http://127.0.0.1:5/cb", "http://127.0.0.1:6/cb", false},
		{"http://127.0.0.1:5/cb", "https://127.0.0.1:5/cb", false},
		// Dot segments: a browser requests "/evil" for "/cb/../evil".
		{"http://127.0.0.1:5/cb/../evil", "http://127.0.0.1:5/evil?code=x", true},
		{"http://127.0.0.1:5/cb/../evil", "http://127.0.0.1:5/cb/../evil?code=x", true},
		// The query of the requested URI is retained; the registered URI's error is no hit.
		{"http://127.0.0.1:5/cb?extra=1", "http://127.0.0.1:5/cb?extra=1&error=access_denied", true},
		{"http://127.0.0.1:5/cb?extra=1", "http://127.0.0.1:5/cb?error=access_denied&extra=1", true},
		{"http://127.0.0.1:5/cb?extra=1", "http://127.0.0.1:5/cb?error=invalid_request", false},
		{"http://127.0.0.1:5/cb?extra=1", "http://127.0.0.1:5/cb?extra=2", false},
		// The path compares as sent: "%63allback" is not "callback".
		{"http://127.0.0.1:5/%63allback", "http://127.0.0.1:5/callback?error=invalid_request", false},
		{"http://127.0.0.1:5/%63allback", "http://127.0.0.1:5/%63allback?code=x", true},
		{"http://127.0.0.1:5/callback", "http://127.0.0.1:5/%63allback?code=x", false},
		{"http://127.0.0.1:5/CALLBACK", "http://127.0.0.1:5/callback?code=x", false},
		// A requested fragment shows only where the URL has one.
		{"http://127.0.0.1:5/cb#fragment", "http://127.0.0.1:5/cb?error=invalid_request", false},
		{"http://127.0.0.1:5/cb#fragment", "http://127.0.0.1:5/cb?code=x#fragment", true},
		{"http://127.0.0.1:5/cb#fragment", "http://127.0.0.1:5/cb#fragment&code=x", true},
		{"http://127.0.0.1:5/cb#fragment", "http://127.0.0.1:5/cb#code=x", false},
		{"http://attacker.example/callback", "http://attacker.example/callback?error=x", true},
		{"http://attacker.example/callback", "https://login.example.com/login?next=x", false},
		{"http://evil.127.0.0.1:5/cb", "http://127.0.0.1:5/cb?error=x", false},
		{"http://127.0.0.1:5/cb/extra", "http://127.0.0.1:5/cb", false},
		{"http://127.0.0.1:5/cb/", "http://127.0.0.1:5/cb?code=x", false},
		{"http://127.0.0.1:5", "http://127.0.0.1:5/?code=x", true},
	}
	for _, c := range cases {
		g, err1 := url.Parse(c.got)
		r, err2 := url.Parse(c.requested)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got := Reaches(g, r); got != c.want {
			t.Errorf("Reaches(%s, requested %s) = %v, want %v", c.got, c.requested, got, c.want)
		}
	}
	if Reaches(nil, &url.URL{}) || Reaches(&url.URL{}, nil) {
		t.Error("a nil URL reached something")
	}
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"http://127.0.0.1:5/cb", "http://127.0.0.1:5/evil?x=1", true},
		{"https://as.example.com/cb", "https://AS.example.com:443/other", true},
		{"http://127.0.0.1:5/cb", "http://127.0.0.1:6/cb", false},
		{"http://127.0.0.1:5/cb", "https://127.0.0.1:5/cb", false},
		{"http://127.0.0.1:5/cb", "http://evil.127.0.0.1:5/cb", false},
	} {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if got := SameOrigin(a, b); got != c.want {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// User information is part of the URI compared: a redirect naming "evil@" is not the
// registered URI, and the registered URI is not the requested "evil@" one.
func TestReachesUserInfo(t *testing.T) {
	for _, c := range []struct {
		requested, got string
		want           bool
	}{
		{"http://evil@127.0.0.1:5/cb", "http://evil@127.0.0.1:5/cb?code=x", true},
		{"http://evil@127.0.0.1:5/cb", "http://127.0.0.1:5/cb?code=x", false},
		{"http://127.0.0.1:5/cb", "http://evil@127.0.0.1:5/cb?code=x", false},
	} {
		r, _ := url.Parse(c.requested)
		g, _ := url.Parse(c.got)
		if got := Reaches(g, r); got != c.want {
			t.Errorf("Reaches(%s, %s) = %v, want %v", c.got, c.requested, got, c.want)
		}
	}
}

// ParseLikeBrowser reads a URL where a browser would go: a backslash before the query is a
// slash in http(s), tabs and newlines vanish.
func TestParseLikeBrowser(t *testing.T) {
	for raw, want := range map[string]string{
		`http://attacker.example\@127.0.0.1:5/cb`: "attacker.example",
		"http://127.0.0.1:5/cb\r\nLocation: x":    "127.0.0.1:5",
		`http://127.0.0.1:5/cb?x=\`:               "127.0.0.1:5",
		"  http://h:1/cb  ":                       "h:1",
	} {
		u, err := ParseLikeBrowser(raw)
		if err != nil || u.Host != want {
			t.Errorf("ParseLikeBrowser(%q) = %v, %v; want host %q", raw, u, err, want)
		}
	}
	if u, _ := ParseLikeBrowser(`http://h:1/a\b?c\d`); u.Path != "/a/b" || u.RawQuery != `c\d` {
		t.Errorf("a backslash in the path is a slash, in the query it stays: got path %q query %q", u.Path, u.RawQuery)
	}
}

// IsRegistered: the registered URI with the response's parameters added, but nothing the
// request added to it.
func TestIsRegistered(t *testing.T) {
	reg, _ := url.Parse("http://127.0.0.1:5/cb?tenant=a")
	for _, c := range []struct {
		requested, got string
		want           bool
	}{
		{"http://127.0.0.1:5/cb?tenant=a&evil=1", "http://127.0.0.1:5/cb?tenant=a&code=x", true},
		{"http://127.0.0.1:5/cb?tenant=a&evil=1", "http://127.0.0.1:5/cb?tenant=a&evil=1&code=x", false},
		{"http://127.0.0.1:5/cb?tenant=b", "http://127.0.0.1:5/cb?tenant=b&code=x", false},
		{"http://127.0.0.1:5/cb", "http://127.0.0.1:5/cb?code=x", false},
		{"http://evil@127.0.0.1:5/cb?tenant=a", "http://evil@127.0.0.1:5/cb?tenant=a&code=x", false},
	} {
		r, _ := url.Parse(c.requested)
		g, _ := url.Parse(c.got)
		if got := IsRegistered(g, reg, r); got != c.want {
			t.Errorf("IsRegistered(%s) for requested %s = %v, want %v", c.got, c.requested, got, c.want)
		}
	}
}
