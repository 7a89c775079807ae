package seed_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestLoadRealSeedFile(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	loaded, err := seed.Load(ctx, st, fixtures.SeedYAML(), 10)
	if err != nil || !loaded {
		t.Fatalf("Load(seed.yaml) = %v, %v; want loaded", loaded, err)
	}

	f, err := seed.Parse(fixtures.SeedYAML())
	if err != nil {
		t.Fatal(err)
	}
	clients, err := st.ListClients(ctx)
	if err != nil || len(clients) != len(f.Clients) {
		t.Fatalf("clients stored = %d, %v; want %d", len(clients), err, len(f.Clients))
	}
	for _, ce := range f.Clients {
		c, err := st.LookupClient(ctx, ce.ID)
		if err != nil {
			t.Errorf("client %s: %v", ce.ID, err)
			continue
		}
		if !c.Enabled || c.Public != ce.Public || len(c.GrantTypes) != len(ce.Grants) {
			t.Errorf("client %s = %+v", ce.ID, c)
		}
		if ce.Public {
			if c.SecretHash != nil || c.TokenEndpointAuthMethod != "none" {
				t.Errorf("public client %s: secret hash %q, auth method %q", ce.ID, c.SecretHash, c.TokenEndpointAuthMethod)
			}
			continue
		}
		if string(c.SecretHash) == ce.Secret {
			t.Errorf("client %s: secret stored in plain", ce.ID)
		}
		// One full comparison is enough to show the hash is of the secret (each costs ~50 ms,
		// far more under -race); the cost check is cheap.
		if ce.ID == "conf-code" {
			if err := bcrypt.CompareHashAndPassword(c.SecretHash, []byte(ce.Secret)); err != nil {
				t.Errorf("client %s: stored hash does not match the seed secret: %v", ce.ID, err)
			}
		}
		if cost, _ := bcrypt.Cost(c.SecretHash); cost != 10 {
			t.Errorf("client %s: bcrypt cost %d, want 10", ce.ID, cost)
		}
		if c.TokenEndpointAuthMethod != "client_secret_basic" {
			t.Errorf("client %s: auth method %q", ce.ID, c.TokenEndpointAuthMethod)
		}
	}
	short, err := st.LookupClient(ctx, "short-lived")
	if err != nil || short.AccessTokenTTL != time.Second || short.RefreshTokenTTL != time.Second || short.AuthCodeTTL != time.Second {
		t.Errorf("short-lived lifetimes = %+v, %v", short, err)
	}
	if tc, _ := st.LookupClient(ctx, "trusted-client"); tc == nil || !tc.Trusted {
		t.Errorf("trusted-client not trusted: %+v", tc)
	}
	if u, err := st.GetUser(ctx, "alice"); err != nil || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte("alice-Secret-1")) != nil {
		t.Errorf("alice's seeded password does not match her hash: %+v, %v", u, err)
	}
	scopes, err := st.ListScopes(ctx)
	if err != nil || len(scopes) != len(f.Scopes) {
		t.Errorf("scopes = %v, %v", scopes, err)
	}
	if sc, err := st.GetScope(ctx, "calc:read"); err != nil || sc.Description == "" {
		t.Errorf("scope calc:read = %+v, %v", sc, err)
	}

	// A second load (the next start) leaves the store alone.
	loaded, err = seed.Load(ctx, st, fixtures.SeedYAML(), 10)
	if err != nil || loaded {
		t.Errorf("second Load = %v, %v; want a no-op", loaded, err)
	}
}

func TestLoadSkipsNonEmptyStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if err := st.PutScope(ctx, &store.Scope{Name: "existing"}); err != nil {
		t.Fatal(err)
	}
	loaded, err := seed.Load(ctx, st, fixtures.SeedYAML(), 10)
	if err != nil || loaded {
		t.Fatalf("Load into a non-empty store = %v, %v; want a no-op", loaded, err)
	}
	if cs, _ := st.ListClients(ctx); len(cs) != 0 {
		t.Errorf("clients were loaded into a non-empty store: %d", len(cs))
	}
}

func TestLoadRejectsLowCost(t *testing.T) {
	st := openStore(t)
	if _, err := seed.Load(context.Background(), st, fixtures.SeedYAML(), 4); err == nil || !strings.Contains(err.Error(), "bcrypt cost 4") {
		t.Errorf("Load with cost 4 = %v, want an error naming the cost", err)
	}
}

