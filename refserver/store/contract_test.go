package store_test

// The contract test: one table of store behaviours run against both implementations, SQLite
// and PostgreSQL. Most cases are the package's own tests: openStore gives a case a
// PostgreSQL store when it runs under TestContract/postgres/ (a fresh schema each), so the
// same test body checks both. The cluster is started once per test binary (TestMain); a
// missing PostgreSQL fails the tests with pgcluster's message (`make setup` installs it),
// it never skips them.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/pgcluster"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// pgURL is the test cluster's URL (TestMain).
var pgURL string

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	c, err := pgcluster.Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "store tests: the PostgreSQL tests need a cluster: %v\n", err)
		os.Exit(1)
	}
	pgURL = c.URL
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "store tests: stopping PostgreSQL: %v\n", err)
	}
	os.Exit(code)
}

// onPostgres reports whether t runs as a PostgreSQL case of TestContract.
func onPostgres(t testing.TB) bool { return strings.Contains(t.Name(), "/postgres/") }

var schemas atomic.Int64

// pgSchemaURL creates an empty schema and returns a URL whose connections use it.
func pgSchemaURL(t testing.TB) string {
	t.Helper()
	db, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	if _, err := db.Exec(`CREATE SCHEMA ` + name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	return pgURL + "&search_path=" + name
}

// openPG opens a PostgreSQL store on a fresh schema.
func openPG(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), pgSchemaURL(t))
	if err != nil {
		t.Fatalf("Open(postgres): %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// contract lists the behaviours every store implementation must have. Tests that are about
// one implementation's machinery (SQLite's files, WAL sync, group commit and access-token
// cache; reopening a file) stay out.
var contract = []struct {
	name string
	fn   func(*testing.T)
}{
	{"Clients", TestClients},
	{"UsersAndAuthenticate", TestUsersAndAuthenticate},
	{"Scopes", TestScopes},
	{"AuthorizeCodeLifecycle", TestAuthorizeCodeLifecycle},
	{"AccessTokenLifecycle", TestAccessTokenLifecycle},
	{"RefreshRotationAndFamilyRevocation", TestRefreshRotationAndFamilyRevocation},
	{"PKCERecordOutlivesDelete", TestPKCERecordOutlivesDelete},
	{"DisabledOrDeletedClientKillsItsTokens", TestDisabledOrDeletedClientKillsItsTokens},
	{"Transactions", TestTransactions},
	{"CanceledTransactionReleasesWriter", TestCanceledTransactionReleasesWriter},
	{"ConcurrentWriters", TestConcurrentWriters},
	{"ConcurrentRotationOnlyOneWins", TestConcurrentRotationOnlyOneWins},
	{"ListRevokeAllDeleteExpired", TestListRevokeAllDeleteExpired},
	{"ClientAssertionJTI", TestClientAssertionJTI},
	{"ScopeResourcesOpen", TestScopeResourcesOpen},
	{"Packages", TestPackages},
	{"GroupsAndACLs", TestGroupsAndACLs},
	{"ServiceUsers", TestServiceUsers},
	{"PrincipalNamespaces", TestPrincipalNamespaces},
	{"Calculations", TestCalculations},
	{"FositeCodeReuseRevokesItsTokens", TestFositeCodeReuseRevokesItsTokens},
	{"FositeRefreshRotationAndReuseDetection", TestFositeRefreshRotationAndReuseDetection},
	{"FositePKCECannotBeDowngraded", TestFositePKCECannotBeDowngraded},
	{"FositeRevocationAndOtherGrants", TestFositeRevocationAndOtherGrants},
	{"RevocationSeenAtOnce", TestAccessTokenCacheConcurrentRevocation},
	{"ConcurrentCodeRedemptionOneWinner", testConcurrentCodeRedemption},
	{"ConcurrentJTIOnce", testConcurrentJTI},
	{"RevocationDuringRotation", testRevocationDuringRotation},
	{"TokensOfDisabledOwnersStoredInactive", testDisabledOwners},
	{"ErrorValues", testErrorValues},
	{"ConcurrentOpensMigrateOnce", testConcurrentOpens},
	{"ReadsBesideOpenTransactions", testReadsBesideTransactions},
}

func TestContract(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, c.fn)
			}
		})
	}
}

