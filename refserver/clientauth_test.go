package refserver

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// countingAuthenticator is a clientAuthenticator whose bcrypt calls are counted and whose
// clock the test moves.
func countingAuthenticator(t *testing.T) (*clientAuthenticator, *atomic.Int64, *time.Time) {
	t.Helper()
	a, err := newClientAuthenticator(nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	a.compare = func(hash, secret []byte) error {
		calls.Add(1)
		return bcrypt.CompareHashAndPassword(hash, secret)
	}
	now := time.Now()
	a.now = func() time.Time { return now }
	return a, &calls, &now
}

// hashed hashes at bcrypt's minimum cost: the cache logic does not depend on the cost, and
// cost 10 takes seconds under -race.
func hashed(t *testing.T, secret string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVerifiedSecretCache(t *testing.T) {
	a, calls, now := countingAuthenticator(t)
	c := &store.Client{ID: "c1", SecretHash: hashed(t, "right")}

	if !a.verifySecret(c, "right") || !a.verifySecret(c, "right") {
		t.Fatal("the right secret was refused")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("a repeated right secret: expected 1 bcrypt check, got %d", n)
	}
	// Wrong secrets are never cached: each one costs a bcrypt check.
	for i := 0; i < 3; i++ {
		if a.verifySecret(c, "wrong") {
			t.Fatal("a wrong secret was accepted")
		}
	}
	if n := calls.Load(); n != 4 {
		t.Fatalf("three wrong secrets: expected 3 more bcrypt checks (4), got %d", n)
	}
	// The same secret for another client id is a different entry.
	other := &store.Client{ID: "c2", SecretHash: hashed(t, "other")}
	if a.verifySecret(other, "right") {
		t.Fatal("c1's secret accepted for c2")
	}
	// A rotated secret (new hash): the cached success no longer counts, the old secret fails.
	c.SecretHash = hashed(t, "rotated")
	if a.verifySecret(c, "right") {
		t.Fatal("the old secret was accepted after the secret changed")
	}
	if !a.verifySecret(c, "rotated") {
		t.Fatal("the new secret was refused")
	}
	// After the TTL the secret is checked by bcrypt again.
	before := calls.Load()
	a.verifySecret(c, "rotated")
	if calls.Load() != before {
		t.Fatal("a cached secret was checked again within the TTL")
	}
	*now = now.Add(verifiedSecretTTL + time.Second)
	if !a.verifySecret(c, "rotated") || calls.Load() != before+1 {
		t.Fatalf("after the TTL: expected one more bcrypt check, got %d", calls.Load()-before)
	}
	// Nothing stored holds the plain secret.
	for k, v := range a.entries {
		if k.clientID == "" || v.hash == "" {
			t.Fatalf("unexpected entry %+v", k)
		}
	}
}

// Concurrent checks of one secret share one bcrypt run.
func TestVerifiedSecretCacheCollapsesConcurrentChecks(t *testing.T) {
	a, calls, _ := countingAuthenticator(t)
	c := &store.Client{ID: "c1", SecretHash: hashed(t, "right")}
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a.verifySecret(c, "right") {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 16 {
		t.Fatalf("expected 16 successes, got %d", ok.Load())
	}
	if n := calls.Load(); n > 4 {
		t.Fatalf("16 concurrent checks of one secret ran bcrypt %d times", n)
	}
}
