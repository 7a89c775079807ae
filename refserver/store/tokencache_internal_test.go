package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ory/fosite"
)

func TestAccessTokenCacheProtocol(t *testing.T) {
	now := time.Now()
	c := newAccessTokenCache()
	entry := func() *cachedToken { return &cachedToken{requestID: "r", active: true} }

	gen, ok := c.generation()
	if !ok {
		t.Fatal("a fresh cache refuses entries")
	}
	c.put("a", entry(), gen, now)
	if e := c.get("a", now, 0); e == nil || !e.until.Equal(now.Add(DefaultAccessTokenCacheTTL)) {
		t.Fatalf("entry = %+v, want one that lives for the TTL", e)
	}
	if c.get("a", now.Add(DefaultAccessTokenCacheTTL), 0) != nil {
		t.Error("an entry outlived the TTL")
	}

	// A read that began before an invalidation is not cached, nor is one during it.
	gen, _ = c.generation()
	c.begin()
	c.put("b", entry(), gen, now)
	if _, ok := c.generation(); ok {
		t.Error("generation allows caching while an invalidation is open")
	}
	during, _ := c.generation()
	c.put("b", entry(), during, now)
	if c.get("b", now, 0) != nil {
		t.Error("cached a row read before or during an invalidation")
	}
	c.end()
	after, ok := c.generation()
	if !ok {
		t.Fatal("the cache stays closed after the invalidation ended")
	}
	c.put("b", entry(), after, now)
	if c.get("b", now, 0) == nil {
		t.Error("a row read after the invalidation ended was not cached")
	}

	// Never beyond the token's own expiry, and nothing already expired.
	e := entry()
	e.until = now.Add(10 * time.Millisecond)
	c.put("c", e, after, now)
	if got := c.get("c", now, 0); got == nil || !got.until.Equal(now.Add(10*time.Millisecond)) {
		t.Errorf("entry = %+v, want it to end with the token", got)
	}
	e = entry()
	e.until = now.Add(-time.Millisecond)
	c.put("d", e, after, now)
	if c.get("d", now, 0) != nil {
		t.Error("an expired token was cached")
	}
}

func TestAccessTokenCacheServesAndTurnsOffOnUntrackedChanges(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &Client{ID: "c1", Enabled: true, GrantTypes: []string{GrantClientCredentials}}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	sess := &fosite.DefaultSession{ExpiresAt: map[fosite.TokenType]time.Time{fosite.AccessToken: time.Now().Add(time.Hour)}}
	r := &fosite.Request{ID: "req-1", RequestedAt: time.Now(), Client: c, Session: sess}
	if err := s.CreateAccessTokenSession(ctx, "at-1", r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessTokenSession(ctx, "at-1", nil); err != nil {
		t.Fatal(err)
	}
	epoch, err := s.readEpoch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.atCache.get("at-1", time.Now(), epoch) == nil {
		t.Fatal("a looked-up token is not in the cache")
	}
	// A write outside any transaction of the store's: nothing to wait for, so the cache goes.
	if _, err := s.wdb.ExecContext(ctx, `UPDATE access_tokens SET active = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessTokenSession(ctx, "at-1", nil); err != fosite.ErrInactiveToken {
		t.Errorf("after an untracked revocation: %v, want ErrInactiveToken", err)
	}
	if s.atCache.get("at-1", time.Now(), epoch) != nil {
		t.Error("the cache still serves after an untracked change")
	}
}
