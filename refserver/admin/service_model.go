package admin

// Operations over the management model (store/model.go): the resources scopes open, groups,
// ACLs and the ACL guarding each resource, users' group memberships.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// conflictError is a change refused because of the state of other records (a group an ACL
// still lists).
type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }

// fromStore turns the model's errors into the API's: an *InvalidError becomes a message per
// field, ErrInUse a conflict, ErrNotFound (for what the path named) a not-found.
func fromStore(err error, what string) error {
	var inv *store.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		fe := fieldErrors{}
		for _, f := range inv.Fields {
			fe[f.Field] = f.Message
		}
		return fe.err()
	case errors.Is(err, store.ErrInUse):
		return &conflictError{msg: strings.TrimSuffix(err.Error(), ": "+store.ErrInUse.Error())}
	case errors.Is(err, store.ErrNotFound) && what != "":
		return notFound("%s", what)
	}
	return err
}

// ScopeDetail is a scope with what it opens and the clients it is associated with.
type scopeDetail struct {
	store.Scope
	Resources []store.Resource
	Clients   []string
}

func (s *service) scopeDetail(ctx context.Context, name string) (*scopeDetail, error) {
	sc, err := s.getScope(ctx, name)
	if err != nil {
		return nil, err
	}
	rs, err := s.st.ListScopeResources(ctx, name)
	if err != nil {
		return nil, err
	}
	cl, err := s.scopeClients(ctx, name)
	if err != nil {
		return nil, err
	}
	return &scopeDetail{Scope: *sc, Resources: nonNilResources(rs), Clients: cl}, nil
}

func nonNilResources(rs []store.Resource) []store.Resource {
	if rs == nil {
		return []store.Resource{}
	}
	return rs
}

// ScopeChange is a whole scope as the console's edit form submits it: description, what it
// opens and the clients associated with it. Nil lists are left as they are.
type ScopeChange struct {
	Description string
	Resources   []store.Resource
	Clients     []string
}

