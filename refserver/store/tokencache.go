package store

import (
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultAccessTokenCacheTTL is how long a looked-up access token is served from memory.
//
// The cache is exact, within one process and across processes sharing the database. Within
// one process every change to a stored access token (revocation, rotation, code-reuse
// revocation, a deleted or revoked-all client, the expired-token clean-up, the console's
// revocations, anything else that updates or deletes a row of access_tokens) empties it before
// the change and keeps it from filling until the change is committed (see accessTokenCache).
// A change made by another process (another replica over the same database file) moves the
// shared change epoch in the same commit, and an entry is served only while the epoch reads
// what it read before the entry's row was read (epoch.go): a revocation through any replica is
// seen by every other at once. The TTL therefore bounds only how long an entry is kept, not
// how stale it may be. SetAccessTokenCacheTTL(0) turns the cache off.
const DefaultAccessTokenCacheTTL = time.Second

// maxCachedTokens bounds the cache's memory; a full cache starts over.
const maxCachedTokens = 10000

// accessTokenCache holds decoded access-token rows by signature, so that an introspection (or
// a resource-server check) of a token looked up a moment ago costs neither a query nor the
// request's JSON decoding.
//
// Correctness under revocation. SQLite reports every row change on the writer connection (the
// only connection that writes) to a pre-update hook, before the change is made. For a row of
// access_tokens the hook opens an invalidation (begin): the cache is emptied and, until the
// invalidation ends, nothing is added to it. The invalidation ends (end) when the transaction
// that made the change has committed or rolled back, i.e. when every reader sees the outcome.
// A reader that missed the cache notes the generation before it reads the row and adds its
// result only if no invalidation began since and none is open; so a row read before a change
// committed is never added after the change began, and the cache never serves a row older than
// the last committed change. Changes outside any transaction this store opened have no
// commit the store can wait for: the hook then turns the cache off for good (no code path
// does that today; every token change runs in a transaction).
type accessTokenCache struct {
	mu       sync.Mutex
	ttl      time.Duration // 0: off
	gen      uint64        // bumped by every begin and end
	open     int           // invalidations begun and not ended
	disabled bool          // a change the cache could not follow: never cache again
	m        map[string]*cachedToken
}

// cachedToken is one decoded access_tokens row.
type cachedToken struct {
	requestID, clientID string
	requestedAt         int64
	active              bool
	req                 storedRequest
	session             []byte // the session's JSON, decoded into the caller's session on each hit
	until               time.Time
	// epoch is the shared change epoch read before the row was (epoch.go): the entry is
	// served only while the epoch still reads so, i.e. while no process has changed a token.
	epoch uint64
}

func newAccessTokenCache() *accessTokenCache {
	return &accessTokenCache{ttl: DefaultAccessTokenCacheTTL, m: map[string]*cachedToken{}}
}

// get returns the entry for sig if it is still fresh and was read at epoch.
func (c *accessTokenCache) get(sig string, now time.Time, epoch uint64) *cachedToken {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[sig]
	if e == nil {
		return nil
	}
	if !now.Before(e.until) || e.epoch != epoch {
		delete(c.m, sig)
		return nil
	}
	return e
}

// generation returns the generation to pass to put, and false when nothing may be cached now.
func (c *accessTokenCache) generation() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.ttl > 0 && c.open == 0 && !c.disabled
}

// put adds e unless an invalidation began since gen was read or is still open. e.until is
// capped by the cache's TTL from now; the caller sets it to the token's expiry (or leaves it
// zero for a token that does not expire).
func (c *accessTokenCache) put(sig string, e *cachedToken, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.open > 0 || c.disabled || c.ttl <= 0 {
		return
	}
	if limit := now.Add(c.ttl); e.until.IsZero() || e.until.After(limit) {
		e.until = limit
	}
	if !now.Before(e.until) {
		return // already expired: never cached
	}
	if len(c.m) >= maxCachedTokens {
		clear(c.m)
	}
	c.m[sig] = e
}

// begin opens an invalidation: called before a change to access_tokens is made.
func (c *accessTokenCache) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.open++
	clear(c.m)
}

// end closes an invalidation: called once the change is committed or rolled back.
func (c *accessTokenCache) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.open--
	clear(c.m)
}

// disable turns the cache off for good.
func (c *accessTokenCache) disable() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.disabled = true
	clear(c.m)
}

func (c *accessTokenCache) setTTL(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.ttl = max(d, 0)
	clear(c.m)
}

// SetAccessTokenCacheTTL sets how long a looked-up access token is kept in memory (see
// DefaultAccessTokenCacheTTL); 0 turns the cache off.
//
// On PostgreSQL the cache stays off whatever d is (postgres.go says why).
func (s *Store) SetAccessTokenCacheTTL(d time.Duration) {
	if s.pg {
		return
	}
	s.atCache.setTTL(d)
}

// onRowChange is the writer connection's pre-update hook: SQLite calls it before each row it
// inserts, updates or deletes. A new row cannot be in the cache; an updated or deleted row of
// access_tokens opens an invalidation that the transaction's end closes (see Commit and
// Rollback).
//
// It also notes changes to what other processes' caches may hold (sharedTables): the
// transaction's commit then moves the shared epoch (epoch.go); a change outside a tracked
// transaction has its epoch moved by the write's caller.
func (s *Store) onRowChange(d sqlite.SQLitePreUpdateData) {
	if !s.hooked.Load() {
		return
	}
	if inserts, ok := sharedTables[d.TableName]; ok && (inserts || d.Op != sqlite3.SQLITE_INSERT) {
		if t := s.writerTx.Load(); t != nil {
			t.sharedChanged.Store(true)
		} else {
			s.untrackedShared.Store(true)
		}
	}
	if d.Op == sqlite3.SQLITE_INSERT {
		return
	}
	if durableTables[d.TableName] {
		if t := s.writerTx.Load(); t != nil {
			t.durable.Store(true)
		}
	}
	if d.TableName != "access_tokens" {
		return
	}
	t := s.writerTx.Load()
	if t == nil {
		// A change outside the transactions the store tracks: there is no commit to wait for.
		s.atCache.disable()
		return
	}
	if t.tokensChanged.CompareAndSwap(false, true) {
		s.atCache.begin()
	}
}
