package steps

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// fakeTarget is a token endpoint answering with the given handler, and a profile for it.
func fakeTarget(t *testing.T, h http.HandlerFunc) *World {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	yes := true
	p := &profile.Profile{
		Issuer:    srv.URL,
		Endpoints: profile.Endpoints{Token: srv.URL + "/token", Introspection: srv.URL + "/introspect", Authorization: srv.URL + "/authorize"},
		Clients: map[string]profile.Client{
			"client_credentials": {ID: "cc", Secret: "s3cret", AuthMethod: "client_secret_basic"},
		},
		Scopes:       profile.Scopes{Allowed: []string{"read"}, Unknown: []string{"nope"}},
		Capabilities: profile.Capabilities{Grants: []string{"client_credentials"}, Introspection: &yes},
	}
	return newWorld(&Env{Profile: p})
}

func TestClientCredentialsAgainstAFakeServer(t *testing.T) {
	w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "cc" || p != "s3cret" {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(401) // no WWW-Authenticate: a deviation the steps must catch
			_, _ = rw.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Cache-Control", "no-store")
		_, _ = rw.Write([]byte(`{"access_token":"tok","token_type":"bearer","expires_in":60}`))
	})
	ctx := context.Background()
	if err := w.tokenRequest(ctx, "client credentials", "requests a token with its client credentials", ""); err != nil {
		t.Fatal(err)
	}
	if err := w.issuesToken(""); err != nil {
		t.Fatal(err)
	}
	if err := w.tokenTypeBearer(); err != nil {
		t.Fatal(err)
	}
	if err := w.headerWith("Pragma", "no-cache"); err == nil || !strings.Contains(err.Error(), "no Pragma header") {
		t.Fatalf("a missing Pragma passed: %v", err)
	}
	if err := w.grantedScope("{allowed-scope}"); err != nil {
		t.Fatalf("no scope in the response means the requested one: %v", err)
	}
	if err := w.tokenRequest(ctx, "client credentials", "requests a token with its client credentials", " with a wrong client secret"); err != nil {
		t.Fatal(err)
	}
	// The 401 and its challenge are the client_authentication scenarios' own steps (RFC 6749
	// 5.2's MUST); the refusal itself is judged apart.
	if _, err := w.refusesWith(ctx, "token", "invalid_client"); err != nil {
		t.Fatalf("a refusal with invalid_client failed: %v", err)
	}
	err := w.hasChallenge("Basic")
	if err == nil {
		t.Fatal("a 401 without WWW-Authenticate passed")
	}
	if !strings.Contains(err.Error(), "Authorization: Basic [redacted]") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the error should show the redacted exchange:\n%v", err)
	}
}

