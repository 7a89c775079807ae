package admin

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

//go:embed openapi.yaml
var openAPIDoc []byte

// route is one operation of the API; the OpenAPI test walks this list.
type route struct {
	method, pattern string
	handle          func(w http.ResponseWriter, r *http.Request)
}

func (h *handler) apiRouteList() []route {
	return []route{
		{"GET", "/admin/api/clients", h.apiListClients},
		{"POST", "/admin/api/clients", h.apiCreateClient},
		{"GET", "/admin/api/clients/{id}", h.apiGetClient},
		{"PUT", "/admin/api/clients/{id}", h.apiUpdateClient},
		{"DELETE", "/admin/api/clients/{id}", h.apiDeleteClient},
		{"POST", "/admin/api/clients/{id}/enable", h.apiEnableClient(true)},
		{"POST", "/admin/api/clients/{id}/disable", h.apiEnableClient(false)},
		{"POST", "/admin/api/clients/{id}/secret", h.apiRegenerateSecret},
		{"POST", "/admin/api/clients/{id}/revoke-tokens", h.apiRevokeClientTokens},
		{"GET", "/admin/api/scopes", h.apiListScopes},
		{"POST", "/admin/api/scopes", h.apiCreateScope},
		{"GET", "/admin/api/scopes/{name}", h.apiGetScope},
		{"PUT", "/admin/api/scopes/{name}", h.apiUpdateScope},
		{"DELETE", "/admin/api/scopes/{name}", h.apiDeleteScope},
		{"POST", "/admin/api/scopes/{name}/clients", h.apiAssociateScope},
		{"DELETE", "/admin/api/scopes/{name}/clients/{client_id}", h.apiDissociateScope},
		{"GET", "/admin/api/users", h.apiListUsers},
		{"POST", "/admin/api/users", h.apiCreateUser},
		{"GET", "/admin/api/users/{username}", h.apiGetUser},
		{"PUT", "/admin/api/users/{username}", h.apiUpdateUser},
		{"DELETE", "/admin/api/users/{username}", h.apiDeleteUser},
		{"GET", "/admin/api/tokens", h.apiListTokens},
		{"POST", "/admin/api/tokens/{kind}/{id}/revoke", h.apiRevokeToken},
		{"GET", "/admin/api/groups", h.apiListGroups},
		{"POST", "/admin/api/groups", h.apiCreateGroup},
		{"GET", "/admin/api/groups/{name}", h.apiGetGroup},
		{"PUT", "/admin/api/groups/{name}", h.apiUpdateGroup},
		{"DELETE", "/admin/api/groups/{name}", h.apiDeleteGroup},
		{"GET", "/admin/api/acls", h.apiListACLs},
		{"POST", "/admin/api/acls", h.apiCreateACL},
		{"GET", "/admin/api/acls/{name}", h.apiGetACL},
		{"PUT", "/admin/api/acls/{name}", h.apiUpdateACL},
		{"DELETE", "/admin/api/acls/{name}", h.apiDeleteACL},
		{"GET", "/admin/api/resource-acls", h.apiListResourceACLs},
		{"PUT", "/admin/api/resource-acls", h.apiSetResourceACL},
		{"GET", "/admin/api/packages", h.apiListPackages},
		{"GET", "/admin/api/packages/{name}", h.apiGetPackage},
		{"PUT", "/admin/api/packages/{name}", h.apiPutPackage},
		{"DELETE", "/admin/api/packages/{name}", h.apiDeletePackage},
		{"GET", "/admin/api/settings", h.apiGetSettings},
		{"PUT", "/admin/api/settings", h.apiPutSettings},
	}
}

func (h *handler) apiRoutes() {
	for _, rt := range h.apiRouteList() {
		h.mux.Handle(rt.method+" "+rt.pattern, h.apiAuth(http.HandlerFunc(rt.handle)))
	}
	h.mux.HandleFunc("GET /admin/api/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPIDoc)
	})
	// Anything else under the API: authenticate first (so unauthenticated callers learn
	// nothing about which paths exist), then a JSON 404.
	h.mux.Handle("/admin/api/", h.apiAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "there is no API operation "+r.Method+" "+r.URL.Path+": see /admin/api/openapi.yaml", nil)
	})))
}

