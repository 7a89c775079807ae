package refserver

import (
	"crypto/hmac"
	"encoding/base64"
	"net/http"
)

// CSRF protection of the owner's forms (RFC 6749 10.12: the authorization server MUST
// implement CSRF protection for its authorization endpoint).
//
//   - Login form: there is no session yet, so the token is bound to a random value in a
//     separate HttpOnly cookie (a signed double-submit cookie). A cross-site page can neither
//     read the cookie nor compute the token, so it cannot log the owner in as someone else.
//   - Approval form: the token is bound to the login session's nonce and to the pending
//     authorization request, so a token works only for this owner, this session and this
//     request.

const loginCSRFCookieBase = "refserver_csrf"

// loginCSRFToken returns the login form's token, setting the binding cookie if the request
// has none.
func (s *Server) loginCSRFToken(w http.ResponseWriter, r *http.Request) string {
	binding := ""
	if c, err := r.Cookie(s.cookieName(loginCSRFCookieBase)); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		binding = c.Value
	} else {
		binding = randomToken()
		http.SetCookie(w, &http.Cookie{
			Name:     s.cookieName(loginCSRFCookieBase),
			Value:    binding,
			Path:     "/",
			HttpOnly: true,
			Secure:   s.cfg.SecureCookies,
			SameSite: http.SameSiteLaxMode,
		})
	}
	return base64.RawURLEncoding.EncodeToString(s.mac(keyCSRF, "login", binding))
}

// rotateLoginBinding gives the browser a new login binding cookie at sign-in (issue 16 item
// 7): a binding someone else planted or learned before the sign-in (a cookie set from a
// sibling host, a shared computer) stops matching any form token from then on.
func (s *Server) rotateLoginBinding(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(loginCSRFCookieBase),
		Value:    randomToken(),
		Path:     "/",
		HttpOnly: true,
		Secure:   s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// checkLoginCSRF reports whether token matches the request's binding cookie.
func (s *Server) checkLoginCSRF(r *http.Request, token string) bool {
	c, err := r.Cookie(s.cookieName(loginCSRFCookieBase))
	if err != nil || c.Value == "" {
		return false
	}
	return s.checkToken(token, "login", c.Value)
}

// consentCSRFToken is the approval form's token for this session and pending request.
func (s *Server) consentCSRFToken(ls loginSession, pending string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(keyCSRF, "consent", ls.Nonce, pending))
}

func (s *Server) checkConsentCSRF(ls loginSession, pending, token string) bool {
	return s.checkToken(token, "consent", ls.Nonce, pending)
}

func (s *Server) checkToken(token string, parts ...string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || token == "" {
		return false
	}
	return hmac.Equal(got, s.mac(keyCSRF, parts...))
}
