package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func mustUser(t *testing.T, st *store.Store, name string) {
	t.Helper()
	if err := st.CreateUser(context.Background(), &store.User{Username: name, PasswordHash: []byte("x"), Enabled: true}); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
}

func mustScope(t *testing.T, st *store.Store, name string) {
	t.Helper()
	if err := st.PutScope(context.Background(), &store.Scope{Name: name}); err != nil {
		t.Fatal(err)
	}
}

// fieldsOf returns the field names of an *InvalidError, failing the test for any other error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var ie *store.InvalidError
	if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("expected an *InvalidError, got %v", err)
	}
	var out []string
	for _, f := range ie.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestParseResource(t *testing.T) {
	good := map[string]store.Resource{
		"GET /oauth2/calculate":     {Kind: store.ResourcePath, Method: "GET", Name: "/oauth2/calculate"},
		"POST /things/{id}/parts":   {Kind: store.ResourcePath, Method: "POST", Name: "/things/{id}/parts"},
		"service calc.services:add": {Kind: store.ResourceService, Name: "calc.services:add"},
		"folder calc.services":      {Kind: store.ResourceFolder, Name: "calc.services"},
		"package Calculator":        {Kind: store.ResourcePackage, Name: "Calculator"},
	}
	for in, want := range good {
		got, err := store.ParseResource(in)
		if err != nil || got != want {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), in)
		}
	}
	for _, in := range []string{"", "GET", "FETCH /x", "GET x", "GET /a//b", "GET /a?b=1", "GET /a/{x",
		"service calc", "service :add", "folder a..b", "package a.b", "widget x"} {
		if r, err := store.ParseResource(in); err == nil {
			t.Errorf("ParseResource(%q) = %+v, want an error", in, r)
		}
	}
}

func TestMatchPathTemplate(t *testing.T) {
	for _, c := range []struct {
		tmpl, path string
		want       bool
	}{
		{"/oauth2/calculate", "/oauth2/calculate", true},
		{"/oauth2/calculate", "/oauth2/calculate/", false},
		{"/oauth2/calculate", "/oauth2/history", false},
		{"/things/{id}", "/things/42", true},
		{"/things/{id}", "/things/", false},
		{"/things/{id}", "/things/42/x", false},
	} {
		if got := store.MatchPathTemplate(c.tmpl, c.path); got != c.want {
			t.Errorf("MatchPathTemplate(%q, %q) = %v, want %v", c.tmpl, c.path, got, c.want)
		}
	}
}

