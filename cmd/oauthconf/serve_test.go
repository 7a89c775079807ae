package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestParseServeFlags(t *testing.T) {
	dir := t.TempDir()
	ok := []struct {
		args  []string
		check func(*serveOptions) bool
	}{
		{nil, func(o *serveOptions) bool {
			return o.Addr == "127.0.0.1:8080" && o.DB == "oauthconf.db" && o.SecretFile == "oauthconf.db.secret" && o.Issuer == ""
		}},
		{[]string{"--addr", "[::1]:0", "--db", filepath.Join(dir, "x.db")}, func(o *serveOptions) bool {
			return o.SecretFile == filepath.Join(dir, "x.db.secret")
		}},
		{[]string{"--addr", "localhost:9000"}, nil},
		{[]string{"--addr", "0.0.0.0:8080", "--insecure-http"}, nil},
		{[]string{"--addr", "0.0.0.0:8443", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, nil},
		{[]string{"--issuer", "https://as.example.com/"}, func(o *serveOptions) bool { return o.Issuer == "https://as.example.com" }},
		{[]string{"--demo", "--addr", "localhost:9000"}, func(o *serveOptions) bool { return o.Demo }},
		{[]string{"--secure-cookies", "--rotate-secret"}, func(o *serveOptions) bool { return o.SecureCookies && o.RotateSecret }},
		{[]string{"--admin-password-file", "pw"}, func(o *serveOptions) bool { return o.AdminUser == "admin" }},
		{[]string{"--db", "postgres://u:pw@127.0.0.1:5432/db"}, func(o *serveOptions) bool {
			return o.SecretFile == pgSecretFile && o.DBName == "postgres://u:xxxxx@127.0.0.1:5432/db"
		}},
		{[]string{"--db", "file://" + filepath.Join(dir, "x.db")}, nil},
		{[]string{"--access-token-ttl", "2s", "--secret-file", "/tmp/s"}, func(o *serveOptions) bool {
			return o.AccessTTL == 2*time.Second && o.SecretFile == "/tmp/s"
		}},
	}
	for _, c := range ok {
		o, err := parseServeFlags(c.args, io.Discard)
		if err != nil {
			t.Errorf("%v: unexpected error: %v", c.args, err)
			continue
		}
		if c.check != nil && !c.check(o) {
			t.Errorf("%v: unexpected options %+v", c.args, o)
		}
	}

	bad := []struct {
		want string
		args []string
	}{
		{"not a loopback address", []string{"--addr", "0.0.0.0:8080"}},
		{"not a loopback address", []string{"--addr", ":8080"}},
		{"not host:port", []string{"--addr", "localhost"}},
		{"invalid port", []string{"--addr", "127.0.0.1:http-alt-x"}},
		{"give both or neither", []string{"--tls-cert", "c.pem"}},
		{"no query or fragment", []string{"--issuer", "https://as.example.com/?x=1"}},
		{"must be an http(s) URL", []string{"--issuer", "as.example.com"}},
		{"--access-token-ttl must be", []string{"--access-token-ttl", "0s"}},
		{"--bcrypt-cost must be", []string{"--bcrypt-cost", "4"}},
		{"unexpected argument", []string{"extra"}},
		{"flag provided but not defined", []string{"--no-such-flag"}},
		{"--db must name", []string{"--db", ""}},
		{"--db (a malformed postgres:// URL) is not a PostgreSQL URL", []string{"--db", "postgres://u:pw@[::1/db"}},
		{"only SQLite files and postgres://", []string{"--db", "mysql://u@h/db"}},
		{"--admin-user needs --admin-password-file", []string{"--admin-user", "root"}},
		{"loopback address only", []string{"--demo", "--addr", "0.0.0.0:8443", "--tls-cert", "c.pem", "--tls-key", "k.pem"}},
		{"exclude each other", []string{"--demo", "--seed", "x.yaml"}},
	}
	for _, c := range bad {
		_, err := parseServeFlags(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: expected an error containing %q, got %v", c.args, c.want, err)
		}
	}
}

func TestServeCmdBadFlagsExit2(t *testing.T) {
	if code := serveCmd([]string{"--addr", "0.0.0.0:1"}); code != exitUsage {
		t.Fatalf("expected exit status %d, got %d", exitUsage, code)
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "db.secret")
	s1, err := loadOrCreateSecret(path)
	if err != nil || len(s1) < 32 {
		t.Fatalf("create: %v (%d bytes)", err, len(s1))
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode: %v %v", fi.Mode(), err)
	}
	s2, err := loadOrCreateSecret(path)
	if err != nil || !bytes.Equal(s1, s2) {
		t.Fatalf("reload: expected the same secret, got err %v", err)
	}
	if err := os.WriteFile(path, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(path); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("short secret: expected an error, got %v", err)
	}
}

// syncBuffer is an io.Writer the test can read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A seed without secrets or passwords, so no bcrypt runs (seconds under -race).
const testSeed = `
scopes:
  - {name: calc:read, description: "Read"}
clients:
  - id: pub
    name: Public
    public: true
    auth_method: none
    redirect_uris: ["http://127.0.0.1/callback"]
    grants: [authorization_code]
    scopes: [calc:read]
`

// serve starts, answers, keeps its secret across restarts, and stops when its context ends.
func TestServeStartsAndDrains(t *testing.T) {
	dir := t.TempDir()
	seedPath := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seedPath, []byte(testSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parseServeFlags([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "o.db"), "--seed", seedPath}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for run := 0; run < 2; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- serve(ctx, o, out) }()

		issuerRE := regexp.MustCompile(`issuer: +(http://\S+)`)
		var issuer string
		deadline := time.Now().Add(30 * time.Second)
		for issuer == "" {
			if m := issuerRE.FindStringSubmatch(out.String()); m != nil {
				issuer = m[1]
				break
			}
			select {
			case err := <-done:
				cancel()
				t.Fatalf("serve ended early: %v; output: %s", err, out.String())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no issuer printed within 30s: %s", out.String())
			}
		}
		if !strings.Contains(out.String(), "clients:  pub") || !strings.Contains(out.String(), "o.db") {
			t.Errorf("output lacks the client ids or the database: %s", out.String())
		}
		res, err := http.Get(issuer + "/.well-known/oauth-authorization-server")
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"issuer":"`+issuer+`"`) {
			t.Errorf("metadata: %d %s", res.StatusCode, body)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30s of cancellation")
		}
		s, err := os.ReadFile(o.SecretFile)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s)
	}
	if !bytes.Equal(secrets[0], secrets[1]) {
		t.Error("the global secret changed across restarts")
	}
}

func TestParseBenchFlags(t *testing.T) {
	o, err := parseBenchFlags(nil, io.Discard)
	if err != nil || o.Duration != 10*time.Second || o.Concurrency != 16 || len(o.Only) != len(benchNames) || o.Only[0] != "bare_handler" {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	o, err = parseBenchFlags([]string{"--only", "introspection", "--duration", "2s"}, io.Discard)
	if err != nil || len(o.Only) != 1 || o.Only[0] != "introspection" || o.Duration != 2*time.Second {
		t.Fatalf("--only introspection: %+v, %v", o, err)
	}
	for _, args := range [][]string{{"--only", "nope"}, {"--duration", "0s"}, {"--concurrency", "0"}, {"x"}} {
		if _, err := parseBenchFlags(args, io.Discard); err == nil {
			t.Errorf("%v: expected an error", args)
		}
	}
}

func TestHashAdminPassword(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("a-long-admin-password\nignored second line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := hashAdminPassword(good, 10)
	if err != nil {
		t.Fatalf("hashAdminPassword: %v", err)
	}
	if err := bcrypt.CompareHashAndPassword(h, []byte("a-long-admin-password")); err != nil {
		t.Errorf("the hash does not match the file's first line: %v", err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := hashAdminPassword(short, 10); err == nil || !strings.Contains(err.Error(), "at least 12 characters") {
		t.Errorf("a short password: expected an error naming the minimum length, got %v", err)
	}
	if _, err := hashAdminPassword(filepath.Join(dir, "missing"), 10); err == nil || !strings.Contains(err.Error(), "--admin-password-file") {
		t.Errorf("a missing file: expected an error naming the flag, got %v", err)
	}
}
