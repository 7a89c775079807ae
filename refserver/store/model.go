package store

// The management model (after webMethods Integration Server, shared/reference/webmethods-model.md):
// the resources a scope opens (REST paths, services, folders, packages), groups of principals,
// ACLs and the ACL guarding each resource, the service users of client-credentials clients,
// and the calculator's history. Every change runs in one transaction and is validated first:
// a bad field is an *InvalidError naming it, and nothing is saved half-way.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every *InvalidError.
var ErrInvalid = errors.New("invalid input")

// ErrInUse is returned when deleting something another record still names (a group an ACL
// lists, an ACL guarding a resource).
var ErrInUse = errors.New("still in use")

// FieldError is one problem with one input field. Field is the field's name as the admin
// API spells it ("name", "members[2]", "allow[0]", "resource").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidError lists every problem found in one change request.
type InvalidError struct {
	What   string // "group", "ACL", ...
	Fields []FieldError
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid " + e.What + ": " + strings.Join(parts, "; ")
}

func (e *InvalidError) Unwrap() error { return ErrInvalid }

type fieldErrors struct {
	what string
	list []FieldError
}

func (f *fieldErrors) add(field, format string, args ...any) {
	f.list = append(f.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f *fieldErrors) err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &InvalidError{What: f.what, Fields: f.list}
}

// Principals.
//
// RFC 9700 4.15: "the authorization server [...] MUST NOT allow clients to influence their
// client_id or sub value or any other claim if that can cause confusion with a genuine
// resource owner." A client-credentials token acts as the client's service user, whose
// principal is ServiceUserPrefix + client_id; a resource owner's principal is the username,
// which may not contain ':' (ValidateUsername, and CreateUser in the store). The two sets
// are disjoint, so a client registered as "alice" is "client:alice", never alice, and no user
// can be named "client:cc-client".

// ServiceUserPrefix starts every service user's principal.
const ServiceUserPrefix = "client:"

// ServiceUserPrincipal is the principal a client-credentials token of clientID acts as.
func ServiceUserPrincipal(clientID string) string { return ServiceUserPrefix + clientID }

// ServiceUserClient returns the client id of a service-user principal; ok is false for a
// resource owner's principal.
func ServiceUserClient(principal string) (clientID string, ok bool) {
	return strings.CutPrefix(principal, ServiceUserPrefix)
}

// maxNameLen bounds every name in the model (usernames, groups, ACLs, packages, resources).
const maxNameLen = 200

// ValidateUsername reports what is wrong with a resource owner's username, or nil.
func ValidateUsername(name string) error {
	switch {
	case name == "":
		return errors.New("is required")
	case strings.TrimSpace(name) != name:
		return errors.New("must not start or end with a space")
	case len(name) > maxNameLen:
		return fmt.Errorf("is longer than %d bytes", maxNameLen)
	case strings.Contains(name, ":"):
		return errors.New("must not contain ':' (reserved for client service users, RFC 9700 4.15)")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("must not contain control characters")
		}
	}
	return nil
}

// validName checks the name of a group, ACL or package.
func validName(f *fieldErrors, field, name string) {
	switch {
	case name == "":
		f.add(field, "is required")
	case strings.TrimSpace(name) != name:
		f.add(field, "must not start or end with a space")
	case len(name) > maxNameLen:
		f.add(field, "is longer than %d bytes", maxNameLen)
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		f.add(field, "%q must not contain spaces or control characters", name)
	}
}

// Resources.

// ResourceKind is what a scope can open.
type ResourceKind string

const (
	// ResourcePath is a REST resource path: a method and a path template ("/oauth2/calculate",
	// "/things/{id}": a {name} segment matches any one non-empty segment).
	ResourcePath ResourceKind = "path"
	// ResourceService is a service by qualified name, "folder.subfolder:service".
	ResourceService ResourceKind = "service"
	// ResourceFolder opens every service in the folder and in its subfolders.
	ResourceFolder ResourceKind = "folder"
	// ResourcePackage opens every folder of the package (Package.Folders).
	ResourcePackage ResourceKind = "package"
)

// Resource is one thing a scope opens or an ACL guards. Method is set for paths only.
type Resource struct {
	Kind   ResourceKind `json:"kind"`
	Method string       `json:"method,omitempty"`
	Name   string       `json:"name"`
}

// String is the form ParseResource reads: "GET /oauth2/calculate", "service calc.services:add",
// "folder calc.services", "package Calculator".
func (r Resource) String() string {
	if r.Kind == ResourcePath {
		return r.Method + " " + r.Name
	}
	return string(r.Kind) + " " + r.Name
}

// PathMethods are the methods a path resource may name.
var PathMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

var (
	identRe   = `[A-Za-z_][A-Za-z0-9_]*`
	folderRe  = regexp.MustCompile(`^` + identRe + `(\.` + identRe + `)*$`)
	serviceRe = regexp.MustCompile(`^` + identRe + `(\.` + identRe + `)*:` + identRe + `$`)
	packageRe = regexp.MustCompile(`^` + identRe + `$`)
	segmentRe = regexp.MustCompile(`^([A-Za-z0-9\-._~!$&'()*+,;=:@%]+|\{` + identRe + `\})$`)
)

