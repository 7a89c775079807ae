package throttle

import "time"

// State is one count as every Counter keeps it: Memory in a map, the store's counter in a
// database row. Rules decides over States, so that every Counter counts alike.
type State struct {
	Failures int
	// Pending counts reserved checks not yet settled; PendingAt is the last reservation.
	Pending   int
	PendingAt time.Time
	Last      time.Time // last failure
	Until     time.Time // throttled until
	Good      time.Time // a good mark: valid until
}

// Table is where a Counter's States are read and added during one operation.
type Table interface {
	// Get is the State named name, nil when there is none.
	Get(name string) *State
	// Add adds an empty State named name; nil when there is no room (Memory's bound).
	Add(now time.Time, name string) *State
}

// Rules are the counting rules every Counter applies (delays, forgiveness, pending checks),
// with a Config's values. A Counter makes each call of Rules atomic over the names it touches
// (Memory under its mutex, the store's counter in one transaction holding the rows).
type Rules struct{ cfg Config }

// NewRules returns cfg's rules (zero values take the defaults).
func NewRules(cfg Config) Rules { return Rules{cfg: cfg.withDefaults()} }

// Config is the rules' configuration, defaults applied.
func (r Rules) Config() Config { return r.cfg }

// PendingTimeout is how long a pending count outlives the last reservation of its key. A check
// ends in well under a minute (a bcrypt comparison queued behind at most DefaultQueue others,
// ~4 s; a request's own timeout, 30 s), so a pending count older than this was never settled:
// its process died (kill -9 of one replica among several sharing the counts) or lost the
// database during Settle. Without the expiry such counts would lower the key's threshold for
// good.
const PendingTimeout = 2 * time.Minute

// Decay applies Forgive to e as of now, and drops pending counts older than PendingTimeout.
func (r Rules) Decay(e *State, now time.Time) {
	if e.Pending > 0 && now.Sub(e.PendingAt) > PendingTimeout {
		e.Pending = 0
	}
	if e.Failures == 0 || !now.After(e.Last) {
		return
	}
	n := int(now.Sub(e.Last) / r.cfg.Forgive)
	if n <= 0 {
		return
	}
	e.Failures -= n
	e.Last = e.Last.Add(time.Duration(n) * r.cfg.Forgive)
	if e.Failures < 0 {
		e.Failures = 0
	}
}

// Idle reports whether e holds nothing as of now (after Decay): no failures, nothing pending,
// not throttled, no live good mark. An idle State may be dropped.
func (r Rules) Idle(e *State, now time.Time) bool {
	return e.Failures == 0 && e.Pending == 0 && !now.Before(e.Until) && !now.Before(e.Good)
}

// Expires is when e becomes idle if nothing else happens to it: its failures forgiven, its
// pending counts expired, its delay and its good mark over.
func (r Rules) Expires(e *State) time.Time {
	t := e.Until
	if e.Good.After(t) {
		t = e.Good
	}
	if e.Failures > 0 {
		if f := e.Last.Add(time.Duration(e.Failures) * r.cfg.Forgive); f.After(t) {
			t = f
		}
	}
	if e.Pending > 0 {
		if p := e.PendingAt.Add(PendingTimeout); p.After(t) {
			t = p
		}
	}
	return t
}

// Reserve is Counter.Reserve over t: keys whose good mark is live do not apply; a key under its
// delay, or whose pending checks would reach its threshold if they fail, refuses; otherwise one
// pending check is counted on every applied key (added to t as needed) and they are returned.
func (r Rules) Reserve(t Table, now time.Time, keys []Key) ([]Key, *Refusal) {
	applied := make([]Key, 0, len(keys))
	var ref *Refusal
	for _, k := range keys {
		if k.UnlessGood != "" {
			if g := t.Get(k.UnlessGood); g != nil && now.Before(g.Good) {
				continue
			}
		}
		applied = append(applied, k)
		e := t.Get(k.Name)
		if e == nil {
			continue
		}
		r.Decay(e, now)
		var wait time.Duration
		switch {
		case now.Before(e.Until):
			wait = e.Until.Sub(now)
		case e.Pending > 0 && e.Failures+e.Pending >= k.Threshold:
			// The checks already running would reach the threshold if they fail: this one
			// waits for them. Without this, requests sent together all pass (issue 16).
			wait = r.cfg.BaseDelay
		default:
			continue
		}
		if ref == nil || wait > ref.RetryAfter {
			ref = &Refusal{Limit: k.Limit, Failures: e.Failures + e.Pending, RetryAfter: wait}
		}
	}
	if ref != nil {
		return nil, ref
	}
	for i, k := range applied {
		e := t.Get(k.Name)
		if e == nil {
			if e = t.Add(now, k.Name); e == nil {
				// No room for a live count: refuse rather than forget one (a forgotten
				// count would reset a throttled account).
				r.release(t, applied[:i])
				return nil, &Refusal{Limit: k.Limit, RetryAfter: r.cfg.BaseDelay}
			}
		}
		e.Pending++
		e.PendingAt = now
	}
	return applied, nil
}

// release undoes the pending counts of keys just reserved.
func (r Rules) release(t Table, keys []Key) {
	for _, k := range keys {
		if e := t.Get(k.Name); e != nil && e.Pending > 0 {
			e.Pending--
		}
	}
}

// Settle is Counter.Settle over t.
func (r Rules) Settle(t Table, now time.Time, keys []Key, o Outcome) {
	for _, k := range keys {
		e := t.Get(k.Name)
		if e == nil {
			continue
		}
		if e.Pending > 0 {
			e.Pending--
		}
		r.settle(now, k, e, o)
	}
}

// Cleared is Counter.Cleared over t.
func (r Rules) Cleared(t Table, now time.Time, keys []Key) {
	for _, k := range keys {
		if e := t.Get(k.Name); e != nil {
			r.settle(now, k, e, Succeeded)
		}
	}
}

func (r Rules) settle(now time.Time, k Key, e *State, o Outcome) {
	r.Decay(e, now)
	switch o {
	case Failed:
		e.Failures++
		e.Last = now
		if e.Failures >= k.Threshold {
			// The delay doubles with every failure past the threshold: 1s, 2s, 4s, ...
			// MaxDelay.
			d := r.cfg.MaxDelay
			if shift := e.Failures - k.Threshold; shift < 30 {
				if g := r.cfg.BaseDelay << shift; g > 0 && g < d {
					d = g
				}
			}
			if u := now.Add(d); u.After(e.Until) {
				e.Until = u
			}
		}
	case Succeeded:
		// Below the threshold a success clears the count (mistakes of the holder never
		// add up). At or past it the key is under attack, possibly from the same
		// address as the holder (a NAT, a proxy): only time clears it.
		if k.ClearOnSuccess && e.Failures < k.Threshold {
			e.Failures = 0
		}
	}
}

// MarkGood is Counter.MarkGood over t.
func (r Rules) MarkGood(t Table, now time.Time, name string, until time.Time) {
	e := t.Get(name)
	if e == nil {
		if e = t.Add(now, name); e == nil {
			return
		}
	}
	if until.After(e.Good) {
		e.Good = until
	}
}
