package seed

// The management model in the seed file (issue 4): the resources each scope opens, packages,
// groups and ACLs. Resources are written as store.ParseResource reads them:
//
//	"GET /oauth2/calculate"          a REST path: method and path template
//	"service calc.services:add"      a service by qualified name
//	"folder calc.services"           every service in a folder (and its subfolders)
//	"package Calculator"             every folder of a package
//
// Group members are usernames, or "client:<client_id>" for the service user of a client
// allowed client_credentials (store.ServiceUserPrincipal). An ACL lists the resources it
// guards (paths and services); a resource is guarded by at most one ACL.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Model is the part of File that describes the management model (inlined into File).
type Model struct {
	Packages []PackageEntry `yaml:"packages"`
	Groups   []GroupEntry   `yaml:"groups"`
	ACLs     []ACLEntry     `yaml:"acls"`
}

// PackageEntry is one package and its folders.
type PackageEntry struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Folders     []string `yaml:"folders"`
}

// GroupEntry is one group and its members.
type GroupEntry struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Members     []string `yaml:"members"`
}

// ACLEntry is one ACL: the groups it allows and denies (deny wins) and the resources it guards.
type ACLEntry struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Allow       []string `yaml:"allow"`
	Deny        []string `yaml:"deny"`
	Guards      []string `yaml:"guards"`
}

// validateModel checks the model sections against the rest of the file, naming each field.
func (f *File) validateModel() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	for i, u := range f.Users {
		if u.Username != "" {
			if err := store.ValidateUsername(u.Username); err != nil {
				add("users[%d].username: %q %v", i, u.Username, err)
			}
		}
	}

	packages := map[string]bool{}
	folderOwner := map[string]string{}
	for i, pk := range f.Packages {
		at := fmt.Sprintf("packages[%d]", i)
		if err := (store.Resource{Kind: store.ResourcePackage, Name: pk.Name}).Validate(); err != nil {
			add("%s.name: %v", at, err)
		} else if packages[pk.Name] {
			add("%s.name: duplicate package %q", at, pk.Name)
		}
		packages[pk.Name] = true
		for j, fo := range pk.Folders {
			if err := (store.Resource{Kind: store.ResourceFolder, Name: fo}).Validate(); err != nil {
				add("%s.folders[%d]: %v", at, j, err)
			} else if owner, dup := folderOwner[fo]; dup {
				add("%s.folders[%d]: folder %q already belongs to package %q", at, j, fo, owner)
			}
			folderOwner[fo] = pk.Name
		}
	}

	for i, sc := range f.Scopes {
		seen := map[store.Resource]bool{}
		for j, raw := range sc.Resources {
			field := fmt.Sprintf("scopes[%d].resources[%d]", i, j)
			r, err := store.ParseResource(raw)
			switch {
			case err != nil:
				add("%s: %v", field, err)
			case seen[r]:
				add("%s: %s is listed twice", field, r)
			case r.Kind == store.ResourcePackage && !packages[r.Name]:
				add("%s: unknown package %q (not in packages)", field, r.Name)
			}
			seen[r] = true
		}
	}

	users := map[string]bool{}
	for _, u := range f.Users {
		users[u.Username] = true
	}
	serviceUsers := map[string]bool{}
	for _, c := range f.Clients {
		if slices.Contains(c.Grants, store.GrantClientCredentials) {
			serviceUsers[store.ServiceUserPrincipal(c.ID)] = true
		}
	}
	groups := map[string]bool{}
	for i, g := range f.Groups {
		at := fmt.Sprintf("groups[%d]", i)
		switch {
		case strings.TrimSpace(g.Name) == "":
			add("%s.name: is required", at)
		case groups[g.Name]:
			add("%s.name: duplicate group %q", at, g.Name)
		}
		groups[g.Name] = true
		seen := map[string]bool{}
		for j, m := range g.Members {
			field := fmt.Sprintf("%s.members[%d]", at, j)
			_, isService := store.ServiceUserClient(m)
			switch {
			case seen[m]:
				add("%s: %q is listed twice", field, m)
			case isService && !serviceUsers[m]:
				add("%s: unknown service user %q: no client with that id is allowed client_credentials", field, m)
			case !isService && !users[m]:
				add("%s: unknown user %q (not in users; a client's service user is written client:<client_id>)", field, m)
			}
			seen[m] = true
		}
	}

	acls := map[string]bool{}
	guarded := map[store.Resource]string{}
	for i, a := range f.ACLs {
		at := fmt.Sprintf("acls[%d]", i)
		switch {
		case strings.TrimSpace(a.Name) == "":
			add("%s.name: is required", at)
		case acls[a.Name]:
			add("%s.name: duplicate ACL %q", at, a.Name)
		}
		acls[a.Name] = true
		listed := map[string]bool{}
		for _, l := range []struct {
			field string
			names []string
		}{{"allow", a.Allow}, {"deny", a.Deny}} {
			for j, g := range l.names {
				field := fmt.Sprintf("%s.%s[%d]", at, l.field, j)
				switch {
				case !groups[g]:
					add("%s: unknown group %q (not in groups)", field, g)
				case listed[g]:
					add("%s: group %q is listed twice in this ACL", field, g)
				}
				listed[g] = true
			}
		}
		for j, raw := range a.Guards {
			field := fmt.Sprintf("%s.guards[%d]", at, j)
			r, err := store.ParseResource(raw)
			switch {
			case err != nil:
				add("%s: %v", field, err)
			case r.Kind != store.ResourcePath && r.Kind != store.ResourceService:
				add("%s: an ACL guards a path or a service, not a %s", field, r.Kind)
			default:
				if other, dup := guarded[r]; dup {
					add("%s: %s is already guarded by ACL %q", field, r, other)
				}
				guarded[r] = a.Name
			}
		}
	}
	return p
}

