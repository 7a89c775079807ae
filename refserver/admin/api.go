package admin

import (
	"context"
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
		{"GET", "/admin/api/clients/{id}", apiGet(h, "id", h.svc.getClient, clientView)},
		{"PUT", "/admin/api/clients/{id}", apiUpdate(h, "id", h.svc.updateClient, clientView)},
		{"DELETE", "/admin/api/clients/{id}", apiDelete(h, "id", h.svc.deleteClient)},
		{"POST", "/admin/api/clients/{id}/enable", h.apiEnableClient(true)},
		{"POST", "/admin/api/clients/{id}/disable", h.apiEnableClient(false)},
		{"POST", "/admin/api/clients/{id}/secret", h.apiRegenerateSecret},
		{"POST", "/admin/api/clients/{id}/revoke-tokens", apiDelete(h, "id", h.svc.revokeClientTokens)},
		{"GET", "/admin/api/scopes", h.apiListScopes},
		{"POST", "/admin/api/scopes", apiCreate(h, h.svc.createScope, h.scopeView, scopeLocation)},
		{"GET", "/admin/api/scopes/{name}", apiGet(h, "name", h.svc.getScope, h.scopeView)},
		{"PUT", "/admin/api/scopes/{name}", apiUpdate(h, "name", h.svc.updateScope, h.scopeView)},
		{"DELETE", "/admin/api/scopes/{name}", apiDelete(h, "name", h.svc.deleteScope)},
		{"POST", "/admin/api/scopes/{name}/clients", h.apiAssociateScope},
		{"DELETE", "/admin/api/scopes/{name}/clients/{client_id}", h.apiDissociateScope},
		{"GET", "/admin/api/users", h.apiListUsers},
		{"POST", "/admin/api/users", apiCreate(h, h.svc.createUser, h.userView, userLocation)},
		{"GET", "/admin/api/users/{username}", apiGet(h, "username", h.svc.getUser, h.userView)},
		{"PUT", "/admin/api/users/{username}", apiUpdate(h, "username", h.svc.updateUser, h.userView)},
		{"DELETE", "/admin/api/users/{username}", apiDelete(h, "username", h.svc.deleteUser)},
		{"GET", "/admin/api/tokens", h.apiListTokens},
		{"POST", "/admin/api/tokens/{kind}/{id}/revoke", h.apiRevokeToken},
		{"GET", "/admin/api/groups", apiList(h, "groups", h.st.ListGroups)},
		{"POST", "/admin/api/groups", apiCreate(h, h.svc.createGroup, asIs, groupLocation)},
		{"GET", "/admin/api/groups/{name}", apiGet(h, "name", h.svc.getGroup, asIs)},
		{"PUT", "/admin/api/groups/{name}", apiUpdate(h, "name", h.svc.updateGroup, asIs)},
		{"DELETE", "/admin/api/groups/{name}", apiDelete(h, "name", h.svc.deleteGroup)},
		{"GET", "/admin/api/acls", apiList(h, "acls", h.st.ListACLs)},
		{"POST", "/admin/api/acls", apiCreate(h, h.svc.createACL, asIs, aclLocation)},
		{"GET", "/admin/api/acls/{name}", apiGet(h, "name", h.svc.getACL, asIs)},
		{"PUT", "/admin/api/acls/{name}", apiUpdate(h, "name", h.svc.updateACL, asIs)},
		{"DELETE", "/admin/api/acls/{name}", apiDelete(h, "name", h.svc.deleteACL)},
		{"GET", "/admin/api/resource-acls", h.apiListResourceACLs},
		{"PUT", "/admin/api/resource-acls", h.apiSetResourceACL},
		{"GET", "/admin/api/packages", apiList(h, "packages", h.st.ListPackages)},
		{"GET", "/admin/api/packages/{name}", apiGet(h, "name", h.svc.getPackage, asIs)},
		{"PUT", "/admin/api/packages/{name}", apiUpdate(h, "name", h.svc.putPackage, asIs)},
		{"DELETE", "/admin/api/packages/{name}", apiDelete(h, "name", h.svc.deletePackage)},
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
				h.checkFailed(w, r, "api", user, err) // throttle.go
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
	if store.IsBusy(err) {
		// The database stayed locked by another process: nothing was done, try again.
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the server is busy; nothing was saved: retry in a moment", nil)
		return
	}
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

// The operations on one kind of item share a shape; these build them. An item's view turns
// it into the JSON to send (an error from it is a server error), and a created item's
// location is the path of its URL, sent in the Location header.

type jsonView[T any] func(r *http.Request, v T) (any, error)

// asIs sends an item as it is.
func asIs[T any](_ *http.Request, v T) (any, error) { return v, nil }

func clientView(_ *http.Request, c *store.Client) (any, error) { return toClientJSON(c), nil }

func (h *handler) scopeView(r *http.Request, sc *store.Scope) (any, error) { return h.scopeJSON(r, sc) }

func (h *handler) userView(r *http.Request, u *store.User) (any, error) { return h.userJSON(r, u) }

func scopeLocation(sc *store.Scope) string { return "/admin/api/scopes/" + url.PathEscape(sc.Name) }
func userLocation(u *store.User) string    { return "/admin/api/users/" + url.PathEscape(u.Username) }
func groupLocation(g *store.Group) string  { return "/admin/api/groups/" + url.PathEscape(g.Name) }
func aclLocation(a *store.ACL) string      { return "/admin/api/acls/" + url.PathEscape(a.Name) }

// apiList answers with every item, as {key: [...]}.
func apiList[T any](h *handler, key string, list func(context.Context) ([]T, error)) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := list(r.Context())
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if items == nil {
			items = []T{}
		}
		writeJSON(w, http.StatusOK, map[string]any{key: items})
	}
}

// apiCreate creates an item from the body and answers 201 with it and its Location.
func apiCreate[In, T any](h *handler, create func(context.Context, In) (T, error), v jsonView[T], location func(T) string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if !decode(w, r, &in) {
			return
		}
		item, err := create(r.Context(), in)
		if err != nil {
			h.writeResult(w, r, err)
			return
		}
		j, err := v(r, item)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		w.Header().Set("Location", h.path(location(item)))
		writeJSON(w, http.StatusCreated, j)
	}
}

// apiGet answers with the item the path value key names.
func apiGet[T any](h *handler, key string, get func(context.Context, string) (T, error), v jsonView[T]) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		item, err := get(r.Context(), r.PathValue(key))
		if err != nil {
			h.writeResult(w, r, err)
			return
		}
		writeItem(h, w, r, item, v)
	}
}

// apiUpdate changes the item the path value key names to the body and answers with it.
func apiUpdate[In, T any](h *handler, key string, update func(context.Context, string, In) (T, error), v jsonView[T]) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if !decode(w, r, &in) {
			return
		}
		item, err := update(r.Context(), r.PathValue(key), in)
		if err != nil {
			h.writeResult(w, r, err)
			return
		}
		writeItem(h, w, r, item, v)
	}
}

// apiDelete applies op (a delete, or another operation answered with no content) to the item
// the path value key names and answers 204.
func apiDelete(h *handler, key string, op func(context.Context, string) error) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := op(r.Context(), r.PathValue(key)); err != nil {
			h.writeResult(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func writeItem[T any](h *handler, w http.ResponseWriter, r *http.Request, item T, v jsonView[T]) {
	j, err := v(r, item)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

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
	writeItem(h, w, r, sc, h.scopeView)
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
