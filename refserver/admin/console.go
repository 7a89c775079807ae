package admin

// The console: server-rendered pages (html/template) behind a login form. A session is a
// signed cookie (HttpOnly, SameSite=Strict, Secure under TLS); every form carries a CSRF
// token derived from the session; no page can be framed, and no page loads anything from
// another origin (the one style block carries a per-response CSP nonce; there is no script).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

//go:embed templates/*.html
var templateFS embed.FS

const (
	sessionCookie = "oauthconf_admin"
	loginCookie   = "oauthconf_admin_login"
	maxFormBytes  = 1 << 20
)

// consoleTemplates are parsed once per handler and never changed afterwards.
func parseConsoleTemplates() (map[string]*template.Template, error) {
	names := []string{"login", "clients", "client_form", "client_secret", "scopes", "scope_form", "users",
		"groups", "acls", "tokens", "settings", "message"}
	funcs := template.FuncMap{
		"join":     strings.Join,
		"has":      slices.Contains[[]string, string],
		"ttl":      func(d time.Duration) int64 { return int64(d / time.Second) },
		"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"add1":     func(i int) int { return i + 1 },
		"resource": func(r store.Resource) string { return r.String() },
		// pathesc escapes an id or name for one path segment: client ids may hold '/', '?'
		// or '#' (html/template escapes for HTML and URLs, not for path segments).
		"pathesc": url.PathEscape,
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: template %s: %w", n, err)
		}
		out[n] = t
	}
	return out, nil
}

// view is what every console template sees.
type view struct {
	Title   string
	Nonce   string
	Admin   string // the logged-in administrator; empty on the login page
	CSRF    string
	Prefix  string // the path in front of /admin
	Nav     string // the current section
	Flash   string
	Errors  fieldErrors
	Message string
	Data    any
}

func (h *handler) consoleRoutes() error {
	tpl, err := parseConsoleTemplates()
	if err != nil {
		return err
	}
	h.templates = tpl
	h.mux.HandleFunc("GET /admin/login", h.loginPage)
	h.mux.HandleFunc("POST /admin/login", h.loginSubmit)
	h.mux.HandleFunc("POST /admin/logout", h.logout)
	page := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, s *session)) {
		h.mux.HandleFunc(pattern, h.withSession(fn))
	}
	page("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request, s *session) {
		http.Redirect(w, r, h.path("/admin/clients"), http.StatusSeeOther)
	})
	page("GET /admin/clients", h.clientsPage)
	page("GET /admin/clients/new", h.clientNewPage)
	page("POST /admin/clients", h.clientCreate)
	page("GET /admin/clients/{id}", h.clientEditPage)
	page("POST /admin/clients/{id}", h.clientSave)
	page("POST /admin/clients/{id}/{action}", h.clientAction)
	page("GET /admin/scopes", h.scopesPage)
	page("POST /admin/scopes", h.scopeCreate)
	page("GET /admin/scopes/{name}", h.scopeEditPage)
	page("POST /admin/scopes/{name}", h.scopeSave)
	page("POST /admin/scopes/{name}/delete", h.deletePage("name", h.svc.deleteScope, "/admin/scopes"))
	page("POST /admin/packages", h.packageSave)
	page("POST /admin/packages/{name}/delete", h.deletePage("name", h.svc.deletePackage, "/admin/scopes"))
	page("GET /admin/users", h.usersPage)
	page("POST /admin/users", h.userCreate)
	page("POST /admin/users/{username}", h.userSave)
	page("POST /admin/users/{username}/delete", h.deletePage("username", h.svc.deleteUser, "/admin/users"))
	page("GET /admin/groups", h.groupsPage)
	page("POST /admin/groups", h.groupCreate)
	page("POST /admin/groups/{name}", h.groupSave)
	page("POST /admin/groups/{name}/delete", h.deletePage("name", h.svc.deleteGroup, "/admin/groups"))
	page("GET /admin/acls", h.aclsPage)
	page("POST /admin/acls", h.aclCreate)
	page("POST /admin/acls/{name}", h.aclSave)
	page("POST /admin/acls/{name}/delete", h.deletePage("name", h.svc.deleteACL, "/admin/acls"))
	page("POST /admin/resource-acls", h.resourceACLSave)
	page("GET /admin/tokens", h.tokensPage)
	page("POST /admin/tokens/revoke", h.tokenRevoke)
	page("GET /admin/settings", h.settingsPage)
	page("POST /admin/settings", h.settingsSave)
	page("/admin/", func(w http.ResponseWriter, r *http.Request, s *session) {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no console page at "+r.URL.Path+".")
	})
	return nil
}