func TestScopeResourcesOpen(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	for _, s := range []string{"calc:write", "calc:read", "by-folder", "by-package"} {
		mustScope(t, st, s)
	}
	if err := st.PutPackage(ctx, &store.Package{Name: "Calculator", Folders: []string{"calc"}}); err != nil {
		t.Fatal(err)
	}
	path := func(m, p string) store.Resource { return store.Resource{Kind: store.ResourcePath, Method: m, Name: p} }
	must := func(scope string, r store.Resource) {
		t.Helper()
		if err := st.AddScopeResource(ctx, scope, r); err != nil {
			t.Fatalf("AddScopeResource(%s, %s): %v", scope, r, err)
		}
	}
	must("calc:write", path("POST", "/oauth2/calculate"))
	must("calc:write", store.Resource{Kind: store.ResourceService, Name: "calc.services:add"})
	must("calc:read", path("GET", "/oauth2/history"))
	must("by-folder", store.Resource{Kind: store.ResourceFolder, Name: "calc.services"})
	must("by-package", store.Resource{Kind: store.ResourcePackage, Name: "Calculator"})

	opening := func(m, p, svc string) []string {
		t.Helper()
		got, err := st.ScopesOpening(ctx, store.ResourceRequest{Method: m, Path: p, Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		m, p, svc string
		want      []string
	}{
		{"POST", "/oauth2/calculate", "", []string{"calc:write"}},
		{"GET", "/oauth2/calculate", "", nil}, // the method is part of the resource
		{"GET", "/oauth2/history", "", []string{"calc:read"}},
		// A service is opened by its name, its folder (and parents), and its package's folders.
		{"GET", "/x", "calc.services:add", []string{"by-folder", "by-package", "calc:write"}},
		{"GET", "/x", "calc.services:divide", []string{"by-folder", "by-package"}},
		{"GET", "/x", "calc.other:add", []string{"by-package"}},
		{"GET", "/x", "calcx.services:add", nil},
	} {
		if got := opening(c.m, c.p, c.svc); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ScopesOpening(%s %s %s) = %v, want %v", c.m, c.p, c.svc, got, c.want)
		}
	}

	// Duplicates, unknown scopes and packages, bad resources.
	if err := st.AddScopeResource(ctx, "calc:write", path("POST", "/oauth2/calculate")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate resource: err = %v, want ErrConflict", err)
	}
	if err := st.AddScopeResource(ctx, "nope", path("GET", "/x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown scope: err = %v, want ErrNotFound", err)
	}
	if f := fieldsOf(t, st.AddScopeResource(ctx, "calc:read", store.Resource{Kind: store.ResourcePackage, Name: "Nope"})); !reflect.DeepEqual(f, []string{"resource"}) {
		t.Errorf("unknown package: fields %v", f)
	}
	if f := fieldsOf(t, st.AddScopeResource(ctx, "calc:read", path("FETCH", "/x"))); !reflect.DeepEqual(f, []string{"resource"}) {
		t.Errorf("bad method: fields %v", f)
	}

	// SetScopeResources is all or nothing.
	before, _ := st.ListScopeResources(ctx, "calc:write")
	err := st.SetScopeResources(ctx, "calc:write", []store.Resource{path("GET", "/ok"), path("GET", "bad"), path("GET", "/ok")})
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"resources[1]", "resources[2]"}) {
		t.Errorf("SetScopeResources fields = %v", f)
	}
	if after, _ := st.ListScopeResources(ctx, "calc:write"); !reflect.DeepEqual(after, before) {
		t.Errorf("a refused SetScopeResources changed the scope: %v -> %v", before, after)
	}
	if err := st.SetScopeResources(ctx, "calc:write", []store.Resource{path("GET", "/oauth2/calculate")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ListScopeResources(ctx, "calc:write"); len(got) != 1 || got[0].Method != "GET" {
		t.Errorf("after SetScopeResources: %v", got)
	}
	if err := st.RemoveScopeResource(ctx, "calc:write", path("GET", "/oauth2/calculate")); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveScopeResource(ctx, "calc:write", path("GET", "/oauth2/calculate")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing twice: err = %v, want ErrNotFound", err)
	}
	// A package a scope opens cannot be deleted from under it.
	if err := st.DeletePackage(ctx, "Calculator"); !errors.Is(err, store.ErrInUse) {
		t.Errorf("DeletePackage in use: err = %v, want ErrInUse", err)
	}
}

func TestPackages(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	if err := st.PutPackage(ctx, &store.Package{Name: "A", Folders: []string{"a.one", "a.two"}}); err != nil {
		t.Fatal(err)
	}
	err := st.PutPackage(ctx, &store.Package{Name: "B", Folders: []string{"b", "a.two"}})
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"folders[1]"}) || !strings.Contains(err.Error(), `package "A"`) {
		t.Errorf("folder in two packages: %v", err)
	}
	if _, err := st.GetPackage(ctx, "B"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused package was saved half-way: %v", err)
	}
	if f := fieldsOf(t, st.PutPackage(ctx, &store.Package{Name: "has space", Folders: []string{"x..y"}})); !reflect.DeepEqual(f, []string{"name", "folders[0]"}) {
		t.Errorf("bad package fields = %v", f)
	}
	p, err := st.GetPackage(ctx, "A")
	if err != nil || !reflect.DeepEqual(p.Folders, []string{"a.one", "a.two"}) {
		t.Errorf("GetPackage = %+v, %v", p, err)
	}
	if err := st.DeletePackage(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	if ps, _ := st.ListPackages(ctx); len(ps) != 0 {
		t.Errorf("packages after delete: %v", ps)
	}
}

