package refserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// verifiedTTL bounds how long a successful secret or password check is remembered.
const verifiedTTL = 5 * time.Minute

// maxVerified bounds the memory of a verifiedCache; when full, it is emptied.
const maxVerified = 10000

// verifiedCache remembers successful bcrypt checks of client secrets and resource owner
// passwords for a few minutes.
//
// One bcrypt check at cost 10 takes ~56 ms on the 2-core machine class: alone it would cap the
// token endpoint near 35 requests/s, and it is most of what a sign-in costs the server. An
// entry is keyed by the account (kind and id) and HMAC-SHA256(per-process random key, presented
// secret), and holds the bcrypt hash the secret was verified against. This is safe because:
//   - no plain secret is kept: only a keyed hash, whose key is random per process and never
//     stored, so the cache holds nothing that can be replayed or brute-forced offline without
//     also reading the key from the process's memory;
//   - only successes are remembered: a wrong secret has a different HMAC, misses, and always
//     pays the full bcrypt cost, so guessing is exactly as slow as without the cache;
//   - an entry counts only while the account's stored hash is byte-for-byte the one it was
//     verified against: a changed secret or password (new hash) misses and is checked by
//     bcrypt again, and the old one stops working at once; a deleted or disabled account is
//     refused by its caller before the cache is consulted;
//   - entries expire verifiedTTL after their last use, so an unused secret goes back to
//     bcrypt.
type verifiedCache struct {
	key [32]byte

	mu      sync.Mutex
	entries map[verifiedKey]verifiedEntry
	now     func() time.Time

	// flight collapses concurrent checks of the same (account, secret, hash), so a burst of
	// requests with one credential costs one bcrypt, not one per request.
	flight singleflight.Group
}

type verifiedKey struct {
	account string // kind and id, e.g. "client\x00app"
	mac     [sha256.Size]byte
}

type verifiedEntry struct {
	hash    string // the stored hash the secret was verified against
	expires time.Time
}

func newVerifiedCache() *verifiedCache {
	c := &verifiedCache{entries: map[verifiedKey]verifiedEntry{}, now: time.Now}
	_, _ = rand.Read(c.key[:]) // crypto/rand.Read never fails (Go 1.24+)
	return c
}

// clientAccount and ownerAccount name the two kinds of accounts apart, so a client and a user
// with the same id never share an entry.
func clientAccount(id string) string  { return "client\x00" + id }
func ownerAccount(name string) string { return "owner\x00" + name }

func (c *verifiedCache) keyFor(account, secret string) verifiedKey {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(account))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	k := verifiedKey{account: account}
	copy(k.mac[:], m.Sum(nil))
	return k
}

// remembered reports whether secret was verified against hash for account a moment ago.
func (c *verifiedCache) remembered(account, secret string, hash []byte) bool {
	return len(hash) > 0 && secret != "" && c.holds(c.keyFor(account, secret), hash)
}

// holds reports whether k was verified against hash, and extends the entry on use: a client
// or owner who keeps using the right secret is never sent back to bcrypt, where an outsider's
// guessing could throttle it (issue 16 item 2: a busy client was locked out once its
// remembered secret lapsed).
func (c *verifiedCache) holds(k verifiedKey, hash []byte) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !now.Before(e.expires) || subtle.ConstantTimeCompare([]byte(e.hash), hash) != 1 {
		return false
	}
	e.expires = now.Add(verifiedTTL)
	c.entries[k] = e
	return true
}

// check reports whether secret matches hash for account: remembered, or compare (the bcrypt
// check, run once for concurrent identical checks) says so, and then it is remembered.
// compare runs without the caller's cancellation, since its answer is shared.
func (c *verifiedCache) check(ctx context.Context, account, secret string, hash []byte, compare func(context.Context) bool) bool {
	if len(hash) == 0 || secret == "" {
		return false
	}
	k := c.keyFor(account, secret)
	if c.holds(k, hash) {
		return true
	}
	flightKey := account + "\x00" + base64.RawStdEncoding.EncodeToString(k.mac[:]) + "\x00" + string(hash)
	v, _, _ := c.flight.Do(flightKey, func() (any, error) {
		return compare(context.WithoutCancel(ctx)), nil
	})
	if !v.(bool) {
		return false
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxVerified {
		for key, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= maxVerified {
			clear(c.entries)
		}
	}
	c.entries[k] = verifiedEntry{hash: string(hash), expires: now.Add(verifiedTTL)}
	return true
}