// deletePage deletes the item the path value key names and goes back to the page at back.
func (h *handler) deletePage(key string, del func(context.Context, string) error, back string) func(w http.ResponseWriter, r *http.Request, s *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if err := del(r.Context(), r.PathValue(key)); err != nil {
			h.failed(w, r, s, err, nil)
			return
		}
		h.redirectDone(w, r, back, "deleted")
	}
}

// Sessions.

type session struct {
	Admin string
	raw   string // the cookie value
}

func (h *handler) mac(parts ...string) string {
	m := hmac.New(sha256.New, h.cfg.SessionKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newSessionValue is username.expiry.version.nonce.mac, the username base64url-encoded.
// version is the administrator's session version at sign-in (store.SessionVersion): a
// sign-out adds one to it, which ends every console session of that administrator
// server-side, although the cookie itself stays well signed until it expires.
func (h *handler) newSessionValue(ctx context.Context, admin string, now time.Time) (string, error) {
	v, err := h.st.SessionVersion(ctx, store.AdminSessionPrincipal(admin))
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString([]byte(admin)) + "." +
		strconv.FormatInt(now.Add(h.cfg.SessionTTL).Unix(), 10) + "." + strconv.FormatInt(v, 10) + "." + randomString(16)
	return body + "." + h.mac("session", body), nil
}

func (h *handler) parseSession(r *http.Request) *session {
	c, err := r.Cookie(h.cookieName(r, sessionCookie))
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return nil
	}
	body, sig := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(h.mac("session", body))) {
		return nil
	}
	parts := strings.Split(body, ".")
	if len(parts) != 4 {
		return nil
	}
	name, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || time.Now().Unix() >= exp {
		return nil
	}
	if !h.adminExists(r.Context(), string(name)) {
		return nil
	}
	version, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return nil
	}
	if cur, err := h.st.SessionVersion(r.Context(), store.AdminSessionPrincipal(string(name))); err != nil || cur != version {
		return nil
	}
	return &session{Admin: string(name), raw: c.Value}
}

func (h *handler) csrfToken(s *session) string { return h.mac("csrf", s.raw) }

func (h *handler) secure(r *http.Request) bool { return h.cfg.SecureCookies || r.TLS != nil }

// cookieName is the name of a console cookie: with the __Host- prefix when the cookie is
// Secure (under TLS, or --secure-cookies behind a TLS proxy), so that browsers accept it only
// Secure, host-only and for Path=/ (RFC 6265bis 4.1.3.2): no sibling subdomain and no
// plain-HTTP answer can plant or overwrite a console session.
func (h *handler) cookieName(r *http.Request, base string) string {
	if h.secure(r) {
		return "__Host-" + base
	}
	return base
}

func (h *handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	path := h.path("/admin/")
	if h.secure(r) {
		path = "/" // required by the __Host- prefix; SameSite=Strict and HttpOnly still hold
	}
	http.SetCookie(w, &http.Cookie{
		Name: h.cookieName(r, name), Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(r),
	})
}

// withSession requires a console session; a POST also requires the form's CSRF token and a
// same-origin request.
func (h *handler) withSession(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.parseSession(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, h.path("/admin/login"), http.StatusSeeOther)
				return
			}
			h.message(w, r, nil, http.StatusUnauthorized, "Signed out", "Your session has ended: sign in again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				h.message(w, r, s, http.StatusBadRequest, "Bad request", "The form could not be read.")
				return
			}
			if !sameOrigin(r) || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(h.csrfToken(s))) {
				h.message(w, r, s, http.StatusForbidden, "Forbidden",
					"The form's security token is missing or wrong: reload the page and try again.")
				h.report(r.Context(), r, "console", s.Admin, http.StatusForbidden)
				return
			}
		}
		h.audited(w, r, "console", s.Admin, func(w http.ResponseWriter, r *http.Request) { fn(w, r, s) })
	}
}

// Rendering.

