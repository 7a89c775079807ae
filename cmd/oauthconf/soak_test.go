package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the oauthconf command, so the soak can run "serve" as
// its child without building the binary first.
func TestMain(m *testing.M) {
	if os.Getenv("OAUTHCONF_TEST_AS_COMMAND") == "1" {
		os.Exit(realMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestSoakShort is a short crash soak (item 7 of issue 10): `make soak` runs a long one.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak takes 15 s; -short skips it")
	}
	var out bytes.Buffer
	res, err := soak(context.Background(), &soakOptions{
		Duration: 15 * time.Second, Rate: 30, Workers: 6, MinUp: 3 * time.Second, MaxUp: 6 * time.Second,
		SeedFile: filepath.Join("..", "..", "fixtures", "refserver", "seed.yaml"),
		bin:      os.Args[0], env: []string{"OAUTHCONF_TEST_AS_COMMAND=1"},
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Violations) > 0 {
		t.Fatalf("%d violations:\n%s", len(res.Violations), strings.Join(res.Violations, "\n"))
	}
	// On a loaded machine a short run does little of each kind; it must at least have killed
	// the server and checked tokens it issued.
	for _, k := range []string{"kills", "tokens_issued", "checked_active"} {
		if res.Counts[k] == 0 {
			t.Errorf("the soak did no %s: %v", k, res.Counts)
		}
	}
}

func TestSoakFlags(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseSoakFlags([]string{"--duration", "0s", "--rate", "-1", "--seed", "/no/such/file"}, &stderr); err == nil ||
		!strings.Contains(err.Error(), "--duration") || !strings.Contains(err.Error(), "--rate") || !strings.Contains(err.Error(), "--seed") {
		t.Errorf("expected every problem named, got %v", err)
	}
	for _, c := range []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"--addr", "127.0.0.1:8080"}, ""},
		{[]string{"--addr", "[::1]:8080"}, ""},
		{[]string{"--addr", "localhost:8080", "--duration", "5m"}, ""},
		{[]string{"--addr", "10.0.0.1:8080"}, "not a loopback address"},
		{[]string{"--addr", "example.com:443"}, "not a loopback address"},
		{[]string{"--addr", ":8080"}, "not a loopback address"},
		{[]string{"--addr", "127.0.0.1"}, "not host:port"},
		{[]string{"--addr", "127.0.0.1:0"}, "the port must be"},
		{[]string{"--addr", "127.0.0.1:http"}, "the port must be"},
		{[]string{"--addr", "127.0.0.1:8080", "--max-up", "9s"}, "--max-up does not apply with --addr"},
		{[]string{"--addr", "127.0.0.1:8080", "--seed", "x.yaml"}, "--seed does not apply with --addr"},
	} {
		_, err := parseSoakFlags(c.args, &stderr)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", c.args, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: expected an error containing %q, got %v", c.args, c.want, err)
		}
	}
}

// startSoakTarget runs "oauthconf serve" with the demo fixtures as a child, as an operator
// would before "oauthconf soak --addr".
func startSoakTarget(t *testing.T, args ...string) *soakServer {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	srv := &soakServer{bin: os.Args[0], env: []string{"OAUTHCONF_TEST_AS_COMMAND=1"}, args: args, dir: dir, addr: addr,
		seed: filepath.Join("..", "..", "fixtures", "refserver", "seed.yaml"), up: make(chan struct{}), logs: logs}
	if err := srv.start(context.Background(), 4*soakDownTimeout); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.kill)
	return srv
}

// soak --addr drives a server it did not start: tokens checked, nothing killed.
func TestSoakAddr(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server with the demo fixtures; -short skips it")
	}
	target := startSoakTarget(t)
	var out bytes.Buffer
	res, err := soak(context.Background(), &soakOptions{Addr: target.addr, Duration: 4 * time.Second, Rate: 30, Workers: 4}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Violations) > 0 {
		t.Fatalf("%d violations:\n%s", len(res.Violations), strings.Join(res.Violations, "\n"))
	}
	for _, k := range []string{"tokens_issued", "checked_active"} {
		if res.Counts[k] == 0 {
			t.Errorf("the soak did no %s: %v", k, res.Counts)
		}
	}
	if res.Counts["kills"] != 0 || res.Counts["restarts"] != 0 {
		t.Errorf("the soak killed or restarted a server it did not start: %v", res.Counts)
	}
	if !target.isUp() {
		t.Error("the target is no longer up")
	}
	if res, err := http.Get("http://" + target.addr + "/healthz"); err != nil || res.StatusCode >= 300 {
		t.Errorf("the target stopped answering after the soak: %v", err)
	} else {
		res.Body.Close()
	}
}