func TestLoadCanceledContext(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	// No secrets or passwords: nothing to hash, so the test stays fast under -race.
	bad := []byte(`
scopes: [{name: s1}]
clients:
  - {id: "c1", public: true, grants: [implicit], redirect_uris: ["https://app.example/cb"], scopes: [s1]}
`)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if loaded, err := seed.Load(cctx, st, bad, 10); err == nil || loaded {
		t.Fatalf("Load with a canceled context = %v, %v; want an error", loaded, err)
	}
	if empty, err := st.IsEmpty(ctx); err != nil || !empty {
		t.Errorf("store after a failed load: empty=%v, %v; want empty", empty, err)
	}
	if loaded, err := seed.Load(ctx, st, bad, 10); err != nil || !loaded {
		t.Errorf("Load after the failed one = %v, %v", loaded, err)
	}
}

func TestParseNamesEveryBadField(t *testing.T) {
	bad := `
scopes:
  - {name: calc:read}
  - {name: calc:read}
  - {name: "has space"}
users:
  - {username: alice, password: pw}
  - {username: alice}
clients:
  - id: ok
    secret: s
    redirect_uris: ["https://app.example/cb"]
    grants: [authorization_code, refresh_token]
    scopes: [calc:read]
  - id: ok
    secret: s
    grants: [client_credentials]
  - id: conf-no-secret
    grants: [client_credentials]
  - id: public-with-secret
    public: true
    secret: s
    redirect_uris: ["http://127.0.0.1/cb"]
    grants: [authorization_code]
  - id: frag
    secret: s
    redirect_uris: ["x#y", "/relative", "http://example.com/cb/*", "https://user:pw@app.example/cb", "http://app.example/cb"]
    grants: [authorization_code, teleport]
    scopes: [calc:read, nope]
    access_token_ttl: soon
  - id: no-redirect
    public: true
    grants: [implicit]
  - id: pub-cc
    public: true
    auth_method: client_secret_basic
    grants: [client_credentials]
`
	_, err := seed.Parse([]byte(bad))
	var ve *seed.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v, want a *ValidationError", err)
	}
	want := []string{
		`scopes[1].name: duplicate scope "calc:read"`,
		`scopes[2].name: "has space" is not a valid scope token`,
		`users[1].username: duplicate user "alice"`,
		`users[1].password: is required`,
		`clients[1].id: duplicate client id "ok"`,
		`clients[2].secret: a confidential client needs a secret`,
		`clients[3].secret: a public client must not have a secret`,
		`clients[4].redirect_uris[0]: "x#y" has a fragment: a redirect URI must not have one (RFC 6749 3.1.2)`,
		`clients[4].redirect_uris[1]: "/relative" is not an absolute URI`,
		// The admin API's rule (refserver/domain), which the seed once did not apply.
		`clients[4].redirect_uris[2]: "http://example.com/cb/*" contains a wildcard`,
		`clients[4].redirect_uris[3]: "https://user:pw@app.example/cb" must not contain user information`,
		`clients[4].redirect_uris[4]: "http://app.example/cb" uses http on a non-loopback host`,
		`clients[4].grants[1]: unknown grant "teleport"`,
		`clients[4].scopes[1]: unknown scope "nope"`,
		`clients[4].access_token_ttl: "soon" is not a duration`,
		`clients[5].redirect_uris: a redirect URI is required`,
		`clients[6].auth_method: "client_secret_basic" is not possible for a public client`,
		`clients[6].grants: client_credentials needs a confidential client`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q", w)
		}
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ve.Problems), len(want), msg)
	}
	if strings.Contains(msg, "clients[0]") {
		t.Errorf("the valid client was reported:\n%s", msg)
	}
}

func TestParseRejectsMalformedYAML(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         "",
		"not a mapping": "- a\n- b\n",
		"unknown field": "clients:\n  - {id: x, secret: s, grants: [client_credentials], colour: red}\n",
		"bad types":     "clients: {id: x}\n",
	} {
		if _, err := seed.Parse([]byte(in)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
	_, err := seed.Parse([]byte("clients:\n  - {id: x, secret: s, grants: [client_credentials], colour: red}\n"))
	if err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown field error = %v, want it to name the field", err)
	}
}

func TestLoadValidationErrorLoadsNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	loaded, err := seed.Load(ctx, st, []byte("scopes: [{name: a}]\nclients: [{id: x, grants: [nope]}]\n"), 10)
	if err == nil || loaded {
		t.Fatalf("Load(bad) = %v, %v", loaded, err)
	}
	if !strings.Contains(err.Error(), `clients[0].grants[0]: unknown grant "nope"`) {
		t.Errorf("error = %v", err)
	}
	if empty, _ := st.IsEmpty(ctx); !empty {
		t.Error("a rejected seed file loaded something")
	}
}

// Precomputed hashes load as given: nothing is hashed at start-up.
func TestLoadPrecomputedHashes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const (
		alicePW    = "$2a$10$uRPpkyFmyqY89UGdmkPVvebnMIcVW4Fc7Nv78hlL/6pZkThwk3GAS" // "alice-pw"
		clientHash = "$2a$10$4jmIPIJF.V0mE2b2KRadQO/3W9HbeVtAwYvm.tUztytf8a8VaJWAG" // "client-secret"
	)
	in := []byte(`
scopes: [{name: s1}]
users: [{username: alice, password_hash: "` + alicePW + `"}]
clients:
  - {id: c1, secret_hash: "` + clientHash + `", grants: [client_credentials], scopes: [s1]}
`)
	start := time.Now()
	loaded, err := seed.Load(ctx, st, in, 10)
	if err != nil || !loaded {
		t.Fatalf("Load = %v, %v", loaded, err)
	}
	c, err := st.LookupClient(ctx, "c1")
	if err != nil || string(c.SecretHash) != clientHash || c.TokenEndpointAuthMethod != "client_secret_basic" {
		t.Errorf("client = %+v, %v; want the given hash stored as is", c, err)
	}
	u, err := st.GetUser(ctx, "alice")
	if err != nil || string(u.PasswordHash) != alicePW {
		t.Errorf("user = %+v, %v; want the given hash stored as is", u, err)
	}
	t.Logf("loaded in %v", time.Since(start))
}

func TestHashProblems(t *testing.T) {
	const weak = "$2a$04$vaNh5ryvQDHKYQLk2R5RPuZfsSgkczg8jQS2IyWp/0ixrO14qfQ52"
	const cost10 = "$2a$10$4jmIPIJF.V0mE2b2KRadQO/3W9HbeVtAwYvm.tUztytf8a8VaJWAG"
	_, err := seed.Parse([]byte(`
users:
  - {username: a, password: x, password_hash: "` + cost10 + `"}
  - {username: b, password_hash: "plain-text"}
  - {username: c, password_hash: "` + weak + `"}
clients:
  - {id: c1, secret: s, secret_hash: "` + cost10 + `", grants: [client_credentials]}
  - {id: c2, public: true, secret_hash: "` + cost10 + `", grants: [implicit], redirect_uris: ["https://a.example/cb"]}
`))
	for _, w := range []string{
		"users[0].password_hash: give password or password_hash, not both",
		"users[1].password_hash: is not a bcrypt hash",
		"users[2].password_hash: bcrypt cost 4 is below the minimum of 10",
		"clients[0].secret_hash: give secret or secret_hash, not both",
		"clients[1].secret: a public client must not have a secret",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	// A cost-10 hash is too weak when the server asks for cost 12.
	st := openStore(t)
	_, err = seed.Load(context.Background(), st, []byte(`clients: [{id: c1, secret_hash: "`+cost10+`", grants: [client_credentials]}]`), 12)
	if err == nil || !strings.Contains(err.Error(), "clients[0].secret_hash: bcrypt cost 10 is below the configured cost 12") {
		t.Errorf("Load at cost 12 with a cost-10 hash = %v", err)
	}
}

func TestTemplateAndCopyDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.db")
	if err := seed.Template(ctx, tmpl, fixtures.SeedYAML(), 10); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "copy.db")
	if err := seed.CopyDB(tmpl, cp); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if empty, err := st.IsEmpty(ctx); err != nil || empty {
		t.Fatalf("the copy is empty (%v, %v): the seed did not reach the template's main file", empty, err)
	}
	if _, err := st.LookupClient(ctx, "cc-client"); err != nil {
		t.Errorf("the copy lacks the seeded client cc-client: %v", err)
	}
	if err := seed.CopyDB(filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("copying a missing database should fail")
	}
}