func (h *handler) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v view) {
	nonce := randomString(16)
	hd := w.Header()
	// RFC 9700 4.16 (clickjacking): never framed; nothing from another origin.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	v.Nonce, v.Prefix = nonce, h.cfg.PathPrefix
	if s != nil {
		v.Admin, v.CSRF = s.Admin, h.csrfToken(s)
	}
	if v.Flash == "" {
		v.Flash = flashText(r.URL.Query().Get("done"))
	}
	var buf bytes.Buffer
	if err := h.templates[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// flashText is the confirmation a redirect after a change shows; only known texts are shown
// (the query parameter is not reflected).
func flashText(code string) string {
	return map[string]string{
		"saved":    "Saved.",
		"deleted":  "Deleted.",
		"enabled":  "The client is enabled.",
		"disabled": "The client is disabled.",
		"revoked":  "Revoked.",
		"created":  "Created.",
	}[code]
}

func (h *handler) message(w http.ResponseWriter, r *http.Request, s *session, status int, title, msg string) {
	h.render(w, r, s, status, "message", view{Title: title, Message: msg})
}

// redirectDone answers a successful POST with a redirect (so a reload does not repeat it).
func (h *handler) redirectDone(w http.ResponseWriter, r *http.Request, p, done string) {
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	http.Redirect(w, r, h.path(p)+sep+"done="+done, http.StatusSeeOther)
}

// failed renders an operation's error: the form again with its messages (400), a not-found
// page (404), a conflict (409), or a server error.
func (h *handler) failed(w http.ResponseWriter, r *http.Request, s *session, err error, again func(fe fieldErrors)) {
	err = fromStore(err, "")
	var inv *invalidError
	var nf *notFoundError
	var cf *conflictError
	switch {
	case errors.As(err, &inv) && again != nil:
		again(inv.fields)
	case errors.As(err, &inv):
		h.message(w, r, s, http.StatusBadRequest, "Not saved", inv.Error())
	case errors.As(err, &nf):
		h.message(w, r, s, http.StatusNotFound, "Not found", nf.Error()+".")
	case errors.As(err, &cf):
		h.message(w, r, s, http.StatusConflict, "Not saved", cf.Error()+".")
	default:
		h.serverError(w, r, err)
	}
}

// Login.

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.parseSession(r) != nil {
		http.Redirect(w, r, h.path("/admin/clients"), http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, "")
}

// renderLogin shows the login form with a fresh login-CSRF token bound to a cookie: a login
// form posted from another site (login CSRF) has neither.
func (h *handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce := randomString(16)
	h.setCookie(w, r, loginCookie, nonce, 600)
	h.render(w, r, nil, status, "login", view{Title: "Administrator sign-in", Message: msg, CSRF: h.mac("login", nonce)})
}

func (h *handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.renderLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(h.cookieName(r, loginCookie))
	if err != nil || !sameOrigin(r) || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(h.mac("login", c.Value))) {
		h.renderLogin(w, r, http.StatusForbidden, "The sign-in form expired: try again.")
		return
	}
	user := r.PostForm.Get("username")
	ok, err := h.checkAdmin(r.Context(), user, r.PostForm.Get("password"))
	if err != nil {
		h.checkFailed(w, r, "console", user, err) // throttle.go
		return
	}
	if !ok {
		h.renderLogin(w, r, http.StatusUnauthorized, "Wrong username or password.")
		h.report(r.Context(), r, "console", user, http.StatusUnauthorized)
		return
	}
	value, err := h.newSessionValue(r.Context(), user, time.Now())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.report(r.Context(), r, "console", user, http.StatusSeeOther)
	h.setCookie(w, r, loginCookie, "", -1)
	h.setCookie(w, r, sessionCookie, value, int(h.cfg.SessionTTL/time.Second))
	http.Redirect(w, r, h.path("/admin/clients"), http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	// Logging out needs the CSRF token too: otherwise any site could sign the admin out.
	// The sign-out ends every console session of this administrator server-side (the
	// session version moves on), not just this browser's cookie.
	h.withSession(func(w http.ResponseWriter, r *http.Request, s *session) {
		if err := h.st.EndSessions(r.Context(), store.AdminSessionPrincipal(s.Admin)); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.setCookie(w, r, sessionCookie, "", -1)
		http.Redirect(w, r, h.path("/admin/login"), http.StatusSeeOther)
	})(w, r)
}

// Clients.

type clientsData struct {
	Clients []*store.Client
}

func (h *handler) clientsPage(w http.ResponseWriter, r *http.Request, s *session) {
	cs, err := h.st.ListClients(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, http.StatusOK, "clients", view{Title: "Clients", Nav: "clients", Data: clientsData{Clients: cs}})
}

type clientFormData struct {
	New         bool
	Client      *store.Client
	AllScopes   []*store.Scope
	Grants      []string
	RedirectTxt string
	ServiceUser string
}

func (h *handler) renderClientForm(w http.ResponseWriter, r *http.Request, s *session, status int, c *store.Client, isNew bool, fe fieldErrors) {
	scs, err := h.st.ListScopes(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	title := "Register a client"
	if !isNew {
		title = "Client " + c.ID
	}
	h.render(w, r, s, status, "client_form", view{Title: title, Nav: "clients", Errors: fe, Data: clientFormData{
		New: isNew, Client: c, AllScopes: scs, Grants: knownGrants,
		RedirectTxt: strings.Join(c.RedirectURIs, "\n"), ServiceUser: serviceUser(c),
	}})
}

func (h *handler) clientNewPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderClientForm(w, r, s, http.StatusOK, &store.Client{Enabled: true}, true, nil)
}

// clientFromForm reads the client form. Numbers that do not parse are reported at once.
func clientFromForm(f url.Values) (ClientInput, fieldErrors) {
	fe := fieldErrors{}
	in := ClientInput{
		Name: f.Get("name"), Description: f.Get("description"),
		Public:                  f.Get("client_type") == "public",
		GrantTypes:              f["grant_types"],
		Scopes:                  f["scopes"],
		TokenEndpointAuthMethod: f.Get("token_endpoint_auth_method"),
		Trusted:                 f.Get("trusted") != "",
	}
	if t := f.Get("client_type"); t != "public" && t != "confidential" {
		fe["public"] = "choose confidential or public"
	}
	enabled := f.Get("enabled") != ""
	in.Enabled = &enabled
	for _, line := range strings.Split(f.Get("redirect_uris"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			in.RedirectURIs = append(in.RedirectURIs, line)
		}
	}
	for _, t := range []struct {
		key string
		dst *int64
	}{{"access_token_ttl", &in.AccessTokenTTL}, {"refresh_token_ttl", &in.RefreshTokenTTL}, {"auth_code_ttl", &in.AuthCodeTTL}} {
		v := strings.TrimSpace(f.Get(t.key))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fe[t.key] = "must be a whole number of seconds"
		}
		*t.dst = n
	}
	return in, fe
}

// formClient shows what was submitted when the form comes back with errors.
func formClient(id string, in ClientInput) *store.Client {
	c := &store.Client{ID: id, Enabled: enabledOr(in.Enabled, true)}
	applyClientInput(c, &in)
	return c
}

func mergeErrors(a, b fieldErrors) fieldErrors {
	for k, v := range b {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

func (h *handler) clientCreate(w http.ResponseWriter, r *http.Request, s *session) {
	in, fe := clientFromForm(r.PostForm)
	again := func(more fieldErrors) {
		h.renderClientForm(w, r, s, http.StatusBadRequest, formClient("", in), true, mergeErrors(fe, more))
	}
	if len(fe) > 0 {
		// Validate the rest too, so every problem shows at once; nothing is saved.
		cp := in
		again(validateClient(&cp))
		return
	}
	c, secret, err := h.svc.createClient(r.Context(), in)
	if err != nil {
		h.failed(w, r, s, err, again)
		return
	}
	h.render(w, r, s, http.StatusCreated, "client_secret", view{Title: "Client registered", Nav: "clients",
		Data: map[string]any{"Client": c, "Secret": secret, "Created": true}})
}

func (h *handler) clientEditPage(w http.ResponseWriter, r *http.Request, s *session) {
	c, err := h.svc.getClient(r.Context(), r.PathValue("id"))
	if err != nil {
		h.failed(w, r, s, err, nil)
		return
	}
	h.renderClientForm(w, r, s, http.StatusOK, c, false, nil)
}

func (h *handler) clientSave(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	in, fe := clientFromForm(r.PostForm)
	again := func(more fieldErrors) {
		h.renderClientForm(w, r, s, http.StatusBadRequest, formClient(id, in), false, mergeErrors(fe, more))
	}
	if len(fe) > 0 {
		cp := in
		again(validateClient(&cp))
		return
	}
	if _, err := h.svc.updateClient(r.Context(), id, in); err != nil {
		h.failed(w, r, s, err, again)
		return
	}
	h.redirectDone(w, r, "/admin/clients/"+url.PathEscape(id), "saved")
}

func (h *handler) clientAction(w http.ResponseWriter, r *http.Request, s *session) {
	id, ctx := r.PathValue("id"), r.Context()
	back := "/admin/clients/" + url.PathEscape(id)
	var err error
	switch r.PathValue("action") {
	case "enable", "disable":
		on := r.PathValue("action") == "enable"
		if _, err = h.svc.setClientEnabled(ctx, id, on); err == nil {
			h.redirectDone(w, r, back, r.PathValue("action")+"d")
			return
		}
	case "secret":
		var secret string
		if secret, err = h.svc.regenerateSecret(ctx, id); err == nil {
			c, gerr := h.svc.getClient(ctx, id)
			if gerr != nil {
				h.failed(w, r, s, gerr, nil)
				return
			}
			h.render(w, r, s, http.StatusOK, "client_secret", view{Title: "New client secret", Nav: "clients",
				Data: map[string]any{"Client": c, "Secret": secret, "Created": false}})
			return
		}
	case "delete":
		if err = h.svc.deleteClient(ctx, id); err == nil {
			h.redirectDone(w, r, "/admin/clients", "deleted")
			return
		}
	case "revoke-tokens":
		if err = h.svc.revokeClientTokens(ctx, id); err == nil {
			h.redirectDone(w, r, "/admin/tokens?client_id="+url.QueryEscape(id), "revoked")
			return
		}
	default:
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no client action "+strconv.Quote(r.PathValue("action"))+".")
		return
	}
	h.failed(w, r, s, err, nil)
}

// Scopes.

type scopeRow struct {
	store.Scope
	Resources []string
	Clients   []string
}

func (h *handler) scopesPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderScopes(w, r, s, http.StatusOK, ScopeInput{}, nil)
}

func (h *handler) renderScopes(w http.ResponseWriter, r *http.Request, s *session, status int, in ScopeInput, fe fieldErrors) {
	h.renderScopesPage(w, r, s, status, in, PackageInput{}, fe)
}

func (h *handler) renderScopesPage(w http.ResponseWriter, r *http.Request, s *session, status int, in ScopeInput, pin PackageInput, fe fieldErrors) {
	ctx := r.Context()
	pkgs, err := h.st.ListPackages(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	scs, err := h.st.ListScopes(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	res, err := h.st.AllScopeResources(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cs, err := h.st.ListClients(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows := make([]scopeRow, 0, len(scs))
	for _, sc := range scs {
		row := scopeRow{Scope: *sc, Resources: resourceStrings(res[sc.Name])}
		for _, c := range cs {
			if slices.Contains(c.Scopes, sc.Name) {
				row.Clients = append(row.Clients, c.ID)
			}
		}
		rows = append(rows, row)
	}
	h.render(w, r, s, status, "scopes", view{Title: "Scopes", Nav: "scopes", Errors: fe, Data: map[string]any{
		"Scopes": rows, "Input": in, "ResourcesTxt": strings.Join(in.Resources, "\n"),
		"Packages": pkgs, "PackageInput": pin, "FoldersTxt": strings.Join(pin.Folders, "\n"),
	}})
}

func lines(text string) []string {
	out := []string{}
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (h *handler) scopeCreate(w http.ResponseWriter, r *http.Request, s *session) {
	in := ScopeInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Resources: lines(r.PostForm.Get("resources"))}
	if _, err := h.svc.createScope(r.Context(), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderScopes(w, r, s, http.StatusBadRequest, in, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/scopes/"+url.PathEscape(in.Name), "created")
}

func (h *handler) packageSave(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	in := PackageInput{Name: strings.TrimSpace(f.Get("name")), Description: f.Get("description"), Folders: lines(f.Get("folders"))}
	if _, err := h.svc.putPackage(r.Context(), in.Name, in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderScopesPage(w, r, s, http.StatusBadRequest, ScopeInput{}, in, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/scopes", "saved")
}

type scopeFormData struct {
	Scope        store.Scope
	ResourcesTxt string
	Clients      []*store.Client
	Associated   []string
}

func (h *handler) renderScopeForm(w http.ResponseWriter, r *http.Request, s *session, status int, d scopeFormData, fe fieldErrors) {
	cs, err := h.st.ListClients(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Clients = cs
	h.render(w, r, s, status, "scope_form", view{Title: "Scope " + d.Scope.Name, Nav: "scopes", Errors: fe, Data: d})
}

func (h *handler) scopeEditPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := h.svc.scopeDetail(r.Context(), r.PathValue("name"))
	if err != nil {
		h.failed(w, r, s, err, nil)
		return
	}
	h.renderScopeForm(w, r, s, http.StatusOK, scopeFormData{
		Scope: d.Scope, ResourcesTxt: strings.Join(resourceStrings(d.Resources), "\n"), Associated: d.Clients,
	}, nil)
}

func (h *handler) scopeSave(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PathValue("name")
	f := r.PostForm
	fe := fieldErrors{}
	rs := parseResources(lines(f.Get("resources")), fe)
	clients := f["clients"]
	if clients == nil {
		clients = []string{}
	}
	d := scopeFormData{Scope: store.Scope{Name: name, Description: f.Get("description")}, ResourcesTxt: f.Get("resources"), Associated: clients}
	again := func(more fieldErrors) { h.renderScopeForm(w, r, s, http.StatusBadRequest, d, mergeErrors(fe, more)) }
	if len(fe) > 0 {
		again(nil)
		return
	}
	if err := h.svc.saveScope(r.Context(), name, ScopeChange{Description: f.Get("description"), Resources: rs, Clients: clients}); err != nil {
		h.failed(w, r, s, err, again)
		return
	}
	h.redirectDone(w, r, "/admin/scopes/"+url.PathEscape(name), "saved")
}

// Users.

type userRow struct {
	*store.User
	Groups []string
}

func (h *handler) usersPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderUsers(w, r, s, http.StatusOK, UserInput{}, nil)
}

func (h *handler) renderUsers(w http.ResponseWriter, r *http.Request, s *session, status int, in UserInput, fe fieldErrors) {
	ctx := r.Context()
	us, err := h.st.ListUsers(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	gs, err := h.st.ListGroups(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows := make([]userRow, 0, len(us))
	for _, u := range us {
		row := userRow{User: u}
		for _, g := range gs {
			if slices.Contains(g.Members, u.Username) {
				row.Groups = append(row.Groups, g.Name)
			}
		}
		rows = append(rows, row)
	}
	in.Password = "" // never echoed back
	h.render(w, r, s, status, "users", view{Title: "Users", Nav: "users", Errors: fe, Data: map[string]any{
		"Users": rows, "Groups": gs, "Input": in,
	}})
}

func (h *handler) userCreate(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	in := UserInput{Username: f.Get("username"), Password: f.Get("password"), Groups: f["groups"]}
	if _, err := h.svc.createUser(r.Context(), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderUsers(w, r, s, http.StatusBadRequest, in, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/users", "created")
}

func (h *handler) userSave(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	enabled := f.Get("enabled") != ""
	groups := f["groups"]
	if groups == nil {
		groups = []string{}
	}
	in := UserInput{Password: f.Get("password"), Enabled: &enabled, Groups: groups}
	if _, err := h.svc.updateUser(r.Context(), r.PathValue("username"), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderUsers(w, r, s, http.StatusBadRequest, UserInput{}, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/users", "saved")
}

// Groups.

func (h *handler) groupsPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderGroups(w, r, s, http.StatusOK, GroupInput{}, nil)
}

func (h *handler) renderGroups(w http.ResponseWriter, r *http.Request, s *session, status int, in GroupInput, fe fieldErrors) {
	gs, err := h.st.ListGroups(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, status, "groups", view{Title: "Groups", Nav: "groups", Errors: fe, Data: map[string]any{
		"Groups": gs, "Input": in, "MembersTxt": strings.Join(in.Members, "\n"),
	}})
}

func (h *handler) groupCreate(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	in := GroupInput{Name: f.Get("name"), Description: f.Get("description"), Members: lines(f.Get("members"))}
	if _, err := h.svc.createGroup(r.Context(), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderGroups(w, r, s, http.StatusBadRequest, in, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/groups", "created")
}

func (h *handler) groupSave(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	in := GroupInput{Description: f.Get("description"), Members: lines(f.Get("members"))}
	if _, err := h.svc.updateGroup(r.Context(), r.PathValue("name"), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderGroups(w, r, s, http.StatusBadRequest, GroupInput{}, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/groups", "saved")
}

// ACLs and the resources they guard.

func (h *handler) aclsPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderACLs(w, r, s, http.StatusOK, ACLInput{}, ResourceACLInput{}, nil)
}

func (h *handler) renderACLs(w http.ResponseWriter, r *http.Request, s *session, status int, in ACLInput, ra ResourceACLInput, fe fieldErrors) {
	ctx := r.Context()
	as, err := h.st.ListACLs(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	ras, err := h.st.ListResourceACLs(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	gs, err := h.st.ListGroups(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, status, "acls", view{Title: "ACLs", Nav: "acls", Errors: fe, Data: map[string]any{
		"ACLs": as, "ResourceACLs": ras, "Groups": gs, "Input": in, "ResourceInput": ra,
	}})
}

func aclFromForm(f url.Values) ACLInput {
	return ACLInput{Name: f.Get("name"), Description: f.Get("description"), Allow: lines(f.Get("allow")), Deny: lines(f.Get("deny"))}
}

func (h *handler) aclCreate(w http.ResponseWriter, r *http.Request, s *session) {
	in := aclFromForm(r.PostForm)
	if _, err := h.svc.createACL(r.Context(), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderACLs(w, r, s, http.StatusBadRequest, in, ResourceACLInput{}, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/acls", "created")
}

func (h *handler) aclSave(w http.ResponseWriter, r *http.Request, s *session) {
	in := aclFromForm(r.PostForm)
	in.Name = ""
	if _, err := h.svc.updateACL(r.Context(), r.PathValue("name"), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderACLs(w, r, s, http.StatusBadRequest, ACLInput{}, ResourceACLInput{}, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/acls", "saved")
}

func (h *handler) resourceACLSave(w http.ResponseWriter, r *http.Request, s *session) {
	in := ResourceACLInput{Resource: r.PostForm.Get("resource"), ACL: r.PostForm.Get("acl")}
	if err := h.svc.setResourceACL(r.Context(), in); err != nil {
		h.failed(w, r, s, err, func(fe fieldErrors) { h.renderACLs(w, r, s, http.StatusBadRequest, ACLInput{}, in, fe) })
		return
	}
	h.redirectDone(w, r, "/admin/acls", "saved")
}

// Tokens.

func (h *handler) tokensPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	tq := TokenQuery{ClientID: strings.TrimSpace(q.Get("client_id")), Subject: strings.TrimSpace(q.Get("subject"))}
	ts, err := h.svc.listTokens(r.Context(), tq)
	if err != nil {
		h.failed(w, r, s, err, nil)
		return
	}
	h.render(w, r, s, http.StatusOK, "tokens", view{Title: "Tokens", Nav: "tokens", Data: map[string]any{
		"Tokens": ts, "Query": tq,
	}})
}

func (h *handler) tokenRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	if err := h.svc.revokeToken(r.Context(), store.TokenKind(f.Get("kind")), f.Get("id")); err != nil {
		h.failed(w, r, s, err, nil)
		return
	}
	back := "/admin/tokens"
	if f.Get("client_id") != "" || f.Get("subject") != "" {
		v := url.Values{"client_id": {f.Get("client_id")}, "subject": {f.Get("subject")}}
		back += "?" + v.Encode()
	}
	h.redirectDone(w, r, back, "revoked")
}

// Settings.

func (h *handler) settingsPage(w http.ResponseWriter, r *http.Request, s *session) {
	st, err := h.svc.getSettings(r.Context(), h.cfg.Defaults)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, http.StatusOK, "settings", view{Title: "Settings", Nav: "settings", Data: settingsView(st)})
}

func (h *handler) settingsSave(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	fe := fieldErrors{}
	num := func(key string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(f.Get(key)), 10, 64)
		if err != nil {
			fe[key] = "must be a whole number of seconds"
		}
		return n
	}
	in := SettingsInput{
		AccessTokenTTL: num("access_token_ttl"), RefreshTokenTTL: num("refresh_token_ttl"), AuthCodeTTL: num("auth_code_ttl"),
		PKCERequiredForPublic: f.Get("pkce_required_for_public") != "",
		ApprovalTitle:         f.Get("approval_title"), ApprovalHeading: f.Get("approval_heading"), ApprovalFooter: f.Get("approval_footer"),
	}
	again := func(more fieldErrors) {
		h.render(w, r, s, http.StatusBadRequest, "settings", view{Title: "Settings", Nav: "settings", Errors: mergeErrors(fe, more), Data: in})
	}
	if len(fe) > 0 {
		again(nil)
		return
	}
	if _, err := h.saveSettings(r, in); err != nil {
		h.failed(w, r, s, err, again)
		return
	}
	h.redirectDone(w, r, "/admin/settings", "saved")
}
