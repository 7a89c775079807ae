package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func TestAPIRefusesAnythingButAdministratorCredentials(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ name, user, pass string }{
		{"no credentials", "", ""},
		{"wrong password", testAdmin, "wrong-password"},
		{"unknown administrator", "root", testPassword},
		// An OAuth client's id and secret never authenticate an administrator.
		{"a client's id and secret", "conf-code", "conf-code-secret-0123456789"},
		// Nor does a resource owner's password.
		{"a resource owner", "alice", "alice-Secret-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.apiAs(c.user, c.pass, "GET", "/admin/api/clients", nil)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.status, r.body)
			}
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge (RFC 7617)", got)
			}
			if r.json(t)["error"] != "unauthorized" {
				t.Errorf("error = %v, want unauthorized", r.json(t)["error"])
			}
		})
	}
	// Unknown paths do not reveal themselves before authentication.
	if r := e.apiAs("", "", "GET", "/admin/api/nothing-here", nil); r.status != http.StatusUnauthorized {
		t.Errorf("unknown path without credentials: status %d, want 401", r.status)
	}
	if r := e.api("GET", "/admin/api/nothing-here", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", r.status)
	}
	if r := e.api("GET", "/admin/api/clients", nil); r.status != http.StatusOK {
		t.Fatalf("administrator: status %d: %s", r.status, r.body)
	}
}

func TestAPIRefusesCrossOriginBrowserRequests(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/api/clients/conf-code/disable", nil)
	req.SetBasicAuth(testAdmin, testPassword)
	req.Header.Set("Origin", "https://evil.example")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", res.StatusCode)
	}
	c, err := e.st.LookupClient(context.Background(), "conf-code")
	if err != nil || !c.Enabled {
		t.Fatalf("the cross-origin request changed the client: %+v %v", c, err)
	}
}

func TestAPIClientLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.api("POST", "/admin/api/clients", map[string]any{
		"name":          "Console-made client",
		"redirect_uris": []string{"https://app.example/cb", "http://127.0.0.1/cb"},
		"grant_types":   []string{"authorization_code", "refresh_token", "client_credentials"},
		"scopes":        []string{"calc:read"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", r.status, r.body)
	}
	created := r.json(t)
	id, _ := created["client_id"].(string)
	secret, _ := created["client_secret"].(string)
	if id == "" || len(secret) < 40 {
		t.Fatalf("create: want a generated id and a 256-bit secret, got %q and %q", id, secret)
	}
	if created["token_endpoint_auth_method"] != "client_secret_basic" || created["enabled"] != true {
		t.Errorf("create: defaults not applied: %v", created)
	}
	if created["service_user"] != "client:"+id {
		t.Errorf("service_user = %v, want client:%s (RFC 9700 4.15)", created["service_user"], id)
	}
	c, err := e.st.LookupClient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c.SecretHash), secret) || bcrypt.CompareHashAndPassword(c.SecretHash, []byte(secret)) != nil {
		t.Fatalf("the stored secret is not the bcrypt hash of the returned one")
	}
	if _, err := e.st.GetServiceUser(ctx, id); err != nil {
		t.Errorf("a client allowed client_credentials has no service user: %v", err)
	}

	// The secret is shown once: never again on a read.
	got := e.api("GET", "/admin/api/clients/"+id, nil)
	if got.status != http.StatusOK || strings.Contains(string(got.body), secret) || got.json(t)["client_secret"] != nil {
		t.Fatalf("get: status %d, and the secret must not be shown again: %s", got.status, got.body)
	}
	list := e.api("GET", "/admin/api/clients", nil)
	if !strings.Contains(string(list.body), `"`+id+`"`) || strings.Contains(string(list.body), secret) {
		t.Errorf("list: the client is missing or its secret shown: %s", list.body)
	}

	upd := e.api("PUT", "/admin/api/clients/"+id, map[string]any{
		"name": "Renamed", "redirect_uris": []string{"https://app.example/cb"},
		"grant_types": []string{"authorization_code"}, "scopes": []string{"calc:read", "calc:write"}, "trusted": true,
	})
	if upd.status != http.StatusOK || upd.json(t)["name"] != "Renamed" || upd.json(t)["trusted"] != true {
		t.Fatalf("update: status %d: %s", upd.status, upd.body)
	}
	if _, err := e.st.GetServiceUser(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the service user outlived the client_credentials grant: %v", err)
	}
	if r := e.api("PUT", "/admin/api/clients/"+id, map[string]any{"name": "x", "public": true, "grant_types": []string{"implicit"},
		"redirect_uris": []string{"https://app.example/cb"}}); r.status != http.StatusBadRequest || r.fields(t)["public"] == nil {
		t.Errorf("changing the client type: status %d, want 400 naming public: %s", r.status, r.body)
	}

	if r := e.api("POST", "/admin/api/clients/"+id+"/disable", nil); r.status != http.StatusOK || r.json(t)["enabled"] != false {
		t.Fatalf("disable: status %d: %s", r.status, r.body)
	}
	if _, err := e.st.GetClient(ctx, id); err == nil {
		t.Errorf("a disabled client is still served to fosite")
	}
	if r := e.api("POST", "/admin/api/clients/"+id+"/enable", nil); r.status != http.StatusOK || r.json(t)["enabled"] != true {
		t.Fatalf("enable: status %d: %s", r.status, r.body)
	}

	re := e.api("POST", "/admin/api/clients/"+id+"/secret", nil)
	newSecret, _ := re.json(t)["client_secret"].(string)
	if re.status != http.StatusOK || newSecret == "" || newSecret == secret {
		t.Fatalf("regenerate: status %d: %s", re.status, re.body)
	}
	c, _ = e.st.LookupClient(ctx, id)
	if bcrypt.CompareHashAndPassword(c.SecretHash, []byte(secret)) == nil || bcrypt.CompareHashAndPassword(c.SecretHash, []byte(newSecret)) != nil {
		t.Errorf("after regeneration the old secret must fail and the new one work")
	}
	if r := e.api("POST", "/admin/api/clients/public-pkce/secret", nil); r.status != http.StatusBadRequest {
		t.Errorf("regenerating a public client's secret: status %d, want 400", r.status)
	}

	if r := e.api("POST", "/admin/api/clients/"+id+"/revoke-tokens", nil); r.status != http.StatusNoContent {
		t.Errorf("revoke-tokens: status %d", r.status)
	}
	if r := e.api("DELETE", "/admin/api/clients/"+id, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: status %d: %s", r.status, r.body)
	}
	for _, p := range []string{"GET /admin/api/clients/" + id, "DELETE /admin/api/clients/" + id,
		"POST /admin/api/clients/" + id + "/enable", "POST /admin/api/clients/" + id + "/revoke-tokens"} {
		m, path, _ := strings.Cut(p, " ")
		if r := e.api(m, path, nil); r.status != http.StatusNotFound || r.json(t)["error"] != "not_found" {
			t.Errorf("%s after delete: status %d, want 404: %s", p, r.status, r.body)
		}
	}
}

