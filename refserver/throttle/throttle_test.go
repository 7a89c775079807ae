package throttle

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestLimiter(cfg Config) (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(cfg)
	l.SetClock(c.now)
	return l, c
}

const (
	attacker = "203.0.113.9:5555"
	holder   = "198.51.100.1:1"
)

var ctx = context.Background()

// fail and succeed are a whole check that failed or succeeded; they fail the test when the
// check is refused.
func fail(t *testing.T, l *Limiter, kind Kind, account, remote string) {
	t.Helper()
	a, ref := l.Reserve(ctx, kind, account, remote)
	if ref != nil {
		t.Fatalf("%s %s from %s: refused %+v", kind, account, remote, ref)
	}
	a.Fail()
}

func succeed(t *testing.T, l *Limiter, kind Kind, account, remote string) {
	t.Helper()
	a, ref := l.Reserve(ctx, kind, account, remote)
	if ref != nil {
		t.Fatalf("%s %s from %s: refused %+v", kind, account, remote, ref)
	}
	a.Succeed()
}

// check reports the refusal of a check from remote, releasing an admitted one.
func check(l *Limiter, kind Kind, account, remote string) *Refusal {
	a, ref := l.Reserve(ctx, kind, account, remote)
	a.Release()
	return ref
}

func TestDelaysGrowPastTheThreshold(t *testing.T) {
	l, c := newTestLimiter(Config{AccountFailures: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	for i := 0; i < 2; i++ {
		fail(t, l, Client, "c", attacker)
		if r := check(l, Client, "c", attacker); r != nil {
			t.Fatalf("throttled after %d failures (threshold 3)", i+1)
		}
	}
	// The delay doubles with each failure past the threshold, up to MaxDelay.
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		fail(t, l, Client, "c", attacker)
		r := check(l, Client, "c", attacker)
		if r == nil || r.RetryAfter != want*time.Second || r.Limit != "account" || r.Account != "c" || r.Kind != Client {
			t.Fatalf("failure %d past the threshold: expected a %ds account delay, got %+v", i+1, want, r)
		}
		c.advance(r.RetryAfter)
		if r := check(l, Client, "c", attacker); r != nil {
			t.Fatalf("still throttled after the delay: %+v", r)
		}
	}
	// Another account, and the same account from another source, are not affected.
	if r := check(l, Client, "other", attacker); r != nil {
		t.Errorf("another account: %+v", r)
	}
	if r := check(l, Client, "c", holder); r != nil {
		t.Errorf("the account from another source: %+v", r)
	}
}

// Issue 16 item 1: requests sent together all passed a check made before any of them was
// counted. Now at most AccountFailures checks of one account from one source are admitted.
func TestConcurrentAttemptsAreCountedBeforeTheCheck(t *testing.T) {
	l, _ := newTestLimiter(Config{})
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
			a, ref := l.Reserve(ctx, User, "bob", attacker)
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
	if r := check(l, User, "bob", attacker); r == nil || r.Limit != "account" {
		t.Errorf("after the burst: expected throttled, got %+v", r)
	}
}

func TestSuccessClearsOnlyBelowTheThreshold(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 3})
	for round := 0; round < 5; round++ {
		fail(t, l, User, "u", holder)
		fail(t, l, User, "u", holder)
		succeed(t, l, User, "u", holder)
	}
	if r := check(l, User, "u", holder); r != nil {
		t.Fatalf("2 failures then a success, 5 times: throttled %+v", r)
	}
	for i := 0; i < 3; i++ {
		fail(t, l, User, "u", attacker)
	}
	l.Remembered(User, "u", attacker) // e.g. a remembered credential let through
	if r := check(l, User, "u", attacker); r == nil {
		t.Fatal("a remembered success after the threshold lifted the throttle")
	}
}

// A success clears only the succeeding source's count: the attacker's stays.
func TestSuccessClearsOnlyItsSource(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 3})
	fail(t, l, User, "u", attacker)
	fail(t, l, User, "u", attacker)
	succeed(t, l, User, "u", holder)
	fail(t, l, User, "u", attacker)
	if r := check(l, User, "u", attacker); r == nil {
		t.Error("the holder's success cleared the attacker's count")
	}
}

func TestReleaseUndoesTheReservation(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 2})
	for i := 0; i < 10; i++ {
		if r := check(l, User, "u", attacker); r != nil {
			t.Fatalf("released attempt %d counted: %+v", i, r)
		}
	}
	a, _ := l.Reserve(ctx, User, "u", attacker)
	a.Fail()
	a.Fail() // settles once
	if r := check(l, User, "u", attacker); r != nil {
		t.Fatalf("one failure settled twice: %+v", r)
	}
}

