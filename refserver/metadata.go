package refserver

import (
	"context"

	"github.com/oauthconf/oauthconf/refserver/store"
	"net/http"
)

// metadata is the authorization server metadata document (RFC 8414 2). Every value is
// what the server actually does: the conformance suite reads capabilities from it.
func (s *Server) metadata(r *http.Request) (map[string]any, error) {
	scopes, err := s.store.ListScopes(r.Context())
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		names = append(names, sc.Name)
	}
	iss := s.cfg.Issuer
	md := map[string]any{
		"issuer":                   iss,
		"authorization_endpoint":   iss + PathAuthorize,
		"token_endpoint":           iss + PathToken,
		"introspection_endpoint":   iss + PathIntrospect,
		"revocation_endpoint":      iss + PathRevoke,
		"response_types_supported": []string{"code", "token"},
		// RFC 6749 4.1.2 / 4.2.2: code in the query, implicit tokens in the fragment.
		"response_modes_supported": []string{"query", "fragment"},
		"grant_types_supported": []string{
			"authorization_code", "implicit", "client_credentials", "password", "refresh_token",
		},
		// "none" is how a public client uses the token and revocation endpoints (RFC 7591 2).
		"token_endpoint_auth_methods_supported":         []string{authMethodBasic, authMethodPost, authMethodNone},
		"revocation_endpoint_auth_methods_supported":    []string{authMethodBasic, authMethodPost, authMethodNone},
		"introspection_endpoint_auth_methods_supported": []string{authMethodBasic, authMethodPost},
		// RFC 9700 2.1.1: S256 only; plain is refused.
		"code_challenge_methods_supported": []string{"S256"},
		// RFC 9207 3.
		"authorization_response_iss_parameter_supported": true,
	}
	if s.quirks.Has(QuirkMetadataOmitsPKCE) {
		delete(md, "code_challenge_methods_supported")
	}
	if s.quirks.Has(QuirkBasicAuthRefused) {
		// The metadata says what the server does: no client_secret_basic anywhere.
		for _, k := range []string{"token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
			md[k] = []string{authMethodPost, authMethodNone}
		}
		md["introspection_endpoint_auth_methods_supported"] = []string{authMethodPost}
	}
	if s.jwtKeys != nil {
		// RFC 8414 2: "jwks_uri OPTIONAL. URL of the authorization server's JWK Set".
		md["jwks_uri"] = iss + PathJWKS
	}
	// RFC 8414 2: scopes_supported is RECOMMENDED; 3.2: omit an empty array.
	if len(names) > 0 {
		md["scopes_supported"] = names
	}
	return md, nil
}

// handleMetadata serves RFC 8414 3: GET, 200, application/json.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		oe := methodNotAllowed(r.Method)
		oe.Allow = "GET, HEAD"
		oe.Description = "HTTP method " + r.Method + " is not allowed here: use GET"
		writeOAuthError(w, r, oe)
		return
	}
	md, err := s.metadata(r)
	if err != nil {
		writeOAuthError(w, r, serverError(err))
		return
	}
	// The document changes only when scopes are added; a minute of caching spares clients
	// a fetch per request without hiding a change for long.
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, md)
}

// metadataStore is what the metadata document lists: the scopes.
type metadataStore interface {
	ListScopes(ctx context.Context) ([]*store.Scope, error)
}

var _ metadataStore = (*store.Store)(nil)
