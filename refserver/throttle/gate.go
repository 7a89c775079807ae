package throttle

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// Gate caps how many bcrypt comparisons run at once. One comparison at cost 10 keeps a core
// busy for ~50-60 ms; without a cap, a few connections sending wrong secrets keep every core
// busy and every other request waits for a time slice behind them. With the cap the guesses
// queue behind each other and the rest of the server keeps a core.
//
// A nil *Gate runs every comparison at once (no cap).
type Gate struct {
	slots chan struct{}
	// queued counts the checks admitted (Admit) and not yet done; at maxQueued, Admit
	// refuses: a flood of guesses is answered at once instead of queueing without bound
	// (issue 16 item 3).
	queued    atomic.Int64
	maxQueued int64
}

// ErrBusy is Admit's refusal: too many credential checks are waiting for the gate.
var ErrBusy = errors.New("throttle: too many credential checks waiting: retry in a moment")

// DefaultQueue is the default bound of the checks admitted at once: at ~56 ms a comparison
// on one core, 64 queued wait at most ~3.6 s.
const DefaultQueue = 64

// NewGate returns a gate admitting n comparisons at once (n <= 0 means DefaultGateSize())
// and DefaultQueue checks in all.
func NewGate(n int) *Gate { return NewGateQueue(n, 0) }

// NewGateQueue is NewGate with a bound of queue checks admitted at once (0: DefaultQueue,
// -1: no bound).
func NewGateQueue(n, queue int) *Gate {
	if n <= 0 {
		n = DefaultGateSize()
	}
	if queue == 0 {
		queue = DefaultQueue
	}
	return &Gate{slots: make(chan struct{}, n), maxQueued: int64(queue)}
}

// Admit admits one credential check (which may make one or two comparisons) before it is
// counted by the limiter, or refuses it with ErrBusy when the queue is full; done ends it.
// A nil *Gate admits everything.
func (g *Gate) Admit() (done func(), err error) {
	if g == nil || g.maxQueued < 0 {
		return func() {}, nil
	}
	if g.queued.Add(1) > g.maxQueued {
		g.queued.Add(-1)
		return nil, ErrBusy
	}
	var once sync.Once
	return func() { once.Do(func() { g.queued.Add(-1) }) }, nil
}

// DefaultGateSize leaves one core of GOMAXPROCS for everything that is not bcrypt (at least
// one comparison at a time). Measured on 2 cores with refserver's BenchmarkGuessing (valid
// client-credentials requests while 8 connections send wrong secrets; a machine shared with
// other work, load average 25-32), p50 / p99 of the valid requests in two runs (300 and 100
// requests):
//
//	no guessing            0.39 / 93 ms     0.37 / 2.7 ms
//	no cap              1059 / 3535 ms     281 / 3668 ms
//	cap 2 (the cores)    187 / 937 ms      2.9 / 1304 ms
//	cap 1 (this default) 0.40 / 146 ms     0.42 / 619 ms
//
// A cap equal to the cores still lets guesses hold every core.
func DefaultGateSize() int {
	n := runtime.GOMAXPROCS(0) - 1
	if n < 1 {
		n = 1
	}
	return n
}

// Size is the number of comparisons admitted at once (0 for no cap).
func (g *Gate) Size() int {
	if g == nil {
		return 0
	}
	return cap(g.slots)
}

// Compare is bcrypt.CompareHashAndPassword through the gate. When ctx ends while it waits
// for a slot, it returns ctx's error (the request is gone; nothing is compared).
func (g *Gate) Compare(ctx context.Context, hash, password []byte) error {
	if g == nil {
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	return bcrypt.CompareHashAndPassword(hash, password)
}

// Do runs f (a bcrypt comparison) through the gate, like Compare.
func (g *Gate) Do(ctx context.Context, f func() error) error {
	if g == nil {
		return f()
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	return f()
}