// ParseResource reads a resource written as String writes it.
func ParseResource(s string) (Resource, error) {
	first, rest, ok := strings.Cut(strings.TrimSpace(s), " ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" {
		return Resource{}, fmt.Errorf("%q is not a resource: write \"GET /path\", \"service folder:name\", \"folder a.b\" or \"package Name\"", s)
	}
	var r Resource
	switch first {
	case string(ResourceService), string(ResourceFolder), string(ResourcePackage):
		r = Resource{Kind: ResourceKind(first), Name: rest}
	default:
		r = Resource{Kind: ResourcePath, Method: first, Name: rest}
	}
	if err := r.Validate(); err != nil {
		return Resource{}, err
	}
	return r, nil
}

// Validate reports what is wrong with r, or nil.
func (r Resource) Validate() error {
	switch r.Kind {
	case ResourcePath:
		if !slices.Contains(PathMethods, r.Method) {
			return fmt.Errorf("method %q is not one of %s", r.Method, strings.Join(PathMethods, ", "))
		}
		return validatePathTemplate(r.Name)
	case ResourceService, ResourceFolder, ResourcePackage:
		if r.Method != "" {
			return fmt.Errorf("a %s has no method (got %q)", r.Kind, r.Method)
		}
		re, example := serviceRe, "folder.subfolder:service"
		switch r.Kind {
		case ResourceFolder:
			re, example = folderRe, "folder.subfolder"
		case ResourcePackage:
			re, example = packageRe, "PackageName"
		}
		if len(r.Name) > maxNameLen || !re.MatchString(r.Name) {
			return fmt.Errorf("%s name %q is not valid: write it like %s", r.Kind, r.Name, example)
		}
		return nil
	}
	return fmt.Errorf("kind %q is not one of path, service, folder, package", r.Kind)
}

func validatePathTemplate(t string) error {
	if !strings.HasPrefix(t, "/") || len(t) > maxNameLen {
		return fmt.Errorf("path %q must start with '/' (and be at most %d bytes)", t, maxNameLen)
	}
	if strings.ContainsAny(t, "?#") {
		return fmt.Errorf("path %q must not have a query or fragment", t)
	}
	if t == "/" {
		return nil
	}
	for _, seg := range strings.Split(t[1:], "/") {
		if !segmentRe.MatchString(seg) {
			return fmt.Errorf("path %q has an invalid segment %q (segments are non-empty; a {name} variable fills a whole segment)", t, seg)
		}
	}
	return nil
}

// MatchPathTemplate reports whether path matches the template: segment by segment, a {name}
// segment matching any one non-empty segment.
func MatchPathTemplate(template, path string) bool {
	if template == path {
		return true
	}
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}") && ps[i] != "" {
			continue
		}
		if ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// ResourceRequest is what one request at the resource server touches: the method and path,
// and the service it invokes ("" when none).
type ResourceRequest struct {
	Method, Path, Service string
}

// inFolder reports whether service (folder.sub:name) is in folder or one of its subfolders.
func inFolder(service, folder string) bool {
	f, _, ok := strings.Cut(service, ":")
	return ok && (f == folder || strings.HasPrefix(f, folder+"."))
}

// opens reports whether r opens req; pkgFolders lists each package's folders.
func (r Resource) opens(req ResourceRequest, pkgFolders map[string][]string) bool {
	switch r.Kind {
	case ResourcePath:
		return r.Method == req.Method && MatchPathTemplate(r.Name, req.Path)
	case ResourceService:
		return req.Service != "" && r.Name == req.Service
	case ResourceFolder:
		return req.Service != "" && inFolder(req.Service, r.Name)
	case ResourcePackage:
		for _, f := range pkgFolders[r.Name] {
			if req.Service != "" && inFolder(req.Service, f) {
				return true
			}
		}
	}
	return false
}

// Transaction helpers for the model's ad-hoc statements.

// txExec runs a write in the context's transaction; every model write runs inside inTx.
func (s *Store) txExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t := txFrom(ctx)
	if t == nil {
		return nil, errors.New("store: internal error: a model write outside a transaction")
	}
	res, err := t.tx.ExecContext(ctx, s.rebind(query), args...)
	return res, mapErr(err)
}