func TestGroupsAndACLs(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	mustUser(t, st, "alice")
	mustUser(t, st, "bob")
	mustClient(t, st, "cc") // allowed client_credentials: has a service user

	// Validation: every bad field is named, nothing is saved.
	err := st.CreateGroup(ctx, &store.Group{Name: "", Members: []string{"alice", "nobody-here", "client:none", "alice", "client:cc"}})
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"name", "members[1]", "members[2]", "members[3]"}) {
		t.Errorf("CreateGroup fields = %v (%v)", f, err)
	}
	if gs, _ := st.ListGroups(ctx); len(gs) != 0 {
		t.Fatalf("a refused group was saved: %v", gs)
	}

	users := &store.Group{Name: "users", Description: "d", Members: []string{"alice", "client:cc"}}
	if err := st.CreateGroup(ctx, users); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateGroup(ctx, &store.Group{Name: "users"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate group: err = %v, want ErrConflict", err)
	}
	if err := st.CreateGroup(ctx, &store.Group{Name: "blocked", Members: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	g, err := st.GetGroup(ctx, "users")
	if err != nil || !reflect.DeepEqual(g.Members, []string{"alice", "client:cc"}) || g.Description != "d" {
		t.Errorf("GetGroup = %+v, %v", g, err)
	}
	if err := st.AddGroupMember(ctx, "users", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddGroupMember(ctx, "users", "bob"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddGroupMember twice: %v", err)
	}
	if f := fieldsOf(t, st.AddGroupMember(ctx, "users", "carol")); !reflect.DeepEqual(f, []string{"member"}) {
		t.Errorf("AddGroupMember unknown: %v", f)
	}
	if err := st.AddGroupMember(ctx, "nope", "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddGroupMember to unknown group: %v", err)
	}
	if err := st.RemoveGroupMember(ctx, "users", "bob"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GroupsOf(ctx, "alice"); !reflect.DeepEqual(got, []string{"blocked", "users"}) {
		t.Errorf("GroupsOf(alice) = %v", got)
	}

	// ACLs: empty name, unknown group, a group in both lists; then a good one.
	err = st.CreateACL(ctx, &store.ACL{Name: "", Allow: []string{"users", "ghosts"}, Deny: []string{"users"}})
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"name", "allow[1]", "deny[0]"}) {
		t.Errorf("CreateACL fields = %v (%v)", f, err)
	}
	if !strings.Contains(err.Error(), `unknown group "ghosts"`) {
		t.Errorf("CreateACL error does not name the unknown group: %v", err)
	}
	if as, _ := st.ListACLs(ctx); len(as) != 0 {
		t.Fatalf("a refused ACL was saved: %v", as)
	}
	acl := &store.ACL{Name: "calc-acl", Allow: []string{"users"}}
	if err := st.CreateACL(ctx, acl); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateACL(ctx, acl); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate ACL: %v", err)
	}

	// Decide: allowed via a group; deny wins; in no listed group is denied.
	got, _ := st.GetACL(ctx, "calc-acl")
	for _, c := range []struct {
		groups []string
		want   bool
	}{{[]string{"users"}, true}, {nil, false}, {[]string{"other"}, false}} {
		if ok, why := got.Decide(c.groups); ok != c.want || why == "" {
			t.Errorf("Decide(%v) = %v, %q; want %v", c.groups, ok, why, c.want)
		}
	}
	got.Deny = []string{"blocked"}
	if err := st.UpdateACL(ctx, got); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetACL(ctx, "calc-acl")
	if ok, why := got.Decide([]string{"blocked", "users"}); ok || !strings.Contains(why, "blocked") {
		t.Errorf("deny does not win: %v, %q", ok, why)
	}

	// Resource ACLs: the ACL guarding a path or a service; unknown ACL and bad kinds refused.
	calc := store.Resource{Kind: store.ResourcePath, Method: "POST", Name: "/oauth2/calculate"}
	if err := st.SetResourceACL(ctx, calc, "calc-acl"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetResourceACL(ctx, store.Resource{Kind: store.ResourceService, Name: "calc.services:add"}, "calc-acl"); err != nil {
		t.Fatal(err)
	}
	if f := fieldsOf(t, st.SetResourceACL(ctx, store.Resource{Kind: store.ResourceFolder, Name: "calc"}, "nope")); !reflect.DeepEqual(f, []string{"resource", "acl"}) {
		t.Errorf("SetResourceACL fields = %v", f)
	}
	guards, err := st.ACLsGuarding(ctx, store.ResourceRequest{Method: "POST", Path: "/oauth2/calculate", Service: "calc.services:add"})
	if err != nil || !reflect.DeepEqual(guards, []string{"calc-acl"}) {
		t.Errorf("ACLsGuarding = %v, %v", guards, err)
	}
	if guards, _ := st.ACLsGuarding(ctx, store.ResourceRequest{Method: "GET", Path: "/oauth2/calculate"}); len(guards) != 0 {
		t.Errorf("ACLsGuarding(GET) = %v, want none", guards)
	}

	// Deleting what is still named is refused; in order, it works.
	if err := st.DeleteGroup(ctx, "users"); !errors.Is(err, store.ErrInUse) {
		t.Errorf("DeleteGroup in use: %v", err)
	}
	if err := st.DeleteACL(ctx, "calc-acl"); !errors.Is(err, store.ErrInUse) {
		t.Errorf("DeleteACL in use: %v", err)
	}
	if err := st.SetResourceACL(ctx, calc, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.SetResourceACL(ctx, store.Resource{Kind: store.ResourceService, Name: "calc.services:add"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteACL(ctx, "calc-acl"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteGroup(ctx, "users"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GroupsOf(ctx, "alice"); !reflect.DeepEqual(got, []string{"blocked"}) {
		t.Errorf("GroupsOf(alice) after deleting users = %v", got)
	}
}

// TestServiceUsers: a client allowed client_credentials gets a service user with it, in the
// "client:" namespace; losing the grant or the client removes it with its memberships.
func TestServiceUsers(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "cc")
	su, err := st.GetServiceUser(ctx, "cc")
	if err != nil || su.Principal != "client:cc" {
		t.Fatalf("GetServiceUser(cc) = %+v, %v", su, err)
	}
	if err := st.CreateGroup(ctx, &store.Group{Name: "g", Members: []string{"client:cc"}}); err != nil {
		t.Fatal(err)
	}

	// A client created inside a transaction that rolls back leaves no service user.
	tctx, err := st.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClient(tctx, &store.Client{ID: "rolled-back", Enabled: true, SecretHash: []byte("x"),
		GrantTypes: []string{store.GrantClientCredentials}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetServiceUser(tctx, "rolled-back"); err != nil {
		t.Fatalf("service user inside the creating transaction: %v", err)
	}
	if err := st.Rollback(tctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetServiceUser(ctx, "rolled-back"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("service user of a rolled-back client: %v", err)
	}

	c.GrantTypes = []string{store.GrantAuthorizationCode}
	if err := st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetServiceUser(ctx, "cc"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("service user after the grant was removed: %v", err)
	}
	if g, _ := st.GetGroup(ctx, "g"); len(g.Members) != 0 {
		t.Errorf("memberships kept after the grant was removed: %v", g.Members)
	}
	c.GrantTypes = []string{store.GrantClientCredentials}
	if err := st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.AddGroupMember(ctx, "g", "client:cc"); err != nil {
		t.Fatalf("service user after the grant came back: %v", err)
	}
	if err := st.DeleteClient(ctx, "cc"); err != nil {
		t.Fatal(err)
	}
	if us, _ := st.ListServiceUsers(ctx); len(us) != 0 {
		t.Errorf("service users after the client was deleted: %v", us)
	}
	if g, _ := st.GetGroup(ctx, "g"); len(g.Members) != 0 {
		t.Errorf("memberships kept after the client was deleted: %v", g.Members)
	}
}

// TestPrincipalNamespaces is RFC 9700 4.15: a username can never be a service user's
// principal, and a client named like a user has a service user distinct from that user.
func TestPrincipalNamespaces(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	mustUser(t, st, "alice")
	mustClient(t, st, "alice") // a client id equal to a username

	if err := st.CreateUser(ctx, &store.User{Username: "client:alice", PasswordHash: []byte("x")}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a username in the service-user namespace: CreateUser = %v, want store.ErrInvalid", err)
	}
	if err := store.ValidateUsername("client:alice"); err == nil {
		t.Error("ValidateUsername(client:alice) = nil")
	}
	for _, ok := range []string{"alice", "bob.smith", "user@example.com"} {
		if err := store.ValidateUsername(ok); err != nil {
			t.Errorf("ValidateUsername(%q) = %v", ok, err)
		}
	}
	if err := st.CreateGroup(ctx, &store.Group{Name: "people", Members: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GroupsOf(ctx, store.ServiceUserPrincipal("alice")); len(got) != 0 {
		t.Errorf("the client alice's service user inherits the user alice's groups: %v", got)
	}
	if err := st.CreateGroup(ctx, &store.Group{Name: "robots", Members: []string{"client:alice"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GroupsOf(ctx, "alice"); !reflect.DeepEqual(got, []string{"people"}) {
		t.Errorf("the user alice inherits the client's groups: %v", got)
	}
}

func TestCalculations(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	for i, p := range []string{"alice", "client:cc", "alice"} {
		c := &store.Calculation{Principal: p, ClientID: "c", Op: "add", A: float64(i), B: 1, Result: float64(i + 1)}
		if err := st.AddCalculation(ctx, c); err != nil || c.ID == 0 || c.At.IsZero() {
			t.Fatalf("AddCalculation = %+v, %v", c, err)
		}
	}
	got, err := st.ListCalculations(ctx, "alice", 0)
	if err != nil || len(got) != 2 || got[0].A != 2 || got[1].A != 0 {
		t.Errorf("ListCalculations(alice) = %+v, %v; want two, newest first", got, err)
	}
	if got, _ := st.ListCalculations(ctx, "alice", 1); len(got) != 1 {
		t.Errorf("limit 1: %d rows", len(got))
	}
	if got, _ := st.ListCalculations(ctx, "bob", 10); got == nil || len(got) != 0 {
		t.Errorf("ListCalculations(bob) = %#v, want an empty list", got)
	}
}
