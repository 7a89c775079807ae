package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// The access-token cache must never answer "active" for a token whose revocation has
// returned. Each case warms the cache (two lookups), changes the token through one store path
// and expects the very next lookup to see the change.
func TestAccessTokenCacheFollowsEveryChange(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(t *testing.T, st *store.Store)
		want   error // fosite.ErrInactiveToken or fosite.ErrNotFound
	}{
		{"revoke by request id", func(t *testing.T, st *store.Store) {
			must(t, st.RevokeAccessToken(ctx, "req-1"))
		}, fosite.ErrInactiveToken},
		{"revoke inside a caller's transaction", func(t *testing.T, st *store.Store) {
			tctx, err := st.BeginTX(ctx)
			must(t, err)
			must(t, st.RevokeAccessToken(tctx, "req-1"))
			must(t, st.Commit(tctx))
		}, fosite.ErrInactiveToken},
		{"refresh rotation", func(t *testing.T, st *store.Store) {
			must(t, st.RotateRefreshToken(ctx, "req-1", "rt-1"))
		}, fosite.ErrInactiveToken},
		{"delete by signature", func(t *testing.T, st *store.Store) {
			must(t, st.DeleteAccessTokenSession(ctx, "at-1"))
		}, fosite.ErrNotFound},
		{"revoke all for client", func(t *testing.T, st *store.Store) {
			must(t, st.RevokeAllForClient(ctx, "c1"))
		}, fosite.ErrInactiveToken},
		{"delete client", func(t *testing.T, st *store.Store) {
			must(t, st.DeleteClient(ctx, "c1"))
		}, fosite.ErrNotFound},
		{"disable client", func(t *testing.T, st *store.Store) {
			c, err := st.LookupClient(ctx, "c1")
			must(t, err)
			c.Enabled = false
			must(t, st.UpdateClient(ctx, c))
		}, fosite.ErrNotFound},
		{"console revocation of the access token", func(t *testing.T, st *store.Store) {
			must(t, st.RevokeToken(ctx, store.KindAccessToken, "at-1"))
		}, fosite.ErrInactiveToken},
		{"console revocation of the refresh token", func(t *testing.T, st *store.Store) {
			must(t, st.RevokeToken(ctx, store.KindRefreshToken, "rt-1"))
		}, fosite.ErrInactiveToken},
		{"user deleted", func(t *testing.T, st *store.Store) {
			// An ad-hoc UPDATE in another file: the pre-update hook sees it all the same.
			must(t, st.DeleteUser(ctx, "alice"))
		}, fosite.ErrInactiveToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := openStore(t)
			c := mustClient(t, st, "c1")
			must(t, st.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: []byte("x"), Enabled: true}))
			r := newRequest(c, "req-1", "alice")
			must(t, st.CreateAccessTokenSession(ctx, "at-1", r))
			must(t, st.CreateRefreshTokenSession(ctx, "rt-1", "at-1", r))
			for range 2 {
				if _, err := st.GetAccessTokenSession(ctx, "at-1", newSession("")); err != nil {
					t.Fatalf("before the change: %v", err)
				}
			}
			tc.change(t, st)
			if _, err := st.GetAccessTokenSession(ctx, "at-1", newSession("")); !errors.Is(err, tc.want) {
				t.Errorf("right after the change: %v, want %v", err, tc.want)
			}
		})
	}
}

// An expired token is never served from the cache, and the clean-up removes it.
func TestAccessTokenCacheRespectsExpiry(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")
	r.Session.SetExpiresAt(fosite.AccessToken, time.Now().Add(-time.Second))
	must(t, st.CreateAccessTokenSession(ctx, "at-old", r))
	for range 2 {
		got, err := st.GetAccessTokenSession(ctx, "at-old", newSession(""))
		must(t, err)
		if exp := got.GetSession().GetExpiresAt(fosite.AccessToken); !exp.Before(time.Now()) {
			t.Fatalf("expiry = %v, want the past", exp)
		}
	}
	n, err := st.DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-old", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("after the clean-up: %v, want fosite.ErrNotFound", err)
	}
}

// Callers get their own copies: changing what one lookup returned does not change the next.
func TestAccessTokenCacheHandsOutCopies(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	must(t, st.CreateAccessTokenSession(ctx, "at-1", newRequest(c, "req-1", "alice")))
	got, err := st.GetAccessTokenSession(ctx, "at-1", newSession(""))
	must(t, err)
	got.GrantScope("admin")
	got.GetRequestForm().Set("redirect_uri", "http://evil.example/")
	got.GetSession().SetExpiresAt(fosite.AccessToken, time.Time{})
	again, err := st.GetAccessTokenSession(ctx, "at-1", newSession(""))
	must(t, err)
	if again.GetGrantedScopes().Has("admin") || again.GetRequestForm().Get("redirect_uri") != "http://127.0.0.1/callback" ||
		again.GetSession().GetExpiresAt(fosite.AccessToken).IsZero() {
		t.Errorf("a caller's changes leaked into the next lookup: %v %v %v", again.GetGrantedScopes(),
			again.GetRequestForm(), again.GetSession().GetExpiresAt(fosite.AccessToken))
	}
	// The caller's session is hydrated, as without a cache.
	sess := newSession("")
	if _, err := st.GetAccessTokenSession(ctx, "at-1", sess); err != nil || sess.Subject != "alice" || sess.AuthTime.IsZero() {
		t.Errorf("hydrated session = %+v, %v", sess, err)
	}
}

// Readers hammer a token while it is revoked: once RevokeAccessToken has returned, no lookup
// that starts afterwards may see it active. Run under -race.
func TestAccessTokenCacheConcurrentRevocation(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	const tokens = 20
	for i := range tokens {
		id := strconv.Itoa(i)
		must(t, st.CreateAccessTokenSession(ctx, "at-"+id, newRequest(c, "req-"+id, "alice")))
	}
	var (
		revoked [tokens]atomic.Bool
		stop    atomic.Bool
		wg      sync.WaitGroup
		bad     atomic.Int64
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; !stop.Load(); i++ {
				k := i % tokens
				wasRevoked := revoked[k].Load() // read before the lookup starts
				_, err := st.GetAccessTokenSession(ctx, "at-"+strconv.Itoa(k), newSession(""))
				if wasRevoked && err == nil {
					bad.Add(1)
				}
				if err != nil && !errors.Is(err, fosite.ErrInactiveToken) {
					t.Errorf("lookup: %v", err)
					return
				}
			}
		}()
	}
	for k := range tokens {
		if err := st.RevokeAccessToken(ctx, "req-"+strconv.Itoa(k)); err != nil {
			t.Error(err)
			break
		}
		revoked[k].Store(true)
	}
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d lookups started after a revocation returned and still saw the token active", n)
	}
}

func TestAccessTokenCacheCanBeTurnedOff(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	st.SetAccessTokenCacheTTL(0)
	c := mustClient(t, st, "c1")
	must(t, st.CreateAccessTokenSession(ctx, "at-1", newRequest(c, "req-1", "alice")))
	for range 2 {
		if _, err := st.GetAccessTokenSession(ctx, "at-1", newSession("")); err != nil {
			t.Fatal(err)
		}
	}
	must(t, st.RevokeAccessToken(ctx, "req-1"))
	if _, err := st.GetAccessTokenSession(ctx, "at-1", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("after revocation: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
