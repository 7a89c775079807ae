package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// replicaBackends are the shared databases replicas run on: one SQLite file, and PostgreSQL
// (the test cluster of TestMain, a fresh schema per pair).
var replicaBackends = []string{"sqlite", "postgres"}

// openPair opens two Stores over one database: what two replicas (two `oauthconf serve`
// processes sharing it) have. Each has its own connections and caches, and on SQLite its own
// pre-update hook, which sees only its own writes.
func openPair(t *testing.T, backend string) (a, b *store.Store) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "oauth.db")
	if backend == "postgres" {
		dsn = pgSchemaURL(t)
	}
	for _, p := range []**store.Store{&a, &b} {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open(%s): %v", backend, err)
		}
		t.Cleanup(func() { st.Close() })
		*p = st
	}
	return a, b
}

// Issue 15 item 4: a change made through one replica is seen by every other at once. Each case
// warms replica B's caches (two lookups), changes the token or its client through replica A
// and expects B's very next lookup to see the change: no stale cache may answer "active".
func TestReplicaSeesOtherReplicasChangesAtOnce(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(t *testing.T, a *store.Store)
		want   error
	}{
		{"revoke by request id", func(t *testing.T, a *store.Store) {
			must(t, a.RevokeAccessToken(ctx, "req-1"))
		}, fosite.ErrInactiveToken},
		{"refresh rotation", func(t *testing.T, a *store.Store) {
			must(t, a.RotateRefreshToken(ctx, "req-1", "rt-1"))
		}, fosite.ErrInactiveToken},
		{"delete by signature", func(t *testing.T, a *store.Store) {
			must(t, a.DeleteAccessTokenSession(ctx, "at-1"))
		}, fosite.ErrNotFound},
		{"console revocation", func(t *testing.T, a *store.Store) {
			must(t, a.RevokeToken(ctx, store.KindAccessToken, "at-1"))
		}, fosite.ErrInactiveToken},
		{"disable client", func(t *testing.T, a *store.Store) {
			c, err := a.LookupClient(ctx, "c1")
			must(t, err)
			c.Enabled = false
			must(t, a.UpdateClient(ctx, c))
		}, fosite.ErrNotFound},
		{"delete client", func(t *testing.T, a *store.Store) {
			must(t, a.DeleteClient(ctx, "c1"))
		}, fosite.ErrNotFound},
		{"disable user", func(t *testing.T, a *store.Store) {
			u, err := a.GetUser(ctx, "alice")
			must(t, err)
			u.Enabled = false
			must(t, a.UpdateUser(ctx, u))
		}, fosite.ErrInactiveToken},
	}
	for _, backend := range replicaBackends {
		for _, tc := range cases {
			t.Run(backend+"/"+tc.name, func(t *testing.T) {
				a, b := openPair(t, backend)
				c := mustClient(t, a, "c1")
				must(t, a.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: []byte("x"), Enabled: true}))
				r := newRequest(c, "req-1", "alice")
				must(t, a.CreateAccessTokenSession(ctx, "at-1", r))
				must(t, a.CreateRefreshTokenSession(ctx, "rt-1", "at-1", r))
				for range 2 {
					if _, err := b.GetAccessTokenSession(ctx, "at-1", newSession("")); err != nil {
						t.Fatalf("before the change, on B: %v", err)
					}
					if c, err := b.GetClient(ctx, "c1"); err != nil || c == nil {
						t.Fatalf("before the change, client on B: %v", err)
					}
				}
				tc.change(t, a)
				if _, err := b.GetAccessTokenSession(ctx, "at-1", newSession("")); !errors.Is(err, tc.want) {
					t.Errorf("on B right after the change on A: %v, want %v", err, tc.want)
				}
			})
		}
	}
}

// A client created, disabled or deleted through A is seen so by B at once, also when B had
// looked it up (or found it missing) a moment before: the client cache is no older than the
// last committed change either.
func TestReplicaSeesOtherReplicasClientsAtOnce(t *testing.T) {
	for _, backend := range replicaBackends {
		t.Run(backend, func(t *testing.T) { testReplicaClients(t, backend) })
	}
}

func testReplicaClients(t *testing.T, backend string) {
	ctx := context.Background()
	a, b := openPair(t, backend)
	for range 2 {
		if _, err := b.LookupClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("before the create, on B: %v, want not found", err)
		}
	}
	mustClient(t, a, "c1")
	c, err := b.LookupClient(ctx, "c1")
	if err != nil || !c.Enabled {
		t.Fatalf("right after the create on A, on B: %+v, %v; want the enabled client", c, err)
	}
	c.Enabled = false
	must(t, a.UpdateClient(ctx, c))
	if _, err := b.GetClient(ctx, "c1"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("right after the disable on A, B's GetClient: %v, want fosite.ErrNotFound", err)
	}
	must(t, a.DeleteClient(ctx, "c1"))
	if _, err := b.LookupClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("right after the delete on A, on B: %v, want not found", err)
	}
}
