package steps

import (
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// RFC 6750 3's character sets for the attribute values of a Bearer challenge: each case is a
// WWW-Authenticate field and the attribute that must be named (or "" when it conforms).
func TestBearerChallengeProblem(t *testing.T) {
	for _, tc := range []struct{ field, bad string }{
		{`Bearer realm="api"`, ""},
		{`Bearer realm="api", error="invalid_token", error_description="The access token expired!"`, ""},
		{`Bearer error="insufficient_scope", scope="calc:read calc:write"`, ""},
		{`Bearer error="invalid_token", error_uri="https://as.example/errors#token"`, ""},
		{`Bearer error="invalid_token", error_description="the token \"abc\" is not active"`, "error_description"},
		{`Bearer error="invalid_token", error_description="C:\\path"`, "error_description"},
		{"Bearer error=\"invalid_token\", error_description=\"expired \u2013 renew\"", "error_description"},
		{"Bearer error=\"invalid_token\", error_description=\"line\tbreak\"", "error_description"},
		{`Bearer error="invalid token"`, ""}, // %x20 is in error's set (a wrong code is another check)
		{`Bearer error="invalid_token", error_uri="https://as.example/a b"`, "error_uri"},
		{`Bearer error="insufficient_scope", scope="a\"b"`, "scope"},
	} {
		cs, err := oauthclient.ParseChallenges([]string{tc.field})
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: %v %v", tc.field, cs, err)
		}
		got := BearerChallengeProblem(cs[0].Params)
		switch {
		case tc.bad == "" && got != "":
			t.Errorf("%s: %s, want no problem", tc.field, got)
		case tc.bad != "" && !strings.HasPrefix(got, tc.bad+" "):
			t.Errorf("%s: %q, want a problem with %s", tc.field, got, tc.bad)
		}
	}
}
