package throttle

import (
	"context"
	"fmt"
	"sync"
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

// check reports the refusal of a check from remote, releasing an admitted one.
func check(l *Limiter, kind Kind, account, remote string) *Refusal {
	a, ref := l.Reserve(ctx, kind, account, remote)
	a.Release()
	return ref
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
