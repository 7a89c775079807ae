package refserver

import (
	"context"

	"github.com/oauthconf/oauthconf/refserver/store"
	"net/http"
	"net/url"
	"time"
)

// The resource owner's sign-out. GET shows a confirmation form (a link can point here from
// any page); POST, with the login form's CSRF token so that no other site can sign the owner
// out, ends every login session of the user server-side (store.EndUserSessions: the session
// version moves on, so a copy of the cookie kept elsewhere stops working too) and clears the
// cookie. Tokens the owner approved for clients stay valid: signing out of the server's pages
// ends the browser session, not the grants (those end by revocation, a password change, or
// an administrator disabling the user).

// PathLogout is the sign-out page.
const PathLogout = "/logout"

type logoutView struct {
	Action   string
	CSRF     string
	Username string // empty: not signed in
	Done     bool
	// PostLogout is QuirkLogoutOpenRedirect's return address, carried by the form.
	PostLogout string
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	switch r.Method {
	case http.MethodGet:
		v := logoutView{Action: s.issuer.Path + PathLogout, CSRF: s.loginCSRFToken(w, r)}
		if ls, ok := s.currentSession(r, now); ok {
			v.Username = ls.Username
		}
		if s.quirks.Has(QuirkLogoutOpenRedirect) {
			v.PostLogout = r.URL.Query().Get("post_logout_redirect_uri")
		}
		s.renderPage(w, http.StatusOK, "signout", "Sign out", "Sign out", v)
	case http.MethodPost:
		body, fail := readFormBody(w, r, maxLoginFormBytes)
		if fail != nil {
			s.renderError(w, fail.status, errorPage{Message: fail.desc})
			return
		}
		form, err := url.ParseQuery(body)
		if err != nil || !s.checkLoginCSRF(r, form.Get("csrf_token")) {
			s.renderError(w, http.StatusForbidden, errorPage{
				Message: "The sign-out form is missing its security token or it has expired.",
				Detail:  "Open the sign-out page again. Cookies must be enabled.",
			})
			return
		}
		if ls, ok := s.currentSession(r, now); ok {
			if err := s.store.EndUserSessions(r.Context(), ls.Username); err != nil {
				s.renderError(w, http.StatusServiceUnavailable, errorPage{Message: "The sign-out could not be completed: try again in a moment."})
				return
			}
			s.auditLogout(r, ls.Username)
		}
		s.clearSession(w)
		if to := form.Get("post_logout_redirect_uri"); to != "" && s.quirks.Has(QuirkLogoutOpenRedirect) {
			http.Redirect(w, r, to, http.StatusSeeOther) // the open redirector: wherever it points
			return
		}
		s.renderPage(w, http.StatusOK, "signout", "Signed out", "Signed out", logoutView{Done: true})
	default:
		s.methodNotAllowed(w, r, "GET, POST")
	}
}

// logoutStore ends a user's sessions.
type logoutStore interface {
	EndUserSessions(ctx context.Context, username string) error
}

var _ logoutStore = (*store.Store)(nil)
