package pgcluster

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStartServesOnLoopbackWithAPassword: the cluster answers at its URL (and only with its
// password), and Stop leaves neither a server nor a folder behind. It never skips: make setup
// installs PostgreSQL.
func TestStartServesOnLoopbackWithAPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop()
		}
	}()
	if !strings.HasPrefix(c.URL, "postgres://"+User+":") || !strings.Contains(c.URL, "@127.0.0.1:") {
		t.Errorf("URL %q: want the superuser with a password at a loopback address", c.URL)
	}
	psql := filepath.Join(c.bin, "psql")
	query := func(url string) (string, error) {
		out, err := exec.CommandContext(ctx, psql, "--no-psqlrc", "--tuples-only", "--no-align", "--dbname", url,
			"--command", "SELECT current_user || ' ' || current_setting('listen_addresses')").CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	got, err := query(c.URL)
	if err != nil || got != User+" 127.0.0.1" {
		t.Fatalf("psql at %s: got %q (%v), want %q\n%s", c.URL, got, err, User+" 127.0.0.1", c.Log())
	}
	wrong := strings.Replace(c.URL, User+":", User+":wrong", 1)
	if out, err := query(wrong); err == nil || !strings.Contains(out, "password authentication failed") {
		t.Errorf("a wrong password: got %q (%v), want refused", out, err)
	}

	dir := c.Dir
	stopped = true
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's folder %s is still there (%v)", dir, err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), time.Second); err == nil {
		conn.Close()
		t.Errorf("port %d still answers after Stop", c.Port)
	}
}
