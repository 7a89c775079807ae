package refserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// The resource owner's login session is an HMAC-signed cookie: it holds the username, when
// the owner logged in, when the session ends, the user's session version at sign-in, and a
// random nonce that CSRF tokens of the approval form are bound to. A key derived from
// cfg.GlobalSecret signs it, so a session survives a restart of the server (given the same
// secret). It is checked against the store on every use: the user must still exist and be
// enabled, and the session version must still be the user's current one (store
// session_versions), so a sign-out, a password change or disabling the user ends every
// session of that user at once, server-side, although the cookie itself stays well signed.

const (
	sessionCookieBase = "refserver_session"
	// pendingTTL bounds how long a pending authorization request may wait in a login or
	// approval form before the owner has to start again.
	pendingTTL = 30 * time.Minute
)

// Purposes of the derived keys: one key per use, so a value signed for one use is never
// accepted for another.
const (
	keySession = "login-session"
	keyPending = "pending-authorization"
	keyCSRF    = "csrf"
)

// loginSession is the content of the session cookie.
type loginSession struct {
	Username string `json:"u"`
	AuthTime int64  `json:"t"` // unix seconds
	Expires  int64  `json:"e"` // unix seconds
	Nonce    string `json:"n"`
	// Version is the user's session version at sign-in (store.SessionVersion).
	Version int64 `json:"v"`
}

// cookieName is the name of one of the owner's cookies. With SecureCookies (TLS, or a
// TLS-terminating proxy in front) it carries the __Host- prefix: browsers then accept it only
// when Secure, host-only and for Path=/, so neither a sibling subdomain nor a plain-HTTP
// response can plant or overwrite it (RFC 6265bis 4.1.3.2).
func (s *Server) cookieName(base string) string {
	if s.cfg.SecureCookies {
		return "__Host-" + base
	}
	return base
}

// derivedKey derives a per-purpose key from the global secret (HMAC-SHA256 as a PRF).
func (s *Server) derivedKey(purpose string) []byte {
	m := hmac.New(sha256.New, s.cfg.GlobalSecret)
	m.Write([]byte("oauthconf refserver v1 " + purpose))
	return m.Sum(nil)
}

func (s *Server) mac(purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, s.derivedKey(purpose))
	for _, p := range parts {
		// Length-prefix each part so ("ab","c") and ("a","bc") differ.
		var n [8]byte
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// seal returns payload and its MAC as "base64url(payload).base64url(mac)".
func (s *Server) seal(purpose string, payload []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.mac(purpose, string(payload)))
}

// open checks a value made by seal and returns its payload.
func (s *Server) open(purpose, sealed string) ([]byte, error) {
	p, m, ok := strings.Cut(sealed, ".")
	if !ok {
		return nil, errors.New("malformed sealed value")
	}
	enc := base64.RawURLEncoding
	payload, err := enc.DecodeString(p)
	if err != nil {
		return nil, errors.New("malformed sealed value")
	}
	got, err := enc.DecodeString(m)
	if err != nil || !hmac.Equal(got, s.mac(purpose, string(payload))) {
		return nil, errors.New("bad signature")
	}
	return payload, nil
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// startSession sets the login session cookie for username, bound to the user's current
// session version.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, username string, now time.Time) (loginSession, error) {
	v, err := s.store.SessionVersion(r.Context(), store.UserSessionPrincipal(username))
	if err != nil {
		return loginSession{}, err
	}
	ls := loginSession{
		Username: username,
		AuthTime: now.Unix(),
		Expires:  now.Add(s.cfg.LoginSessionTTL).Unix(),
		Nonce:    randomToken(),
		Version:  v,
	}
	payload, _ := json.Marshal(ls) // a struct of strings and ints always marshals
	c := &http.Cookie{
		Name:     s.cookieName(sessionCookieBase),
		Value:    s.seal(keySession, payload),
		Path:     "/",
		MaxAge:   int(s.cfg.LoginSessionTTL / time.Second),
		HttpOnly: true,
		Secure:   s.cfg.SecureCookies,
		// Lax: the cookie comes along on the top-level navigation from the client to the
		// authorization endpoint, but not on cross-site POSTs.
		SameSite: http.SameSiteLaxMode,
	}
	if s.quirks.Has(QuirkConsentCSRFUnchecked) {
		// The cookie of an identity provider embedded across sites (Chromium takes Secure
		// cookies from loopback over http).
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
	return ls, nil
}

// clearSession removes the login session cookie from the browser (the server-side end is
// the session version, see endSession).
func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(sessionCookieBase), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// currentSession returns the owner's login session if the request carries a valid,
// unexpired one whose user still exists and is enabled, and whose session version is still
// the user's current one.
func (s *Server) currentSession(r *http.Request, now time.Time) (loginSession, bool) {
	c, err := r.Cookie(s.cookieName(sessionCookieBase))
	if err != nil || len(c.Value) > 4096 {
		return loginSession{}, false
	}
	payload, err := s.open(keySession, c.Value)
	if err != nil {
		return loginSession{}, false
	}
	var ls loginSession
	if err := json.Unmarshal(payload, &ls); err != nil || ls.Username == "" || ls.Nonce == "" {
		return loginSession{}, false
	}
	if now.Unix() >= ls.Expires {
		return loginSession{}, false
	}
	u, err := s.store.GetUser(r.Context(), ls.Username)
	if err != nil || u == nil || !u.Enabled {
		return loginSession{}, false
	}
	v, err := s.store.SessionVersion(r.Context(), store.UserSessionPrincipal(ls.Username))
	if err != nil || v != ls.Version {
		return loginSession{}, false
	}
	return ls, true
}

// sessionStore is what a login session is checked against: the user and its session version.
type sessionStore interface {
	GetUser(ctx context.Context, username string) (*store.User, error)
	SessionVersion(ctx context.Context, principal string) (int64, error)
}

var _ sessionStore = (*store.Store)(nil)
