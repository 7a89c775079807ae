package store

import (
	"sync"
	"time"
)

// clientCache keeps recently read clients (and unknown ids) in memory: every token lookup
// rebuilds its requester with the client, and reading the client row each time would double
// the cost of an introspection.
//
// Changes made through this Store invalidate the entry at once. The TTL bounds how long a
// change made by another process sharing the database file (or a deleted client) stays unseen.
type clientCache struct {
	mu  sync.RWMutex
	gen uint64 // bumped by every invalidation; a read that raced one is not cached
	m   map[string]cacheEntry
	ttl time.Duration
	max int
}

type cacheEntry struct {
	c  *Client // nil: no such client
	at time.Time
}

func newClientCache() *clientCache {
	return &clientCache{m: map[string]cacheEntry{}, ttl: 5 * time.Second, max: 10000}
}

// get returns the cached client; ok is false on a miss. A hit with a nil client means the
// id is known not to exist.
func (cc *clientCache) get(id string) (c *Client, ok bool) {
	cc.mu.RLock()
	e, ok := cc.m[id]
	cc.mu.RUnlock()
	if !ok || time.Since(e.at) > cc.ttl {
		return nil, false
	}
	return e.c, true
}

func (cc *clientCache) generation() uint64 {
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	return cc.gen
}

// put caches c unless an invalidation happened since gen was read.
func (cc *clientCache) put(id string, c *Client, gen uint64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.gen != gen {
		return
	}
	if len(cc.m) >= cc.max {
		// Bounded memory even when a caller tries many random client ids.
		clear(cc.m)
	}
	cc.m[id] = cacheEntry{c: c, at: time.Now()}
}

func (cc *clientCache) invalidate(id string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.gen++
	delete(cc.m, id)
}

func (cc *clientCache) clear() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.gen++
	clear(cc.m)
}