// exists runs a "SELECT 1 ..." query and reports whether it found a row.
func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	rows, err := s.queryRaw(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// strings1 runs a query returning one string column.
func (s *Store) strings1(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.queryRaw(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Packages.

// Package groups folders; a package resource opens every folder listed here. A folder belongs
// to at most one package.
type Package struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Folders     []string `json:"folders"`
}

func (p *Package) validate() error {
	f := &fieldErrors{what: "package"}
	if len(p.Name) > 0 && !packageRe.MatchString(p.Name) {
		f.add("name", "%q is not a package name: letters, digits and '_', not starting with a digit", p.Name)
	} else {
		validName(f, "name", p.Name)
	}
	seen := map[string]bool{}
	for i, fo := range p.Folders {
		field := fmt.Sprintf("folders[%d]", i)
		switch {
		case !folderRe.MatchString(fo):
			f.add(field, "%q is not a folder name: write it like folder.subfolder", fo)
		case seen[fo]:
			f.add(field, "%q is listed twice", fo)
		}
		seen[fo] = true
	}
	return f.err()
}

// PutPackage creates the package or replaces its description and folders.
func (s *Store) PutPackage(ctx context.Context, p *Package) error {
	if p == nil {
		return &InvalidError{What: "package", Fields: []FieldError{{"name", "is required"}}}
	}
	if err := p.validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if _, err := s.txExec(ctx, `INSERT INTO packages (name, description) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET description = excluded.description`, p.Name, p.Description); err != nil {
			return fmt.Errorf("store: put package %q: %w", p.Name, err)
		}
		if _, err := s.txExec(ctx, `DELETE FROM package_folders WHERE package = ?`, p.Name); err != nil {
			return fmt.Errorf("store: put package %q: %w", p.Name, err)
		}
		for i, fo := range p.Folders {
			other, err := s.strings1(ctx, `SELECT package FROM package_folders WHERE folder = ?`, fo)
			if err != nil {
				return fmt.Errorf("store: put package %q: %w", p.Name, err)
			}
			if len(other) > 0 {
				return &InvalidError{What: "package", Fields: []FieldError{{fmt.Sprintf("folders[%d]", i),
					fmt.Sprintf("folder %q already belongs to package %q", fo, other[0])}}}
			}
			if _, err := s.txExec(ctx, `INSERT INTO package_folders (package, folder) VALUES (?, ?)`, p.Name, fo); err != nil {
				return fmt.Errorf("store: put package %q: %w", p.Name, err)
			}
		}
		return nil
	})
}

// GetPackage returns the package, ErrNotFound if unknown.
func (s *Store) GetPackage(ctx context.Context, name string) (*Package, error) {
	all, err := s.listPackages(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("package %q: %w", name, ErrNotFound)
	}
	return all[0], nil
}

// ListPackages lists every package, ordered by name.
func (s *Store) ListPackages(ctx context.Context) ([]*Package, error) {
	return s.listPackages(ctx, "")
}

