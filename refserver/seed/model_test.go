package seed_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

func TestLoadRealSeedModel(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	// The real seed's model, with only the clients it refers to: every bcrypt hash costs
	// seconds under -race, and TestLoadRealSeedFile loads the whole file already.
	f, err := seed.Parse(fixtures.SeedYAML())
	if err != nil {
		t.Fatal(err)
	}
	var kept []seed.ClientEntry
	for _, c := range f.Clients {
		if slices.Contains(c.Grants, store.GrantClientCredentials) {
			kept = append(kept, c)
		}
	}
	f.Clients = kept
	data, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if loaded, err := seed.Load(ctx, st, data, 10); err != nil || !loaded {
		t.Fatalf("Load = %v, %v", loaded, err)
	}
	rs, err := st.ListScopeResources(ctx, "calc:read")
	if err != nil || len(rs) != 1 || rs[0].String() != "GET /oauth2/history" {
		t.Errorf("calc:read opens %v, %v", rs, err)
	}
	opening, _ := st.ScopesOpening(ctx, store.ResourceRequest{Method: "POST", Path: "/oauth2/calculate", Service: "calc.services:add"})
	if !reflect.DeepEqual(opening, []string{"calc:write"}) {
		t.Errorf("POST /oauth2/calculate is opened by %v", opening)
	}
	// Every client allowed client_credentials has its service user, created with the client.
	us, _ := st.ListServiceUsers(ctx)
	var ids []string
	for _, u := range us {
		ids = append(ids, u.ClientID)
	}
	if !reflect.DeepEqual(ids, []string{"cc-client", "cc-denied", "short-lived"}) {
		t.Errorf("service users = %v", ids)
	}
	if g, _ := st.GroupsOf(ctx, "client:cc-client"); !reflect.DeepEqual(g, []string{"calculator-users"}) {
		t.Errorf("groups of client:cc-client = %v", g)
	}
	for _, p := range []string{"client:cc-denied", "bob"} {
		if g, _ := st.GroupsOf(ctx, p); len(g) != 0 {
			t.Errorf("%s is in %v, want no group", p, g)
		}
	}
	acl, err := st.GetACL(ctx, "calc-acl")
	if err != nil || !reflect.DeepEqual(acl.Allow, []string{"calculator-users"}) || !reflect.DeepEqual(acl.Deny, []string{"nobody"}) {
		t.Errorf("calc-acl = %+v, %v", acl, err)
	}
	guards, _ := st.ACLsGuarding(ctx, store.ResourceRequest{Method: "GET", Path: "/oauth2/history"})
	if !reflect.DeepEqual(guards, []string{"calc-acl"}) {
		t.Errorf("GET /oauth2/history guarded by %v", guards)
	}
}

func TestModelValidationNamesFields(t *testing.T) {
	const bad = `
scopes:
  - name: s
    resources: ["GET /ok", "FETCH /x", "package Missing", "GET /ok"]
users:
  - {username: "client:x", password: p}
  - {username: u, password: p}
clients:
  - {id: c, secret: s, grants: [client_credentials]}
  - {id: code, secret: s, grants: [authorization_code], redirect_uris: ["http://127.0.0.1/cb"]}
packages:
  - {name: P, folders: [a.b, "bad..folder"]}
  - {name: Q, folders: [a.b]}
groups:
  - {name: g, members: [u, ghost, "client:c", "client:code", u]}
  - {name: g, members: []}
acls:
  - {name: "", allow: [g, nope], deny: [g], guards: ["GET /ok", "folder a.b", "GET /ok"]}
`
	_, err := seed.Parse([]byte(bad))
	var ve *seed.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v, want a ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`users[0].username: "client:x" must not contain ':'`,
		`scopes[0].resources[1]: method "FETCH"`,
		`scopes[0].resources[2]: unknown package "Missing"`,
		`scopes[0].resources[3]: GET /ok is listed twice`,
		`packages[0].folders[1]:`,
		`packages[1].folders[0]: folder "a.b" already belongs to package "P"`,
		`groups[0].members[1]: unknown user "ghost"`,
		`groups[0].members[3]: unknown service user "client:code"`,
		`groups[0].members[4]: "u" is listed twice`,
		`groups[1].name: duplicate group "g"`,
		`acls[0].name: is required`,
		`acls[0].allow[1]: unknown group "nope"`,
		`acls[0].deny[0]: group "g" is listed twice in this ACL`,
		`acls[0].guards[1]: an ACL guards a path or a service, not a folder`,
		`acls[0].guards[2]: GET /ok is already guarded by ACL ""`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "members[2]") {
		t.Errorf("client:c (a client_credentials client) was refused:\n%s", msg)
	}
}

func TestUnknownModelFieldRefused(t *testing.T) {
	_, err := seed.Parse([]byte("groups:\n  - {name: g, memberz: [a]}\n"))
	if err == nil || !strings.Contains(err.Error(), "memberz") {
		t.Fatalf("Parse with a misspelt field = %v, want an error naming it", err)
	}
}
