package throttle

import (
	"context"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(cfg Config) (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(cfg)
	l.SetClock(c.now)
	return l, c
}

const attacker = "203.0.113.9:5555"

func TestDelaysGrowPastTheThreshold(t *testing.T) {
	l, c := newTestLimiter(Config{AccountFailures: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		l.Fail(Client, "c", attacker)
		if r := l.Check(ctx, Client, "c", attacker); r != nil {
			t.Fatalf("throttled after %d failures (threshold 3)", i+1)
		}
	}
	// The delay doubles with each failure past the threshold, up to MaxDelay.
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		l.Fail(Client, "c", attacker)
		r := l.Check(ctx, Client, "c", attacker)
		if r == nil || r.RetryAfter != want*time.Second || r.Limit != "account" {
			t.Fatalf("failure %d past the threshold: expected a %ds account delay, got %+v", i+1, want, r)
		}
		c.advance(r.RetryAfter)
		if r := l.Check(ctx, Client, "c", attacker); r != nil {
			t.Fatalf("still throttled after the delay: %+v", r)
		}
	}
	// Another account is not affected.
	if r := l.Check(ctx, Client, "other", "198.51.100.1:1"); r != nil {
		t.Errorf("another account: %+v", r)
	}
}

func TestSuccessClearsOnlyBelowTheThreshold(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 3})
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		l.Fail(User, "u", attacker)
		l.Fail(User, "u", attacker)
		l.Succeed(User, "u")
	}
	if r := l.Check(ctx, User, "u", attacker); r != nil {
		t.Fatalf("2 failures then a success, 5 times: throttled %+v", r)
	}
	for i := 0; i < 3; i++ {
		l.Fail(User, "u", attacker)
	}
	l.Succeed(User, "u") // e.g. a remembered credential let through
	if r := l.Check(ctx, User, "u", attacker); r == nil {
		t.Fatal("a success after the threshold lifted the throttle")
	}
}

func TestFailuresAreForgivenWithTime(t *testing.T) {
	l, c := newTestLimiter(Config{AccountFailures: 3, Forgive: time.Minute})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		l.Fail(User, "u", attacker)
		l.Fail(User, "u", attacker)
		c.advance(2 * time.Minute) // two forgiven
	}
	if r := l.Check(ctx, User, "u", attacker); r != nil {
		t.Fatalf("two failures every two minutes: throttled %+v", r)
	}
}

func TestAddresses(t *testing.T) {
	l, _ := newTestLimiter(Config{AccountFailures: 1000, AddressFailures: 3})
	ctx := context.Background()
	for _, acct := range []string{"a", "b", "c"} {
		l.Fail(User, acct, "[2001:db8:1:2::10]:443")
		l.Fail(User, acct, "127.0.0.1:1234")
		l.Fail(User, acct, "[::1]:1")
	}
	// One IPv6 /64 is one address.
	if r := l.Check(ctx, User, "d", "[2001:db8:1:2::99]:1"); r == nil || r.Limit != "address" {
		t.Errorf("the same /64: expected an address throttle, got %+v", r)
	}
	if r := l.Check(ctx, User, "d", "[2001:db8:1:3::10]:1"); r != nil {
		t.Errorf("another /64: %+v", r)
	}
	// Loopback is not counted as an address (a local proxy).
	if r := l.Check(ctx, User, "d", "127.0.0.1:9"); r != nil {
		t.Errorf("loopback: %+v", r)
	}
	if r := l.Check(ctx, User, "d", "[::1]:9"); r != nil {
		t.Errorf("IPv6 loopback: %+v", r)
	}
	// Each kind of account is counted apart.
	if r := l.Check(ctx, Client, "d", "[2001:db8:1:2::99]:1"); r != nil {
		t.Errorf("another kind from the same address: %+v", r)
	}
}

func TestDisabledAndNil(t *testing.T) {
	var nl *Limiter
	nl.Fail(Client, "c", attacker)
	if nl.Check(context.Background(), Client, "c", attacker) != nil {
		t.Error("a nil limiter refused")
	}
	l, _ := newTestLimiter(Config{Disabled: true, AccountFailures: 1})
	l.Fail(Client, "c", attacker)
	if l.Check(context.Background(), Client, "c", attacker) != nil {
		t.Error("a disabled limiter refused")
	}
}

func TestMemoryIsBounded(t *testing.T) {
	l, _ := newTestLimiter(Config{MaxEntries: 100})
	for i := 0; i < 1000; i++ {
		l.Fail(Client, string(rune(0x4e00+i)), attacker)
	}
	if n := len(l.entries); n > 100 {
		t.Errorf("expected at most 100 entries, got %d", n)
	}
}

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Millisecond: "1", 1500 * time.Millisecond: "2", 3 * time.Second: "3"} {
		if got := (&Refusal{RetryAfter: d}).RetryAfterHeader(); got != want {
			t.Errorf("%v: expected %s, got %s", d, want, got)
		}
	}
}
