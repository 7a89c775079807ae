// Package throttle protects the reference server's credential checks against guessing: client
// secrets at the token, introspection and revocation endpoints, resource-owner passwords (the
// password grant and the login page) and the administrator's password.
//
// RFC 6749 2.3.1: "the authorization server MUST protect any endpoint utilizing it against
// brute force attacks"; 4.3.2: "the authorization server MUST protect the endpoint against brute
// force attacks (e.g., using rate-limitation or generating alerts)".
//
// Two defences:
//   - A Limiter counts failed checks and, past a threshold, refuses further checks for a
//     growing delay. A check is counted before the credential is compared (Reserve) and
//     settled after (Fail, Succeed, Release), so requests sent together are counted like
//     requests sent in a row. A refused check is answered at once, with the delay as
//     Retry-After: the server never sleeps on a request, so holding connections open costs an
//     attacker, not the server.
//   - A Gate caps the bcrypt comparisons running at once, so guesses queue behind each other
//     instead of taking every core from the requests that need none (a remembered secret, an
//     introspection, a resource access).
//
// What is counted (Limiter.keys): an account from one source address (AccountFailures, 20),
// the account from all sources (AccountCeiling, 200, which sources that succeeded for the
// account recently pass) and one address over all accounts (AddressFailures, 100). An outsider
// who knows a username or client id thus throttles only their own address for it: the
// account's holders keep working.
//
// The thresholds are chosen so that honest use, and a conformance run with its deliberate
// wrong secrets and passwords, never trips them: a verified success clears its source's count
// for the account (below the threshold). Loopback addresses are not throttled as addresses
// (see Config.ThrottleLoopback): a local reverse proxy makes every client look like 127.0.0.1.
//
// Where the counts live (Counter): in the database whenever other processes can serve from it
// (store.ThrottleCounter, for a SQLite file and PostgreSQL), so replicas behind one address
// count every guess once and give an attacker the budget of one server; in the process
// (Memory) for an in-memory database and in tests. Both apply the same Rules.
package throttle

