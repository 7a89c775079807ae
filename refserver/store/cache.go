package store

import (
	"sync"
	"time"
)

// clientCache keeps recently read clients (and unknown ids) in memory: every token lookup
// rebuilds its requester with the client, and reading the client row each time would double
// the cost of an introspection.
//
// Changes made through this Store invalidate the entry at once; a change made by another
// process sharing the database moves the shared epoch, and an entry read at another epoch is
// never served (epoch.go). The TTL only bounds how long an unused entry is kept.
type clientCache struct {
	mu  sync.RWMutex
	gen uint64 // bumped by every invalidation; a read that raced one is not cached
	m   map[string]cacheEntry
	ttl time.Duration
	max int
}

type cacheEntry struct {
	c     *Client // nil: no such client
	at    time.Time
	epoch uint64 // the shared change epoch read before the row (epoch.go)
}

func newClientCache() *clientCache {
	return &clientCache{m: map[string]cacheEntry{}, ttl: 5 * time.Second, max: 10000}
}

// get returns the cached client if it was read at epoch; ok is false on a miss. A hit with a
// nil client means the id is known not to exist.
func (cc *clientCache) get(id string, epoch uint64) (c *Client, ok bool) {
	cc.mu.RLock()
	e, ok := cc.m[id]
	cc.mu.RUnlock()
	if !ok || time.Since(e.at) > cc.ttl || e.epoch != epoch {
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
func (cc *clientCache) put(id string, c *Client, gen, epoch uint64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.gen != gen {
		return
	}
	if len(cc.m) >= cc.max {
		// Bounded memory even when a caller tries many random client ids.
		clear(cc.m)
	}
	cc.m[id] = cacheEntry{c: c, at: time.Now(), epoch: epoch}
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