// Two redemptions of one code racing (on PostgreSQL: on different connections, as two
// replicas would): exactly one may invalidate it and get tokens (RFC 6749 4.1.2).
func testConcurrentCodeRedemption(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-code", "alice")
	must(t, st.CreateAuthorizeCodeSession(ctx, "code-1", r))
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tctx, err := st.BeginTX(ctx)
			if err != nil {
				results <- err
				return
			}
			if err := st.InvalidateAuthorizeCodeSession(tctx, "code-1"); err != nil {
				st.Rollback(tctx)
				results <- err
				return
			}
			if err := st.CreateAccessTokenSession(tctx, fmt.Sprintf("at-%d", i), r); err != nil {
				st.Rollback(tctx)
				results <- err
				return
			}
			results <- st.Commit(tctx)
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode):
			t.Errorf("losing redemption failed with %v, want fosite.ErrInvalidatedAuthorizeCode", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d redemptions of one code succeeded, want exactly 1", wins)
	}
	toks, err := st.ListTokens(ctx, store.TokenFilter{Kind: store.KindAccessToken})
	if err != nil || len(toks) != 1 {
		t.Errorf("access tokens stored = %d, %v; want the winner's only", len(toks), err)
	}
}

// One client-assertion jti presented at once: only one may be accepted (RFC 7523 3).
func testConcurrentJTI(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	const n = 8
	var wg sync.WaitGroup
	var ok, known atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.SetClientAssertionJWT(ctx, "jti-1", time.Now().Add(time.Hour))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, fosite.ErrJTIKnown):
				known.Add(1)
			default:
				t.Errorf("SetClientAssertionJWT: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || known.Load() != n-1 {
		t.Errorf("one jti: %d accepted, %d refused as known; want 1 and %d", ok.Load(), known.Load(), n-1)
	}

	// The interleaving that matters, made certain: the second request checks the jti while
	// the first has recorded it and not yet committed.
	tctx, err := st.BeginTX(ctx)
	must(t, err)
	must(t, st.SetClientAssertionJWT(tctx, "jti-2", time.Now().Add(time.Hour)))
	second := make(chan error, 1)
	go func() { second <- st.SetClientAssertionJWT(ctx, "jti-2", time.Now().Add(time.Hour)) }()
	if onPostgres(t) {
		waitForLockWait(t)
	}
	must(t, st.Commit(tctx))
	if err := <-second; !errors.Is(err, fosite.ErrJTIKnown) {
		t.Errorf("a jti recorded by a transaction in flight, presented again: %v, want fosite.ErrJTIKnown", err)
	}
}

// A family revocation that starts while a rotation of the family is in flight must also
// revoke the refresh token the rotation issues: no order of the two leaves a token alive.
func testRevocationDuringRotation(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "fam", "alice")
	must(t, st.CreateRefreshTokenSession(ctx, "rt-old", "", r))
	tctx, err := st.BeginTX(ctx)
	must(t, err)
	must(t, st.RotateRefreshToken(tctx, "fam", "rt-old"))
	must(t, st.CreateRefreshTokenSession(tctx, "rt-new", "", r))
	revoked := make(chan error, 1)
	go func() { revoked <- st.RevokeRefreshToken(ctx, "fam") }()
	if onPostgres(t) {
		// Wait until the revocation is blocked behind the rotation, so the test checks the
		// interleaving it is about (on SQLite the rotation holds the writer: it cannot pass).
		waitForLockWait(t)
	}
	must(t, st.Commit(tctx))
	select {
	case err := <-revoked:
		must(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the revocation did not finish")
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt-new", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("refresh token issued by a rotation the revocation waited for: %v, want fosite.ErrInactiveToken", err)
	}
}