// The --addr mode catches a server that redeems a code twice (the code-reusable quirk): its
// checks can fail.
func TestSoakAddrCatchesReusableCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server with the demo fixtures; -short skips it")
	}
	target := startSoakTarget(t, "--quirk", "code-reusable")
	var out bytes.Buffer
	res, err := soak(context.Background(), &soakOptions{Addr: target.addr, Duration: 4 * time.Second, Rate: 30, Workers: 4}, &out)
	if err != nil {
		t.Fatal(err)
	}
	requireReplayedCodeCaught(t, res, out.String())
}

// Nothing at the address, or a server without the demo fixtures: one clear message.
func TestSoakAddrPreflight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = soak(context.Background(), &soakOptions{Addr: addr, Duration: time.Second, Rate: 1, Workers: 1}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nothing answers there") || !strings.Contains(err.Error(), "oauthconf serve --demo") {
		t.Errorf("nothing listening: got %v", err)
	}
	// Something that is not the reference server with the fixtures.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
	}))
	defer hs.Close()
	_, err = soak(context.Background(), &soakOptions{Addr: hs.Listener.Addr().String(), Duration: time.Second, Rate: 1, Workers: 1}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "was refused a token (401)") {
		t.Errorf("a server without the fixtures: got %v", err)
	}
}

// TestSoakReplicasShort is a short soak of two replicas over one database, one of them killed
// at random moments (issue 15 item 4), on a SQLite file and on PostgreSQL.
func TestSoakReplicasShort(t *testing.T) {
	if testing.Short() {
		t.Skip("the replicas soak takes 20 s; -short skips it")
	}
	t.Run("sqlite", func(t *testing.T) { soakReplicasShort(t, "") })
	t.Run("postgres", func(t *testing.T) { soakReplicasShort(t, startPG(t)) })
}

func soakReplicasShort(t *testing.T, db string) {
	var out bytes.Buffer
	res, err := soak(context.Background(), &soakOptions{
		Duration: 10 * time.Second, Rate: 30, Workers: 6, MinUp: 2 * time.Second, MaxUp: 4 * time.Second,
		Replicas: 2, DB: db,
		SeedFile: filepath.Join("..", "..", "fixtures", "refserver", "seed.yaml"),
		bin:      os.Args[0], env: []string{"OAUTHCONF_TEST_AS_COMMAND=1"},
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Violations) > 0 {
		t.Fatalf("%d violations:\n%s", len(res.Violations), strings.Join(res.Violations, "\n"))
	}
	for _, k := range []string{"kills", "tokens_issued", "checked_active", "replica_1_answered", "replica_2_answered"} {
		if res.Counts[k] == 0 {
			t.Errorf("the soak did no %s: %v", k, res.Counts)
		}
	}
}

func TestSoakReplicasFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--replicas", "2", "--seed", "../../fixtures/refserver/seed.yaml"}, ""},
		{[]string{"--replicas", "1", "--seed", "../../fixtures/refserver/seed.yaml"}, "--replicas must be between 2 and 8"},
		{[]string{"--replicas", "2", "--addr", "127.0.0.1:8080"}, "exclude each other"},
		{[]string{"--db", "postgres://u@127.0.0.1/x", "--seed", "../../fixtures/refserver/seed.yaml"}, "--db applies with --replicas only"},
		{[]string{"--replicas", "2", "--db", "x.db", "--seed", "../../fixtures/refserver/seed.yaml"}, "give a postgres:// URL"},
	} {
		_, err := parseSoakFlags(c.args, io.Discard)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", c.args, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: expected an error containing %q, got %v", c.args, c.want, err)
		}
	}
}

// The replicas mode's checks can fail: replicas that redeem a code twice (the code-reusable
// quirk) are caught when a used code is replayed through the proxy.
func TestSoakReplicasCatchesReusableCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two serve processes; -short skips it")
	}
	var out bytes.Buffer
	res, err := soak(context.Background(), &soakOptions{
		Duration: 4 * time.Second, Rate: 30, Workers: 4, MinUp: time.Minute, MaxUp: time.Minute, Replicas: 2,
		SeedFile: filepath.Join("..", "..", "fixtures", "refserver", "seed.yaml"),
		bin:      os.Args[0], env: []string{"OAUTHCONF_TEST_AS_COMMAND=1"}, serveArgs: []string{"--quirk", "code-reusable"},
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	requireReplayedCodeCaught(t, res, out.String())
}

// requireReplayedCodeCaught: a soak against a server that lets codes be reused redeemed codes,
// and reported a replayed one as a violation (the proof that the soak's checks can fail).
func requireReplayedCodeCaught(t *testing.T, res *soakResult, out string) {
	t.Helper()
	if res.Counts["grant_authorization_code"] == 0 {
		t.Fatalf("no code was redeemed in the run, nothing to replay: %v", res.Counts)
	}
	for _, v := range res.Violations {
		if strings.Contains(v, "a used authorization code was redeemed again") {
			return
		}
	}
	t.Errorf("expected a replayed code to be a violation:\n%s", out)
}