func (s *Store) listPackages(ctx context.Context, only string) ([]*Package, error) {
	q := `SELECT p.name, p.description, COALESCE(f.folder, '') FROM packages p
		LEFT JOIN package_folders f ON f.package = p.name`
	var args []any
	if only != "" {
		q += ` WHERE p.name = ?`
		args = append(args, only)
	}
	rows, err := s.queryRaw(ctx, q+` ORDER BY p.name, f.folder`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list packages: %w", err)
	}
	defer rows.Close()
	var out []*Package
	for rows.Next() {
		var name, desc, folder string
		if err := rows.Scan(&name, &desc, &folder); err != nil {
			return nil, fmt.Errorf("store: list packages: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &Package{Name: name, Description: desc, Folders: []string{}})
		}
		if folder != "" {
			p := out[len(out)-1]
			p.Folders = append(p.Folders, folder)
		}
	}
	return out, rows.Err()
}

// DeletePackage deletes the package; ErrInUse while a scope opens it.
func (s *Store) DeletePackage(ctx context.Context, name string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		scopes, err := s.strings1(ctx, `SELECT scope FROM scope_resources WHERE kind = 'package' AND name = ? ORDER BY scope`, name)
		if err != nil {
			return fmt.Errorf("store: delete package %q: %w", name, err)
		}
		if len(scopes) > 0 {
			return fmt.Errorf("package %q is opened by scope %q: remove it there first: %w", name, scopes[0], ErrInUse)
		}
		res, err := s.txExec(ctx, `DELETE FROM packages WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("store: delete package %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("package %q: %w", name, ErrNotFound)
		}
		return nil
	})
}

// Scope resources.

// checkScopeResource validates r for a scope; a package must exist.
func (s *Store) checkScopeResource(ctx context.Context, f *fieldErrors, field string, r Resource) error {
	if err := r.Validate(); err != nil {
		f.add(field, "%s", err.Error())
		return nil
	}
	if r.Kind == ResourcePackage {
		ok, err := s.exists(ctx, `SELECT 1 FROM packages WHERE name = ?`, r.Name)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !ok {
			f.add(field, "unknown package %q", r.Name)
		}
	}
	return nil
}

func (s *Store) scopeMustExist(ctx context.Context, scope string) error {
	ok, err := s.exists(ctx, `SELECT 1 FROM scopes WHERE name = ?`, scope)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !ok {
		return fmt.Errorf("scope %q: %w", scope, ErrNotFound)
	}
	return nil
}

// AddScopeResource makes scope open r. ErrNotFound for an unknown scope, ErrConflict when the
// scope already opens r, an *InvalidError (field "resource") for a bad resource.
func (s *Store) AddScopeResource(ctx context.Context, scope string, r Resource) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.scopeMustExist(ctx, scope); err != nil {
			return err
		}
		f := &fieldErrors{what: "scope resource"}
		if err := s.checkScopeResource(ctx, f, "resource", r); err != nil {
			return err
		}
		if err := f.err(); err != nil {
			return err
		}
		_, err := s.txExec(ctx, `INSERT INTO scope_resources (scope, kind, method, name) VALUES (?, ?, ?, ?)`,
			scope, string(r.Kind), r.Method, r.Name)
		if isConstraint(err) {
			return fmt.Errorf("scope %q already opens %s: %w", scope, r, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: add resource to scope %q: %w", scope, err)
		}
		return nil
	})
}

// RemoveScopeResource stops scope opening r; ErrNotFound if it did not.
func (s *Store) RemoveScopeResource(ctx context.Context, scope string, r Resource) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		res, err := s.txExec(ctx, `DELETE FROM scope_resources WHERE scope = ? AND kind = ? AND method = ? AND name = ?`,
			scope, string(r.Kind), r.Method, r.Name)
		if err != nil {
			return fmt.Errorf("store: remove resource from scope %q: %w", scope, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("scope %q does not open %s: %w", scope, r, ErrNotFound)
		}
		return nil
	})
}

// SetScopeResources replaces everything scope opens with rs, in one transaction. Problems are
// reported per field "resources[i]".
func (s *Store) SetScopeResources(ctx context.Context, scope string, rs []Resource) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.scopeMustExist(ctx, scope); err != nil {
			return err
		}
		f := &fieldErrors{what: "scope resources"}
		seen := map[Resource]bool{}
		for i, r := range rs {
			field := fmt.Sprintf("resources[%d]", i)
			if seen[r] {
				f.add(field, "%s is listed twice", r)
				continue
			}
			seen[r] = true
			if err := s.checkScopeResource(ctx, f, field, r); err != nil {
				return err
			}
		}
		if err := f.err(); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, `DELETE FROM scope_resources WHERE scope = ?`, scope); err != nil {
			return fmt.Errorf("store: set resources of scope %q: %w", scope, err)
		}
		for _, r := range rs {
			if _, err := s.txExec(ctx, `INSERT INTO scope_resources (scope, kind, method, name) VALUES (?, ?, ?, ?)`,
				scope, string(r.Kind), r.Method, r.Name); err != nil {
				return fmt.Errorf("store: set resources of scope %q: %w", scope, err)
			}
		}
		return nil
	})
}

// ListScopeResources lists what scope opens (empty for an unknown scope), ordered by kind,
// name and method.
func (s *Store) ListScopeResources(ctx context.Context, scope string) ([]Resource, error) {
	all, err := s.allScopeResources(ctx, scope)
	if err != nil {
		return nil, err
	}
	return all[scope], nil
}

// AllScopeResources maps every scope that opens something to its resources.
func (s *Store) AllScopeResources(ctx context.Context) (map[string][]Resource, error) {
	return s.allScopeResources(ctx, "")
}

func (s *Store) allScopeResources(ctx context.Context, only string) (map[string][]Resource, error) {
	q := `SELECT scope, kind, method, name FROM scope_resources`
	var args []any
	if only != "" {
		q += ` WHERE scope = ?`
		args = append(args, only)
	}
	rows, err := s.queryRaw(ctx, q+` ORDER BY scope, kind, name, method`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list scope resources: %w", err)
	}
	defer rows.Close()
	out := map[string][]Resource{}
	for rows.Next() {
		var scope, kind string
		var r Resource
		if err := rows.Scan(&scope, &kind, &r.Method, &r.Name); err != nil {
			return nil, fmt.Errorf("store: list scope resources: %w", err)
		}
		r.Kind = ResourceKind(kind)
		out[scope] = append(out[scope], r)
	}
	return out, rows.Err()
}

func (s *Store) packageFolders(ctx context.Context) (map[string][]string, error) {
	rows, err := s.queryRaw(ctx, `SELECT package, folder FROM package_folders`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var p, f string
		if err := rows.Scan(&p, &f); err != nil {
			return nil, err
		}
		out[p] = append(out[p], f)
	}
	return out, rows.Err()
}

// ScopesOpening lists, sorted, every scope that opens req: a path resource matching its
// method and path, or a service, folder or package containing its service.
func (s *Store) ScopesOpening(ctx context.Context, req ResourceRequest) ([]string, error) {
	all, err := s.allScopeResources(ctx, "")
	if err != nil {
		return nil, err
	}
	pkgs, err := s.packageFolders(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: scopes opening %s %s: %w", req.Method, req.Path, err)
	}
	var out []string
	for scope, rs := range all {
		for _, r := range rs {
			if r.opens(req, pkgs) {
				out = append(out, scope)
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Groups.

// Group is a named set of principals: usernames and service users ("client:<client_id>").
type Group struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Members     []string `json:"members"`
}

// checkMember reports what is wrong with a would-be group member, or "".
func (s *Store) checkMember(ctx context.Context, principal string) (string, error) {
	if id, ok := ServiceUserClient(principal); ok {
		found, err := s.exists(ctx, `SELECT 1 FROM service_users WHERE client_id = ?`, id)
		if err != nil {
			return "", fmt.Errorf("store: %w", err)
		}
		if !found {
			return fmt.Sprintf("unknown service user %q: client %q does not exist or is not allowed client_credentials", principal, id), nil
		}
		return "", nil
	}
	if err := ValidateUsername(principal); err != nil {
		return fmt.Sprintf("%q is not a username: %v", principal, err), nil
	}
	found, err := s.exists(ctx, `SELECT 1 FROM users WHERE username = ?`, principal)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if !found {
		return fmt.Sprintf("unknown user %q", principal), nil
	}
	return "", nil
}

func (s *Store) validateGroup(ctx context.Context, g *Group) error {
	f := &fieldErrors{what: "group"}
	validName(f, "name", g.Name)
	seen := map[string]bool{}
	for i, m := range g.Members {
		field := fmt.Sprintf("members[%d]", i)
		if seen[m] {
			f.add(field, "%q is listed twice", m)
			continue
		}
		seen[m] = true
		msg, err := s.checkMember(ctx, m)
		if err != nil {
			return err
		}
		if msg != "" {
			f.add(field, "%s", msg)
		}
	}
	return f.err()
}

func (s *Store) writeMembers(ctx context.Context, g *Group) error {
	if _, err := s.txExec(ctx, `DELETE FROM group_members WHERE group_name = ?`, g.Name); err != nil {
		return fmt.Errorf("store: group %q: %w", g.Name, err)
	}
	for _, m := range g.Members {
		if _, err := s.txExec(ctx, `INSERT INTO group_members (group_name, principal) VALUES (?, ?)`, g.Name, m); err != nil {
			return fmt.Errorf("store: group %q: %w", g.Name, err)
		}
	}
	return nil
}

// CreateGroup creates a group with its members. ErrConflict if the name is taken.
func (s *Store) CreateGroup(ctx context.Context, g *Group) error {
	if g == nil {
		return &InvalidError{What: "group", Fields: []FieldError{{"name", "is required"}}}
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.validateGroup(ctx, g); err != nil {
			return err
		}
		_, err := s.txExec(ctx, `INSERT INTO groups (name, description) VALUES (?, ?)`, g.Name, g.Description)
		if isConstraint(err) {
			return fmt.Errorf("group %q: %w", g.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create group %q: %w", g.Name, err)
		}
		return s.writeMembers(ctx, g)
	})
}

// UpdateGroup replaces the description and members of group g.Name; ErrNotFound if unknown.
func (s *Store) UpdateGroup(ctx context.Context, g *Group) error {
	if g == nil {
		return &InvalidError{What: "group", Fields: []FieldError{{"name", "is required"}}}
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.validateGroup(ctx, g); err != nil {
			return err
		}
		res, err := s.txExec(ctx, `UPDATE groups SET description = ? WHERE name = ?`, g.Description, g.Name)
		if err != nil {
			return fmt.Errorf("store: update group %q: %w", g.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("group %q: %w", g.Name, ErrNotFound)
		}
		return s.writeMembers(ctx, g)
	})
}

// DeleteGroup deletes a group; ErrInUse while an ACL lists it.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		acls, err := s.strings1(ctx, `SELECT acl FROM acl_groups WHERE group_name = ? ORDER BY acl`, name)
		if err != nil {
			return fmt.Errorf("store: delete group %q: %w", name, err)
		}
		if len(acls) > 0 {
			return fmt.Errorf("group %q is listed by ACL %q: remove it there first: %w", name, acls[0], ErrInUse)
		}
		res, err := s.txExec(ctx, `DELETE FROM groups WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("store: delete group %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("group %q: %w", name, ErrNotFound)
		}
		return nil
	})
}

