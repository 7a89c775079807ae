package throttle

import (
	"sync"
	"time"
)

// Counter holds the limiter's counts. Two implementations: Memory, the counts of one process
// (an in-memory database, tests), and the store's (store.ThrottleCounter), kept in the
// database so that every process serving from one database counts every guess: replicas
// behind one address give an attacker the budget of one server, not N times it. Both apply
// Rules, so they count alike.
//
// Reserve must be atomic over its keys: deciding and counting in one step is what makes
// concurrent guesses count like sequential ones (across processes too, for a shared Counter).
// The methods take no context and return no error: a Counter that cannot reach its counts
// refuses in Reserve (fails closed, like Memory when full) and reports its other failures
// itself.
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

// Memory is the in-process Counter: the counts of one process. The server uses it for an
// in-memory database (nothing else can share it) and in tests; a database file or server that
// several processes may share counts in the database instead (store.ThrottleCounter).
type Memory struct {
	rules Rules

	mu      sync.Mutex
	entries map[string]*State
}

// NewMemory returns an in-process Counter with cfg's delays and memory bound.
func NewMemory(cfg Config) *Memory {
	return &Memory{rules: NewRules(cfg), entries: map[string]*State{}}
}

// Get implements Table (called under m.mu).
func (m *Memory) Get(name string) *State { return m.entries[name] }

// Add implements Table (called under m.mu), making room when full: only idle entries are
// dropped, so the bound never wipes a throttled account nor resets a victim's count. nil when
// nothing could be dropped.
func (m *Memory) Add(now time.Time, name string) *State {
	if len(m.entries) >= m.rules.cfg.MaxEntries {
		for k, e := range m.entries {
			m.rules.Decay(e, now)
			if m.rules.Idle(e, now) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= m.rules.cfg.MaxEntries {
			return nil
		}
	}
	e := &State{}
	m.entries[name] = e
	return e
}

// Reserve implements Counter.
func (m *Memory) Reserve(now time.Time, keys []Key) ([]Key, *Refusal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rules.Reserve(m, now, keys)
}

// Settle implements Counter.
func (m *Memory) Settle(now time.Time, keys []Key, o Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rules.Settle(m, now, keys, o)
}

// Cleared implements Counter.
func (m *Memory) Cleared(now time.Time, keys []Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rules.Cleared(m, now, keys)
}

// MarkGood implements Counter.
func (m *Memory) MarkGood(now time.Time, name string, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rules.MarkGood(m, now, name, until)
}

// Len is the number of entries held (tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
