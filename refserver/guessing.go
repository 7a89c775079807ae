package refserver

// Defences against guessing (refserver/throttle): which limiter and bcrypt gate the server
// uses, how a throttled check is answered at each place, and its audit record.
//
// RFC 6749 2.3.1 (client passwords) and 4.3.2 (resource owner passwords): the authorization
// server "MUST protect the endpoint against brute force attacks (e.g., using rate-limitation
// or generating alerts)". A throttled check is answered at once with the error the RFC gives
// for a failed one, plus Retry-After; the server never sleeps on a request.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// dummyClientSecretHash is a bcrypt hash (cost 10) of a random string no client has, compared
// against for unknown client ids.
const dummyClientSecretHash = "$2a$10$X9HhOvPuWtcu1y3OVYdcde1lTqLs/aYE32kZ8WAp4oTpFhYHBW3ea"

// throttleStore is what the guessing defences need of the store: whether other processes
// can open the database, and its counter.
type throttleStore interface {
	Shareable() bool
	ThrottleCounter(cfg throttle.Config) *store.ThrottleCounter
}

var _ throttleStore = (*store.Store)(nil)

// newGuessingDefences counts in the database whenever another process can serve from it (a
// SQLite file, PostgreSQL): replicas behind one address then give an attacker the budget of
// one server, not N times it, and a restart does not reset an attacker's count. For a SQLite
// file this costs one short write transaction per bcrypt comparison (itself ~50 ms of CPU),
// and the remembered-credential path (every token request of a known client) only reads.
// An in-memory database counts in the process (throttle.Memory): nothing else can share it.
func newGuessingDefences(cfg Config, st throttleStore) (*throttle.Limiter, *throttle.Gate) {
	var gate *throttle.Gate
	if cfg.BcryptConcurrency >= 0 {
		gate = throttle.NewGateQueue(cfg.BcryptConcurrency, cfg.BcryptQueue)
	}
	tc := cfg.Throttle
	if tc.Counter == nil && !tc.Disabled && st.Shareable() {
		tc.Counter = st.ThrottleCounter(tc)
	}
	return throttle.NewLimiter(tc), gate
}

// dummyHashForCost is a hash at cost for the unknown-client comparison: the fixed one at 10,
// else one made now (a configured cost above 10 makes every comparison that much slower, the
// dummy included).
func dummyHashForCost(cost int) []byte {
	if cost <= 10 {
		return []byte(dummyClientSecretHash)
	}
	h, err := bcrypt.GenerateFromPassword([]byte("oauthconf: no client has this secret"), cost)
	if err != nil {
		return []byte(dummyClientSecretHash)
	}
	return h
}

// throttledClient is the answer to a throttled client authentication: RFC 6749 5.2
// invalid_client ("Client authentication failed"), 401 with the Basic challenge, and
// Retry-After.
func throttledClient(ref *throttle.Refusal) *oauthError {
	e := invalidClient("too many failed client authentications: retry after " + ref.RetryAfterHeader() + " seconds")
	e.RetryAfter = ref.RetryAfterHeader()
	return e
}

// throttledPassword is the answer to a throttled password grant: RFC 6749 5.2 invalid_grant
// (the resource owner credentials are not accepted), 400, and Retry-After.
func throttledPassword(ref *throttle.Refusal) *oauthError {
	e := newOAuthError(errInvalidGrant, "too many failed sign-ins for this user: retry after "+ref.RetryAfterHeader()+" seconds")
	e.RetryAfter = ref.RetryAfterHeader()
	return e
}

// gateBusy answers a credential check refused by the bcrypt gate's full queue
// (throttle.ErrBusy): nothing was checked nor counted, and it may be repeated, which is what
// 503 with Retry-After says (RFC 9110 15.6.4); temporarily_unavailable is RFC 6749 4.1.2.1's
// name for it.
func gateBusy() *oauthError {
	return &oauthError{Code: errTemporarilyUnavailable, Description: "too many credential checks waiting: retry in a moment",
		Status: http.StatusServiceUnavailable, RetryAfter: "1"}
}

// renderThrottledLogin answers a throttled login page: an error page (429, Retry-After).
func (s *Server) renderThrottledLogin(w http.ResponseWriter, ref *throttle.Refusal) {
	w.Header().Set("Retry-After", ref.RetryAfterHeader())
	s.renderError(w, http.StatusTooManyRequests, errorPage{
		Message: "Too many failed sign-ins. Try again in " + strconv.Itoa(ref.RetryAfterSeconds()) + " seconds.",
	})
}

// checkOwnerPassword is the login page's credential check, throttled: ok or not, or the
// refusal of a throttled check, or throttle.ErrBusy (both answered without checking). A password remembered
// as right passes unthrottled, as a client's secret does (clientauth.go). The attempt is
// counted before the comparison, so concurrent guesses are counted like sequential ones.
func (s *Server) checkOwnerPassword(r *http.Request, username, password string) (bool, *throttle.Refusal, error) {
	if s.owners.remembered(r.Context(), username, password) {
		s.limiter.Remembered(throttle.User, username, r.RemoteAddr)
		return true, nil, nil
	}
	done, err := s.gate.Admit()
	if err != nil {
		return false, nil, err
	}
	defer done()
	attempt, ref := s.limiter.Reserve(r.Context(), throttle.User, username, r.RemoteAddr)
	if ref != nil {
		return false, ref, nil
	}
	u, err := s.owners.check(r.Context(), username, password)
	switch {
	case err != nil:
		attempt.Release() // the store could not be read: nothing was decided
		return false, nil, nil
	case u == nil:
		attempt.Fail()
		return false, nil, nil
	}
	attempt.Succeed()
	return true, nil, nil
}