// AddGroupMember adds one principal to a group. ErrNotFound for an unknown group, ErrConflict
// if already a member, an *InvalidError (field "member") for an unknown principal.
func (s *Store) AddGroupMember(ctx context.Context, group, principal string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		ok, err := s.exists(ctx, `SELECT 1 FROM groups WHERE name = ?`, group)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !ok {
			return fmt.Errorf("group %q: %w", group, ErrNotFound)
		}
		msg, err := s.checkMember(ctx, principal)
		if err != nil {
			return err
		}
		if msg != "" {
			return &InvalidError{What: "group member", Fields: []FieldError{{"member", msg}}}
		}
		_, err = s.txExec(ctx, `INSERT INTO group_members (group_name, principal) VALUES (?, ?)`, group, principal)
		if isConstraint(err) {
			return fmt.Errorf("%q is already a member of group %q: %w", principal, group, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: add member to group %q: %w", group, err)
		}
		return nil
	})
}

// RemoveGroupMember removes one principal from a group; ErrNotFound if it was not a member.
func (s *Store) RemoveGroupMember(ctx context.Context, group, principal string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		res, err := s.txExec(ctx, `DELETE FROM group_members WHERE group_name = ? AND principal = ?`, group, principal)
		if err != nil {
			return fmt.Errorf("store: remove member from group %q: %w", group, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%q in group %q: %w", principal, group, ErrNotFound)
		}
		return nil
	})
}

