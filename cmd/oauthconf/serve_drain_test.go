package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// A seed with one confidential client (one bcrypt hash at the minimum cost): its token request
// writes to the database.
const drainSeed = `
scopes:
  - {name: calc:read, description: "Read"}
clients:
  - id: cc
    name: Client credentials
    secret: cc-drain-secret-0123456789
    auth_method: client_secret_basic
    grants: [client_credentials]
    scopes: [calc:read]
`

// drainServer is "oauthconf serve" run as a child process (the test binary as the command,
// see TestMain), so the test sees what an operator sees: the exit status and the message.
type drainServer struct {
	cmd    *exec.Cmd
	addr   string
	dir    string
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
}

func startDrainServer(t *testing.T, drain time.Duration) *drainServer {
	t.Helper()
	dir := t.TempDir()
	seedPath := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seedPath, []byte(drainSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &drainServer{dir: dir, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "o.db"),
		"--seed", seedPath, "--audit-log", "-", "--drain-timeout", drain.String())
	s.cmd.Env = append(os.Environ(), "OAUTHCONF_TEST_AS_COMMAND=1")
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	issuerRE := regexp.MustCompile(`issuer: +http://(\S+)`)
	s.waitFor(t, "the issuer line", 60*time.Second, func() bool {
		m := issuerRE.FindStringSubmatch(s.stdout.String())
		if m != nil {
			s.addr = m[1]
		}
		return m != nil
	})
	return s
}

// waitFor polls cond until it holds; the child exiting first or the timeout fails the test.
func (s *drainServer) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-s.exited:
			t.Fatalf("serve exited while waiting for %s: stdout %s\nstderr %s", what, s.stdout.String(), s.stderr.String())
		case <-deadline.C:
			t.Fatalf("no %s within %s: stdout %s\nstderr %s", what, timeout, s.stdout.String(), s.stderr.String())
		case <-tick.C:
		}
	}
}

// terminate sends SIGTERM and returns the exit status and how long the exit took.
func (s *drainServer) terminate(t *testing.T, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(limit):
		t.Fatalf("serve did not exit within %s of SIGTERM: stdout %s\nstderr %s", limit, s.stdout.String(), s.stderr.String())
	}
	return s.cmd.ProcessState.ExitCode(), time.Since(start)
}

// The documented outcome of a drain that times out (serve -h, README "Running the reference
// server"): exit status 1 and one message naming the timeout and the dropped requests.
func checkDrainTimedOut(t *testing.T, s *drainServer, code int, drain time.Duration) {
	t.Helper()
	if code != exitFail {
		t.Errorf("exit status %d, want %d; stderr %s", code, exitFail, s.stderr.String())
	}
	want := fmt.Sprintf("oauthconf serve: the drain timed out: requests still in flight after --drain-timeout %s were dropped", drain)
	if !strings.Contains(s.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, s.stderr.String())
	}
	// One line of serve's own (the server's log may precede it: a dropped request's error).
	if n := strings.Count(s.stderr.String(), "oauthconf serve:"); n != 1 {
		t.Errorf("expected one error line from serve, got %d:\n%s", n, s.stderr.String())
	}
}

// A client sending its body slowly holds its request in flight past --drain-timeout: serve
// drops it and exits as documented, instead of waiting for the server's 30 s read timeout.
func TestServeDrainTimeoutSlowRequest(t *testing.T) {
	const drain = 300 * time.Millisecond
	s := startDrainServer(t, drain)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Expect: 100-continue makes the server say when the handler starts reading the body:
	// from then on the request is in flight (no guessing how long that takes).
	fmt.Fprintf(conn, "POST /oauth2/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Authorization: Basic Y2M6eA==\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n", s.addr)
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("expected 100 Continue, got %q, %v", line, err)
	}
	if _, err := io.WriteString(conn, "grant_type=client_"); err != nil {
		t.Fatal(err)
	}
	code, took := s.terminate(t, 20*time.Second)
	checkDrainTimedOut(t, s, code, drain)
	t.Logf("exited %d after %s", code, took)
	// The dropped request's connection is closed, not left hanging.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(br); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the dropped request's connection: %v", err)
	}
}

// A token request waiting for a database another process holds locked is in flight past
// --drain-timeout: serve still exits as documented, within the drain timeout and the bounded
// wait for the database to close, not after SQLite's busy timeouts.
func TestServeDrainTimeoutDatabaseLocked(t *testing.T) {
	const drain = 300 * time.Millisecond
	s := startDrainServer(t, drain)

	// Another process's transaction: it holds SQLite's write lock until rolled back.
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	locker, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("locking the database: %v", err)
	}
	defer func() { _, _ = locker.ExecContext(ctx, "ROLLBACK") }()

	answered := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/oauth2/token",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("cc", "cc-drain-secret-0123456789")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			err = fmt.Errorf("answered %d %s", res.StatusCode, b)
		}
		answered <- err
	}()
	// The client authenticated (audit log): the token's insert now waits for the lock.
	s.waitFor(t, "the client's authentication", 60*time.Second, func() bool {
		return strings.Contains(s.stdout.String(), `"event":"client_authentication","outcome":"ok"`)
	})
	select {
	case err := <-answered:
		t.Fatalf("the request was answered although the database is locked: %v", err)
	default:
	}
	// SQLite's busy timeout is 10 s for each statement: the exit must not wait for them.
	code, took := s.terminate(t, 9*time.Second)
	checkDrainTimedOut(t, s, code, drain)
	t.Logf("exited %d after %s; stderr: %s", code, took, s.stderr.String())
	if !strings.Contains(s.stderr.String(), "the database did not close within") && took > drain+time.Second {
		t.Errorf("took %s to exit but does not say the database was still busy", took)
	}
	if err := <-answered; err == nil || strings.HasPrefix(err.Error(), "answered 200") {
		t.Errorf("the in-flight request: %v", err)
	}
}
