package throttletest

// The contract every throttle.Counter keeps: the limiter's rules, run through the Counter under
// test. refserver/throttle runs it against Memory, refserver/store against the database's
// counter (store.ThrottleCounter), so the two count alike.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// NewCounter returns a fresh, empty Counter with cfg's rules (the limiter's config).
type NewCounter func(t *testing.T, cfg throttle.Config) throttle.Counter

// Contract runs the limiter's tests against the Counters nc returns.
func Contract(t *testing.T, nc NewCounter) {
	for name, f := range map[string]func(*testing.T, NewCounter){
		"DelaysGrowPastTheThreshold":                 delaysGrowPastTheThreshold,
		"ConcurrentAttemptsAreCountedBeforeTheCheck": concurrentAttemptsAreCountedBeforeTheCheck,
		"SuccessClearsOnlyBelowTheThreshold":         successClearsOnlyBelowTheThreshold,
		"SuccessClearsOnlyItsSource":                 successClearsOnlyItsSource,
		"ReleaseUndoesTheReservation":                releaseUndoesTheReservation,
		"AccountCeilingSparesGoodSources":            accountCeilingSparesGoodSources,
		"FailuresAreForgivenWithTime":                failuresAreForgivenWithTime,
		"Addresses":                                  addresses,
		"UnsettledChecksExpire":                      unsettledChecksExpire,
	} {
		t.Run(name, func(t *testing.T) { f(t, nc) })
	}
}

// Clock is a settable clock for a Limiter (SetClock).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// NewClock is a clock at a fixed date.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// newLimiter is a limiter with cfg's rules counting in a fresh Counter from nc, on a clock.
func newLimiter(t *testing.T, nc NewCounter, cfg throttle.Config) (*throttle.Limiter, *Clock) {
	c := NewClock()
	cfg.Counter = nc(t, cfg)
	l := throttle.NewLimiter(cfg)
	l.SetClock(c.Now)
	return l, c
}

const (
	attacker = "203.0.113.9:5555"
	holder   = "198.51.100.1:1"
)

var ctx = context.Background()

// fail and succeed are a whole check that failed or succeeded; they fail the test when the
// check is refused.
func fail(t *testing.T, l *throttle.Limiter, kind throttle.Kind, account, remote string) {
	t.Helper()
	a, ref := l.Reserve(ctx, kind, account, remote)
	if ref != nil {
		t.Fatalf("%s %s from %s: refused %+v", kind, account, remote, ref)
	}
	a.Fail()
}

func succeed(t *testing.T, l *throttle.Limiter, kind throttle.Kind, account, remote string) {
	t.Helper()
	a, ref := l.Reserve(ctx, kind, account, remote)
	if ref != nil {
		t.Fatalf("%s %s from %s: refused %+v", kind, account, remote, ref)
	}
	a.Succeed()
}

// check reports the refusal of a check from remote, releasing an admitted one.
func check(l *throttle.Limiter, kind throttle.Kind, account, remote string) *throttle.Refusal {
	a, ref := l.Reserve(ctx, kind, account, remote)
	a.Release()
	return ref
}

func delaysGrowPastTheThreshold(t *testing.T, nc NewCounter) {
	l, c := newLimiter(t, nc, throttle.Config{AccountFailures: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	for i := 0; i < 2; i++ {
		fail(t, l, throttle.Client, "c", attacker)
		if r := check(l, throttle.Client, "c", attacker); r != nil {
			t.Fatalf("throttled after %d failures (threshold 3)", i+1)
		}
	}
	// The delay doubles with each failure past the threshold, up to MaxDelay.
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		fail(t, l, throttle.Client, "c", attacker)
		r := check(l, throttle.Client, "c", attacker)
		if r == nil || r.RetryAfter != want*time.Second || r.Limit != "account" || r.Account != "c" || r.Kind != throttle.Client {
			t.Fatalf("failure %d past the threshold: expected a %ds account delay, got %+v", i+1, want, r)
		}
		c.Advance(r.RetryAfter)
		if r := check(l, throttle.Client, "c", attacker); r != nil {
			t.Fatalf("still throttled after the delay: %+v", r)
		}
	}
	// Another account, and the same account from another source, are not affected.
	if r := check(l, throttle.Client, "other", attacker); r != nil {
		t.Errorf("another account: %+v", r)
	}
	if r := check(l, throttle.Client, "c", holder); r != nil {
		t.Errorf("the account from another source: %+v", r)
	}
}

// Issue 16 item 1: requests sent together all passed a check made before any of them was
// counted. Now at most AccountFailures checks of one account from one source are admitted.
func concurrentAttemptsAreCountedBeforeTheCheck(t *testing.T, nc NewCounter) {
	l, _ := newLimiter(t, nc, throttle.Config{})
	const n = 150
	var admitted atomic.Int64
	var reserved sync.WaitGroup
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		reserved.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, ref := l.Reserve(ctx, throttle.User, "bob", attacker)
			reserved.Done()
			if ref != nil {
				return
			}
			admitted.Add(1)
			<-release // every admitted check is "comparing" while the others arrive
			a.Fail()
		}()
	}
	reserved.Wait()
	close(release)
	wg.Wait()
	if got := admitted.Load(); got != 20 {
		t.Errorf("%d concurrent attempts: expected exactly 20 admitted (AccountFailures), got %d", n, got)
	}
	if r := check(l, throttle.User, "bob", attacker); r == nil || r.Limit != "account" {
		t.Errorf("after the burst: expected throttled, got %+v", r)
	}
}