// Many sources together reach the account's ceiling; sources that succeeded before still pass.
func TestAccountCeilingSparesGoodSources(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 3, AccountCeiling: 10})
	succeed(t, l, Client, "c", holder)
	for i := 0; i < 10; i++ {
		fail(t, l, Client, "c", fmt.Sprintf("203.0.113.%d:1", i))
	}
	r := check(l, Client, "c", "203.0.113.200:1")
	if r == nil || r.Limit != "account-total" {
		t.Errorf("a new source after 10 failures from many: expected the account-total throttle, got %+v", r)
	}
	if r := check(l, Client, "c", holder); r != nil {
		t.Errorf("a source that succeeded before: %+v", r)
	}
}

func TestFailuresAreForgivenWithTime(t *testing.T) {
	l, c := newTestLimiter(Config{AccountFailures: 3, Forgive: time.Minute})
	for i := 0; i < 10; i++ {
		fail(t, l, User, "u", attacker)
		fail(t, l, User, "u", attacker)
		c.advance(2 * time.Minute) // two forgiven
	}
	if r := check(l, User, "u", attacker); r != nil {
		t.Fatalf("two failures every two minutes: throttled %+v", r)
	}
}

func TestAddresses(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 1000, AddressFailures: 3})
	for _, acct := range []string{"a", "b", "c"} {
		fail(t, l, User, acct, "[2001:db8:1:2::10]:443")
		fail(t, l, User, acct, "127.0.0.1:1234")
		fail(t, l, User, acct, "[::1]:1")
	}
	// One IPv6 /64 is one address.
	if r := check(l, User, "d", "[2001:db8:1:2::99]:1"); r == nil || r.Limit != "address" {
		t.Errorf("the same /64: expected an address throttle, got %+v", r)
	}
	if r := check(l, User, "d", "[2001:db8:1:3::10]:1"); r != nil {
		t.Errorf("another /64: %+v", r)
	}
	// Loopback is not counted as an address (a local proxy).
	if r := check(l, User, "d", "127.0.0.1:9"); r != nil {
		t.Errorf("loopback: %+v", r)
	}
	if r := check(l, User, "d", "[::1]:9"); r != nil {
		t.Errorf("IPv6 loopback: %+v", r)
	}
	// Each kind of account is counted apart.
	if r := check(l, Client, "d", "[2001:db8:1:2::99]:1"); r != nil {
		t.Errorf("another kind from the same address: %+v", r)
	}
}

func TestDisabledAndNil(t *testing.T) {
	var nl *Limiter
	a, ref := nl.Reserve(ctx, Client, "c", attacker)
	a.Fail()
	if ref != nil {
		t.Error("a nil limiter refused")
	}
	l, _ := newTestLimiter(Config{Disabled: true, AccountFailures: 1})
	a, _ = l.Reserve(ctx, Client, "c", attacker)
	a.Fail()
	if check(l, Client, "c", attacker) != nil {
		t.Error("a disabled limiter refused")
	}
}

// The memory bound drops idle entries only: a throttled account stays throttled however many
// other accounts are tried; once counts are forgiven, their room is reused.
func TestMemoryIsBoundedWithoutForgettingThrottles(t *testing.T) {
	l, c := newTestLimiter(Config{MaxEntries: 100, AccountFailures: 3, AddressFailures: 1 << 20})
	for i := 0; i < 3; i++ {
		fail(t, l, Client, "victim", attacker)
	}
	refused := 0
	for i := 0; i < 1000; i++ {
		a, ref := l.Reserve(ctx, Client, fmt.Sprint("sprayed-", i), holder)
		if ref != nil {
			refused++
		}
		a.Fail()
	}
	if n := l.Counter().(*Memory).Len(); n > 100 {
		t.Errorf("expected at most 100 entries, got %d", n)
	}
	if refused == 0 {
		t.Error("1000 accounts in a memory of 100 live counts: none refused")
	}
	if r := check(l, Client, "victim", attacker); r == nil {
		t.Error("the memory bound forgot a throttled account")
	}
	c.advance(2 * time.Minute) // the sprayed single failures are forgiven: idle
	if r := check(l, Client, "new-account", holder); r != nil {
		t.Errorf("after the counts were forgiven: still refused %+v", r)
	}
}

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Millisecond: "1", 1500 * time.Millisecond: "2", 3 * time.Second: "3"} {
		if got := (&Refusal{RetryAfter: d}).RetryAfterHeader(); got != want {
			t.Errorf("%v: expected %s, got %s", d, want, got)
		}
	}
}

func TestGateQueueIsBounded(t *testing.T) {
	g := NewGateQueue(1, 2)
	d1, err1 := g.Admit()
	d2, err2 := g.Admit()
	if err1 != nil || err2 != nil {
		t.Fatalf("the first two admissions: %v, %v", err1, err2)
	}
	if _, err := g.Admit(); err != ErrBusy {
		t.Fatalf("the third admission with a queue of 2: expected ErrBusy, got %v", err)
	}
	d1()
	d1() // done twice counts once
	if d, err := g.Admit(); err != nil {
		t.Fatalf("after one was done: %v", err)
	} else {
		d()
	}
	d2()
	var nilGate *Gate
	if _, err := nilGate.Admit(); err != nil {
		t.Errorf("a nil gate refused: %v", err)
	}
}
