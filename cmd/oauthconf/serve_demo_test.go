package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// Issue 16 item 4: the demo is recognised by content. A copy of the fixtures with a comment
// added, a seed of one's own that reuses one published secret, a database that holds a
// published password, and a published administrator password in --admin-password-file are
// each refused on a non-loopback address.
func TestServeRecognisesTheDemoByContent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refused := func(what string, args ...string) {
		t.Helper()
		_, _, err := runServe(t, append([]string{"--addr", "0.0.0.0:0", "--insecure-http"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "published test fixtures") || !strings.Contains(err.Error(), "loopback address only") {
			t.Errorf("%s on 0.0.0.0: expected the demo's refusal, got %v", what, err)
		}
	}

	commented := write("commented.yaml", "# my own seed, honest\n"+string(fixtures.SeedYAML()))
	refused("a copy of the fixtures with a comment", "--db", filepath.Join(dir, "a.db"), "--seed", commented)

	reused := write("reused.yaml", testSeed+`  - id: mine
    name: Mine
    secret: "cc-client-secret-0123456789"
    auth_method: client_secret_basic
    grants: [client_credentials]
    scopes: [calc:read]
`)
	refused("a seed reusing one published client secret", "--db", filepath.Join(dir, "b.db"), "--seed", reused)

	// A database seeded on loopback from a copy, before the content was checked (no demo
	// record): its stored hashes are compared with the published passwords.
	own := write("own.yaml", testSeed)
	db := filepath.Join(dir, "c.db")
	if _, _, err := runServe(t, "--addr", "127.0.0.1:0", "--db", db, "--seed", own); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runServe(t, "--addr", "0.0.0.0:0", "--insecure-http", "--db", db); err != nil {
		t.Fatalf("a database of one's own on 0.0.0.0: %v", err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("bob-Secret-2"), bcrypt.MinCost)
	if err := st.CreateUser(context.Background(), &store.User{Username: "bob", PasswordHash: h, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	refused("a database holding a published password", "--db", db)

	pw := write("admin-pw", "admin-Secret-0123456789\n")
	refused("--admin-password-file with the published administrator password", "--db", filepath.Join(dir, "d.db"), "--admin-password-file", pw)

	// On loopback all of them start.
	if _, _, err := runServe(t, "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "e.db"), "--seed", commented); err != nil {
		t.Errorf("the commented copy on loopback: %v", err)
	}
}

// Issue 16 item 5 end to end: under --demo every path refuses a Host that is neither the
// issuer's nor a loopback literal (DNS rebinding onto the public passwords).
func TestServeDemoRefusesRebinding(t *testing.T) {
	issuer, _, err := startServe(t, "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "demo.db"), "--demo")
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]int{"evil.example": http.StatusMisdirectedRequest, "": http.StatusOK, "localhost": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, issuer+"/.well-known/oauth-authorization-server", nil)
		if host != "" {
			req.Host = host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("--demo, metadata with Host %q: expected %d, got %d", host, want, res.StatusCode)
		}
	}
}