// apiAuth requires an administrator's HTTP Basic credentials (RFC 7617) and refuses
// cross-origin browser requests: a browser that cached the credentials must not be usable by
// another site to change anything.
func (h *handler) apiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "forbidden", "cross-origin requests to the admin API are refused", nil)
			return
		}
		user, pass, ok := r.BasicAuth()
		if ok {
			valid, err := h.checkAdmin(r.Context(), user, pass)
			if err != nil {
				h.serverError(w, r, err)
				return
			}
			ok = valid
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="oauthconf admin", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "administrator credentials are required (HTTP Basic)", nil)
			if user != "" {
				h.report(r.Context(), r, "api", user, http.StatusUnauthorized)
			}
			return
		}
		h.audited(w, r, "api", user, next.ServeHTTP)
	})
}

// sameOrigin refuses a request a browser marked as coming from another site: Sec-Fetch-Site
// when the browser sends it, else an Origin naming another host. Under the no-referrer policy
// the console pages use, a browser sends "Origin: null" even for its own forms, so "null" is
// not evidence either way (the console's CSRF token still is). Non-browser clients send
// neither header and pass.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default: // cross-site, same-site (another origin of the site)
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

type apiError struct {
	Error       string            `json:"error"`
	Description string            `json:"error_description,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, desc string, fields map[string]string) {
	writeJSON(w, status, apiError{Error: code, Description: desc, Fields: fields})
}

func (h *handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	slog.Default().ErrorContext(r.Context(), "admin: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, "server_error", "the change could not be made; nothing was saved", nil)
}

// writeResult answers an operation's error: 400 with a message per field, 404, or 500.
func (h *handler) writeResult(w http.ResponseWriter, r *http.Request, err error) {
	err = fromStore(err, "")
	var inv *invalidError
	var nf *notFoundError
	var cf *conflictError
	switch {
	case errors.As(err, &cf):
		writeError(w, http.StatusConflict, "conflict", cf.Error(), nil)
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, "invalid_request", "the request has invalid fields; nothing was saved", inv.fields)
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, "not_found", nf.Error(), nil)
	default:
		h.serverError(w, r, err)
	}
}

const maxBody = 1 << 20

// decode reads a JSON object into v, refusing unknown fields and wrong types with a message
// naming the field. It writes the error response and returns false on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "invalid_request", "send the body as Content-Type: application/json", nil)
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		writeError(w, http.StatusBadRequest, "invalid_request", "the request has invalid fields; nothing was saved",
			map[string]string{te.Field: "must be " + jsonKind(te.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		writeError(w, http.StatusBadRequest, "invalid_request", "the request has invalid fields; nothing was saved",
			map[string]string{name: "unknown field"})
	default:
		writeError(w, http.StatusBadRequest, "invalid_request", "the body is not a JSON object of the documented shape: "+err.Error(), nil)
	}
	return false
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "ptr":
		return "true or false"
	case "int64", "int":
		return "a whole number"
	}
	return "of another type (" + k + ")"
}

// API representations.

type clientJSON struct {
	ClientID                string    `json:"client_id"`
	Name                    string    `json:"name"`
	Description             string    `json:"description"`
	Public                  bool      `json:"public"`
	RedirectURIs            []string  `json:"redirect_uris"`
	GrantTypes              []string  `json:"grant_types"`
	Scopes                  []string  `json:"scopes"`
	TokenEndpointAuthMethod string    `json:"token_endpoint_auth_method"`
	AccessTokenTTL          int64     `json:"access_token_ttl"`
	RefreshTokenTTL         int64     `json:"refresh_token_ttl"`
	AuthCodeTTL             int64     `json:"auth_code_ttl"`
	Trusted                 bool      `json:"trusted"`
	Enabled                 bool      `json:"enabled"`
	CreatedAt               time.Time `json:"created_at"`
	UpdatedAt               time.Time `json:"updated_at"`
	// ServiceUser is the principal a client-credentials token of this client acts as at the
	// resource server (RFC 9700 4.15: never a resource owner's name); empty without that grant.
	ServiceUser string `json:"service_user"`
	// ClientSecret is present only in the answer that created or regenerated it.
	ClientSecret string `json:"client_secret,omitempty"`
}

func toClientJSON(c *store.Client) clientJSON {
	return clientJSON{
		ClientID: c.ID, Name: c.Name, Description: c.Description, Public: c.Public,
		RedirectURIs: nonNil(c.RedirectURIs), GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes),
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		AccessTokenTTL:          int64(c.AccessTokenTTL / time.Second),
		RefreshTokenTTL:         int64(c.RefreshTokenTTL / time.Second),
		AuthCodeTTL:             int64(c.AuthCodeTTL / time.Second),
		Trusted:                 c.Trusted, Enabled: c.Enabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		ServiceUser: serviceUser(c),
	}
}

func serviceUser(c *store.Client) string {
	if c.HasGrant(store.GrantClientCredentials) {
		return store.ServiceUserPrincipal(c.ID)
	}
	return ""
}

type scopeJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Resources   []string `json:"resources"`
	Clients     []string `json:"clients"`
}

type userJSON struct {
	Username  string    `json:"username"`
	Enabled   bool      `json:"enabled"`
	Groups    []string  `json:"groups"`
	CreatedAt time.Time `json:"created_at"`
}

func (h *handler) userJSON(r *http.Request, u *store.User) (userJSON, error) {
	gs, err := h.st.GroupsOf(r.Context(), u.Username)
	return userJSON{Username: u.Username, Enabled: u.Enabled, Groups: nonNil(gs), CreatedAt: u.CreatedAt}, err
}

// tokenJSON describes a token without the token: its id is the stored signature, which
// cannot be used as a credential.
type tokenJSON struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	ClientID  string     `json:"client_id"`
	Subject   string     `json:"subject"`
	Scopes    []string   `json:"scopes"`
	IssuedAt  time.Time  `json:"issued_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Active    bool       `json:"active"`
}

