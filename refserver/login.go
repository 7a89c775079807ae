package refserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// The resource owner's login page. GET renders it, POST checks the credentials. The form
// carries the pending authorization request (signed) and, after a successful login, brings
// the owner back to the authorization endpoint, which validates the request again.

const (
	maxLoginFormBytes = 4 * maxAuthorizeRequestBytes
	maxCredentialLen  = 256
	// loginFailed is the one message for every failed login, so the page does not tell
	// which usernames exist.
	loginFailed = "The username or password is not correct."
)

type loginView struct {
	Action     string
	CSRF       string
	Pending    string
	Username   string
	ClientName string
	Error      string
	// ReturnTo is QuirkLoginOpenReturnTo's return address, carried by the form.
	ReturnTo string
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.loginGet(w, r)
	case http.MethodPost:
		s.loginPost(w, r)
	default:
		s.methodNotAllowed(w, r, "GET, POST")
	}
}

func (s *Server) loginGet(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	sealed := ""
	msg := ""
	var params url.Values
	if v := r.URL.Query()["authz"]; len(v) > 0 {
		var ok bool
		if params, ok = s.openPending(v[0], now); ok {
			sealed = v[0]
		} else {
			msg = "This sign-in request has expired or is not valid. Return to the application and start again."
		}
	}
	if rt := r.URL.Query().Get("return_to"); rt != "" && s.quirks.Has(QuirkLoginOpenReturnTo) {
		if _, ok := s.currentSession(r, now); ok {
			http.Redirect(w, r, rt, http.StatusSeeOther) // the open redirector: wherever it points
			return
		}
	}
	if _, ok := s.currentSession(r, now); ok && sealed != "" {
		// Already logged in: straight back to the authorization endpoint.
		s.backToAuthorize(w, r, params)
		return
	}
	s.renderLogin(w, r, http.StatusOK, sealed, params, "", msg)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, sealed string, params url.Values, username, msg string) {
	v := loginView{
		Action:   s.issuer.Path + PathLogin,
		CSRF:     s.loginCSRFToken(w, r),
		Pending:  sealed,
		Username: username,
		Error:    msg,
	}
	if s.quirks.Has(QuirkLoginOpenReturnTo) {
		v.ReturnTo = r.URL.Query().Get("return_to")
	}
	var target *url.URL
	if params != nil {
		if c, err := s.store.LookupClient(r.Context(), params.Get("client_id")); err == nil && c != nil {
			v.ClientName = c.Name
		}
		// The login POST redirects to /authorize, which may redirect on to the client
		// (a trusted client, or an error): the form's CSP form-action must allow that
		// redirect URI (pages.go formActionSources). The pending request was validated when
		// it was sealed; it is validated again here only to learn where it leads.
		if p, f := s.checkAuthorize(r.Context(), params, ""); p != nil {
			target = p.redirect
		} else if f != nil {
			target = f.target
		}
	}
	s.renderPageTo(w, status, "login", "Sign in", "Sign in", v, target)
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	body, fail := readFormBody(w, r, maxLoginFormBytes)
	if fail != nil {
		s.renderError(w, fail.status, errorPage{Message: fail.desc})
		return
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		s.renderError(w, http.StatusBadRequest, errorPage{Message: "The login form is malformed."})
		return
	}
	if !s.checkLoginCSRF(r, form.Get("csrf_token")) {
		s.renderError(w, http.StatusForbidden, errorPage{
			Message: "The login form is missing its security token or it has expired.",
			Detail:  "Go back to the application and start the sign-in again. Cookies must be enabled.",
		})
		return
	}
	now := time.Now()
	sealed := form.Get("authz")
	params, pendingOK := s.openPending(sealed, now)
	if !pendingOK {
		sealed, params = "", nil
	}
	username, password := form.Get("username"), form.Get("password")
	ok, throttled, busy := s.checkOwnerPassword(r, username, password) // guessing.go
	if busy != nil {
		w.Header().Set("Retry-After", "1")
		s.renderError(w, http.StatusServiceUnavailable, errorPage{Message: "The server is busy: try again in a moment."})
		return
	}
	if throttled != nil {
		s.renderThrottledLogin(w, throttled)
		return
	}
	if !ok {
		s.auditLogin(r, params.Get("client_id"), username, false, "login page: the username or password is not correct")
		shown := ""
		if utf8.ValidString(username) && len(username) <= maxCredentialLen {
			shown = username
		}
		s.renderLogin(w, r, http.StatusOK, sealed, params, shown, loginFailed)
		return
	}
	s.auditLogin(r, params.Get("client_id"), username, true, "login page")
	if _, err := s.startSession(w, r, username, now); err != nil {
		s.renderError(w, http.StatusServiceUnavailable, errorPage{Message: "The sign-in could not be completed: try again in a moment."})
		return
	}
	s.rotateLoginBinding(w) // csrf.go
	if rt := form.Get("return_to"); rt != "" && s.quirks.Has(QuirkLoginOpenReturnTo) {
		http.Redirect(w, r, rt, http.StatusSeeOther) // the open redirector: wherever it points
		return
	}
	if params != nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, s.issuer.Path+PathAuthorize+"?"+params.Encode(), s.loginRedirectStatus())
		return
	}
	s.renderPage(w, http.StatusOK, "signedin", "Signed in", "Signed in", struct{ Username, Logout string }{username, s.issuer.Path + PathLogout})
}