func successClearsOnlyBelowTheThreshold(t *testing.T, nc NewCounter) {
	l, _ := newLimiter(t, nc, throttle.Config{AccountFailures: 3})
	for round := 0; round < 5; round++ {
		fail(t, l, throttle.User, "u", holder)
		fail(t, l, throttle.User, "u", holder)
		succeed(t, l, throttle.User, "u", holder)
	}
	if r := check(l, throttle.User, "u", holder); r != nil {
		t.Fatalf("2 failures then a success, 5 times: throttled %+v", r)
	}
	for i := 0; i < 3; i++ {
		fail(t, l, throttle.User, "u", attacker)
	}
	l.Remembered(throttle.User, "u", attacker) // e.g. a remembered credential let through
	if r := check(l, throttle.User, "u", attacker); r == nil {
		t.Fatal("a remembered success after the threshold lifted the throttle")
	}
}

// A success clears only the succeeding source's count: the attacker's stays.
func successClearsOnlyItsSource(t *testing.T, nc NewCounter) {
	l, _ := newLimiter(t, nc, throttle.Config{AccountFailures: 3})
	fail(t, l, throttle.User, "u", attacker)
	fail(t, l, throttle.User, "u", attacker)
	succeed(t, l, throttle.User, "u", holder)
	fail(t, l, throttle.User, "u", attacker)
	if r := check(l, throttle.User, "u", attacker); r == nil {
		t.Error("the holder's success cleared the attacker's count")
	}
}

func releaseUndoesTheReservation(t *testing.T, nc NewCounter) {
	l, _ := newLimiter(t, nc, throttle.Config{AccountFailures: 2})
	for i := 0; i < 10; i++ {
		if r := check(l, throttle.User, "u", attacker); r != nil {
			t.Fatalf("released attempt %d counted: %+v", i, r)
		}
	}
	a, _ := l.Reserve(ctx, throttle.User, "u", attacker)
	a.Fail()
	a.Fail() // settles once
	if r := check(l, throttle.User, "u", attacker); r != nil {
		t.Fatalf("one failure settled twice: %+v", r)
	}
}

// Many sources together reach the account's ceiling; sources that succeeded before still pass.
func accountCeilingSparesGoodSources(t *testing.T, nc NewCounter) {
	l, _ := newLimiter(t, nc, throttle.Config{AccountFailures: 3, AccountCeiling: 10})
	succeed(t, l, throttle.Client, "c", holder)
	for i := 0; i < 10; i++ {
		fail(t, l, throttle.Client, "c", fmt.Sprintf("203.0.113.%d:1", i))
	}
	r := check(l, throttle.Client, "c", "203.0.113.200:1")
	if r == nil || r.Limit != "account-total" {
		t.Errorf("a new source after 10 failures from many: expected the account-total throttle, got %+v", r)
	}
	if r := check(l, throttle.Client, "c", holder); r != nil {
		t.Errorf("a source that succeeded before: %+v", r)
	}
}

func failuresAreForgivenWithTime(t *testing.T, nc NewCounter) {
	l, c := newLimiter(t, nc, throttle.Config{AccountFailures: 3, Forgive: time.Minute})
	for i := 0; i < 10; i++ {
		fail(t, l, throttle.User, "u", attacker)
		fail(t, l, throttle.User, "u", attacker)
		c.Advance(2 * time.Minute) // two forgiven
	}
	if r := check(l, throttle.User, "u", attacker); r != nil {
		t.Fatalf("two failures every two minutes: throttled %+v", r)
	}
}

func addresses(t *testing.T, nc NewCounter) {
	l, _ := newLimiter(t, nc, throttle.Config{AccountFailures: 1000, AddressFailures: 3})
	for _, acct := range []string{"a", "b", "c"} {
		fail(t, l, throttle.User, acct, "[2001:db8:1:2::10]:443")
		fail(t, l, throttle.User, acct, "127.0.0.1:1234")
		fail(t, l, throttle.User, acct, "[::1]:1")
	}
	// One IPv6 /64 is one address.
	if r := check(l, throttle.User, "d", "[2001:db8:1:2::99]:1"); r == nil || r.Limit != "address" {
		t.Errorf("the same /64: expected an address throttle, got %+v", r)
	}
	if r := check(l, throttle.User, "d", "[2001:db8:1:3::10]:1"); r != nil {
		t.Errorf("another /64: %+v", r)
	}
	// Loopback is not counted as an address (a local proxy).
	if r := check(l, throttle.User, "d", "127.0.0.1:9"); r != nil {
		t.Errorf("loopback: %+v", r)
	}
	if r := check(l, throttle.User, "d", "[::1]:9"); r != nil {
		t.Errorf("IPv6 loopback: %+v", r)
	}
	// Each kind of account is counted apart.
	if r := check(l, throttle.Client, "d", "[2001:db8:1:2::99]:1"); r != nil {
		t.Errorf("another kind from the same address: %+v", r)
	}
}

// A check reserved and never settled (its process was killed, or the database was lost during
// Settle) stops counting after throttle.PendingTimeout: it no longer lowers the threshold.
func unsettledChecksExpire(t *testing.T, nc NewCounter) {
	l, c := newLimiter(t, nc, throttle.Config{AccountFailures: 3})
	for i := 0; i < 3; i++ {
		if _, ref := l.Reserve(ctx, throttle.User, "u", attacker); ref != nil {
			t.Fatalf("reservation %d: refused %+v", i+1, ref)
		}
	}
	if r := check(l, throttle.User, "u", attacker); r == nil {
		t.Fatal("3 checks under way with a threshold of 3: a fourth was admitted")
	}
	c.Advance(throttle.PendingTimeout + time.Second)
	if r := check(l, throttle.User, "u", attacker); r != nil {
		t.Fatalf("after throttle.PendingTimeout, the unsettled checks still count: %+v", r)
	}
}
