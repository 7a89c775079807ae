package refserver

import (
	"net/http"
	"slices"
	"testing"
)

func TestMetadata(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(request{Method: http.MethodGet, Path: PathMetadata})
	if r.Status != http.StatusOK {
		t.Fatalf("expected 200, got %s", r)
	}
	for k, want := range map[string]string{
		"issuer":                 testIssuer,
		"authorization_endpoint": testIssuer + PathAuthorize,
		"token_endpoint":         testIssuer + PathToken,
		"introspection_endpoint": testIssuer + PathIntrospect,
		"revocation_endpoint":    testIssuer + PathRevoke,
	} {
		if got := r.str(k); got != want {
			t.Errorf("%s: expected %q, got %q", k, want, got)
		}
	}
	list := func(k string) []string {
		var out []string
		v, _ := r.JSON[k].([]any)
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	for k, want := range map[string][]string{
		"response_types_supported":                      {"code", "token"},
		"response_modes_supported":                      {"query", "fragment"},
		"grant_types_supported":                         {"authorization_code", "implicit", "client_credentials", "password", "refresh_token"},
		"token_endpoint_auth_methods_supported":         {"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":    {"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":              {"S256"},
	} {
		if got := list(k); !slices.Equal(got, want) {
			t.Errorf("%s: expected %v, got %v", k, want, got)
		}
	}
	scopes := list("scopes_supported")
	for _, sc := range []string{"calc:read", "calc:write", "offline_access"} {
		if !slices.Contains(scopes, sc) {
			t.Errorf("scopes_supported lacks %s: %v", sc, scopes)
		}
	}
	if r.JSON["authorization_response_iss_parameter_supported"] != true {
		t.Error("authorization_response_iss_parameter_supported is not true")
	}
	if r.Header.Get("Cache-Control") == "" {
		t.Error("no Cache-Control on the metadata")
	}
	r = e.do(request{Method: http.MethodPost, Path: PathMetadata})
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") == "" {
		t.Fatalf("POST: expected 405 with Allow, got %s", r)
	}
}
