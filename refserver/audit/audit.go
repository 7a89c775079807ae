// Package audit is the reference server's security audit log: one JSON line per security
// decision (log/slog's JSON handler), written to a file or standard output.
//
// The log must never hold a secret, a password, an authorization code, a PKCE verifier or a
// whole token. The API makes that structurally hard: a Record has only typed fields with a
// fixed meaning (no map of request parameters, no free-form attributes), and a token can only
// be referenced by a Fingerprint, whose value cannot be built from outside this package except
// through FingerprintOf (the first 8 hex digits of SHA-256) or SignaturePrefix.
package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Event names the kind of decision recorded.
type Event string

// The events of the audit log.
const (
	ClientAuthentication Event = "client_authentication"
	Login                Event = "login"
	Approval             Event = "approval"
	TokenIssued          Event = "token_issued"
	TokenRefreshed       Event = "token_refreshed"
	TokenRevoked         Event = "token_revoked"
	TokenIntrospected    Event = "token_introspected"
	ResourceAccess       Event = "resource_access"
	AdminChange          Event = "admin_change"
	// SessionEnded: a user signed out (every login session of theirs ends server-side). Not
	// in Events(): the conformance suite, whose log must show every event, never signs out.
	SessionEnded Event = "session_ended"
	// Throttled is a credential check refused unchecked because its account or its source
	// address failed too often (refserver/throttle): outcome denied, with Limit and
	// RetryAfter, and the account in ClientID, User or Admin.
	Throttled Event = "throttled"
)

// Events lists the event kinds a conformance run produces, for the test that checks its log
// covers them all. SessionEnded and Throttled are left out on purpose: the suite never signs out,
// and it must never trip the throttle (refserver's own tests cover both events).
func Events() []Event {
	return []Event{ClientAuthentication, Login, Approval, TokenIssued, TokenRefreshed, TokenRevoked,
		TokenIntrospected, ResourceAccess, AdminChange}
}

// Outcome is the result of the decision.
type Outcome string

// Outcomes. Each event uses the ones that fit it: client_authentication and login ok/failed;
// approval approved/denied/skipped_trusted; resource_access allowed/denied; token_introspected
// active/inactive; token_issued, token_refreshed, token_revoked, admin_change and session_ended
// ok/failed.
const (
	OK             Outcome = "ok"
	Failed         Outcome = "failed"
	Approved       Outcome = "approved"
	Denied         Outcome = "denied"
	SkippedTrusted Outcome = "skipped_trusted"
	Allowed        Outcome = "allowed"
	Active         Outcome = "active"
	Inactive       Outcome = "inactive"
)

// Fingerprint refers to a token without revealing it. The zero value means "no token".
type Fingerprint struct{ v string }

// FingerprintOf is the first 8 hex digits of the SHA-256 of token: enough to tell the tokens
// of one log apart, far too little to recover or replay one.
func FingerprintOf(token string) Fingerprint {
	if token == "" {
		return Fingerprint{}
	}
	sum := sha256.Sum256([]byte(token))
	return Fingerprint{v: hex.EncodeToString(sum[:4])}
}

// SignaturePrefix refers to a stored token by the first 8 characters of its store signature
// (the admin console's token id), never the whole signature.
func SignaturePrefix(sig string) Fingerprint {
	if sig == "" {
		return Fingerprint{}
	}
	if len(sig) > 8 {
		sig = sig[:8]
	}
	return Fingerprint{v: "sig:" + clean(sig, 8)}
}

// String is the fingerprint as logged.
func (f Fingerprint) String() string { return f.v }