// saveScope applies a ScopeChange in one transaction.
func (s *service) saveScope(ctx context.Context, name string, ch ScopeChange) error {
	fe := fieldErrors{}
	ch.Description = strings.TrimSpace(ch.Description)
	checkText(fe, "description", ch.Description, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.st.UpdateScope(ctx, &store.Scope{Name: name, Description: ch.Description}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return notFound("scope %q", name)
			}
			return err
		}
		if ch.Resources != nil {
			if err := fromStore(s.st.SetScopeResources(ctx, name, ch.Resources), ""); err != nil {
				return err
			}
		}
		if ch.Clients != nil {
			all, err := s.st.ListClients(ctx)
			if err != nil {
				return err
			}
			fe := fieldErrors{}
			for i, id := range ch.Clients {
				if !slices.ContainsFunc(all, func(c *store.Client) bool { return c.ID == id }) {
					fe[fmt.Sprintf("clients[%d]", i)] = fmt.Sprintf("unknown client %q", id)
				}
			}
			if err := fe.err(); err != nil {
				return err
			}
			for _, c := range all {
				if err := s.st.SetScopeClient(ctx, name, c.ID, slices.Contains(ch.Clients, c.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// setScopeResources replaces what a scope opens.
func (s *service) setScopeResources(ctx context.Context, name string, rs []store.Resource) error {
	return fromStore(s.st.SetScopeResources(ctx, name, rs), fmt.Sprintf("scope %q", name))
}

// parseResources reads resources written as store.ParseResource reads them ("GET
// /oauth2/calculate", "service calc.services:add", ...), naming each bad one resources[i].
func parseResources(in []string, fe fieldErrors) []store.Resource {
	out := []store.Resource{}
	for i, line := range in {
		r, err := store.ParseResource(line)
		if err != nil {
			fe[fmt.Sprintf("resources[%d]", i)] = err.Error()
		}
		out = append(out, r)
	}
	return out
}

func resourceStrings(rs []store.Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// Groups.

// GroupInput is a group as submitted.
type GroupInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Members     []string `json:"members"`
}

func (s *service) createGroup(ctx context.Context, in GroupInput) (*store.Group, error) {
	fe := fieldErrors{}
	in.Description = strings.TrimSpace(in.Description)
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	g := &store.Group{Name: strings.TrimSpace(in.Name), Description: in.Description, Members: nonNil(in.Members)}
	err := s.st.CreateGroup(ctx, g)
	if errors.Is(err, store.ErrConflict) {
		return nil, fieldErrors{"name": fmt.Sprintf("a group named %q already exists", g.Name)}.err()
	}
	return g, fromStore(err, "")
}

func (s *service) updateGroup(ctx context.Context, name string, in GroupInput) (*store.Group, error) {
	fe := fieldErrors{}
	if in.Name != "" && in.Name != name {
		fe["name"] = "a group cannot be renamed: create a new one"
	}
	in.Description = strings.TrimSpace(in.Description)
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	g := &store.Group{Name: name, Description: in.Description, Members: nonNil(in.Members)}
	return g, fromStore(s.st.UpdateGroup(ctx, g), fmt.Sprintf("group %q", name))
}

func (s *service) getGroup(ctx context.Context, name string) (*store.Group, error) {
	g, err := s.st.GetGroup(ctx, name)
	return g, fromStore(err, fmt.Sprintf("group %q", name))
}

func (s *service) deleteGroup(ctx context.Context, name string) error {
	return fromStore(s.st.DeleteGroup(ctx, name), fmt.Sprintf("group %q", name))
}

// setUserGroups makes the groups of principal exactly groups, in the caller's transaction.
func (s *service) setUserGroups(ctx context.Context, principal string, groups []string) error {
	all, err := s.st.ListGroups(ctx)
	if err != nil {
		return err
	}
	fe := fieldErrors{}
	for i, g := range groups {
		if !slices.ContainsFunc(all, func(x *store.Group) bool { return x.Name == g }) {
			fe[fmt.Sprintf("groups[%d]", i)] = fmt.Sprintf("unknown group %q", g)
		} else if slices.Index(groups, g) != i {
			fe[fmt.Sprintf("groups[%d]", i)] = fmt.Sprintf("group %q is listed twice", g)
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	for _, g := range all {
		want, has := slices.Contains(groups, g.Name), slices.Contains(g.Members, principal)
		switch {
		case want && !has:
			err = s.st.AddGroupMember(ctx, g.Name, principal)
		case !want && has:
			err = s.st.RemoveGroupMember(ctx, g.Name, principal)
		}
		if err := fromStore(err, ""); err != nil {
			return err
		}
	}
	return nil
}

// ACLs.

// ACLInput is an ACL as submitted.
type ACLInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Allow       []string `json:"allow"`
	Deny        []string `json:"deny"`
}

func (s *service) createACL(ctx context.Context, in ACLInput) (*store.ACL, error) {
	fe := fieldErrors{}
	in.Description = strings.TrimSpace(in.Description)
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	a := &store.ACL{Name: strings.TrimSpace(in.Name), Description: in.Description, Allow: nonNil(in.Allow), Deny: nonNil(in.Deny)}
	err := s.st.CreateACL(ctx, a)
	if errors.Is(err, store.ErrConflict) {
		return nil, fieldErrors{"name": fmt.Sprintf("an ACL named %q already exists", a.Name)}.err()
	}
	return a, fromStore(err, "")
}

func (s *service) updateACL(ctx context.Context, name string, in ACLInput) (*store.ACL, error) {
	fe := fieldErrors{}
	if in.Name != "" && in.Name != name {
		fe["name"] = "an ACL cannot be renamed: create a new one"
	}
	in.Description = strings.TrimSpace(in.Description)
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	a := &store.ACL{Name: name, Description: in.Description, Allow: nonNil(in.Allow), Deny: nonNil(in.Deny)}
	return a, fromStore(s.st.UpdateACL(ctx, a), fmt.Sprintf("ACL %q", name))
}

func (s *service) getACL(ctx context.Context, name string) (*store.ACL, error) {
	a, err := s.st.GetACL(ctx, name)
	return a, fromStore(err, fmt.Sprintf("ACL %q", name))
}

func (s *service) deleteACL(ctx context.Context, name string) error {
	return fromStore(s.st.DeleteACL(ctx, name), fmt.Sprintf("ACL %q", name))
}

// ResourceACLInput names the ACL guarding a resource; an empty ACL removes the guard.
type ResourceACLInput struct {
	Resource string `json:"resource"`
	ACL      string `json:"acl"`
}

func (s *service) setResourceACL(ctx context.Context, in ResourceACLInput) error {
	r, err := store.ParseResource(in.Resource)
	if err != nil {
		return fieldErrors{"resource": err.Error()}.err()
	}
	return fromStore(s.st.SetResourceACL(ctx, r, strings.TrimSpace(in.ACL)), fmt.Sprintf("an ACL guarding %s", r))
}

// Packages.

// PackageInput is a package as submitted: a package resource opens every folder listed.
type PackageInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Folders     []string `json:"folders"`
}

// putPackage creates the package or replaces its description and folders.
func (s *service) putPackage(ctx context.Context, name string, in PackageInput) (*store.Package, error) {
	fe := fieldErrors{}
	if in.Name != "" && in.Name != name {
		fe["name"] = "differs from the name in the path"
	}
	in.Description = strings.TrimSpace(in.Description)
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	p := &store.Package{Name: name, Description: in.Description, Folders: nonNil(in.Folders)}
	return p, fromStore(s.st.PutPackage(ctx, p), "")
}

func (s *service) getPackage(ctx context.Context, name string) (*store.Package, error) {
	p, err := s.st.GetPackage(ctx, name)
	return p, fromStore(err, fmt.Sprintf("package %q", name))
}

func (s *service) deletePackage(ctx context.Context, name string) error {
	return fromStore(s.st.DeletePackage(ctx, name), fmt.Sprintf("package %q", name))
}
