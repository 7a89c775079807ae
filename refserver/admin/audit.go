package admin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Change describes one administrative action, for the security audit log: who did what to
// which record, and whether it succeeded. It never holds a request body (secrets and
// passwords travel there) or a token.
type Change struct {
	// Admin is the administrator who acted; for a failed sign-in, the name that was tried
	// when it is an administrator's, else "unknown:" and a keyed fingerprint of it.
	Admin string
	// Via is "api" or "console".
	Via string
	// Operation is the route, e.g. "POST /admin/api/clients/{id}/secret" or "POST /admin/login".
	Operation string
	// Target holds the route's path values (id, name, username, kind, client_id, action).
	Target map[string]string
	// Status is the HTTP status of the answer; OK reports a status below 400.
	Status int
	OK     bool
	// Remote is the client's network address (r.RemoteAddr).
	Remote string
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

var targetKeys = []string{"id", "name", "username", "kind", "client_id", "action"}

// audited runs next and reports the change to cfg.OnChange when the request could change
// something (any method but GET and HEAD).
func (h *handler) audited(w http.ResponseWriter, r *http.Request, via, admin string, next func(w http.ResponseWriter, r *http.Request)) {
	if h.cfg.OnChange == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		next(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	next(rec, r)
	h.report(r.Context(), r, via, admin, rec.status)
}

func (h *handler) report(ctx context.Context, r *http.Request, via, admin string, status int) {
	if h.cfg.OnChange == nil {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	target := map[string]string{}
	for _, k := range targetKeys {
		if v := r.PathValue(k); v != "" {
			target[k] = v
		}
	}
	op := r.Pattern
	if op == "" || !strings.Contains(op, " ") {
		op = r.Method + " " + r.URL.Path
	}
	if status == http.StatusUnauthorized && admin != "" && !h.adminExists(ctx, admin) {
		admin = h.unknownName(admin)
	}
	h.cfg.OnChange(ctx, Change{Admin: admin, Via: via, Operation: op, Target: target, Status: status, OK: status < 400, Remote: r.RemoteAddr})
}

// unknownName is what the audit log shows for a failed sign-in as a name that is no
// administrator's: not the name as typed (people type their password into the username
// field, and the log must never hold a password), but "unknown:" and a keyed fingerprint
// (HMAC under the session key, first 12 hex digits), so repeated guesses of one name can
// still be told apart without revealing it, even to someone who reads the log and tries a
// dictionary. A name that exists is logged as it is: it is an account name, not a secret.
func (h *handler) unknownName(name string) string {
	m := hmac.New(sha256.New, h.cfg.SessionKey)
	m.Write([]byte("audit-unknown-username\x00" + name))
	return "unknown:" + hex.EncodeToString(m.Sum(nil))[:12]
}