// GetGroup returns the group with its members, ErrNotFound if unknown.
func (s *Store) GetGroup(ctx context.Context, name string) (*Group, error) {
	gs, err := s.listGroups(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("group %q: %w", name, ErrNotFound)
	}
	return gs[0], nil
}

// ListGroups lists every group with its members, ordered by name.
func (s *Store) ListGroups(ctx context.Context) ([]*Group, error) { return s.listGroups(ctx, "") }

func (s *Store) listGroups(ctx context.Context, only string) ([]*Group, error) {
	q := `SELECT g.name, g.description, COALESCE(m.principal, '') FROM groups g
		LEFT JOIN group_members m ON m.group_name = g.name`
	var args []any
	if only != "" {
		q += ` WHERE g.name = ?`
		args = append(args, only)
	}
	rows, err := s.queryRaw(ctx, q+` ORDER BY g.name, m.principal`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	defer rows.Close()
	var out []*Group
	for rows.Next() {
		var name, desc, member string
		if err := rows.Scan(&name, &desc, &member); err != nil {
			return nil, fmt.Errorf("store: list groups: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &Group{Name: name, Description: desc, Members: []string{}})
		}
		if member != "" {
			g := out[len(out)-1]
			g.Members = append(g.Members, member)
		}
	}
	return out, rows.Err()
}

// GroupsOf lists, sorted, the groups principal is a member of.
func (s *Store) GroupsOf(ctx context.Context, principal string) ([]string, error) {
	out, err := s.strings1(ctx, `SELECT group_name FROM group_members WHERE principal = ? ORDER BY group_name`, principal)
	if err != nil {
		return nil, fmt.Errorf("store: groups of %q: %w", principal, err)
	}
	return out, nil
}

// ACLs.

// ACL lists allowed and denied groups. Decide: deny wins, and a principal in no allowed group
// is denied.
type ACL struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Allow       []string `json:"allow"`
	Deny        []string `json:"deny"`
}

// Decide applies the ACL to the groups of a principal and says why.
func (a *ACL) Decide(groups []string) (allowed bool, reason string) {
	for _, g := range a.Deny {
		if slices.Contains(groups, g) {
			return false, fmt.Sprintf("ACL %q denies group %q", a.Name, g)
		}
	}
	for _, g := range a.Allow {
		if slices.Contains(groups, g) {
			return true, fmt.Sprintf("ACL %q allows group %q", a.Name, g)
		}
	}
	return false, fmt.Sprintf("ACL %q allows none of the caller's groups", a.Name)
}

func (s *Store) validateACL(ctx context.Context, a *ACL) error {
	f := &fieldErrors{what: "ACL"}
	validName(f, "name", a.Name)
	seen := map[string]string{}
	check := func(list []string, field string) error {
		for i, g := range list {
			at := fmt.Sprintf("%s[%d]", field, i)
			if prev, dup := seen[g]; dup {
				if prev == field {
					f.add(at, "group %q is listed twice", g)
				} else {
					f.add(at, "group %q is in both allow and deny: list it once", g)
				}
				continue
			}
			seen[g] = field
			ok, err := s.exists(ctx, `SELECT 1 FROM groups WHERE name = ?`, g)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if !ok {
				f.add(at, "unknown group %q", g)
			}
		}
		return nil
	}
	if err := check(a.Allow, "allow"); err != nil {
		return err
	}
	if err := check(a.Deny, "deny"); err != nil {
		return err
	}
	return f.err()
}

func (s *Store) writeACLGroups(ctx context.Context, a *ACL) error {
	if _, err := s.txExec(ctx, `DELETE FROM acl_groups WHERE acl = ?`, a.Name); err != nil {
		return fmt.Errorf("store: ACL %q: %w", a.Name, err)
	}
	for _, l := range []struct {
		effect string
		groups []string
	}{{"allow", a.Allow}, {"deny", a.Deny}} {
		for _, g := range l.groups {
			if _, err := s.txExec(ctx, `INSERT INTO acl_groups (acl, group_name, effect) VALUES (?, ?, ?)`, a.Name, g, l.effect); err != nil {
				return fmt.Errorf("store: ACL %q: %w", a.Name, err)
			}
		}
	}
	return nil
}

// CreateACL creates an ACL. ErrConflict if the name is taken.
func (s *Store) CreateACL(ctx context.Context, a *ACL) error {
	if a == nil {
		return &InvalidError{What: "ACL", Fields: []FieldError{{"name", "is required"}}}
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.validateACL(ctx, a); err != nil {
			return err
		}
		_, err := s.txExec(ctx, `INSERT INTO acls (name, description) VALUES (?, ?)`, a.Name, a.Description)
		if isConstraint(err) {
			return fmt.Errorf("ACL %q: %w", a.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create ACL %q: %w", a.Name, err)
		}
		return s.writeACLGroups(ctx, a)
	})
}

// UpdateACL replaces the description and groups of ACL a.Name; ErrNotFound if unknown.
func (s *Store) UpdateACL(ctx context.Context, a *ACL) error {
	if a == nil {
		return &InvalidError{What: "ACL", Fields: []FieldError{{"name", "is required"}}}
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.validateACL(ctx, a); err != nil {
			return err
		}
		res, err := s.txExec(ctx, `UPDATE acls SET description = ? WHERE name = ?`, a.Description, a.Name)
		if err != nil {
			return fmt.Errorf("store: update ACL %q: %w", a.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("ACL %q: %w", a.Name, ErrNotFound)
		}
		return s.writeACLGroups(ctx, a)
	})
}

// DeleteACL deletes an ACL; ErrInUse while it guards a resource.
func (s *Store) DeleteACL(ctx context.Context, name string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		used, err := s.listResourceACLs(ctx, name)
		if err != nil {
			return err
		}
		if len(used) > 0 {
			return fmt.Errorf("ACL %q guards %s: name another ACL there first: %w", name, used[0].Resource, ErrInUse)
		}
		res, err := s.txExec(ctx, `DELETE FROM acls WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("store: delete ACL %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("ACL %q: %w", name, ErrNotFound)
		}
		return nil
	})
}

// GetACL returns the ACL, ErrNotFound if unknown.
func (s *Store) GetACL(ctx context.Context, name string) (*ACL, error) {
	as, err := s.listACLs(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("ACL %q: %w", name, ErrNotFound)
	}
	return as[0], nil
}

// ListACLs lists every ACL, ordered by name.
func (s *Store) ListACLs(ctx context.Context) ([]*ACL, error) { return s.listACLs(ctx, "") }

func (s *Store) listACLs(ctx context.Context, only string) ([]*ACL, error) {
	q := `SELECT a.name, a.description, COALESCE(g.group_name, ''), COALESCE(g.effect, '') FROM acls a
		LEFT JOIN acl_groups g ON g.acl = a.name`
	var args []any
	if only != "" {
		q += ` WHERE a.name = ?`
		args = append(args, only)
	}
	rows, err := s.queryRaw(ctx, q+` ORDER BY a.name, g.group_name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list ACLs: %w", err)
	}
	defer rows.Close()
	var out []*ACL
	for rows.Next() {
		var name, desc, group, effect string
		if err := rows.Scan(&name, &desc, &group, &effect); err != nil {
			return nil, fmt.Errorf("store: list ACLs: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &ACL{Name: name, Description: desc, Allow: []string{}, Deny: []string{}})
		}
		a := out[len(out)-1]
		switch effect {
		case "allow":
			a.Allow = append(a.Allow, group)
		case "deny":
			a.Deny = append(a.Deny, group)
		}
	}
	return out, rows.Err()
}

// Resource ACLs.

// ResourceACL names the ACL guarding a resource (a path or a service).
type ResourceACL struct {
	Resource Resource `json:"resource"`
	ACL      string   `json:"acl"`
}

// SetResourceACL makes acl guard r (a path or a service); acl "" removes the guard
// (ErrNotFound if there was none). An *InvalidError names the field "resource" or "acl".
func (s *Store) SetResourceACL(ctx context.Context, r Resource, acl string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		f := &fieldErrors{what: "resource ACL"}
		if err := r.Validate(); err != nil {
			f.add("resource", "%s", err.Error())
		} else if r.Kind != ResourcePath && r.Kind != ResourceService {
			f.add("resource", "an ACL guards a path or a service, not a %s", r.Kind)
		}
		if acl == "" {
			if err := f.err(); err != nil {
				return err
			}
			res, err := s.txExec(ctx, `DELETE FROM resource_acls WHERE kind = ? AND method = ? AND name = ?`, string(r.Kind), r.Method, r.Name)
			if err != nil {
				return fmt.Errorf("store: remove ACL of %s: %w", r, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("no ACL guards %s: %w", r, ErrNotFound)
			}
			return nil
		}
		ok, err := s.exists(ctx, `SELECT 1 FROM acls WHERE name = ?`, acl)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !ok {
			f.add("acl", "unknown ACL %q", acl)
		}
		if err := f.err(); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, `INSERT INTO resource_acls (kind, method, name, acl) VALUES (?, ?, ?, ?)
			ON CONFLICT (kind, method, name) DO UPDATE SET acl = excluded.acl`, string(r.Kind), r.Method, r.Name, acl); err != nil {
			return fmt.Errorf("store: set ACL of %s: %w", r, err)
		}
		return nil
	})
}

