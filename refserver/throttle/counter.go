package throttle

import (
	"sync"
	"time"
)

// Counter holds the limiter's counts. It is an interface so that the counts can later live in
// the database that replicas share (the scale-out issue); today the only implementation is
// Memory, whose counts are per process: N replicas behind one address give an attacker at
// most N times the budget.
//
// Reserve must be atomic over its keys: deciding and counting in one step is what makes
// concurrent guesses count like sequential ones.
type Counter interface {
	// Reserve decides whether an attempt may be checked now. When it may, it counts one
	// pending attempt against every key that applies and returns those keys (the
	// reservation); when it may not, it returns the refusal (Limit, Failures, RetryAfter set)
	// and counts nothing.
	Reserve(now time.Time, keys []Key) ([]Key, *Refusal)
	// Settle ends a reservation with the check's outcome.
	Settle(now time.Time, keys []Key, o Outcome)
	// Cleared records a success that was not reserved (a remembered credential): like
	// Settle's Succeeded without a pending count to end.
	Cleared(now time.Time, keys []Key)
	// MarkGood remembers, until until, that a source succeeded for an account (Key.UnlessGood).
	MarkGood(now time.Time, name string, until time.Time)
}

// Key is one count an attempt is charged to.
type Key struct {
	Name string
	// Limit names the key's kind in a refusal: "account" (the account from this source),
	// "account-total" (the account from every source) or "address".
	Limit     string
	Threshold int
	// ClearOnSuccess: a verified success clears the count while it is below the threshold.
	ClearOnSuccess bool
	// UnlessGood, when set, names a good mark (MarkGood) under which the key does not apply.
	UnlessGood string
}

// Outcome is how a reserved check ended.
type Outcome int

// The outcomes.
const (
	// Released: nothing was decided (the store could not be read): the reservation is undone.
	Released Outcome = iota
	// Failed: the credential was wrong; every key counts a failure.
	Failed
	// Succeeded: the credential was verified; keys with ClearOnSuccess are cleared below
	// their threshold.
	Succeeded
)

// Memory is the in-process Counter.
type Memory struct {
	cfg Config

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	failures int
	pending  int       // reserved checks not yet settled
	last     time.Time // last failure
	until    time.Time // throttled until
	good     time.Time // a good mark: valid until
}

// NewMemory returns an in-process Counter with cfg's delays and memory bound.
func NewMemory(cfg Config) *Memory {
	return &Memory{cfg: cfg.withDefaults(), entries: map[string]*entry{}}
}

// decayed applies Forgive to e as of now.
func (m *Memory) decayed(e *entry, now time.Time) {
	if e.failures == 0 || !now.After(e.last) {
		return
	}
	n := int(now.Sub(e.last) / m.cfg.Forgive)
	if n <= 0 {
		return
	}
	e.failures -= n
	e.last = e.last.Add(time.Duration(n) * m.cfg.Forgive)
	if e.failures < 0 {
		e.failures = 0
	}
}

// Reserve implements Counter.
func (m *Memory) Reserve(now time.Time, keys []Key) ([]Key, *Refusal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	applied := make([]Key, 0, len(keys))
	var ref *Refusal
	for _, k := range keys {
		if k.UnlessGood != "" {
			if g := m.entries[k.UnlessGood]; g != nil && now.Before(g.good) {
				continue
			}
		}
		applied = append(applied, k)
		e := m.entries[k.Name]
		if e == nil {
			continue
		}
		m.decayed(e, now)
		var wait time.Duration
		switch {
		case now.Before(e.until):
			wait = e.until.Sub(now)
		case e.pending > 0 && e.failures+e.pending >= k.Threshold:
			// The checks already running would reach the threshold if they fail: this one
			// waits for them. Without this, requests sent together all pass (issue 16).
			wait = m.cfg.BaseDelay
		default:
			continue
		}
		if ref == nil || wait > ref.RetryAfter {
			ref = &Refusal{Limit: k.Limit, Failures: e.failures + e.pending, RetryAfter: wait}
		}
	}
	if ref != nil {
		return nil, ref
	}
	for i, k := range applied {
		e := m.entries[k.Name]
		if e == nil {
			if e = m.newEntry(now, k.Name); e == nil {
				// Memory full of live counts: refuse rather than forget one (a forgotten
				// count would reset a throttled account). Filling it takes ~MaxEntries
				// failures per Forgive, each a bcrypt comparison, so it is not reached in
				// practice.
				m.release(applied[:i])
				return nil, &Refusal{Limit: k.Limit, RetryAfter: m.cfg.BaseDelay}
			}
		}
		e.pending++
	}
	return applied, nil
}

// release undoes the pending counts of keys just reserved.
func (m *Memory) release(keys []Key) {
	for _, k := range keys {
		if e := m.entries[k.Name]; e != nil && e.pending > 0 {
			e.pending--
		}
	}
}

// newEntry adds an entry, making room when full: only idle entries (no failures left after
// Forgive, nothing pending, not throttled, no live good mark) are dropped, so the bound never
// wipes a throttled account nor resets a victim's count. nil when nothing could be dropped.
func (m *Memory) newEntry(now time.Time, name string) *entry {
	if len(m.entries) >= m.cfg.MaxEntries {
		for k, e := range m.entries {
			m.decayed(e, now)
			if e.failures == 0 && e.pending == 0 && !now.Before(e.until) && !now.Before(e.good) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= m.cfg.MaxEntries {
			return nil
		}
	}
	e := &entry{}
	m.entries[name] = e
	return e
}

// Settle implements Counter.
func (m *Memory) Settle(now time.Time, keys []Key, o Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		e := m.entries[k.Name]
		if e == nil {
			continue
		}
		if e.pending > 0 {
			e.pending--
		}
		m.settle(now, k, e, o)
	}
}

// Cleared implements Counter.
func (m *Memory) Cleared(now time.Time, keys []Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if e := m.entries[k.Name]; e != nil {
			m.settle(now, k, e, Succeeded)
		}
	}
}

func (m *Memory) settle(now time.Time, k Key, e *entry, o Outcome) {
	m.decayed(e, now)
	switch o {
	case Failed:
		e.failures++
		e.last = now
		if e.failures >= k.Threshold {
			// The delay doubles with every failure past the threshold: 1s, 2s, 4s, ...
			// MaxDelay.
			d := m.cfg.MaxDelay
			if shift := e.failures - k.Threshold; shift < 30 {
				if g := m.cfg.BaseDelay << shift; g > 0 && g < d {
					d = g
				}
			}
			if u := now.Add(d); u.After(e.until) {
				e.until = u
			}
		}
	case Succeeded:
		// Below the threshold a success clears the count (mistakes of the holder never
		// add up). At or past it the key is under attack, possibly from the same
		// address as the holder (a NAT, a proxy): only time clears it.
		if k.ClearOnSuccess && e.failures < k.Threshold {
			e.failures = 0
		}
	}
}

// MarkGood implements Counter.
func (m *Memory) MarkGood(now time.Time, name string, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[name]
	if e == nil {
		if e = m.newEntry(now, name); e == nil {
			return
		}
	}
	if until.After(e.good) {
		e.good = until
	}
}

// Len is the number of entries held (tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
