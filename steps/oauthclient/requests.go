package oauthclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// AuthMethod is how a client authenticates at the token, introspection and revocation endpoints.
type AuthMethod string

// Client authentication methods (RFC 6749 2.3.1).
const (
	// AuthBasic sends the credentials in an HTTP Basic Authorization header (client_secret_basic).
	AuthBasic AuthMethod = "basic"
	// AuthPost sends client_id and client_secret in the form body (client_secret_post).
	AuthPost AuthMethod = "post"
	// AuthNone sends only client_id in the body (a public client, or an unauthenticated attempt).
	AuthNone AuthMethod = "none"
	// AuthOmit sends no client identification at all.
	AuthOmit AuthMethod = "omit"
)

// ParseAuthMethod maps profile and metadata names (client_secret_basic, ...) and short names.
func ParseAuthMethod(s string) (AuthMethod, error) {
	switch strings.ToLower(s) {
	case "basic", "client_secret_basic":
		return AuthBasic, nil
	case "post", "client_secret_post":
		return AuthPost, nil
	case "none", "":
		return AuthNone, nil
	case "omit":
		return AuthOmit, nil
	}
	return "", fmt.Errorf("unknown client authentication method %q (want client_secret_basic, client_secret_post or none)", s)
}

// Credentials identify a client.
type Credentials struct {
	ID, Secret string
}

// FormRequest is a form-encoded request to an OAuth endpoint with client authentication.
type FormRequest struct {
	Endpoint   string
	Method     string // default POST
	Form       url.Values
	Client     Credentials
	AuthMethod AuthMethod
	// Query is added to the endpoint's query (for checks that credentials in the URI are refused).
	Query url.Values
	// Header is added as is (e.g. a Bearer Authorization for introspection).
	Header http.Header
}

