// Package throttle protects the reference server's credential checks against guessing: client
// secrets at the token, introspection and revocation endpoints, resource-owner passwords (the
// password grant and the login page) and the administrator's password.
//
// RFC 6749 2.3.1: "the authorization server MUST protect any endpoint utilizing it against
// brute force attacks"; 4.3.2: "the authorization server MUST protect the endpoint against brute
// force attacks (e.g., using rate-limitation or generating alerts)".
//
// Two defences:
//   - A Limiter counts failed checks per account (a client id, a username, an administrator)
//     and per source address, and after a threshold refuses further checks for a growing delay.
//     A refused check is answered at once, with the delay as Retry-After: the server never
//     sleeps on a request, so holding connections open costs an attacker, not the server.
//   - A Gate caps the bcrypt comparisons running at once, so guesses queue behind each other
//     instead of taking every core from the requests that need none (a remembered secret, an
//     introspection, a resource access).
//
// The thresholds are chosen so that honest use, and a conformance run with its deliberate
// wrong secrets and passwords, never trips them: an account is throttled only after
// AccountFailures failures without a success in between (a success clears the account's count),
// and an address only after AddressFailures. Loopback addresses are not throttled as addresses
// (see Config.ThrottleLoopback): a local reverse proxy makes every client look like 127.0.0.1.
package throttle

import (
	"context"
	"math"
	"net"
	"net/netip"
	"strconv"
	"sync"
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
	// AccountFailures is how many failed checks in a row an account takes before it is
	// throttled. Default 20: well above what a person mistyping or a conformance run's
	// negative scenarios produce, far below what guessing needs.
	AccountFailures int
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
	// MaxEntries bounds the memory used; when full, the entries that are not throttled are
	// dropped first. Default 100000.
	MaxEntries int
}

func (c Config) withDefaults() Config {
	if c.AccountFailures <= 0 {
		c.AccountFailures = 20
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
	// Limit is "account" or "address".
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

type entry struct {
	failures int
	last     time.Time // last failure
	until    time.Time // throttled until
}

// Limiter counts failures and decides. The zero value is not usable; use NewLimiter. A nil
// *Limiter allows everything.
type Limiter struct {
	cfg Config
	now func() time.Time
	// OnRefuse, when set, is called for every refused check (the audit log's hook).
	OnRefuse func(ctx context.Context, r *Refusal)

	mu      sync.Mutex
	entries map[string]*entry
}

// NewLimiter returns a limiter with cfg's thresholds.
func NewLimiter(cfg Config) *Limiter {
	return &Limiter{cfg: cfg.withDefaults(), now: time.Now, entries: map[string]*entry{}}
}

// SetClock replaces the clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

func accountKey(kind Kind, account string) string { return "a\x00" + string(kind) + "\x00" + account }

// addressKey is the key of a source address (host:port or host), or "" when it is not
// counted: IPv4 per address, IPv6 per /64 (one host usually has a whole /64).
func (l *Limiter) addressKey(kind Kind, remote string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	ip = ip.Unmap()
	if ip.IsLoopback() && !l.cfg.ThrottleLoopback {
		return ""
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "n\x00" + string(kind) + "\x00" + p.String()
	}
	return "n\x00" + string(kind) + "\x00" + ip.String()
}

// decayed applies Forgive to e as of now.
func (l *Limiter) decayed(e *entry, now time.Time) {
	if e.failures == 0 || !now.After(e.last) {
		return
	}
	n := int(now.Sub(e.last) / l.cfg.Forgive)
	if n <= 0 {
		return
	}
	e.failures -= n
	e.last = e.last.Add(time.Duration(n) * l.cfg.Forgive)
	if e.failures < 0 {
		e.failures = 0
	}
}

// Check reports whether a credential check for account (of kind) from remote may go ahead.
// When it may not, it returns the refusal (and tells OnRefuse); the caller answers at once
// without checking the credential.
func (l *Limiter) Check(ctx context.Context, kind Kind, account, remote string) *Refusal {
	if l == nil || l.cfg.Disabled {
		return nil
	}
	now := l.now()
	var ref *Refusal
	l.mu.Lock()
	for _, k := range [2]struct{ key, limit string }{{accountKey(kind, account), "account"}, {l.addressKey(kind, remote), "address"}} {
		if k.key == "" {
			continue
		}
		e := l.entries[k.key]
		if e == nil || !now.Before(e.until) {
			continue
		}
		if wait := e.until.Sub(now); ref == nil || wait > ref.RetryAfter {
			ref = &Refusal{Kind: kind, Account: account, Limit: k.limit, Failures: e.failures, RetryAfter: wait}
		}
	}
	l.mu.Unlock()
	if ref != nil && l.OnRefuse != nil {
		l.OnRefuse(ctx, ref)
	}
	return ref
}

// Fail records a failed check.
func (l *Limiter) Fail(kind Kind, account, remote string) {
	if l == nil || l.cfg.Disabled {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail(accountKey(kind, account), l.cfg.AccountFailures, now)
	if k := l.addressKey(kind, remote); k != "" {
		l.fail(k, l.cfg.AddressFailures, now)
	}
}

func (l *Limiter) fail(key string, threshold int, now time.Time) {
	e := l.entries[key]
	if e == nil {
		if len(l.entries) >= l.cfg.MaxEntries {
			l.prune(now)
		}
		e = &entry{}
		l.entries[key] = e
	}
	l.decayed(e, now)
	e.failures++
	e.last = now
	if e.failures >= threshold {
		// The delay doubles with every failure past the threshold: 1s, 2s, 4s, ... MaxDelay.
		d := l.cfg.MaxDelay
		if shift := e.failures - threshold; shift < 30 {
			if g := l.cfg.BaseDelay << shift; g > 0 && g < d {
				d = g
			}
		}
		if u := now.Add(d); u.After(e.until) {
			e.until = u
		}
	}
}

// prune makes room: first the entries that are not throttled, then, if none, everything.
func (l *Limiter) prune(now time.Time) {
	for k, e := range l.entries {
		if !now.Before(e.until) {
			delete(l.entries, k)
		}
	}
	if len(l.entries) >= l.cfg.MaxEntries {
		clear(l.entries)
	}
}

// Succeed records a successful check: below the threshold the account's count is cleared
// (only someone who holds the credential can succeed), so mistakes of its holder never add
// up. Once the account has reached the threshold it is under attack, and a success (say, a
// client whose remembered secret is let through while it is throttled) does not clear it:
// only time does (Forgive). The address's count is never cleared by a success: an attacker
// with one account of their own must not be able to clear the count of the address they
// guess others' from.
func (l *Limiter) Succeed(kind Kind, account string) {
	if l == nil || l.cfg.Disabled {
		return
	}
	key := accountKey(kind, account)
	l.mu.Lock()
	if e := l.entries[key]; e != nil {
		l.decayed(e, l.now())
		if e.failures < l.cfg.AccountFailures {
			delete(l.entries, key)
		}
	}
	l.mu.Unlock()
}