func TestAPIPublicClientHasNoSecret(t *testing.T) {
	e := newEnv(t)
	r := e.api("POST", "/admin/api/clients", map[string]any{
		"name": "SPA", "public": true, "redirect_uris": []string{"https://spa.example/cb"},
		"grant_types": []string{"authorization_code"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	j := r.json(t)
	if _, ok := j["client_secret"]; ok || j["token_endpoint_auth_method"] != "none" {
		t.Fatalf("a public client got a secret or a secret auth method: %v", j)
	}
}

// clientCount is used by the bad-input tests: nothing may be saved.
func clientCount(t *testing.T, st *store.Store) int {
	cs, err := st.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestAPIClientBadInputNamesEachFieldAndSavesNothing(t *testing.T) {
	e := newEnv(t)
	good := func() map[string]any {
		return map[string]any{
			"name": "ok", "redirect_uris": []string{"https://app.example/cb"},
			"grant_types": []string{"authorization_code"}, "scopes": []string{"calc:read"},
		}
	}
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"redirect URI with a fragment", func(m map[string]any) { m["redirect_uris"] = []string{"https://app.example/cb#frag"} }, "redirect_uris[0]"},
		{"relative redirect URI", func(m map[string]any) { m["redirect_uris"] = []string{"https://a.example/ok", "/cb"} }, "redirect_uris[1]"},
		{"http redirect off loopback", func(m map[string]any) { m["redirect_uris"] = []string{"http://app.example/cb"} }, "redirect_uris[0]"},
		{"wildcard redirect", func(m map[string]any) { m["redirect_uris"] = []string{"https://*.example/cb"} }, "redirect_uris[0]"},
		{"unknown scheme", func(m map[string]any) { m["redirect_uris"] = []string{"javascript:alert(1)"} }, "redirect_uris[0]"},
		{"duplicate redirect", func(m map[string]any) {
			m["redirect_uris"] = []string{"https://app.example/cb", "https://app.example/cb"}
		}, "redirect_uris[1]"},
		{"code grant without redirect", func(m map[string]any) { delete(m, "redirect_uris") }, "redirect_uris"},
		{"unknown grant", func(m map[string]any) { m["grant_types"] = []string{"authorization_code", "magic"} }, "grant_types[1]"},
		{"no grant", func(m map[string]any) { m["grant_types"] = []string{} }, "grant_types"},
		{"public client asking for client_credentials", func(m map[string]any) {
			m["public"] = true
			m["grant_types"] = []string{"authorization_code", "client_credentials"}
		}, "grant_types[1]"},
		{"public client asking for password", func(m map[string]any) {
			m["public"] = true
			m["grant_types"] = []string{"password"}
		}, "grant_types[0]"},
		{"refresh without a grant that issues one", func(m map[string]any) { m["grant_types"] = []string{"implicit", "refresh_token"} }, "grant_types"},
		{"unknown scope", func(m map[string]any) { m["scopes"] = []string{"calc:read", "no-such-scope"} }, "scopes[1]"},
		{"empty name", func(m map[string]any) { m["name"] = "  " }, "name"},
		{"name of the wrong type", func(m map[string]any) { m["name"] = 5 }, "name"},
		{"unknown field", func(m map[string]any) { m["colour"] = "blue" }, "colour"},
		{"secret auth method on a public client", func(m map[string]any) {
			m["public"] = true
			m["token_endpoint_auth_method"] = "client_secret_basic"
		}, "token_endpoint_auth_method"},
		{"unknown auth method", func(m map[string]any) { m["token_endpoint_auth_method"] = "private_key_jwt" }, "token_endpoint_auth_method"},
		{"negative lifetime", func(m map[string]any) { m["access_token_ttl"] = -1 }, "access_token_ttl"},
		{"code lifetime over 10 minutes", func(m map[string]any) { m["auth_code_ttl"] = 601 }, "auth_code_ttl"},
	}
	before := clientCount(t, e.st)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.edit(m)
			r := e.api("POST", "/admin/api/clients", m)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			j := r.json(t)
			if j["error"] != "invalid_request" {
				t.Errorf("error = %v, want invalid_request", j["error"])
			}
			msg, _ := r.fields(t)[c.field].(string)
			if msg == "" {
				t.Errorf("no message for field %q: %s", c.field, r.body)
			}
			if n := clientCount(t, e.st); n != before {
				t.Errorf("a refused request saved a client: %d clients, want %d", n, before)
			}
		})
	}
	// The same checks apply to an update, and leave the client as it was.
	r := e.api("PUT", "/admin/api/clients/conf-code", map[string]any{
		"name": "changed", "redirect_uris": []string{"https://app.example/cb#x"}, "grant_types": []string{"authorization_code"},
	})
	if r.status != http.StatusBadRequest || r.fields(t)["redirect_uris[0]"] == nil {
		t.Fatalf("update: status %d: %s", r.status, r.body)
	}
	if c, _ := e.st.LookupClient(context.Background(), "conf-code"); c.Name == "changed" {
		t.Errorf("a refused update changed the client")
	}
	// A malformed body and a wrong content type are refused too.
	if r := e.api("POST", "/admin/api/clients", "{not json"); r.status != http.StatusBadRequest {
		t.Errorf("malformed JSON: status %d", r.status)
	}
}

