package main

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// startServe runs serve with args until the test ends; it returns the issuer and the output,
// or the error serve ended with before printing an issuer.
func startServe(t *testing.T, args ...string) (issuer string, out *syncBuffer, err error) {
	t.Helper()
	o, err := parseServeFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, out) }()
	issuerRE := regexp.MustCompile(`issuer: +(http://\S+)`)
	deadline := time.After(60 * time.Second)
	for {
		if m := issuerRE.FindStringSubmatch(out.String()); m != nil {
			t.Cleanup(func() {
				cancel()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					t.Error("serve did not stop within 30s")
				}
			})
			return m[1], out, nil
		}
		select {
		case err := <-done:
			cancel()
			if err == nil {
				t.Fatal("serve ended without an error before printing the issuer")
			}
			return "", out, err
		case <-deadline:
			cancel()
			t.Fatalf("no issuer printed within 60s: %s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// runServe is startServe in a subtest of its own, so the server stops when it returns.
func runServe(t *testing.T, args ...string) (string, *syncBuffer, error) {
	var (
		issuer string
		out    *syncBuffer
		err    error
	)
	t.Run("serve", func(t *testing.T) { issuer, out, err = startServe(t, args...) })
	return issuer, out, err
}

// Issue 10 item 1: serve without --seed loads no fixtures: a new database gets only an
// administrator, whose generated password is printed once and works (and the fixtures'
// clients and administrator password do not).
func TestServeWithoutSeedCreatesOnlyAnAdministrator(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "o.db")
	var issuer string
	t.Run("first start", func(t *testing.T) {
		var out *syncBuffer
		var err error
		issuer, out, err = startServe(t, "--addr", "127.0.0.1:0", "--db", db)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`admin: +admin, password (\S+) \(generated`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no generated administrator password printed: %s", out.String())
		}
		if !strings.Contains(out.String(), "an administrator only") || !strings.Contains(out.String(), "clients:  (none yet)\n") {
			t.Errorf("the start-up lines do not say the database holds only an administrator: %s", out.String())
		}
		if got := adminStatus(t, issuer, "admin", m[1]); got != http.StatusOK {
			t.Errorf("the printed administrator password: admin API status %d, want 200", got)
		}
		if got := adminStatus(t, issuer, "admin", "admin-Secret-0"); got != http.StatusUnauthorized {
			t.Errorf("the fixtures' administrator password: admin API status %d, want 401", got)
		}
		res, err := http.PostForm(issuer+"/oauth2/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"cc-client"}, "client_secret": {"cc-client-secret-0123456789"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a fixture client's published secret: status %d, want 401", res.StatusCode)
		}
	})
	t.Run("restart", func(t *testing.T) {
		_, out, err := startServe(t, "--addr", "127.0.0.1:0", "--db", db)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "password") {
			t.Errorf("a restart printed a password again: %s", out.String())
		}
	})
}

// adminStatus calls the admin API as user and returns the status.
func adminStatus(t *testing.T, issuer, user, password string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, issuer+"/admin/api/clients", nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// --admin-password-file on a first start: the administrator's password comes from the file
// and nothing is printed.
func TestServeFirstAdministratorFromPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("a-long-admin-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	issuer, out, err := startServe(t, "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "o.db"), "--admin-password-file", pw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "generated") {
		t.Errorf("a password was generated although --admin-password-file was given: %s", out.String())
	}
	if got := adminStatus(t, issuer, "admin", "a-long-admin-password"); got != http.StatusOK {
		t.Errorf("admin API status %d, want 200", got)
	}
}

// Issue 10 item 1: the fixtures only when asked, and on loopback only: --demo loads them; the
// same database, or a --seed copy of the fixtures, is refused on another address.
func TestServeDemoIsLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	_, out, err := runServe(t, "--addr", "127.0.0.1:0", "--db", db, "--demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cc-client") || !strings.Contains(out.String(), "demo fixtures") {
		t.Errorf("--demo did not load the fixtures: %s", out.String())
	}
	// The same database, later, on a non-loopback address (plain HTTP allowed knowingly).
	_, _, err = runServe(t, "--addr", "0.0.0.0:0", "--insecure-http", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "loopback address only") {
		t.Errorf("the demo database on 0.0.0.0: expected a refusal, got %v", err)
	}
	seedCopy := filepath.Join(dir, "copy.yaml")
	if err := os.WriteFile(seedCopy, fixtures.SeedYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runServe(t, "--addr", "0.0.0.0:0", "--insecure-http", "--db", filepath.Join(dir, "other.db"), "--seed", seedCopy)
	if err == nil || !strings.Contains(err.Error(), "published test fixtures") {
		t.Errorf("--seed with a copy of the fixtures on 0.0.0.0: expected a refusal, got %v", err)
	}
}

// Issue 10 item 3: a lost or different secret file is refused with a clear message; with
// --rotate-secret the server starts and every token of the old secret is revoked.
func TestServeRefusesALostOrDifferentSecret(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "o.db")
	seedPath := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seedPath, []byte(testSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runServe(t, "--addr", "127.0.0.1:0", "--db", db, "--seed", seedPath); err != nil {
		t.Fatal(err)
	}
	secretPath := db + ".secret"
	original, err := os.ReadFile(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	// A token of the original secret, to see what rotation does to it.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := st.LookupClient(ctx, "pub")
	if err != nil {
		t.Fatal(err)
	}
	req := &fosite.Request{ID: "req", RequestedAt: time.Now(), Client: c, Session: &fosite.DefaultSession{}, Form: url.Values{}}
	if err := st.CreateAccessTokenSession(ctx, "sig", req); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if err := os.Remove(secretPath); err != nil {
		t.Fatal(err)
	}
	_, _, err = runServe(t, "--addr", "127.0.0.1:0", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "is missing") || !strings.Contains(err.Error(), "--rotate-secret") {
		t.Errorf("a missing secret: expected a refusal naming --rotate-secret, got %v", err)
	}
	if _, err := os.Stat(secretPath); err == nil {
		t.Error("the refused start created a new secret file")
	}
	if err := os.WriteFile(secretPath, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runServe(t, "--addr", "127.0.0.1:0", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "not the one database") {
		t.Errorf("a different secret: expected a refusal, got %v", err)
	}
	// Put the original back: it starts again.
	if err := os.WriteFile(secretPath, original, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runServe(t, "--addr", "127.0.0.1:0", "--db", db); err != nil {
		t.Fatalf("the original secret restored: %v", err)
	}
	// Rotate: a new secret, the old tokens revoked.
	_, out, err := runServe(t, "--addr", "127.0.0.1:0", "--db", db, "--rotate-secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "rotated: 1 codes and tokens") {
		t.Errorf("the rotation did not report the revoked token: %s", out.String())
	}
	rotated, _ := os.ReadFile(secretPath)
	if string(rotated) == string(original) {
		t.Error("--rotate-secret kept the old secret")
	}
	// The old secret restored after a rotation is refused too (and its tokens stay revoked).
	if err := os.WriteFile(secretPath, original, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runServe(t, "--addr", "127.0.0.1:0", "--db", db); err == nil {
		t.Error("the pre-rotation secret was accepted after the rotation")
	}
	st, err = store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ts, err := st.ListTokens(context.Background(), store.TokenFilter{Kind: store.KindAccessToken}); err != nil || len(ts) != 1 || ts[0].Active {
		t.Errorf("the old secret's token after rotation: %+v, %v; want it inactive", ts, err)
	}
}
