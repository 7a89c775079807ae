package refserver

import (
	"net/http"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Helpers of the authorization-endpoint hygiene quirks (quirks.go): each reproduces a deviation
// seen in real servers, for the self-test only.

// quirkAnswerCORS (QuirkAuthorizeCORS) does what a global CORS filter in front of every
// endpoint does: it lets any origin read the authorization endpoint's answers, with
// credentials, and answers a preflight itself. It reports whether the request was answered.
func quirkAnswerCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// loginRedirectStatus is the status answering a successful login form POST: 303, which makes
// the browser switch to GET (RFC 9700 4.12: "the authorization server SHOULD use HTTP status
// code 303 (See Other)"), unless a quirk picks the deviation.
func (s *Server) loginRedirectStatus() int {
	switch {
	case s.quirks.Has(QuirkLoginRedirect307):
		return http.StatusTemporaryRedirect
	case s.quirks.Has(QuirkLoginRedirect302):
		return http.StatusFound
	}
	return http.StatusSeeOther
}

// quirkLongLived gives a public client's access tokens a day of life under
// QuirkLongLivedBrowserTokens, as on servers with one lifetime for every client.
func (s *Server) quirkLongLived(c *store.Client) *store.Client {
	if c == nil || !c.Public || !s.quirks.Has(QuirkLongLivedBrowserTokens) {
		return c
	}
	long := *c
	long.AccessTokenTTL = 24 * time.Hour
	return &long
}