func TestAPIScopes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.api("POST", "/admin/api/scopes", map[string]any{"name": "reports:read", "description": "Read reports",
		"resources": []string{"GET /reports", "service reports.api:list"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", r.status, r.body)
	}
	if res := r.json(t)["resources"].([]any); len(res) != 2 {
		t.Errorf("resources = %v", res)
	}
	if r := e.api("POST", "/admin/api/scopes", map[string]any{"name": "reports:read"}); r.status != http.StatusBadRequest || r.fields(t)["name"] == nil {
		t.Errorf("duplicate name: status %d, want 400 naming name: %s", r.status, r.body)
	}
	if r := e.api("POST", "/admin/api/scopes", map[string]any{"name": "has space"}); r.status != http.StatusBadRequest || r.fields(t)["name"] == nil {
		t.Errorf("invalid name: status %d: %s", r.status, r.body)
	}
	// A bad resource refuses the whole scope: nothing saved half-way.
	r = e.api("POST", "/admin/api/scopes", map[string]any{"name": "half", "resources": []string{"GET /ok", "FETCH /nope"}})
	if r.status != http.StatusBadRequest || r.fields(t)["resources[1]"] == nil {
		t.Fatalf("bad resource: status %d: %s", r.status, r.body)
	}
	if _, err := e.st.GetScope(ctx, "half"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused scope was saved: %v", err)
	}

	if r := e.api("POST", "/admin/api/scopes/reports:read/clients", map[string]any{"client_id": "conf-code"}); r.status != http.StatusOK ||
		!slices.Contains(toStrings(r.json(t)["clients"]), "conf-code") {
		t.Fatalf("associate: status %d: %s", r.status, r.body)
	}
	if c, _ := e.st.LookupClient(ctx, "conf-code"); !slices.Contains(c.Scopes, "reports:read") {
		t.Errorf("the client does not have the associated scope: %v", c.Scopes)
	}
	if r := e.api("POST", "/admin/api/scopes/reports:read/clients", map[string]any{"client_id": "nobody"}); r.status != http.StatusBadRequest || r.fields(t)["client_id"] == nil {
		t.Errorf("associate unknown client: status %d: %s", r.status, r.body)
	}
	if r := e.api("POST", "/admin/api/scopes/none/clients", map[string]any{"client_id": "conf-code"}); r.status != http.StatusNotFound {
		t.Errorf("associate unknown scope: status %d", r.status)
	}
	if r := e.api("PUT", "/admin/api/scopes/reports:read", map[string]any{"description": "Read all reports", "resources": []string{"GET /reports/{id}"}}); r.status != http.StatusOK ||
		r.json(t)["description"] != "Read all reports" || !slices.Equal(toStrings(r.json(t)["resources"]), []string{"GET /reports/{id}"}) {
		t.Errorf("update: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/scopes/reports:read", nil); r.status != http.StatusOK {
		t.Errorf("get: status %d", r.status)
	}
	if r := e.api("GET", "/admin/api/scopes", nil); r.status != http.StatusOK || !strings.Contains(string(r.body), "reports:read") {
		t.Errorf("list: status %d", r.status)
	}
	if r := e.api("DELETE", "/admin/api/scopes/reports:read/clients/conf-code", nil); r.status != http.StatusOK ||
		slices.Contains(toStrings(r.json(t)["clients"]), "conf-code") {
		t.Errorf("dissociate: status %d: %s", r.status, r.body)
	}
	// Deleting a scope removes it from every client, in the same transaction.
	e.api("POST", "/admin/api/scopes/reports:read/clients", map[string]any{"client_id": "conf-code-2"})
	if r := e.api("DELETE", "/admin/api/scopes/reports:read", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: status %d", r.status)
	}
	if c, _ := e.st.LookupClient(ctx, "conf-code-2"); slices.Contains(c.Scopes, "reports:read") {
		t.Errorf("a deleted scope stayed on a client")
	}
	if r := e.api("GET", "/admin/api/scopes/reports:read", nil); r.status != http.StatusNotFound {
		t.Errorf("get after delete: status %d", r.status)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestAPIUsersGroupsACLs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if r := e.api("POST", "/admin/api/groups", map[string]any{"name": "auditors", "members": []string{"alice", "client:cc-client"}}); r.status != http.StatusCreated {
		t.Fatalf("create group: status %d: %s", r.status, r.body)
	}
	if r := e.api("POST", "/admin/api/groups", map[string]any{"name": "auditors"}); r.status != http.StatusBadRequest || r.fields(t)["name"] == nil {
		t.Errorf("duplicate group: status %d: %s", r.status, r.body)
	}
	if r := e.api("POST", "/admin/api/groups", map[string]any{"name": "g2", "members": []string{"alice", "nobody"}}); r.status != http.StatusBadRequest || r.fields(t)["members[1]"] == nil {
		t.Errorf("unknown member: status %d: %s", r.status, r.body)
	}

	r := e.api("POST", "/admin/api/users", map[string]any{"username": "carol", "password": "carol-Secret-3", "groups": []string{"auditors"}})
	if r.status != http.StatusCreated || !slices.Equal(toStrings(r.json(t)["groups"]), []string{"auditors"}) {
		t.Fatalf("create user: status %d: %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "carol-Secret-3") {
		t.Errorf("the password was echoed")
	}
	if u, err := e.st.GetUser(ctx, "carol"); err != nil || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte("carol-Secret-3")) != nil {
		t.Errorf("the user's password is not stored as its bcrypt hash: %v", err)
	}
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"duplicate", map[string]any{"username": "carol", "password": "carol-Secret-3"}, "username"},
		// RFC 9700 4.15: no username can look like a client's service user.
		{"service-user lookalike", map[string]any{"username": "client:cc-client", "password": "long-enough-1"}, "username"},
		{"short password", map[string]any{"username": "dave", "password": "short"}, "password"},
		{"surrounding space", map[string]any{"username": " dave", "password": "long-enough-1"}, "username"},
		{"unknown group", map[string]any{"username": "dave", "password": "long-enough-1", "groups": []string{"auditors", "ghosts"}}, "groups[1]"},
	} {
		r := e.api("POST", "/admin/api/users", c.body)
		if r.status != http.StatusBadRequest || r.fields(t)[c.field] == nil {
			t.Errorf("%s: status %d, want 400 naming %s: %s", c.name, r.status, c.field, r.body)
		}
	}
	// Any name the store accepts is accepted (suite-generated names carry '~').
	if r := e.api("POST", "/admin/api/users", map[string]any{"username": "suite-dave-o~lb0b4o", "password": "long-enough-1"}); r.status != http.StatusCreated {
		t.Errorf("a username with '~': status %d: %s", r.status, r.body)
	}
	if _, err := e.st.GetUser(ctx, "dave"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a user refused for an unknown group was saved half-way: %v", err)
	}
	if r := e.api("PUT", "/admin/api/users/carol", map[string]any{"enabled": false, "groups": []string{}}); r.status != http.StatusOK ||
		r.json(t)["enabled"] != false || len(toStrings(r.json(t)["groups"])) != 0 {
		t.Errorf("update user: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/users/carol", nil); r.status != http.StatusOK {
		t.Errorf("get user: status %d", r.status)
	}
	if r := e.api("GET", "/admin/api/users", nil); r.status != http.StatusOK || strings.Contains(string(r.body), "password") {
		t.Errorf("list users: status %d or a password shown: %s", r.status, r.body)
	}

	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"empty name", map[string]any{"name": "", "allow": []string{"auditors"}}, "name"},
		{"unknown group", map[string]any{"name": "a1", "allow": []string{"ghosts"}}, "allow[0]"},
		{"allowed and denied", map[string]any{"name": "a1", "allow": []string{"auditors"}, "deny": []string{"auditors"}}, "deny[0]"},
	} {
		r := e.api("POST", "/admin/api/acls", c.body)
		if r.status != http.StatusBadRequest || r.fields(t)[c.field] == nil {
			t.Errorf("ACL %s: status %d, want 400 naming %s: %s", c.name, r.status, c.field, r.body)
		}
	}
	if r := e.api("POST", "/admin/api/acls", map[string]any{"name": "reports", "allow": []string{"auditors"}}); r.status != http.StatusCreated {
		t.Fatalf("create ACL: status %d: %s", r.status, r.body)
	}
	if r := e.api("PUT", "/admin/api/resource-acls", map[string]any{"resource": "GET /reports", "acl": "reports"}); r.status != http.StatusNoContent {
		t.Fatalf("guard a resource: status %d: %s", r.status, r.body)
	}
	if r := e.api("PUT", "/admin/api/resource-acls", map[string]any{"resource": "GET /reports", "acl": "nope"}); r.status != http.StatusBadRequest || r.fields(t)["acl"] == nil {
		t.Errorf("unknown ACL: status %d: %s", r.status, r.body)
	}
	if r := e.api("PUT", "/admin/api/resource-acls", map[string]any{"resource": "reports", "acl": "reports"}); r.status != http.StatusBadRequest || r.fields(t)["resource"] == nil {
		t.Errorf("bad resource: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/resource-acls", nil); r.status != http.StatusOK || !strings.Contains(string(r.body), "GET /reports") {
		t.Errorf("list resource ACLs: status %d: %s", r.status, r.body)
	}
	// A group an ACL lists and an ACL guarding a resource cannot be deleted from under them.
	if r := e.api("DELETE", "/admin/api/groups/auditors", nil); r.status != http.StatusConflict {
		t.Errorf("delete a listed group: status %d, want 409", r.status)
	}
	if r := e.api("DELETE", "/admin/api/acls/reports", nil); r.status != http.StatusConflict {
		t.Errorf("delete a guarding ACL: status %d, want 409", r.status)
	}
	if r := e.api("PUT", "/admin/api/acls/reports", map[string]any{"description": "d", "allow": []string{}, "deny": []string{"auditors"}}); r.status != http.StatusOK {
		t.Errorf("update ACL: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/acls/reports", nil); r.status != http.StatusOK || !slices.Equal(toStrings(r.json(t)["deny"]), []string{"auditors"}) {
		t.Errorf("get ACL: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/acls", nil); r.status != http.StatusOK {
		t.Errorf("list ACLs: status %d", r.status)
	}
	if r := e.api("PUT", "/admin/api/groups/auditors", map[string]any{"members": []string{"bob"}}); r.status != http.StatusOK {
		t.Errorf("update group: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/groups/auditors", nil); r.status != http.StatusOK || !slices.Equal(toStrings(r.json(t)["members"]), []string{"bob"}) {
		t.Errorf("get group: status %d: %s", r.status, r.body)
	}
	if r := e.api("GET", "/admin/api/groups", nil); r.status != http.StatusOK {
		t.Errorf("list groups: status %d", r.status)
	}
	e.api("PUT", "/admin/api/resource-acls", map[string]any{"resource": "GET /reports", "acl": ""})
	if r := e.api("DELETE", "/admin/api/acls/reports", nil); r.status != http.StatusNoContent {
		t.Errorf("delete ACL: status %d: %s", r.status, r.body)
	}
	if r := e.api("DELETE", "/admin/api/groups/auditors", nil); r.status != http.StatusNoContent {
		t.Errorf("delete group: status %d: %s", r.status, r.body)
	}
	if r := e.api("DELETE", "/admin/api/users/carol", nil); r.status != http.StatusNoContent {
		t.Errorf("delete user: status %d", r.status)
	}
	if r := e.api("DELETE", "/admin/api/users/carol", nil); r.status != http.StatusNotFound {
		t.Errorf("delete user twice: status %d", r.status)
	}
}

// issue stores an access token (and, when refresh is set, a refresh token of the same grant)
// for client as fosite would, and returns their signatures.
func issue(t *testing.T, st *store.Store, clientID, subject string, refresh bool) (access, refreshSig string) {
	t.Helper()
	ctx := context.Background()
	c, err := st.LookupClient(ctx, clientID)
	if err != nil {
		t.Fatal(err)
	}
	req := fosite.NewRequest()
	req.Client = c
	req.GrantScope("calc:read")
	sess := &fosite.DefaultSession{Subject: subject, ExpiresAt: map[fosite.TokenType]time.Time{
		fosite.AccessToken: time.Now().Add(time.Hour), fosite.RefreshToken: time.Now().Add(24 * time.Hour)}}
	req.Session = sess
	access = "at-" + randomString(8)
	if err := st.CreateAccessTokenSession(ctx, access, req); err != nil {
		t.Fatal(err)
	}
	if refresh {
		refreshSig = "rt-" + randomString(8)
		if err := st.CreateRefreshTokenSession(ctx, refreshSig, access, req); err != nil {
			t.Fatal(err)
		}
	}
	return access, refreshSig
}

func tokenIDs(t *testing.T, r resp) []string {
	var out []string
	for _, x := range r.json(t)["tokens"].([]any) {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a1, r1 := issue(t, e.st, "conf-code", "alice", true)
	a2, _ := issue(t, e.st, "conf-code-2", "bob", false)
	a3, _ := issue(t, e.st, "conf-code-2", "alice", false)

	all := e.api("GET", "/admin/api/tokens", nil)
	if ids := tokenIDs(t, all); !slices.Contains(ids, a1) || !slices.Contains(ids, r1) || !slices.Contains(ids, a2) {
		t.Fatalf("list: %v", ids)
	}
	tok := all.json(t)["tokens"].([]any)[0].(map[string]any)
	for _, k := range []string{"client_id", "subject", "scopes", "issued_at", "expires_at", "kind"} {
		if tok[k] == nil {
			t.Errorf("a listed token lacks %s: %v", k, tok)
		}
	}
	if ids := tokenIDs(t, e.api("GET", "/admin/api/tokens?client_id=conf-code-2", nil)); !slices.Equal(sorted(ids), sorted([]string{a2, a3})) {
		t.Errorf("filter by client: %v", ids)
	}
	if ids := tokenIDs(t, e.api("GET", "/admin/api/tokens?subject=alice&kind=access_token", nil)); !slices.Equal(sorted(ids), sorted([]string{a1, a3})) {
		t.Errorf("filter by user: %v", ids)
	}
	if r := e.api("GET", "/admin/api/tokens?kind=pkce", nil); r.status != http.StatusBadRequest || r.fields(t)["kind"] == nil {
		t.Errorf("bad kind: status %d: %s", r.status, r.body)
	}

	// Revoking the refresh token revokes the access token of the same grant (RFC 7009 2.1).
	if r := e.api("POST", "/admin/api/tokens/refresh_token/"+r1+"/revoke", nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: status %d: %s", r.status, r.body)
	}
	if _, err := e.st.GetAccessTokenSession(ctx, a1, &fosite.DefaultSession{}); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("the access token of a revoked refresh token still works: %v", err)
	}
	if ids := tokenIDs(t, e.api("GET", "/admin/api/tokens", nil)); slices.Contains(ids, a1) || slices.Contains(ids, r1) {
		t.Errorf("revoked tokens are still listed as active: %v", ids)
	}
	if ids := tokenIDs(t, e.api("GET", "/admin/api/tokens?all=true", nil)); !slices.Contains(ids, a1) {
		t.Errorf("all=true should list revoked tokens too: %v", ids)
	}
	if r := e.api("POST", "/admin/api/tokens/access_token/no-such-token/revoke", nil); r.status != http.StatusNotFound {
		t.Errorf("revoke unknown: status %d", r.status)
	}
	if r := e.api("POST", "/admin/api/tokens/bogus/"+a2+"/revoke", nil); r.status != http.StatusBadRequest {
		t.Errorf("revoke with a bad kind: status %d", r.status)
	}
	// Revoke every token of a client.
	if r := e.api("POST", "/admin/api/clients/conf-code-2/revoke-tokens", nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke all: status %d", r.status)
	}
	if ids := tokenIDs(t, e.api("GET", "/admin/api/tokens?client_id=conf-code-2", nil)); len(ids) != 0 {
		t.Errorf("tokens left after revoking all of the client's: %v", ids)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestAPISettings(t *testing.T) {
	e := newEnv(t)
	r := e.api("GET", "/admin/api/settings", nil)
	if r.status != http.StatusOK || r.json(t)["access_token_ttl"] != float64(3600) || r.json(t)["pkce_required_for_public"] != true {
		t.Fatalf("defaults: status %d: %s", r.status, r.body)
	}
	bad := e.api("PUT", "/admin/api/settings", map[string]any{"access_token_ttl": 0, "refresh_token_ttl": 60, "auth_code_ttl": 601, "approval_title": ""})
	if bad.status != http.StatusBadRequest {
		t.Fatalf("bad settings: status %d", bad.status)
	}
	for _, f := range []string{"access_token_ttl", "auth_code_ttl", "approval_title"} {
		if bad.fields(t)[f] == nil {
			t.Errorf("no message for %s: %s", f, bad.body)
		}
	}
	if st, _ := e.st.GetSettings(context.Background()); st != nil {
		t.Errorf("refused settings were saved: %+v", st)
	}
	good := map[string]any{"access_token_ttl": 120, "refresh_token_ttl": 600, "auth_code_ttl": 60, "pkce_required_for_public": true,
		"approval_title": "Allow?", "approval_heading": "Example Corp", "approval_footer": "Questions? it@example.com"}
	if r := e.api("PUT", "/admin/api/settings", good); r.status != http.StatusOK {
		t.Fatalf("put: status %d: %s", r.status, r.body)
	}
	got := e.api("GET", "/admin/api/settings", nil).json(t)
	if got["access_token_ttl"] != float64(120) || got["approval_heading"] != "Example Corp" {
		t.Errorf("settings not saved: %v", got)
	}
	st, err := e.st.GetSettings(context.Background())
	if err != nil || st == nil || st.AccessTokenTTL != 2*time.Minute || st.ApprovalFooter != "Questions? it@example.com" {
		t.Errorf("the store holds %+v, %v", st, err)
	}
}

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		sfs, origin string
		want        bool
	}{
		{"", "", true},                               // curl, oauthconf admin
		{"same-origin", "null", true},                // a console form under Referrer-Policy: no-referrer
		{"same-origin", "http://example.test", true}, // Sec-Fetch-Site is the browser's own verdict
		{"cross-site", "", false},
		{"same-site", "", false},
		{"", "https://evil.example", false},
		{"", "http://example.test", true},
		{"", "null", true},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("POST", "http://example.test/admin/api/clients", nil)
		if c.sfs != "" {
			r.Header.Set("Sec-Fetch-Site", c.sfs)
		}
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := sameOrigin(r); got != c.want {
			t.Errorf("Sec-Fetch-Site %q, Origin %q: sameOrigin = %v, want %v", c.sfs, c.origin, got, c.want)
		}
	}
}
