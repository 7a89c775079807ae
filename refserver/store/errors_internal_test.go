package store

import (
	"context"
	"database/sql"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDriverErrorsAreMapped: errors caused by the database reach the caller as the store's
// error values, with no driver type anywhere in their chain (mapErr).
func TestDriverErrorsAreMapped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.db")
	// A short busy timeout, so that the lock held below makes a write fail quickly.
	s, err := Open(ctx, path+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	noDriver := func(what string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
		if hasDriverType(err) {
			t.Errorf("%s: a driver type reaches the caller: %#v", what, err)
		}
	}
	c := &Client{ID: "c", Enabled: true, GrantTypes: []string{GrantClientCredentials}}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	noDriver("duplicate client", s.CreateClient(ctx, &Client{ID: "c"}), ErrConflict)
	u := &User{Username: "alice", PasswordHash: []byte("x"), Enabled: true}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	noDriver("duplicate user", s.CreateUser(ctx, u), ErrConflict)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.ListUsers(cancelled)
	noDriver("cancelled context", err, context.Canceled)

	// Another process holds the write lock: busy.
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	err = s.CreateUser(ctx, &User{Username: "bob", PasswordHash: []byte("x")})
	noDriver("locked database", err, ErrBusy)
	if !IsBusy(err) {
		t.Errorf("IsBusy(%v) = false", err)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
}

// TestOnlyTheStoreImportsDrivers: no other package of the server imports a database driver,
// so a driver's error type cannot be tested for (or leak) outside the store.
func TestOnlyTheStoreImportsDrivers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if strings.HasSuffix(pkg, "/refserver/store") || strings.HasSuffix(pkg, "/refserver/pgcluster") {
			continue
		}
		checked++
		for _, imp := range strings.Fields(imports) {
			for _, d := range driverPackages {
				if strings.HasPrefix(imp, d) {
					t.Errorf("%s imports %s: only refserver/store may (map the error in store/errors.go)", pkg, imp)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("go list listed %d server packages; the check saw nothing", checked)
	}
}