func toTokenJSON(t store.TokenInfo) tokenJSON {
	out := tokenJSON{ID: t.Signature, Kind: string(t.Kind), ClientID: t.ClientID, Subject: t.Subject,
		Scopes: nonNil(t.Scopes), IssuedAt: t.IssuedAt, Active: t.Active}
	if !t.ExpiresAt.IsZero() {
		exp := t.ExpiresAt
		out.ExpiresAt = &exp
	}
	return out
}

// Handlers.

func (h *handler) apiListClients(w http.ResponseWriter, r *http.Request) {
	cs, err := h.st.ListClients(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	out := make([]clientJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, toClientJSON(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": out})
}

func (h *handler) apiCreateClient(w http.ResponseWriter, r *http.Request) {
	var in ClientInput
	if !decode(w, r, &in) {
		return
	}
	c, secret, err := h.svc.createClient(r.Context(), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	out := toClientJSON(c)
	out.ClientSecret = secret
	w.Header().Set("Location", h.path("/admin/api/clients/"+url.PathEscape(c.ID)))
	writeJSON(w, http.StatusCreated, out)
}

func (h *handler) apiGetClient(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.getClient(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toClientJSON(c))
}

func (h *handler) apiUpdateClient(w http.ResponseWriter, r *http.Request) {
	var in ClientInput
	if !decode(w, r, &in) {
		return
	}
	c, err := h.svc.updateClient(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toClientJSON(c))
}

func (h *handler) apiDeleteClient(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.deleteClient(r.Context(), r.PathValue("id")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) apiEnableClient(on bool) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := h.svc.setClientEnabled(r.Context(), r.PathValue("id"), on)
		if err != nil {
			h.writeResult(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toClientJSON(c))
	}
}

func (h *handler) apiRegenerateSecret(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	secret, err := h.svc.regenerateSecret(r.Context(), id)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"client_id": id, "client_secret": secret})
}

func (h *handler) apiRevokeClientTokens(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.revokeClientTokens(r.Context(), r.PathValue("id")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) scopeJSON(r *http.Request, sc *store.Scope) (scopeJSON, error) {
	d, err := h.svc.scopeDetail(r.Context(), sc.Name)
	if err != nil {
		return scopeJSON{}, err
	}
	return scopeJSON{Name: d.Name, Description: d.Description, Resources: resourceStrings(d.Resources), Clients: d.Clients}, nil
}

func (h *handler) apiListScopes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	scs, err := h.st.ListScopes(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cs, err := h.st.ListClients(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	res, err := h.st.AllScopeResources(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	out := make([]scopeJSON, 0, len(scs))
	for _, sc := range scs {
		j := scopeJSON{Name: sc.Name, Description: sc.Description, Resources: resourceStrings(res[sc.Name]), Clients: []string{}}
		for _, c := range cs {
			for _, n := range c.Scopes {
				if n == sc.Name {
					j.Clients = append(j.Clients, c.ID)
				}
			}
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"scopes": out})
}

func (h *handler) apiCreateScope(w http.ResponseWriter, r *http.Request) {
	var in ScopeInput
	if !decode(w, r, &in) {
		return
	}
	sc, err := h.svc.createScope(r.Context(), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	j, err := h.scopeJSON(r, sc)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Location", h.path("/admin/api/scopes/"+url.PathEscape(sc.Name)))
	writeJSON(w, http.StatusCreated, j)
}

func (h *handler) apiGetScope(w http.ResponseWriter, r *http.Request) {
	sc, err := h.svc.getScope(r.Context(), r.PathValue("name"))
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	j, err := h.scopeJSON(r, sc)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *handler) apiUpdateScope(w http.ResponseWriter, r *http.Request) {
	var in ScopeInput
	if !decode(w, r, &in) {
		return
	}
	sc, err := h.svc.updateScope(r.Context(), r.PathValue("name"), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	j, err := h.scopeJSON(r, sc)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *handler) apiDeleteScope(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.deleteScope(r.Context(), r.PathValue("name")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) apiAssociateScope(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID string `json:"client_id"`
	}
	if !decode(w, r, &in) {
		return
	}
	h.finishAssociation(w, r, in.ClientID, true)
}

func (h *handler) apiDissociateScope(w http.ResponseWriter, r *http.Request) {
	h.finishAssociation(w, r, r.PathValue("client_id"), false)
}

func (h *handler) finishAssociation(w http.ResponseWriter, r *http.Request, clientID string, on bool) {
	name := r.PathValue("name")
	if err := h.svc.setScopeClient(r.Context(), name, clientID, on); err != nil {
		h.writeResult(w, r, err)
		return
	}
	sc, err := h.svc.getScope(r.Context(), name)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	j, err := h.scopeJSON(r, sc)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *handler) apiListUsers(w http.ResponseWriter, r *http.Request) {
	us, err := h.st.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	out := make([]userJSON, 0, len(us))
	for _, u := range us {
		j, err := h.userJSON(r, u)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (h *handler) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	var in UserInput
	if !decode(w, r, &in) {
		return
	}
	u, err := h.svc.createUser(r.Context(), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	h.writeUser(w, r, http.StatusCreated, u)
}

func (h *handler) apiGetUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.svc.getUser(r.Context(), r.PathValue("username"))
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	h.writeUser(w, r, http.StatusOK, u)
}

func (h *handler) apiUpdateUser(w http.ResponseWriter, r *http.Request) {
	var in UserInput
	if !decode(w, r, &in) {
		return
	}
	u, err := h.svc.updateUser(r.Context(), r.PathValue("username"), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	h.writeUser(w, r, http.StatusOK, u)
}

func (h *handler) apiDeleteUser(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.deleteUser(r.Context(), r.PathValue("username")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) apiListTokens(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	all, err := parseBoolParam(q.Get("all"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "the query has invalid parameters", map[string]string{"all": err.Error()})
		return
	}
	ts, err := h.svc.listTokens(r.Context(), TokenQuery{
		ClientID: q.Get("client_id"), Subject: q.Get("subject"), Kind: store.TokenKind(q.Get("kind")), All: all,
	})
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTokenJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func parseBoolParam(v string) (bool, error) {
	switch v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("must be true or false, not %q", v)
}

func (h *handler) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.revokeToken(r.Context(), store.TokenKind(r.PathValue("kind")), r.PathValue("id")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) apiGetSettings(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.getSettings(r.Context(), h.cfg.Defaults)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsView(st))
}

func (h *handler) apiPutSettings(w http.ResponseWriter, r *http.Request) {
	var in SettingsInput
	if !decode(w, r, &in) {
		return
	}
	st, err := h.saveSettings(r, in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsView(st))
}

func (h *handler) writeUser(w http.ResponseWriter, r *http.Request, status int, u *store.User) {
	j, err := h.userJSON(r, u)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", h.path("/admin/api/users/"+url.PathEscape(u.Username)))
	}
	writeJSON(w, status, j)
}

func (h *handler) apiListGroups(w http.ResponseWriter, r *http.Request) {
	gs, err := h.st.ListGroups(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if gs == nil {
		gs = []*store.Group{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": gs})
}

func (h *handler) apiCreateGroup(w http.ResponseWriter, r *http.Request) {
	var in GroupInput
	if !decode(w, r, &in) {
		return
	}
	g, err := h.svc.createGroup(r.Context(), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.Header().Set("Location", h.path("/admin/api/groups/"+url.PathEscape(g.Name)))
	writeJSON(w, http.StatusCreated, g)
}

func (h *handler) apiGetGroup(w http.ResponseWriter, r *http.Request) {
	g, err := h.svc.getGroup(r.Context(), r.PathValue("name"))
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (h *handler) apiUpdateGroup(w http.ResponseWriter, r *http.Request) {
	var in GroupInput
	if !decode(w, r, &in) {
		return
	}
	g, err := h.svc.updateGroup(r.Context(), r.PathValue("name"), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (h *handler) apiDeleteGroup(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.deleteGroup(r.Context(), r.PathValue("name")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) apiListACLs(w http.ResponseWriter, r *http.Request) {
	as, err := h.st.ListACLs(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if as == nil {
		as = []*store.ACL{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"acls": as})
}

func (h *handler) apiCreateACL(w http.ResponseWriter, r *http.Request) {
	var in ACLInput
	if !decode(w, r, &in) {
		return
	}
	a, err := h.svc.createACL(r.Context(), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.Header().Set("Location", h.path("/admin/api/acls/"+url.PathEscape(a.Name)))
	writeJSON(w, http.StatusCreated, a)
}

func (h *handler) apiGetACL(w http.ResponseWriter, r *http.Request) {
	a, err := h.svc.getACL(r.Context(), r.PathValue("name"))
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *handler) apiUpdateACL(w http.ResponseWriter, r *http.Request) {
	var in ACLInput
	if !decode(w, r, &in) {
		return
	}
	a, err := h.svc.updateACL(r.Context(), r.PathValue("name"), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *handler) apiDeleteACL(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.deleteACL(r.Context(), r.PathValue("name")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type resourceACLJSON struct {
	Resource string `json:"resource"`
	ACL      string `json:"acl"`
}

func (h *handler) apiListResourceACLs(w http.ResponseWriter, r *http.Request) {
	ras, err := h.st.ListResourceACLs(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	out := make([]resourceACLJSON, 0, len(ras))
	for _, ra := range ras {
		out = append(out, resourceACLJSON{Resource: ra.Resource.String(), ACL: ra.ACL})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resource_acls": out})
}

func (h *handler) apiSetResourceACL(w http.ResponseWriter, r *http.Request) {
	var in ResourceACLInput
	if !decode(w, r, &in) {
		return
	}
	if err := h.svc.setResourceACL(r.Context(), in); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// saveSettings saves the settings and tells the server.
func (h *handler) saveSettings(r *http.Request, in SettingsInput) (store.Settings, error) {
	st, err := h.svc.putSettings(r.Context(), in)
	if err == nil && h.cfg.OnSettingsChanged != nil {
		h.cfg.OnSettingsChanged(st)
	}
	return st, err
}

func (h *handler) apiListPackages(w http.ResponseWriter, r *http.Request) {
	ps, err := h.st.ListPackages(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if ps == nil {
		ps = []*store.Package{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"packages": ps})
}

func (h *handler) apiGetPackage(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.getPackage(r.Context(), r.PathValue("name"))
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (h *handler) apiPutPackage(w http.ResponseWriter, r *http.Request) {
	var in PackageInput
	if !decode(w, r, &in) {
		return
	}
	p, err := h.svc.putPackage(r.Context(), r.PathValue("name"), in)
	if err != nil {
		h.writeResult(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (h *handler) apiDeletePackage(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.deletePackage(r.Context(), r.PathValue("name")); err != nil {
		h.writeResult(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
