package domain

import (
	"strings"
	"testing"
)

func TestRedirectURIProblem(t *testing.T) {
	for _, c := range []struct{ uri, want string }{
		{"https://app.example/cb", ""},
		{"https://app.example/cb?x=1", ""},
		{"http://127.0.0.1/callback", ""},
		{"http://[::1]:8080/cb", ""},
		{"http://localhost/cb", ""},
		{"com.example.app:/oauth", ""},
		{"", "is empty"},
		{"https://app.example/cb#x", "has a fragment"},
		{"https://app.example/cb#", "has a fragment"},
		{"http://example.com/cb/*", "contains a wildcard"},
		{"/relative", "is not an absolute URI"},
		{"https://user:pw@app.example/cb", "must not contain user information"},
		{"http://app.example/cb", "uses http on a non-loopback host"},
		{"https:///cb", "has no host"},
		{"myapp:/cb", `has scheme "myapp"`},
		{"https://app.example/" + strings.Repeat("a", MaxURILen), "is longer than"},
		{"https://app.example/%zz", "is not a URI"},
	} {
		got := RedirectURIProblem(c.uri)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("RedirectURIProblem(%q) = %q, want %q", c.uri, got, c.want)
		}
	}
}

func TestScopeNameProblem(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"calc:read", ""},
		{"!#[]~", ""},
		{"", "is required"},
		{"has space", "not a valid scope token"},
		{`quo"te`, "not a valid scope token"},
		{`back\slash`, "not a valid scope token"},
		{"caf\u00e9", "not a valid scope token"},
		{strings.Repeat("s", MaxScopeNameLen+1), "is longer than"},
	} {
		got := ScopeNameProblem(c.name)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("ScopeNameProblem(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestClientIDProblem(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"cc-client", ""},
		{"with space ok", ""},
		{"", "is required"},
		{"tab\there", "outside printable ASCII"},
		{"caf\u00e9", "outside printable ASCII"},
	} {
		got := ClientIDProblem(c.id)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("ClientIDProblem(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}