// ListResourceACLs lists every guarded resource, ordered by kind, name and method.
func (s *Store) ListResourceACLs(ctx context.Context) ([]ResourceACL, error) {
	return s.listResourceACLs(ctx, "")
}

func (s *Store) listResourceACLs(ctx context.Context, acl string) ([]ResourceACL, error) {
	q := `SELECT kind, method, name, acl FROM resource_acls`
	var args []any
	if acl != "" {
		q += ` WHERE acl = ?`
		args = append(args, acl)
	}
	rows, err := s.queryRaw(ctx, q+` ORDER BY kind, name, method`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list resource ACLs: %w", err)
	}
	defer rows.Close()
	var out []ResourceACL
	for rows.Next() {
		var ra ResourceACL
		var kind string
		if err := rows.Scan(&kind, &ra.Resource.Method, &ra.Resource.Name, &ra.ACL); err != nil {
			return nil, fmt.Errorf("store: list resource ACLs: %w", err)
		}
		ra.Resource.Kind = ResourceKind(kind)
		out = append(out, ra)
	}
	return out, rows.Err()
}

// ACLsGuarding lists, sorted and without repeats, the ACLs guarding req: that of every path
// resource matching its method and path, and that of its service.
func (s *Store) ACLsGuarding(ctx context.Context, req ResourceRequest) ([]string, error) {
	all, err := s.listResourceACLs(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ra := range all {
		if ra.Resource.opens(req, nil) && !slices.Contains(out, ra.ACL) {
			out = append(out, ra.ACL)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Service users.

// ServiceUser is the user a client-credentials client acts as. It is created with the client
// when the client is allowed client_credentials, and removed with the client or the grant.
type ServiceUser struct {
	ClientID  string    `json:"client_id"`
	Principal string    `json:"principal"`
	CreatedAt time.Time `json:"created_at"`
}

// GetServiceUser returns the service user of clientID, ErrNotFound if it has none.
func (s *Store) GetServiceUser(ctx context.Context, clientID string) (*ServiceUser, error) {
	us, err := s.listServiceUsers(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, fmt.Errorf("service user of client %q: %w", clientID, ErrNotFound)
	}
	return us[0], nil
}

// ListServiceUsers lists every service user, ordered by client id.
func (s *Store) ListServiceUsers(ctx context.Context) ([]*ServiceUser, error) {
	return s.listServiceUsers(ctx, "")
}

func (s *Store) listServiceUsers(ctx context.Context, only string) ([]*ServiceUser, error) {
	q := `SELECT client_id, created_at FROM service_users`
	var args []any
	if only != "" {
		q += ` WHERE client_id = ?`
		args = append(args, only)
	}
	rows, err := s.queryRaw(ctx, q+` ORDER BY client_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list service users: %w", err)
	}
	defer rows.Close()
	var out []*ServiceUser
	for rows.Next() {
		var u ServiceUser
		var at int64
		if err := rows.Scan(&u.ClientID, &at); err != nil {
			return nil, fmt.Errorf("store: list service users: %w", err)
		}
		u.Principal = ServiceUserPrincipal(u.ClientID)
		u.CreatedAt = fromNanos(at)
		out = append(out, &u)
	}
	return out, rows.Err()
}

// Calculations (the calculator's history).

// Calculation is one calculation made at the calculator.
type Calculation struct {
	ID        int64     `json:"id"`
	Principal string    `json:"-"`
	ClientID  string    `json:"client_id"`
	Op        string    `json:"op"`
	A         float64   `json:"a"`
	B         float64   `json:"b"`
	Result    float64   `json:"result"`
	At        time.Time `json:"at"`
}

// AddCalculation records c (ID and a zero At are filled in, on c as well).
func (s *Store) AddCalculation(ctx context.Context, c *Calculation) error {
	if c == nil || c.Principal == "" || c.Op == "" {
		return errors.New("store: add calculation: the principal and the operation are required")
	}
	if c.At.IsZero() {
		c.At = time.Now().UTC()
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		// RETURNING rather than LastInsertId, which pgx's database/sql driver does not offer.
		err := s.adminQueryRow(ctx, `INSERT INTO calculations (principal, client_id, op, a, b, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			RETURNING id`, c.Principal, c.ClientID, c.Op, c.A, c.B, c.Result, nanos(c.At)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("store: add calculation: %w", err)
		}
		return nil
	})
}

// ListCalculations lists principal's calculations, newest first, at most limit (1..1000;
// other values mean 100).
func (s *Store) ListCalculations(ctx context.Context, principal string, limit int) ([]Calculation, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.queryRaw(ctx, `SELECT id, principal, client_id, op, a, b, result, created_at FROM calculations
		WHERE principal = ? ORDER BY id DESC LIMIT ?`, principal, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list calculations: %w", err)
	}
	defer rows.Close()
	out := []Calculation{}
	for rows.Next() {
		var c Calculation
		var at int64
		if err := rows.Scan(&c.ID, &c.Principal, &c.ClientID, &c.Op, &c.A, &c.B, &c.Result, &at); err != nil {
			return nil, fmt.Errorf("store: list calculations: %w", err)
		}
		c.At = fromNanos(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