import (
	"context"
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Kind names the kind of account a credential belongs to; each kind is counted apart.
type Kind string

// The kinds of account.
const (
	Client Kind = "client"
	User   Kind = "user"
	Admin  Kind = "admin"
)

// Config sets the thresholds. Zero values take the defaults.
type Config struct {
	// Disabled switches the limiter off (every check is allowed); the Gate still applies.
	Disabled bool
	// AccountFailures is how many failed checks in a row an account takes from one source
	// address before that address is throttled for the account. Default 20: well above what a
	// person mistyping or a conformance run's negative scenarios produce, far below what
	// guessing needs.
	AccountFailures int
	// AccountCeiling is how many failed checks an account takes from all sources together
	// before every source that has not succeeded for it within GoodFor is throttled for it.
	// Default 10 x AccountFailures.
	AccountCeiling int
	// GoodFor is how long a source that succeeded for an account passes AccountCeiling.
	// Default 7 days.
	GoodFor time.Duration
	// AddressFailures is how many failed checks (for any accounts) one source address makes
	// before it is throttled. Default 100.
	AddressFailures int
	// BaseDelay is the first delay once a threshold is reached; each further failure doubles
	// it, up to MaxDelay. Defaults 1s and 15m.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// Forgive: a count drops by one for each Forgive that passes without a failure, so
	// occasional mistakes never add up to a lockout. Default 1m.
	Forgive time.Duration
	// ThrottleLoopback counts loopback source addresses too. Off by default: behind a local
	// reverse proxy every client has the proxy's address, and one guesser would lock everyone
	// out; per-account throttling applies to every address.
	ThrottleLoopback bool
	// MaxEntries bounds the memory of the in-process counter (Memory); when full, only idle
	// entries are dropped (never a throttled one nor a count still running). Default 100000.
	// The database's counter deletes rows once they hold nothing instead.
	MaxEntries int
	// Counter holds the counts; nil: NewMemory (per process). refserver.New sets the
	// database's (store.ThrottleCounter) when other processes can share the database.
	Counter Counter
}

func (c Config) withDefaults() Config {
	if c.AccountFailures <= 0 {
		c.AccountFailures = 20
	}
	if c.AccountCeiling <= 0 {
		c.AccountCeiling = 10 * c.AccountFailures
	}
	if c.GoodFor <= 0 {
		c.GoodFor = 7 * 24 * time.Hour
	}
	if c.AddressFailures <= 0 {
		c.AddressFailures = 100
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = time.Second
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 15 * time.Minute
	}
	if c.MaxDelay < c.BaseDelay {
		c.MaxDelay = c.BaseDelay
	}
	if c.Forgive <= 0 {
		c.Forgive = time.Minute
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 100000
	}
	return c
}

// Refusal describes a throttled check: which limit refused it and for how long.
type Refusal struct {
	Kind    Kind
	Account string
	// Limit is "account" (from this source), "account-total" or "address" (Key.Limit).
	Limit string
	// Failures is the count that reached the threshold.
	Failures   int
	RetryAfter time.Duration
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1 (RFC 9110 10.2.3's
// delay-seconds).
func (r *Refusal) RetryAfterSeconds() int {
	s := int(math.Ceil(r.RetryAfter.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// RetryAfterHeader is the Retry-After header's value.
func (r *Refusal) RetryAfterHeader() string { return strconv.Itoa(r.RetryAfterSeconds()) }

// Error makes a Refusal an error, for callers that return one.
func (r *Refusal) Error() string {
	return "too many failed attempts for this " + r.Limit + ": retry after " + r.RetryAfterHeader() + " s"
}

// Limiter decides, per credential check, whether it may go ahead. The zero value is not
// usable; use NewLimiter. A nil *Limiter allows everything.
type Limiter struct {
	cfg     Config
	now     func() time.Time
	counter Counter
	// OnRefuse, when set, is called for every refused check (the audit log's hook).
	OnRefuse func(ctx context.Context, r *Refusal)
}

// NewLimiter returns a limiter with cfg's thresholds, counting in cfg.Counter (default: in
// this process, NewMemory).
func NewLimiter(cfg Config) *Limiter {
	cfg = cfg.withDefaults()
	c := cfg.Counter
	if c == nil {
		c = NewMemory(cfg)
	}
	return &Limiter{cfg: cfg, now: time.Now, counter: c}
}

// SetClock replaces the clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Counter is the limiter's counter (tests read its size).
func (l *Limiter) Counter() Counter { return l.counter }

// source is the key part of a source address (host:port or host): IPv4 per address, IPv6 per
// /64 (one host usually has a whole /64), "" when it is not an address; loopback reports
// whether it is a loopback address.
func source(remote string) (src string, loopback bool) {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String(), ip.IsLoopback()
	}
	return ip.String(), ip.IsLoopback()
}

// goodName is the good mark of a source that succeeded for an account.
func goodName(kind Kind, account, src string) string {
	return "g\x00" + string(kind) + "\x00" + account + "\x00" + src
}

// keys are the counts a check of account from remote is charged to:
//   - the account from this source (AccountFailures; a verified success clears it), so an
//     outsider's guesses lock out only the outsider;
//   - the account from every source (AccountCeiling, much higher), which sources that
//     succeeded for the account within GoodFor pass, so guessing spread over many addresses
//     is bounded too without locking out the account's own users;
//   - the source address over every account of the kind (AddressFailures), against one address
//     trying many accounts; not for loopback unless ThrottleLoopback.
func (l *Limiter) keys(kind Kind, account, remote string) []Key {
	src, loopback := source(remote)
	ks := []Key{
		{Name: "p\x00" + string(kind) + "\x00" + account + "\x00" + src, Limit: "account",
			Threshold: l.cfg.AccountFailures, ClearOnSuccess: true},
		{Name: "a\x00" + string(kind) + "\x00" + account, Limit: "account-total",
			Threshold: l.cfg.AccountCeiling, UnlessGood: goodName(kind, account, src)},
	}
	if src != "" && (!loopback || l.cfg.ThrottleLoopback) {
		ks = append(ks, Key{Name: "n\x00" + string(kind) + "\x00" + src, Limit: "address", Threshold: l.cfg.AddressFailures})
	}
	return ks
}

// Attempt is a reserved credential check: it counts against the limits from before the
// credential is compared until it is settled with Fail, Succeed or Release (exactly one; later
// calls do nothing). A nil *Attempt (a nil or disabled limiter) settles nothing.
type Attempt struct {
	l       *Limiter
	keys    []Key
	good    string
	settled bool
}

// Reserve asks to check a credential for account (of kind) from remote. Either it returns the
// Attempt, already counted, and the caller compares the credential and settles the attempt;
// or it returns the refusal (and tells OnRefuse), and the caller answers at once without
// comparing anything.
//
// Counting before comparing is what makes guesses sent together count like guesses sent in a
// row: with AccountFailures 20, at most 20 comparisons for one account from one source are
// ever under way or done before the throttle, however many requests arrive at once.
func (l *Limiter) Reserve(ctx context.Context, kind Kind, account, remote string) (*Attempt, *Refusal) {
	if l == nil || l.cfg.Disabled {
		return nil, nil
	}
	ks := l.keys(kind, account, remote)
	src, _ := source(remote)
	applied, ref := l.counter.Reserve(l.now(), ks)
	if ref != nil {
		ref.Kind, ref.Account = kind, account
		if l.OnRefuse != nil {
			l.OnRefuse(ctx, ref)
		}
		return nil, ref
	}
	return &Attempt{l: l, keys: applied, good: goodName(kind, account, src)}, nil
}

// ReserveUnknown is Reserve for an account that does not exist (a made-up client id): it is
// charged to one bucket per kind and source address (AccountFailures), not to the account
// nor to the address's count over all accounts. Guessing made-up ids thus costs the guesser
// like guessing one account, takes no memory per id, and a flood of them through one address
// (a reverse proxy, a NAT) throttles no real account. Only for kinds whose ids are not secret
// (client ids: RFC 6749 2.2, "The client identifier is not a secret"), since a throttled
// bucket tells that an id is unknown. Loopback sources are not counted (unless
// ThrottleLoopback), as for the address's count.
func (l *Limiter) ReserveUnknown(ctx context.Context, kind Kind, account, remote string) (*Attempt, *Refusal) {
	if l == nil || l.cfg.Disabled {
		return nil, nil
	}
	src, loopback := source(remote)
	if loopback && !l.cfg.ThrottleLoopback {
		// As for the address's count: behind a local proxy every client is loopback. A
		// made-up id cannot succeed; what it costs (a bcrypt comparison) the Gate bounds.
		return &Attempt{l: l}, nil
	}
	ks := []Key{{Name: "u\x00" + string(kind) + "\x00" + src, Limit: "unknown-accounts", Threshold: l.cfg.AccountFailures}}
	applied, ref := l.counter.Reserve(l.now(), ks)
	if ref != nil {
		ref.Kind, ref.Account = kind, account
		if l.OnRefuse != nil {
			l.OnRefuse(ctx, ref)
		}
		return nil, ref
	}
	return &Attempt{l: l, keys: applied}, nil
}

func (a *Attempt) settle(o Outcome) {
	if a == nil || a.settled {
		return
	}
	a.settled = true
	now := a.l.now()
	a.l.counter.Settle(now, a.keys, o)
	if o == Succeeded && a.good != "" {
		a.l.counter.MarkGood(now, a.good, now.Add(a.l.cfg.GoodFor))
	}
}

// Fail settles a wrong credential (or an unknown account): a failure on every count.
func (a *Attempt) Fail() { a.settle(Failed) }

// Succeed settles a verified credential: the source's count for the account is cleared (below
// its threshold) and the source is remembered as good for the account.
func (a *Attempt) Succeed() { a.settle(Succeeded) }

// Release undoes the reservation when nothing was decided (the store could not be read).
func (a *Attempt) Release() { a.settle(Released) }

// Remembered records a credential let through without a check (it was verified a moment ago,
// and only its holder can present it): as a verified success, it clears its source's count
// for the account below the threshold, and keeps the source good for the account. Other
// sources' counts stay: an outsider's guesses are not wiped by the holder's use.
func (l *Limiter) Remembered(kind Kind, account, remote string) {
	if l == nil || l.cfg.Disabled {
		return
	}
	src, _ := source(remote)
	now := l.now()
	l.counter.Cleared(now, l.keys(kind, account, remote))
	l.counter.MarkGood(now, goodName(kind, account, src), now.Add(l.cfg.GoodFor))
}
