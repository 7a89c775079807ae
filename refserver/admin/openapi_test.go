package admin

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// TestOpenAPIDocumentsEveryRoute: every operation the API serves is in openapi.yaml, and every
// documented operation is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := doc.operations()
	h := &handler{st: (*store.Store)(nil)} // the routes bind the store's methods; none is called
	var served []string
	for _, rt := range h.apiRouteList() {
		served = append(served, rt.method+" "+rt.pattern)
	}
	served = append(served, "GET /admin/api/openapi.yaml")
	for _, s := range served {
		if !slices.Contains(documented, s) {
			t.Errorf("the API serves %s, which openapi.yaml does not document", s)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("openapi.yaml documents %s, which the API does not serve", d)
		}
	}
}

// TestOpenAPIConformance calls every documented operation against a real store; the env's
// checker verifies each answer's status and property names against the document (as it does
// in every API test), and this test verifies that every operation was exercised.
func TestOpenAPIConformance(t *testing.T) {
	e := newEnv(t)
	r := e.api("POST", "/admin/api/clients", map[string]any{"name": "c", "grant_types": []string{"client_credentials"}, "scopes": []string{"calc:read"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create client: %d %s", r.status, r.body)
	}
	id := r.json(t)["client_id"].(string)
	access, _ := issue(t, e.st, id, "", false)
	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/admin/api/clients", nil, 200},
		{"GET", "/admin/api/clients/" + id, nil, 200},
		{"PUT", "/admin/api/clients/" + id, map[string]any{"name": "c2", "grant_types": []string{"client_credentials"}}, 200},
		{"PUT", "/admin/api/clients/" + id, map[string]any{"name": "c2", "grant_types": []string{}}, 400},
		{"POST", "/admin/api/clients/" + id + "/disable", nil, 200},
		{"POST", "/admin/api/clients/" + id + "/enable", nil, 200},
		{"POST", "/admin/api/clients/" + id + "/secret", nil, 200},
		{"GET", "/admin/api/tokens?client_id=" + id, nil, 200},
		{"POST", "/admin/api/tokens/access_token/" + access + "/revoke", nil, 204},
		{"POST", "/admin/api/clients/" + id + "/revoke-tokens", nil, 204},
		{"GET", "/admin/api/scopes", nil, 200},
		{"POST", "/admin/api/scopes", map[string]any{"name": "s1", "resources": []string{"GET /s1"}}, 201},
		{"GET", "/admin/api/scopes/s1", nil, 200},
		{"PUT", "/admin/api/scopes/s1", map[string]any{"description": "d"}, 200},
		{"POST", "/admin/api/scopes/s1/clients", map[string]any{"client_id": id}, 200},
		{"DELETE", "/admin/api/scopes/s1/clients/" + id, nil, 200},
		{"DELETE", "/admin/api/scopes/s1", nil, 204},
		{"GET", "/admin/api/users", nil, 200},
		{"POST", "/admin/api/users", map[string]any{"username": "u1", "password": "u1-Secret-1"}, 201},
		{"GET", "/admin/api/users/u1", nil, 200},
		{"PUT", "/admin/api/users/u1", map[string]any{"enabled": false}, 200},
		{"GET", "/admin/api/groups", nil, 200},
		{"POST", "/admin/api/groups", map[string]any{"name": "g1", "members": []string{"u1", "client:" + id}}, 201},
		{"GET", "/admin/api/groups/g1", nil, 200},
		{"PUT", "/admin/api/groups/g1", map[string]any{"members": []string{"u1"}}, 200},
		{"GET", "/admin/api/acls", nil, 200},
		{"POST", "/admin/api/acls", map[string]any{"name": "a1", "allow": []string{"g1"}}, 201},
		{"GET", "/admin/api/acls/a1", nil, 200},
		{"PUT", "/admin/api/acls/a1", map[string]any{"deny": []string{"g1"}}, 200},
		{"PUT", "/admin/api/resource-acls", map[string]any{"resource": "GET /s1", "acl": "a1"}, 204},
		{"GET", "/admin/api/resource-acls", nil, 200},
		{"DELETE", "/admin/api/groups/g1", nil, 409},
		{"PUT", "/admin/api/resource-acls", map[string]any{"resource": "GET /s1", "acl": ""}, 204},
		{"DELETE", "/admin/api/acls/a1", nil, 204},
		{"DELETE", "/admin/api/groups/g1", nil, 204},
		{"DELETE", "/admin/api/users/u1", nil, 204},
		{"GET", "/admin/api/packages", nil, 200},
		{"PUT", "/admin/api/packages/Reports", map[string]any{"description": "d", "folders": []string{"reports.api"}}, 200},
		{"PUT", "/admin/api/packages/Other", map[string]any{"folders": []string{"reports.api"}}, 400},
		{"GET", "/admin/api/packages/Reports", nil, 200},
		{"PUT", "/admin/api/scopes/calc:read", map[string]any{"description": "x", "resources": []string{"package Reports"}}, 200},
		{"DELETE", "/admin/api/packages/Reports", nil, 409},
		{"PUT", "/admin/api/scopes/calc:read", map[string]any{"description": "x", "resources": []string{}}, 200},
		{"DELETE", "/admin/api/packages/Reports", nil, 204},
		{"GET", "/admin/api/packages/Reports", nil, 404},
		{"GET", "/admin/api/settings", nil, 200},
		{"PUT", "/admin/api/settings", map[string]any{"access_token_ttl": 60, "refresh_token_ttl": 60, "auth_code_ttl": 60, "approval_title": "t"}, 200},
		{"DELETE", "/admin/api/clients/" + id, nil, 204},
		{"GET", "/admin/api/clients/" + id, nil, 404},
	}
	for _, s := range steps {
		if r := e.api(s.method, s.path, s.body); r.status != s.want {
			t.Errorf("%s %s: status %d, want %d: %s", s.method, s.path, r.status, s.want, r.body)
		}
	}
	// The document itself, without credentials.
	res, err := e.srv.Client().Get(e.srv.URL + "/admin/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "yaml") {
		t.Errorf("openapi.yaml: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	e.doc.hit["GET /admin/api/openapi.yaml"] = true
	for _, op := range e.doc.operations() {
		if !e.doc.hit[op] {
			t.Errorf("%s was not exercised", op)
		}
	}
}