// waitForLockWait waits until some session of the test cluster waits for a lock.
func waitForLockWait(t *testing.T) {
	t.Helper()
	db, err := sql.Open("pgx", pgURL)
	must(t, err)
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		must(t, db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`).Scan(&n))
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session waited for a lock within 10s")
		}
	}
}

// A code or token of a disabled owner or client is stored inactive.
func testDisabledOwners(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	off := mustClient(t, st, "off")
	off.Enabled = false
	must(t, st.UpdateClient(ctx, off))
	must(t, st.CreateUser(ctx, &store.User{Username: "on", PasswordHash: []byte("x"), Enabled: true}))
	must(t, st.CreateUser(ctx, &store.User{Username: "disabled", PasswordHash: []byte("x")}))
	for _, tc := range []struct {
		sig        string
		r          *fosite.Request
		wantActive bool
	}{
		{"enabled", newRequest(c, "r1", "on"), true},
		{"no owner", newRequest(c, "r2", ""), true},
		{"disabled user", newRequest(c, "r3", "disabled"), false},
		{"disabled client", newRequest(off, "r4", "on"), false},
	} {
		must(t, st.CreateAccessTokenSession(ctx, tc.sig, tc.r))
		ts, err := st.ListTokens(ctx, store.TokenFilter{Kind: store.KindAccessToken, ClientID: tc.r.Client.GetID()})
		must(t, err)
		found := false
		for _, ti := range ts {
			if ti.Signature == tc.sig {
				found = true
				if ti.Active != tc.wantActive {
					t.Errorf("%s: stored active=%v, want %v", tc.sig, ti.Active, tc.wantActive)
				}
			}
		}
		if !found {
			t.Errorf("%s: not listed", tc.sig)
		}
	}
}

// The store's error values, the same on both databases, with no driver type in the chain.
func testErrorValues(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	mustUser(t, st, "alice")
	check := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s = %v, want %v", what, err, want)
		}
		if p := driverTypeIn(err); p != "" {
			t.Errorf("%s: the error carries the driver type %s", what, p)
		}
	}
	check("duplicate client", st.CreateClient(ctx, &store.Client{ID: c.ID}), store.ErrConflict)
	check("duplicate user", st.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: []byte("x")}), store.ErrConflict)
	check("username with ':'", st.CreateUser(ctx, &store.User{Username: "a:b", PasswordHash: []byte("x")}), store.ErrInvalid)
	check("duplicate scope", func() error {
		must(t, st.CreateScope(ctx, &store.Scope{Name: "s"}))
		return st.CreateScope(ctx, &store.Scope{Name: "s"})
	}(), store.ErrConflict)
	_, err := st.GetUser(ctx, "nobody")
	check("unknown user", err, store.ErrNotFound)
	check("unknown client", st.DeleteClient(ctx, "nobody"), store.ErrNotFound)
	must(t, st.CreateGroup(ctx, &store.Group{Name: "g"}))
	must(t, st.CreateACL(ctx, &store.ACL{Name: "a", Allow: []string{"g"}}))
	check("group an ACL lists", st.DeleteGroup(ctx, "g"), store.ErrInUse)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = st.ListClients(cancelled)
	check("cancelled context", err, context.Canceled)
	// Keys PostgreSQL cannot store (NUL, invalid UTF-8) are simply not found, as on SQLite.
	for _, key := range []string{"a\x00b", "\xff\xfe"} {
		if _, err := st.GetClient(ctx, key); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("GetClient(%q) = %v, want fosite.ErrNotFound", key, err)
		}
		if _, err := st.GetAccessTokenSession(ctx, key, newSession("")); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("GetAccessTokenSession(%q) = %v, want fosite.ErrNotFound", key, err)
		}
		if _, err := st.GetUser(ctx, key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(%q) = %v, want store.ErrNotFound", key, err)
		}
	}
}

// driverTypeIn names the first type of a database driver package in err's chain, or "".
func driverTypeIn(err error) string {
	stack := []error{err}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		ty := reflect.TypeOf(e)
		for ty.Kind() == reflect.Pointer {
			ty = ty.Elem()
		}
		for _, p := range []string{"modernc.org/sqlite", "github.com/jackc/"} {
			if strings.HasPrefix(ty.PkgPath(), p) {
				return ty.String()
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			stack = append(stack, u.Unwrap())
		case interface{ Unwrap() []error }:
			stack = append(stack, u.Unwrap()...)
		}
	}
	return ""
}

// Several processes (replicas) opening one new database at once: each succeeds, and each
// migration is applied once.
func testConcurrentOpens(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "shared.db")
	if onPostgres(t) {
		dsn = pgSchemaURL(t)
	}
	const n = 4
	stores := make([]*store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("open %d: %v", i, errs[i])
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	mustClient(t, stores[0], "c1")
	if _, err := stores[n-1].LookupClient(ctx, "c1"); err != nil {
		t.Errorf("a client stored through one store, read through another: %v", err)
	}
}

// Many requests each holding a transaction and reading through a context without it (a
// handler's own lookups while fosite's transaction is open) must all finish: the reads may
// not wait for connections that only the transactions hold.
func testReadsBesideTransactions(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tctx, err := st.BeginTX(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer st.Rollback(tctx)
			if err := st.CreateAccessTokenSession(tctx, fmt.Sprintf("at-%d", i), newRequest(c, fmt.Sprintf("r-%d", i), "alice")); err != nil {
				errs <- err
				return
			}
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, err := st.ListClients(rctx); err != nil {
				errs <- fmt.Errorf("a read beside an open transaction: %w", err)
				return
			}
			errs <- st.Commit(tctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