// Authenticate is the password grant's check of the resource owner's credentials: the login
// page's (ownerPasswords), so that both share the gate and the remembered successes. A wrong
// credential is fosite.ErrNotFound, which fosite answers with invalid_grant (RFC 6749 5.2).
func (f fositeStorage) Authenticate(ctx context.Context, name, secret string) (string, error) {
	u, err := f.owners.check(ctx, name, secret)
	if err != nil {
		return "", err
	}
	if u == nil {
		return "", fosite.ErrNotFound
	}
	return u.Username, nil
}

// reservePasswordGrant counts a password grant's check of the owner's credentials before
// fosite makes it (RFC 6749 4.3.2: "the authorization server MUST protect the endpoint
// against brute force attacks"). A password remembered as right is let through uncounted (nil
// attempt and refusal), as at the login page.
func (s *Server) reservePasswordGrant(r *http.Request, form url.Values) (*throttle.Attempt, *throttle.Refusal) {
	username, password := form.Get("username"), form.Get("password")
	if s.owners.remembered(r.Context(), username, password) {
		s.limiter.Remembered(throttle.User, username, r.RemoteAddr)
		return nil, nil
	}
	return s.limiter.Reserve(r.Context(), throttle.User, username, r.RemoteAddr)
}

// passwordGrantOutcome settles the attempt with how fosite's check of the owner's credentials
// went (err is NewAccessRequest's): invalid_grant is the only answer a wrong username or
// password gets from the password grant; any other error decided nothing about them.
func passwordGrantOutcome(attempt *throttle.Attempt, err error) {
	switch {
	case err == nil:
		attempt.Succeed()
	case fosite.ErrorToRFC6749Error(err).ErrorField == fosite.ErrInvalidGrant.ErrorField:
		attempt.Fail()
	default:
		attempt.Release()
	}
}

// throttledWindow is how often the audit log records the refusals of one account and limit:
// the first refusal of a window is logged, the rest are counted and the count is logged with
// the next window's first, so a flood writes one line per account and minute (issue 16 item
// 7: 8.7 MB in 15 s before).
const throttledWindow = time.Minute

// maxThrottledWindows bounds the memory of the windows; when full they are forgotten (a few
// more lines, never fewer).
const maxThrottledWindows = 10000

// throttledLog holds, per account and limit, the current window and the refusals not logged.
type throttledLog struct {
	mu      sync.Mutex
	windows map[string]*throttledEntry
	now     func() time.Time // nil: time.Now (tests set it)
}

type throttledEntry struct {
	start      time.Time
	suppressed int
}

// admit reports whether a refusal of key at now starts a window (log it) and how many
// refusals of key the previous window did not log.
func (t *throttledLog) admit(key string, now time.Time) (log bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.windows == nil || len(t.windows) >= maxThrottledWindows {
		t.windows = map[string]*throttledEntry{}
	}
	e := t.windows[key]
	if e == nil || now.Sub(e.start) >= throttledWindow {
		n := 0
		if e != nil {
			n = e.suppressed
		}
		t.windows[key] = &throttledEntry{start: now}
		return true, n
	}
	e.suppressed++
	return false, 0
}

// auditThrottled records a refused check (the limiter's OnRefuse), at most once per account,
// limit and minute with the count of the refusals not recorded. Never the credential.
func (s *Server) auditThrottled(ctx context.Context, ref *throttle.Refusal) {
	if !s.cfg.Audit.Enabled() {
		return
	}
	now := time.Now
	if s.throttledLog.now != nil {
		now = s.throttledLog.now
	}
	log, suppressed := s.throttledLog.admit(string(ref.Kind)+"\x00"+ref.Account+"\x00"+ref.Limit, now())
	if !log {
		return
	}
	reason := string(ref.Kind) + " credential check refused unchecked: " + strconv.Itoa(ref.Failures) +
		" failed checks for this " + ref.Limit
	if suppressed > 0 {
		reason += "; " + strconv.Itoa(suppressed) + " more refused in the minute before, not logged one by one"
	}
	rec := audit.Record{Event: audit.Throttled, Outcome: audit.Denied, Limit: ref.Limit, RetryAfter: ref.RetryAfter,
		Reason: reason}
	// A name that is no account's may be a secret typed in the wrong field: fingerprinted.
	switch ref.Kind {
	case throttle.Client:
		rec.ClientID = s.auditClientID(ctx, ref.Account)
	case throttle.User:
		rec.User = s.auditUsername(ctx, ref.Account)
	case throttle.Admin:
		rec.Admin = s.auditAdminName(ctx, ref.Account)
	}
	s.audit(ctx, rec)
}
