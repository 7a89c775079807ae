package refserver

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func TestKnownQuirksAreNamedAndDescribed(t *testing.T) {
	qs := KnownQuirks()
	if len(qs) < 18 {
		t.Fatalf("expected at least 18 quirks, got %d", len(qs))
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)
	seen := map[Quirk]bool{}
	for _, q := range qs {
		if !kebab.MatchString(string(q.Name)) {
			t.Errorf("quirk %q: name is not kebab-case", q.Name)
		}
		if seen[q.Name] {
			t.Errorf("quirk %q is listed twice", q.Name)
		}
		seen[q.Name] = true
		if q.Description == "" || strings.Contains(q.Description, "\n") {
			t.Errorf("quirk %q: want a one-line description, got %q", q.Name, q.Description)
		}
	}
	// KnownQuirks hands out a copy: changing it changes nothing for the next caller.
	qs[0].Name = "changed"
	if KnownQuirks()[0].Name == "changed" {
		t.Error("KnownQuirks returned the package's own slice")
	}
}

func TestDefaultServerHasNoQuirk(t *testing.T) {
	e := newTestEnv(t)
	if len(e.srv.quirks) != 0 {
		t.Fatalf("the default server runs with quirks %v", e.srv.quirks.names())
	}
	for _, q := range KnownQuirks() {
		if e.srv.quirks.Has(q.Name) {
			t.Errorf("quirk %s is on in the default server", q.Name)
		}
	}
	if e.srv.quirkProvider != nil {
		t.Error("the default server built the PKCE-less provider of pkce-verifier-optional")
	}
	if e.srv.fcfg.EnablePKCEPlainChallengeMethod {
		t.Error("the default server accepts plain PKCE")
	}
}

func TestUnknownQuirkIsRefused(t *testing.T) {
	st, err := store.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := Config{Issuer: testIssuer, GlobalSecret: []byte("0123456789abcdef0123456789abcdef-test"),
		Quirks: []string{string(QuirkCodeReusable), "no-such-quirk"}}
	_, err = New(cfg, st)
	if err == nil {
		t.Fatal("expected New to refuse the unknown quirk, got a server")
	}
	for _, want := range []string{`"no-such-quirk"`, string(QuirkCodeReusable), string(QuirkImplicitTokenInQuery)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should name %s (the unknown name and every known one)", err, want)
		}
	}
}

func TestQuirkSwitchesOnOnlyItself(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Quirks = []string{string(QuirkCodeReusable)} })
	if got := e.srv.quirks.names(); len(got) != 1 || got[0] != string(QuirkCodeReusable) {
		t.Fatalf("expected exactly [code-reusable], got %v", got)
	}
}

func TestQuirkPKCEVerifierOptionalLeavesTheMainProviderAlone(t *testing.T) {
	def := newTestEnv(t)
	q := newTestEnv(t, func(c *Config) { c.Quirks = []string{string(QuirkPKCEVerifierOptional)} })
	// compose.Compose appends to the config it is given: the quirk's provider must not add a
	// second set of handlers to the main one.
	if a, b := len(def.srv.fcfg.TokenEndpointHandlers), len(q.srv.fcfg.TokenEndpointHandlers); a != b {
		t.Fatalf("token endpoint handlers: %d in the default server, %d with the quirk", a, b)
	}
	code := q.issueCode(publicID, "calc:read", s256(testVerifier))
	r := q.exchange(publicID, "", code, "")
	if r.Status != http.StatusOK {
		t.Fatalf("with pkce-verifier-optional a PKCE code is redeemed without a verifier: expected 200, got %s", r)
	}
	code = def.issueCode(publicID, "calc:read", s256(testVerifier))
	expectError(t, def.exchange(publicID, "", code, ""), http.StatusBadRequest, "invalid_grant")
}

func TestQuirkCodeReusable(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Quirks = []string{string(QuirkCodeReusable)} })
	code := e.issueCode(confID, "calc:read", "")
	for i := 0; i < 2; i++ {
		if r := e.exchange(confID, confSecret, code, ""); r.Status != http.StatusOK {
			t.Fatalf("redemption %d: expected 200 with the quirk, got %s", i+1, r)
		}
	}
}

func TestQuirksAtTheTokenEndpoint(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.Quirks = []string{string(QuirkNoWWWAuthenticate), string(QuirkUnknownGrantInvalidRequest), string(QuirkNoCacheControl)}
	})
	def := newTestEnv(t)

	wrong := url.Values{"grant_type": {"client_credentials"}}
	r := e.token(ccID, "wrong-secret", wrong)
	expectError(t, r, http.StatusUnauthorized, "invalid_client")
	if h := r.Header.Get("WWW-Authenticate"); h != "" {
		t.Errorf("no-www-authenticate: expected no challenge, got %q", h)
	}
	if h := def.token(ccID, "wrong-secret", wrong).Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Basic ") {
		t.Errorf("default server: expected a Basic challenge, got %q", h)
	}

	unknown := url.Values{"grant_type": {"urn:example:no-such-grant"}}
	expectError(t, e.token(ccID, ccSecret, unknown), http.StatusBadRequest, "invalid_request")
	expectError(t, def.token(ccID, ccSecret, unknown), http.StatusBadRequest, "unsupported_grant_type")

	ok := url.Values{"grant_type": {"client_credentials"}}
	if cc := e.mustToken(ccID, ccSecret, ok).Header.Get("Cache-Control"); cc != "" {
		t.Errorf("no-cache-control: expected no Cache-Control, got %q", cc)
	}
	if cc := def.mustToken(ccID, ccSecret, ok).Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("default server: expected Cache-Control no-store, got %q", cc)
	}
}

func TestQuirkForeignTokenRevocable(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Quirks = []string{string(QuirkForeignTokenRevocable)} })
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	if r := e.revoke(confID, confSecret, tok); r.Status != http.StatusOK {
		t.Fatalf("expected another client's revocation to succeed with the quirk, got %s", r)
	}
	if e.active(ccID, ccSecret, tok) {
		t.Fatal("the token survived its revocation by another client")
	}
}
