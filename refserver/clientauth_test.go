package refserver

import (
	"context"
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
	a := newClientAuthenticator(nil, newVerifiedCache())
	var calls atomic.Int64
	a.compare = func(hash, secret []byte) error {
		calls.Add(1)
		return bcrypt.CompareHashAndPassword(hash, secret)
	}
	now := time.Now()
	a.cache.now = func() time.Time { return now }
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
	ctx := context.Background()
	a, calls, now := countingAuthenticator(t)
	c := &store.Client{ID: "c1", SecretHash: hashed(t, "right")}

	if !a.verifySecret(ctx, c, "right") || !a.verifySecret(ctx, c, "right") {
		t.Fatal("the right secret was refused")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("a repeated right secret: expected 1 bcrypt check, got %d", n)
	}
	// Wrong secrets are never cached: each one costs a bcrypt check.
	for i := 0; i < 3; i++ {
		if a.verifySecret(ctx, c, "wrong") {
			t.Fatal("a wrong secret was accepted")
		}
	}
	if n := calls.Load(); n != 4 {
		t.Fatalf("three wrong secrets: expected 3 more bcrypt checks (4), got %d", n)
	}
	// The same secret for another client id is a different entry.
	other := &store.Client{ID: "c2", SecretHash: hashed(t, "other")}
	if a.verifySecret(ctx, other, "right") {
		t.Fatal("c1's secret accepted for c2")
	}
	// A rotated secret (new hash): the cached success no longer counts, the old secret fails.
	c.SecretHash = hashed(t, "rotated")
	if a.verifySecret(ctx, c, "right") {
		t.Fatal("the old secret was accepted after the secret changed")
	}
	if !a.verifySecret(ctx, c, "rotated") {
		t.Fatal("the new secret was refused")
	}
	// After the TTL the secret is checked by bcrypt again.
	before := calls.Load()
	a.verifySecret(ctx, c, "rotated")
	if calls.Load() != before {
		t.Fatal("a cached secret was checked again within the TTL")
	}
	// Each use extends the entry (issue 16 item 2): a secret in steady use never lapses.
	for i := 0; i < 3; i++ {
		*now = now.Add(verifiedTTL - time.Second)
		if !a.verifySecret(ctx, c, "rotated") || calls.Load() != before {
			t.Fatalf("use %d, each within the TTL of the last: expected no bcrypt check, got %d", i+1, calls.Load()-before)
		}
	}
	*now = now.Add(verifiedTTL + time.Second)
	if !a.verifySecret(ctx, c, "rotated") || calls.Load() != before+1 {
		t.Fatalf("after the TTL: expected one more bcrypt check, got %d", calls.Load()-before)
	}
	// Nothing stored holds the plain secret.
	for k, v := range a.cache.entries {
		if k.account == "" || v.hash == "" {
			t.Fatalf("unexpected entry %+v", k)
		}
	}
}

// Concurrent checks of one secret share one bcrypt run.
func TestVerifiedSecretCacheCollapsesConcurrentChecks(t *testing.T) {
	ctx := context.Background()
	a, calls, _ := countingAuthenticator(t)
	c := &store.Client{ID: "c1", SecretHash: hashed(t, "right")}
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a.verifySecret(ctx, c, "right") {
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

// The login page and the password grant share one check of the owner's password, remembered
// like a client secret: a right password costs one bcrypt, a wrong one always costs one, a
// changed password or a disabled user is refused at once.
func TestOwnerPasswordCache(t *testing.T) {
	st, _ := openSeededCopy(t)
	ctx := context.Background()
	if err := st.UpdateUser(ctx, &store.User{Username: "alice", PasswordHash: hashed(t, "right"), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	o := &ownerPasswords{store: st, cache: newVerifiedCache(), dummyHash: hashed(t, "no one's"),
		compare: func(hash, pw []byte) error { calls.Add(1); return bcrypt.CompareHashAndPassword(hash, pw) }}
	ok := func(name, pw string) bool {
		t.Helper()
		u, err := o.check(ctx, name, pw)
		if err != nil {
			t.Fatal(err)
		}
		return u != nil && u.Username == name
	}
	if !ok("alice", "right") || !ok("alice", "right") || calls.Load() != 1 {
		t.Fatalf("the right password twice: expected 1 bcrypt check, got %d", calls.Load())
	}
	for range 3 {
		if ok("alice", "wrong") {
			t.Fatal("a wrong password was accepted")
		}
	}
	if calls.Load() != 4 {
		t.Fatalf("three wrong passwords: expected 3 more bcrypt checks (4), got %d", calls.Load())
	}
	if ok("alice", "") || ok("", "right") {
		t.Fatal("an empty username or password was accepted")
	}
	// An unknown user costs a comparison too (no enumeration by timing), and is refused.
	if ok("nobody", "right") || calls.Load() != 5 {
		t.Fatalf("unknown user: accepted or not compared (%d checks)", calls.Load())
	}
	// A client with the same id and secret does not share the owner's entry.
	a := newClientAuthenticator(nil, o.cache)
	a.compare = o.compare
	if a.remembered(&store.Client{ID: "alice", SecretHash: hashed(t, "right")}, "right") {
		t.Fatal("an owner's remembered password counted for a client of the same name")
	}
	// A changed password: the remembered one no longer counts.
	if err := st.UpdateUser(ctx, &store.User{Username: "alice", PasswordHash: hashed(t, "changed"), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if ok("alice", "right") {
		t.Fatal("the old password was accepted after it changed")
	}
	if !ok("alice", "changed") {
		t.Fatal("the new password was refused")
	}
	// A disabled user is refused though the password is remembered.
	if err := st.UpdateUser(ctx, &store.User{Username: "alice", PasswordHash: hashed(t, "changed"), Enabled: false}); err != nil {
		t.Fatal(err)
	}
	if ok("alice", "changed") {
		t.Fatal("a disabled user's remembered password was accepted")
	}
}
