package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Issue 16 item 6: --admin-password-file changes the password for good. A changed password
// is stored (the old one stops working, and stays stopped when the flag is dropped) and ends
// the administrator's console sessions; restarting with the same file ends nothing.
func TestServeAdminPasswordFileChangesThePasswordForGood(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "o.db")
	own := filepath.Join(dir, "own.yaml")
	if err := os.WriteFile(own, []byte(testSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	file := func(name, pw string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, second := "first-admin-password", "second-admin-password"
	fileA, fileB := file("a", first), file("b", second)
	// start serves with args and checks the administrator's passwords while it runs.
	start := func(name string, want map[string]int, args ...string) {
		t.Run(name, func(t *testing.T) {
			issuer, _, err := startServe(t, append([]string{"--addr", "127.0.0.1:0", "--db", db}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			for pw, status := range want {
				if got := adminStatus(t, issuer, "admin", pw); got != status {
					t.Errorf("password %q: admin API status %d, want %d", pw, got, status)
				}
			}
		})
	}
	version := func() int64 {
		t.Helper()
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		v, err := st.SessionVersion(context.Background(), store.AdminSessionPrincipal("admin"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	start("first password", map[string]int{first: http.StatusOK}, "--seed", own, "--admin-password-file", fileA)
	v1 := version()
	start("same file again", map[string]int{first: http.StatusOK}, "--admin-password-file", fileA)
	if v := version(); v != v1 {
		t.Errorf("restarting with the same password ended the console sessions (version %d -> %d)", v1, v)
	}
	start("changed password", map[string]int{second: http.StatusOK, first: http.StatusUnauthorized}, "--admin-password-file", fileB)
	if v := version(); v <= v1 {
		t.Errorf("a changed password did not end the console sessions (version %d -> %d)", v1, v)
	}
	// The flag dropped: the changed password stays, the first does not come back.
	start("flag dropped", map[string]int{second: http.StatusOK, first: http.StatusUnauthorized})
}