// ownerPasswords checks resource owners' passwords, for the login page and the password grant:
// bcrypt through the gate, with the successes remembered (verifiedCache).
type ownerPasswords struct {
	store userStore
	gate  *throttle.Gate
	cache *verifiedCache
	// compare is bcrypt.CompareHashAndPassword; tests count its calls.
	compare func(hash, password []byte) error
	// dummyHash is compared against when the user is unknown or disabled, so such a user
	// takes as long as a wrong password (no user enumeration by timing).
	dummyHash []byte
}

// check returns the enabled user whose password this is, nil for any wrong credential, and
// an error only when the store could not be read.
func (o *ownerPasswords) check(ctx context.Context, username, password string) (*store.User, error) {
	if username == "" || password == "" || len(username) > maxCredentialLen || len(password) > maxCredentialLen ||
		!utf8.ValidString(username) {
		return nil, nil
	}
	u, err := o.store.GetUser(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if u == nil || !u.Enabled || len(u.PasswordHash) == 0 {
		_ = o.gate.Do(ctx, func() error { return o.compare(o.dummyHash, []byte(password)) })
		return nil, nil
	}
	if !o.cache.check(ctx, ownerAccount(u.Username), password, u.PasswordHash, func(ctx context.Context) bool {
		return o.gate.Do(ctx, func() error { return o.compare(u.PasswordHash, []byte(password)) }) == nil
	}) {
		return nil, nil
	}
	return u, nil
}

// remembered reports whether password was verified for the enabled user username a moment
// ago (the cache): no bcrypt, and no throttling, since only a password that passed bcrypt is
// remembered.
func (o *ownerPasswords) remembered(ctx context.Context, username, password string) bool {
	if username == "" || password == "" || len(username) > maxCredentialLen || len(password) > maxCredentialLen {
		return false
	}
	u, err := o.store.GetUser(ctx, username)
	if err != nil || u == nil || !u.Enabled {
		return false
	}
	return o.cache.remembered(ownerAccount(u.Username), password, u.PasswordHash)
}

// backToAuthorize sends the owner back to the authorization endpoint with the pending
// request's parameters. The target is always our own endpoint, never a URL from the form.
func (s *Server) backToAuthorize(w http.ResponseWriter, r *http.Request, params url.Values) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.issuer.Path+PathAuthorize+"?"+params.Encode(), http.StatusSeeOther)
}

// loginStore is what the login page reads: the client of the request in flight.
type loginStore interface {
	LookupClient(ctx context.Context, id string) (*store.Client, error)
}

var _ loginStore = (*store.Store)(nil)

// userStore is what the resource-owner password check reads: the user.
type userStore interface {
	GetUser(ctx context.Context, username string) (*store.User, error)
}

var _ userStore = (*store.Store)(nil)
