package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func TestOpenUsesWALAndAcceptsFileURIs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "uri.db")
	// A caller's own pragma wins over the store's default; the rest still applies.
	st, err := store.Open(ctx, "file:"+path+"?_pragma=cache_size(-4000)")
	if err != nil {
		t.Fatal(err)
	}
	mustClient(t, st, "c1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM clients`).Scan(&n); err != nil || n != 1 {
		t.Errorf("clients in the file = %d, %v; want 1", n, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	st, path := openStore(t)
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database from the future = %v, want an error saying the schema is newer", err)
	}
}

// Concurrent inserts share group commits; a failing row (a duplicate signature) must fail
// alone, never the rows committed with it.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	const n = 16
	var wg sync.WaitGroup
	dupErrs := make(chan error, n)
	uniqErrs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dupErrs <- st.CreateAccessTokenSession(ctx, "dup", newRequest(c, fmt.Sprintf("d%d", i), "alice"))
			uniqErrs <- st.CreateAccessTokenSession(ctx, fmt.Sprintf("u%d", i), newRequest(c, fmt.Sprintf("u%d", i), "alice"))
		}()
	}
	wg.Wait()
	close(dupErrs)
	close(uniqErrs)
	ok := 0
	for err := range dupErrs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("duplicate signature failed with %v, want ErrConflict", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d inserts of one signature succeeded, want 1", ok)
	}
	for err := range uniqErrs {
		if err != nil {
			t.Errorf("unique insert: %v", err)
		}
	}
	for i := range n {
		if _, err := st.GetAccessTokenSession(ctx, fmt.Sprintf("u%d", i), newSession("")); err != nil {
			t.Errorf("u%d: %v", i, err)
		}
	}
}

func TestClosedStoreFailsCleanly(t *testing.T) {
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(context.Background(), "x", newRequest(c, "r", "a")); err == nil {
		t.Error("write to a closed store succeeded")
	}
	if _, err := st.GetClient(context.Background(), "c1"); err == nil {
		// The client may come from the cache; a token read must fail.
		if _, err := st.GetAccessTokenSession(context.Background(), "x", newSession("")); err == nil {
			t.Error("read from a closed store succeeded")
		}
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestOpenUpgradesTriggerDatabase opens a database made by the migrations before 0202 (whose
// triggers held the domain rules) with data in it: the upgrade drops the triggers, and the
// rules still hold, now kept by the store's Go code.
func TestOpenUpgradesTriggerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		v    int
		name string
	}{{1, "0001_init.sql"}, {100, "0100_model.sql"}, {200, "0200_admin.sql"}, {201, "0201_accounts.sql"}} {
		body, err := os.ReadFile(filepath.Join("migrations", "sqlite", m.name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.v, m.name); err != nil {
			t.Fatal(err)
		}
	}
	// A client with client_credentials (its service user made by the old trigger), a user,
	// and both in a group.
	for _, q := range []string{
		`INSERT INTO clients (id, grant_types, created_at, updated_at) VALUES ('cc', '["client_credentials"]', 1, 1)`,
		`INSERT INTO users (username, password_hash, created_at) VALUES ('alice', x'00', 1)`,
		`INSERT INTO groups (name) VALUES ('g')`,
		`INSERT INTO group_members (group_name, principal) VALUES ('g', 'alice'), ('g', 'client:cc')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var triggers int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger'`).Scan(&triggers); err != nil || triggers != 7 {
		t.Fatalf("the old schema has %d triggers (%v), want 7", triggers, err)
	}
	db.Close()

	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetServiceUser(ctx, "cc"); err != nil {
		t.Fatalf("the service user made before the upgrade: %v", err)
	}
	if err := st.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	c, err := st.LookupClient(ctx, "cc")
	if err != nil {
		t.Fatal(err)
	}
	c.GrantTypes = []string{store.GrantAuthorizationCode}
	if err := st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if g, err := st.GetGroup(ctx, "g"); err != nil || len(g.Members) != 0 {
		t.Errorf("members after deleting alice and taking cc's grant = %v, %v; want none", g, err)
	}
	if _, err := st.GetServiceUser(ctx, "cc"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("service user after the grant went: %v", err)
	}
	if err := st.CreateUser(ctx, &store.User{Username: "a:b", PasswordHash: []byte("x")}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateUser(a:b) after the upgrade = %v, want store.ErrInvalid", err)
	}
	st.Close()
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger'`).Scan(&triggers); err != nil || triggers != 0 {
		t.Errorf("after the upgrade: %d triggers (%v), want 0", triggers, err)
	}
}