func TestHTMLWhereJSONIsDueFailsClearly(t *testing.T) {
	w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		_, _ = rw.Write([]byte("<html><body>Sign in</body></html>"))
	})
	if err := w.tokenRequest(context.Background(), "client credentials", "requests a token with its client credentials", ""); err != nil {
		t.Fatal(err)
	}
	err := w.issuesToken("")
	if err == nil || !strings.Contains(err.Error(), "expected JSON, got text/html") {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownModifierIsAnError(t *testing.T) {
	w := fakeTarget(t, func(http.ResponseWriter, *http.Request) { t.Error("nothing should be sent") })
	err := w.tokenRequest(context.Background(), "client credentials", "requests a token with its client credentials", " with a flourish")
	if err == nil || !strings.Contains(err.Error(), `unknown request modifier "with a flourish"`) {
		t.Fatalf("got %v", err)
	}
}

func TestBeforeSkipsUnsupportedCapabilities(t *testing.T) {
	w := fakeTarget(t, func(http.ResponseWriter, *http.Request) {})
	sc := &godog.Scenario{Tags: []*messages.PickleTag{{Name: "@RFC6749-4.3.2"}, {Name: "@MUST"}, {Name: "@grant-password"}}}
	_, err := w.before(context.Background(), sc)
	if !errors.Is(err, godog.ErrSkip) || !strings.Contains(err.Error(), "password") {
		t.Fatalf("got %v, want a skip naming the password grant", err)
	}
	sc.Tags = []*messages.PickleTag{{Name: "@grant-client-credentials"}, {Name: "@MUST"}}
	if _, err := w.before(context.Background(), sc); err != nil {
		t.Fatalf("a supported scenario was stopped: %v", err)
	}
}

func TestSplitMods(t *testing.T) {
	got := splitMods(` with HTTP Basic client authentication and a wrong client secret without a scope`)
	want := []string{"with HTTP Basic client authentication", "with a wrong client secret without a scope"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	got = splitMods(` without client authentication and with scope "a b"`)
	if strings.Join(got, "|") != `without client authentication|with scope "a b"` {
		t.Fatalf("got %q", got)
	}
}

func TestForbidsFraming(t *testing.T) {
	h := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, ok := range []map[string]string{
		{"X-Frame-Options": "DENY"}, {"X-Frame-Options": "sameorigin"},
		{"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"},
	} {
		if err := forbidsFraming(h(ok)); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range []map[string]string{{}, {"X-Frame-Options": "ALLOW-FROM x"}, {"Content-Security-Policy": "frame-ancestors *"}} {
		if err := forbidsFraming(h(bad)); err == nil {
			t.Errorf("%v passed", bad)
		}
	}
}

func TestCharacterSets(t *testing.T) {
	if err := errorChars("The request is missing a parameter", "https://example.com/e"); err != nil {
		t.Fatal(err)
	}
	if err := errorChars(`bad "quote"`, ""); err == nil {
		t.Fatal(`a '"' in error_description passed`)
	}
	if err := errorChars("", "has space"); err == nil {
		t.Fatal("a space in error_uri passed")
	}
	if err := vschar("access token", "abc.DEF-~ 1"); err != nil {
		t.Fatal(err)
	}
	if err := vschar("access token", "tab\there"); err == nil {
		t.Fatal("a tab passed VSCHAR")
	}
	if err := vschar("access token", ""); err == nil {
		t.Fatal("an empty token passed")
	}
}

func TestBearerParams(t *testing.T) {
	p, ok := bearerParams([]string{`Basic realm="x"`, `Bearer realm="api", error="invalid_token", error_description="The token, expired"`})
	if !ok || p["error"] != "invalid_token" || p["realm"] != "api" || p["error_description"] != "The token, expired" {
		t.Fatalf("got %v %v", p, ok)
	}
	p, ok = bearerParams([]string{"Bearer"})
	if !ok || len(p) != 0 {
		t.Fatalf("got %v %v", p, ok)
	}
	if _, ok := bearerParams([]string{`Basic realm="x"`}); ok {
		t.Fatal("a Basic challenge read as Bearer")
	}
}

func TestScopesCompareAsSets(t *testing.T) {
	if !sameScopes("a b", "b  a") || sameScopes("a", "a b") {
		t.Fatal("scope sets compared wrongly")
	}
}

func TestBeforeRefusesAnUnknownTag(t *testing.T) {
	w := fakeTarget(t, func(http.ResponseWriter, *http.Request) {})
	sc := &godog.Scenario{Tags: []*messages.PickleTag{{Name: "@grant-passwrd"}, {Name: "@MUST"}}}
	_, err := w.before(context.Background(), sc)
	if err == nil || errors.Is(err, godog.ErrSkip) || !strings.Contains(err.Error(), "unknown tag @grant-passwrd") {
		t.Fatalf("got %v, want an error (not a skip) naming the unknown tag", err)
	}
}

func TestMisspeltModifierIsRefused(t *testing.T) {
	w := fakeTarget(t, func(http.ResponseWriter, *http.Request) { t.Error("nothing should be sent") })
	err := w.tokenRequest(context.Background(), "client credentials", "requests a token with its client credentials", " with a wrong clent secret")
	if err == nil || !strings.Contains(err.Error(), `unknown request modifier "with a wrong clent secret"`) {
		t.Fatalf("got %v", err)
	}
}
