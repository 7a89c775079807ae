// Package throttletest sends guesses together, as an attacker would, and counts the
// comparisons they cause: the test of issue 16's "guesses sent together are throttled like
// guesses sent in a row".
package throttletest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Burst holds every comparison at its start until all the burst's requests are either
// comparing or answered, so every request has passed the limiter before any comparison
// fails: the worst case for a limiter that counts only after comparing.
type Burst struct {
	compares atomic.Int64
	entered  chan struct{}
	release  chan struct{}
	once     sync.Once
}

// New returns a burst of at most n requests.
func New(n int) *Burst {
	return &Burst{entered: make(chan struct{}, 2*n+16), release: make(chan struct{})}
}

// Wrap counts and holds the calls of compare (a bcrypt comparison). Comparisons made after
// the burst (Run has returned) are counted and not held.
func (b *Burst) Wrap(compare func(hash, secret []byte) error) func(hash, secret []byte) error {
	return func(hash, secret []byte) error {
		b.compares.Add(1)
		select {
		case b.entered <- struct{}{}:
		default:
		}
		<-b.release
		return compare(hash, secret)
	}
}

// Compares is the number of comparisons made so far.
func (b *Burst) Compares() int { return int(b.compares.Load()) }

// Run sends n requests at once (send(i) in its own goroutine), waits until each is comparing
// or answered (at most a minute), lets the comparisons go, and waits for every answer. The
// comparisons must be uncapped (no bcrypt gate), or the held ones would block the rest.
func (b *Burst) Run(t *testing.T, n int, send func(i int)) {
	t.Helper()
	done := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			send(i)
		}()
	}
	answered := 0
	timeout := time.After(time.Minute)
	for seen := 0; seen < n; seen++ {
		select {
		case <-b.entered:
		case <-done:
			answered++
		case <-timeout:
			b.once.Do(func() { close(b.release) })
			t.Fatalf("burst of %d: only %d comparing or answered after a minute", n, seen)
		}
	}
	b.once.Do(func() { close(b.release) })
	for ; answered < n; answered++ {
		<-done
	}
}