// Send sends the request once with c.
func (r FormRequest) Send(ctx context.Context, c *Client) (*Response, error) {
	if r.Endpoint == "" {
		return nil, fmt.Errorf("no endpoint: the target profile or its metadata must name it")
	}
	form := url.Values{}
	for k, v := range r.Form {
		form[k] = append([]string(nil), v...)
	}
	header := http.Header{}
	switch r.AuthMethod {
	case AuthBasic:
		// RFC 6749 2.3.1: the client identifier and password are form-urlencoded before they
		// are used as the HTTP Basic user-id and password.
		header.Set("Authorization", BasicAuth(r.Client.ID, r.Client.Secret))
	case AuthPost:
		form.Set("client_id", r.Client.ID)
		form.Set("client_secret", r.Client.Secret)
	case AuthNone, "":
		if r.Client.ID != "" {
			form.Set("client_id", r.Client.ID)
		}
	case AuthOmit:
	default:
		return nil, fmt.Errorf("unknown client authentication method %q", r.AuthMethod)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	u, err := url.Parse(r.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("bad endpoint %q: %w", r.Endpoint, err)
	}
	if len(r.Query) > 0 {
		q := u.Query()
		for k, vs := range r.Query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	var req *http.Request
	if method == http.MethodGet {
		// A GET carries the form in the query: used to check that the endpoint refuses it.
		q := u.Query()
		for k, vs := range form {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, method, u.String(), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, u.String(), strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("building the request to %s: %w", r.Endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	ex, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	return NewResponse(ex), nil
}

// BasicAuth encodes an HTTP Basic Authorization value as RFC 6749 2.3.1 asks.
func BasicAuth(id, secret string) string {
	raw := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// TokenRequest is a request to the token endpoint (RFC 6749 4.1.3, 4.3.2, 4.4.2, 6). Empty
// fields are not sent. Extra is added after the typed fields, so it can repeat a parameter.
type TokenRequest struct {
	Endpoint     string
	Method       string
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scope        string
	Username     string
	Password     string
	Client       Credentials
	AuthMethod   AuthMethod
	Extra        url.Values
	Query        url.Values
}

// Form returns the form parameters of the request.
func (r TokenRequest) Form() url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	set("grant_type", r.GrantType)
	set("code", r.Code)
	set("redirect_uri", r.RedirectURI)
	set("code_verifier", r.CodeVerifier)
	set("refresh_token", r.RefreshToken)
	set("scope", r.Scope)
	set("username", r.Username)
	set("password", r.Password)
	for k, vs := range r.Extra {
		f[k] = append(f[k], vs...)
	}
	return f
}

// Send sends the token request once with c.
func (r TokenRequest) Send(ctx context.Context, c *Client) (*Response, error) {
	return FormRequest{Endpoint: r.Endpoint, Method: r.Method, Form: r.Form(), Client: r.Client,
		AuthMethod: r.AuthMethod, Query: r.Query}.Send(ctx, c)
}

// TokenOpRequest is an introspection (RFC 7662 2.1) or revocation (RFC 7009 2.1) request.
type TokenOpRequest struct {
	Endpoint      string
	Method        string // default POST
	Token         string
	TokenTypeHint string
	Client        Credentials
	AuthMethod    AuthMethod
	Extra         url.Values
	// Bearer, when set, authorizes the call with this access token instead of client credentials.
	Bearer string
}

func (r TokenOpRequest) form() FormRequest {
	f := url.Values{}
	if r.Token != "" {
		f.Set("token", r.Token)
	}
	if r.TokenTypeHint != "" {
		f.Set("token_type_hint", r.TokenTypeHint)
	}
	for k, vs := range r.Extra {
		f[k] = append(f[k], vs...)
	}
	fr := FormRequest{Endpoint: r.Endpoint, Method: r.Method, Form: f, Client: r.Client, AuthMethod: r.AuthMethod}
	if r.Bearer != "" {
		fr.Header = http.Header{"Authorization": {"Bearer " + r.Bearer}}
		fr.AuthMethod = AuthOmit
	}
	return fr
}

// Introspect sends an RFC 7662 introspection request.
func (r TokenOpRequest) Introspect(ctx context.Context, c *Client) (*Response, error) {
	return r.form().Send(ctx, c)
}

// Revoke sends an RFC 7009 revocation request.
func (r TokenOpRequest) Revoke(ctx context.Context, c *Client) (*Response, error) {
	return r.form().Send(ctx, c)
}

// TokenPlacement is where a bearer token goes in a resource request (RFC 6750 2).
type TokenPlacement string

// Bearer token placements.
const (
	InHeader TokenPlacement = "header" // RFC 6750 2.1
	InForm   TokenPlacement = "form"   // RFC 6750 2.2
	InQuery  TokenPlacement = "query"  // RFC 6750 2.3
	NoToken  TokenPlacement = "none"
)

// ResourceRequest calls a protected resource with a bearer token.
type ResourceRequest struct {
	URL       string
	Method    string // default GET (POST when the token is in the form)
	Token     string
	Placement TokenPlacement
	// Scheme is the Authorization scheme as sent, default "Bearer" (to check case-insensitivity).
	Scheme string
}

// Send sends the resource request once.
func (r ResourceRequest) Send(ctx context.Context, c *Client) (*Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
		if r.Placement == InForm {
			method = http.MethodPost
		}
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("bad resource URL %q: %w", r.URL, err)
	}
	var body *strings.Reader
	switch r.Placement {
	case InQuery:
		q := u.Query()
		q.Set("access_token", r.Token)
		u.RawQuery = q.Encode()
	case InForm:
		body = strings.NewReader(url.Values{"access_token": {r.Token}}.Encode())
	}
	var req *http.Request
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, method, u.String(), body)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, u.String(), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("building the resource request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.Placement == InHeader || r.Placement == "" {
		scheme := r.Scheme
		if scheme == "" {
			scheme = "Bearer"
		}
		req.Header.Set("Authorization", scheme+" "+r.Token)
	}
	ex, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	return NewResponse(ex), nil
}

// AuthorizeURL builds an authorization request URL (RFC 6749 4.1.1, 4.2.1). Parameters keep
// their order and may repeat on purpose (to check that the server refuses repeats).
type AuthorizeURL struct {
	Endpoint string
	params   [][2]string
}

// NewAuthorizeURL starts an authorization request to endpoint.
func NewAuthorizeURL(endpoint string) *AuthorizeURL { return &AuthorizeURL{Endpoint: endpoint} }

// Set replaces every value of name with value (adding it when absent).
func (a *AuthorizeURL) Set(name, value string) *AuthorizeURL {
	kept := a.params[:0]
	found := false
	for _, p := range a.params {
		if p[0] == name {
			if found {
				continue
			}
			found = true
			p[1] = value
		}
		kept = append(kept, p)
	}
	a.params = kept
	if !found {
		a.params = append(a.params, [2]string{name, value})
	}
	return a
}

// Add appends name=value, even when name is already present.
func (a *AuthorizeURL) Add(name, value string) *AuthorizeURL {
	a.params = append(a.params, [2]string{name, value})
	return a
}

// Del removes every value of name.
func (a *AuthorizeURL) Del(name string) *AuthorizeURL {
	kept := a.params[:0]
	for _, p := range a.params {
		if p[0] != name {
			kept = append(kept, p)
		}
	}
	a.params = kept
	return a
}

// Get returns the first value of name.
func (a *AuthorizeURL) Get(name string) string {
	for _, p := range a.params {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
}

// Has reports whether name is present.
func (a *AuthorizeURL) Has(name string) bool {
	for _, p := range a.params {
		if p[0] == name {
			return true
		}
	}
	return false
}

// String renders the URL. A query already in the endpoint is kept (RFC 6749 3.1: the endpoint
// URI MAY include a query component, which MUST be retained).
func (a *AuthorizeURL) String() string {
	var b strings.Builder
	b.WriteString(a.Endpoint)
	sep := "?"
	if strings.Contains(a.Endpoint, "?") {
		sep = "&"
	}
	for _, p := range a.params {
		b.WriteString(sep)
		sep = "&"
		b.WriteString(url.QueryEscape(p[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p[1]))
	}
	return b.String()
}