// Record is one audit event. Only what the server decided and about whom: every field has a
// fixed meaning and none holds request input that could carry a credential. Reason is a
// sentence the server wrote (why a decision was made), never a copy of a request parameter.
type Record struct {
	Event   Event
	Outcome Outcome
	// ClientID is the client concerned: the authenticated one, or the id a failed
	// authentication claimed.
	ClientID string
	// User is the resource owner (or, for a client-credentials token, the client's service
	// user); for a failed login, the username that was tried.
	User   string
	Scopes []string
	// GrantType of a token_issued or token_refreshed event.
	GrantType string
	// Token refers to the token concerned.
	Token  Fingerprint
	Reason string
	// Admin, Via ("api" or "console"), Operation (the route) and Target (the object, e.g.
	// "client_id=x") of an admin_change.
	Admin     string
	Via       string
	Operation string
	Target    string
	// Limit ("account", "account-total", "address" or "unknown-accounts": throttle.Key) and
	// RetryAfter of a throttled event.
	Limit      string
	RetryAfter time.Duration
}

// Logger writes audit records as JSON lines. A nil *Logger discards everything, so callers
// need no checks. It is safe for concurrent use: slog's handler writes each record with one
// Write call under a lock.
type Logger struct {
	l *slog.Logger
}

// New returns a logger writing JSON lines to w; a nil w gives a nil Logger, which discards.
func New(w io.Writer) *Logger {
	if w == nil {
		return nil
	}
	// Every line is the same kind of record: slog's level and message say nothing here.
	drop := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
			return slog.Attr{}
		}
		return a
	}
	return &Logger{l: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: drop}))}
}

// Enabled reports whether records are written.
func (l *Logger) Enabled() bool { return l != nil }

// maxField caps every logged string: an attacker-chosen client id or username must not fill
// the log.
const maxField = 200

// Log writes rec, with the request id and remote address of ctx (WithRequest).
func (l *Logger) Log(ctx context.Context, rec Record) {
	if l == nil {
		return
	}
	req, _ := ctx.Value(requestKey{}).(requestInfo)
	scopes := make([]string, 0, len(rec.Scopes))
	for _, s := range rec.Scopes {
		scopes = append(scopes, clean(s, maxField))
	}
	attrs := []slog.Attr{
		slog.String("event", string(rec.Event)),
		slog.String("outcome", string(rec.Outcome)),
		slog.String("client_id", clean(rec.ClientID, maxField)),
		slog.String("user", clean(rec.User, maxField)),
		slog.Any("scopes", scopes),
		slog.String("remote_addr", req.remote),
		slog.String("request_id", req.id),
		slog.String("reason", clean(rec.Reason, 4*maxField)),
	}
	opt := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, clean(v, maxField)))
		}
	}
	opt("grant_type", rec.GrantType)
	opt("token", rec.Token.v)
	opt("admin", rec.Admin)
	opt("via", rec.Via)
	opt("operation", rec.Operation)
	opt("target", rec.Target)
	opt("limit", rec.Limit)
	if rec.RetryAfter > 0 {
		attrs = append(attrs, slog.Int64("retry_after_s", int64((rec.RetryAfter+time.Second-1)/time.Second)))
	}
	// The context is not passed on: a cancelled request must still be recorded.
	l.l.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "audit", attrs...)
}

// clean caps s at max bytes (on a rune boundary) and drops control characters and invalid
// UTF-8, so a hostile value can neither forge lines nor bloat the log.
func clean(s string, max int) string {
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

type requestKey struct{}

type requestInfo struct{ id, remote string }

// WithRequest returns ctx carrying the request id and remote address that every record logged
// with it gets.
func WithRequest(ctx context.Context, requestID, remoteAddr string) context.Context {
	return context.WithValue(ctx, requestKey{}, requestInfo{id: requestID, remote: clean(remoteAddr, maxField)})
}

// RequestID is the request id WithRequest put in ctx, or "".
func RequestID(ctx context.Context) string {
	req, _ := ctx.Value(requestKey{}).(requestInfo)
	return req.id
}

// RemoteAddr is the remote address WithRequest put in ctx, or "".
func RemoteAddr(ctx context.Context) string {
	req, _ := ctx.Value(requestKey{}).(requestInfo)
	return req.remote
}

// NewRequestID returns a fresh random request id (16 hex digits).
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
