// Package pgcluster starts a throwaway PostgreSQL cluster from Debian's postgresql package
// (initdb and pg_ctl): a fresh data directory in a temporary folder, listening on a free
// loopback port only, password authentication, stopped and removed by Stop. The tests of the
// PostgreSQL store use it, and so does `make serve DB=postgres` (cmd/pgcluster) for a person.
//
// PostgreSQL refuses to run as root, so under root the cluster runs as the unprivileged
// "postgres" system user the package creates. Nothing here skips: missing binaries are an
// error that says to run `make setup`, which installs the package.
package pgcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// User is the database superuser the cluster is made with; Database the database its URL names.
const (
	User     = "oauthconf"
	Database = "postgres"
)

// Cluster is a running PostgreSQL cluster.
type Cluster struct {
	// URL is the connection URL: postgres://oauthconf:PASSWORD@127.0.0.1:PORT/postgres?sslmode=disable.
	URL  string
	Port int
	// Dir is the temporary folder holding the data directory and the server's log.
	Dir  string
	bin  string
	cred *syscall.Credential
	data string
	logf string
}

// BinDir finds the folder of initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin, else
// the PATH's.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL's initdb and pg_ctl are not installed: run `make setup` (it installs Debian's postgresql package)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start initialises and starts a cluster; the caller must Stop it. ctx bounds the start.
func Start(ctx context.Context) (_ *Cluster, err error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if c.cred, err = runAs(); err != nil {
		return nil, err
	}
	if c.Dir, err = os.MkdirTemp("", "oauthconf-pg-"); err != nil {
		return nil, fmt.Errorf("postgresql: temporary folder: %w", err)
	}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()
	c.data = filepath.Join(c.Dir, "data")
	c.logf = filepath.Join(c.Dir, "postgres.log")
	password := make([]byte, 16)
	_, _ = rand.Read(password) // crypto/rand.Read never fails (Go 1.24+)
	pw := hex.EncodeToString(password)
	pwFile := filepath.Join(c.Dir, "pw")
	if err = os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("postgresql: %w", err)
	}
	if c.cred != nil {
		// The unprivileged user owns the folder; the password file it reads once, and loses.
		for _, p := range []string{c.Dir, pwFile} {
			if err = os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return nil, fmt.Errorf("postgresql: handing %s to the postgres user: %w", p, err)
			}
		}
		if err = os.Chmod(c.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("postgresql: %w", err)
		}
	}
	// Password (SCRAM) authentication for everyone, even on loopback: another local user
	// must not reach the test database.
	if err = c.run(ctx, "initdb", "--pgdata", c.data, "--username", User, "--pwfile", pwFile,
		"--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync"); err != nil {
		return nil, err
	}
	_ = os.Remove(pwFile)
	// A free port: bound and released, then taken by postgres. Another process may grab it in
	// between; a second port is tried then.
	for attempt := 0; ; attempt++ {
		if c.Port, err = freePort(); err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories='' -c fsync=off -c max_connections=200", c.Port)
		err = c.run(ctx, "pg_ctl", "start", "--pgdata", c.data, "--log", c.logf, "--wait", "--timeout", "60", "-o", opts)
		if err == nil {
			break
		}
		if attempt == 1 {
			return nil, err
		}
	}
	c.URL = (&url.URL{Scheme: "postgres", User: url.UserPassword(User, pw), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path: "/" + Database, RawQuery: "sslmode=disable"}).String()
	return c, nil
}

// Stop stops the cluster (fast: open sessions are ended) and removes its folder.
func (c *Cluster) Stop() error {
	var errs []error
	if c.data != "" {
		if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			errs = append(errs, c.run(ctx, "pg_ctl", "stop", "--pgdata", c.data, "--mode", "fast", "--wait"))
			cancel()
		}
	}
	if c.Dir != "" {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	return errors.Join(errs...)
}

// Log is the server's log so far, for a failure message.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.logf)
	return string(b)
}

// run runs one of the cluster's programs, as the unprivileged user under root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = c.Dir
	// Setsid: the server outlives pg_ctl, and a Ctrl-C meant for the caller reaches it
	// through Stop, not as a signal to the whole process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setsid: true}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		msg := fmt.Sprintf("postgresql: %s %v: %v\n%s", name, args[0], err, bytes.TrimSpace(out.Bytes()))
		if name == "pg_ctl" && args[0] == "start" {
			msg += "\n" + c.Log()
		}
		return errors.New(msg)
	}
	return nil
}

// runAs is the unprivileged user the cluster runs as: nil (the current user) unless root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("postgresql refuses to run as root and there is no \"postgres\" user to run it as: run `make setup` (Debian's postgresql package creates the user)")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("postgresql: no free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