// loadModel stores the model sections inside Load's transaction (ctx carries it), after the
// scopes, users and clients they refer to.
func (f *File) loadModel(ctx context.Context, st Store) error {
	for _, pk := range f.Packages {
		if err := st.PutPackage(ctx, &store.Package{Name: pk.Name, Description: pk.Description, Folders: pk.Folders}); err != nil {
			return fmt.Errorf("seed: package %q: %w", pk.Name, err)
		}
	}
	for _, sc := range f.Scopes {
		if len(sc.Resources) == 0 {
			continue
		}
		rs := make([]store.Resource, 0, len(sc.Resources))
		for _, raw := range sc.Resources {
			r, err := store.ParseResource(raw) // validated
			if err != nil {
				return fmt.Errorf("seed: scope %q: %w", sc.Name, err)
			}
			rs = append(rs, r)
		}
		if err := st.SetScopeResources(ctx, sc.Name, rs); err != nil {
			return fmt.Errorf("seed: scope %q: %w", sc.Name, err)
		}
	}
	for _, g := range f.Groups {
		if err := st.CreateGroup(ctx, &store.Group{Name: g.Name, Description: g.Description, Members: g.Members}); err != nil {
			return fmt.Errorf("seed: group %q: %w", g.Name, err)
		}
	}
	for _, a := range f.ACLs {
		if err := st.CreateACL(ctx, &store.ACL{Name: a.Name, Description: a.Description, Allow: a.Allow, Deny: a.Deny}); err != nil {
			return fmt.Errorf("seed: ACL %q: %w", a.Name, err)
		}
		for _, raw := range a.Guards {
			r, err := store.ParseResource(raw)
			if err != nil {
				return fmt.Errorf("seed: ACL %q: %w", a.Name, err)
			}
			if err := st.SetResourceACL(ctx, r, a.Name); err != nil {
				return fmt.Errorf("seed: ACL %q guarding %s: %w", a.Name, r, err)
			}
		}
	}
	return nil
}
