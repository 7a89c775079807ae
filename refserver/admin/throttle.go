package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// Guessing administrators' passwords is throttled like the server's other credentials
// (refserver/throttle): per administrator name and per source address, with growing delays. A
// throttled attempt is answered at once with 429 and Retry-After, unchecked. Credentials
// verified a moment ago (h.verified) pass even then, so guessing cannot lock out an
// administrator who is already using the API.

// remote is the request's source address (the server puts it in the context for the audit
// log).
func remote(ctx context.Context) string { return audit.RemoteAddr(ctx) }

// reserve counts a check of username's password before it is compared (so concurrent guesses
// are counted like sequential ones), or returns the refusal of a throttled one.
func (h *handler) reserve(ctx context.Context, username string) (*throttle.Attempt, *throttle.Refusal) {
	return h.cfg.Limiter.Reserve(ctx, throttle.Admin, username, remote(ctx))
}

// gatedCompare is h.compare through the bcrypt gate.
func (h *handler) gatedCompare(ctx context.Context, hash, password []byte) error {
	return h.cfg.Gate.Do(ctx, func() error { return h.compare(hash, password) })
}

// checkFailed answers a credential check that could not decide: throttled (429 with
// Retry-After) or a store error.
func (h *handler) checkFailed(w http.ResponseWriter, r *http.Request, via, user string, err error) {
	if errors.Is(err, throttle.ErrBusy) {
		w.Header().Set("Retry-After", "1")
		msg := "The server is busy: try again in a moment."
		if via == "api" {
			writeError(w, http.StatusServiceUnavailable, "busy", msg, nil)
		} else {
			h.renderLogin(w, r, http.StatusServiceUnavailable, msg)
		}
		h.report(r.Context(), r, via, user, http.StatusServiceUnavailable)
		return
	}
	var ref *throttle.Refusal
	if !errors.As(err, &ref) {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Retry-After", ref.RetryAfterHeader())
	msg := "Too many failed sign-ins. Try again in " + strconv.Itoa(ref.RetryAfterSeconds()) + " seconds."
	if via == "api" {
		writeError(w, http.StatusTooManyRequests, "too_many_attempts", msg, nil)
	} else {
		h.renderLogin(w, r, http.StatusTooManyRequests, msg)
	}
	h.report(r.Context(), r, via, user, http.StatusTooManyRequests)
}
