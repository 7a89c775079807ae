// Package seed loads the reference server's seed data (fixtures/refserver/seed.yaml: scopes,
// users, clients) into an empty store. Secrets and passwords in the file are hashed with bcrypt
// on the way in; the plain values are never stored.
package seed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/oauthconf/oauthconf/refserver/domain"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// MinBcryptCost is the lowest cost Load accepts.
const MinBcryptCost = 10

// File is the seed file's format.
type File struct {
	Scopes  []ScopeEntry  `yaml:"scopes"`
	Users   []UserEntry   `yaml:"users"`
	Clients []ClientEntry `yaml:"clients"`

	// Model is the management model: packages, groups, ACLs (model.go).
	Model `yaml:",inline"`

	// Admin is the administrator of the admin console and API (admin.go).
	Admin *AdminEntry `yaml:"admin"`
}

// ScopeEntry is one scope.
type ScopeEntry struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Resources the scope opens (model.go): "GET /path", "service a.b:c", "folder a.b", "package P".
	Resources []string `yaml:"resources"`
}

// UserEntry is one resource owner. Password is the plain test password; PasswordHash, a
// bcrypt hash, may be given instead (it saves hashing at load time).
type UserEntry struct {
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordHash string `yaml:"password_hash"`
	Enabled      *bool  `yaml:"enabled"` // default true
}

// ClientEntry is one client. Secret is the plain test secret (confidential clients only);
// SecretHash, a bcrypt hash, may be given instead. The lifetimes are Go durations ("2s",
// "10m"); empty means the server's default.
type ClientEntry struct {
	ID              string   `yaml:"id"`
	Name            string   `yaml:"name"`
	Description     string   `yaml:"description"`
	Secret          string   `yaml:"secret"`
	SecretHash      string   `yaml:"secret_hash"`
	Public          bool     `yaml:"public"`
	AuthMethod      string   `yaml:"auth_method"`
	RedirectURIs    []string `yaml:"redirect_uris"`
	Grants          []string `yaml:"grants"`
	Scopes          []string `yaml:"scopes"`
	Trusted         bool     `yaml:"trusted"`
	Enabled         *bool    `yaml:"enabled"` // default true
	AuthCodeTTL     string   `yaml:"auth_code_ttl"`
	AccessTokenTTL  string   `yaml:"access_token_ttl"`
	RefreshTokenTTL string   `yaml:"refresh_token_ttl"`
}

// ValidationError lists every problem found in a seed file, each naming its field.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "seed: " + e.Problems[0]
	}
	return fmt.Sprintf("seed: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Store is what Load writes a seed through, named here by its one consumer (fosite's style):
// a transaction, and the create method of each kind of record. A second store implementation
// needs only these to be seeded.
type Store interface {
	BeginTX(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
	IsEmpty(ctx context.Context) (bool, error)
	PutScope(ctx context.Context, sc *store.Scope) error
	CreateUser(ctx context.Context, u *store.User) error
	CreateClient(ctx context.Context, c *store.Client) error
	PutPackage(ctx context.Context, p *store.Package) error
	SetScopeResources(ctx context.Context, scope string, rs []store.Resource) error
	CreateGroup(ctx context.Context, g *store.Group) error
	CreateACL(ctx context.Context, a *store.ACL) error
	SetResourceACL(ctx context.Context, r store.Resource, acl string) error
	PutAdmin(ctx context.Context, username string, passwordHash []byte) error
}

var _ Store = (*store.Store)(nil)

// Load parses and validates yamlData and, only if st is empty (no client, user or scope),
// stores its contents in one transaction. loaded reports whether it did. Secrets and
// passwords are hashed with bcrypt at bcryptCost (at least MinBcryptCost).
func Load(ctx context.Context, st Store, yamlData []byte, bcryptCost int) (loaded bool, err error) {
	if st == nil {
		return false, errors.New("seed: no store")
	}
	if bcryptCost < MinBcryptCost || bcryptCost > bcrypt.MaxCost {
		return false, fmt.Errorf("seed: bcrypt cost %d is out of range: use %d to %d", bcryptCost, MinBcryptCost, bcrypt.MaxCost)
	}
	f, err := Parse(yamlData)
	if err != nil {
		return false, err
	}
	if problems := f.weakHashes(bcryptCost); len(problems) > 0 {
		return false, &ValidationError{Problems: problems}
	}
	// Checked before hashing (the expensive part) and again inside the transaction, which
	// serializes concurrent loaders.
	if empty, err := st.IsEmpty(ctx); err != nil || !empty {
		return false, err
	}
	scopes, users, clients, err := f.build(bcryptCost)
	if err != nil {
		return false, err
	}
	tctx, err := st.BeginTX(ctx)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	defer func() {
		if !loaded {
			if rerr := st.Rollback(tctx); rerr != nil && err == nil {
				err = fmt.Errorf("seed: %w", rerr)
			}
		}
	}()
	empty, err := st.IsEmpty(tctx)
	if err != nil || !empty {
		return false, err
	}
	for _, sc := range scopes {
		if err := st.PutScope(tctx, sc); err != nil {
			return false, fmt.Errorf("seed: scope %q: %w", sc.Name, err)
		}
	}
	for _, u := range users {
		if err := st.CreateUser(tctx, u); err != nil {
			return false, fmt.Errorf("seed: user %q: %w", u.Username, err)
		}
	}
	for _, c := range clients {
		if err := st.CreateClient(tctx, c); err != nil {
			return false, fmt.Errorf("seed: client %q: %w", c.ID, err)
		}
	}
	if err := f.loadModel(tctx, st); err != nil {
		return false, err
	}
	if err := f.loadAdmin(tctx, st, bcryptCost); err != nil {
		return false, err
	}
	if err := st.Commit(tctx); err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	return true, nil
}

// Parse decodes and validates a seed file, reporting every problem at once.
func Parse(yamlData []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(yamlData))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ValidationError{Problems: []string{"the seed file is empty"}}
		}
		return nil, fmt.Errorf("seed: the file is not valid seed YAML: %w", err)
	}
	if problems := f.validate(); len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return &f, nil
}

var knownGrants = map[string]bool{
	store.GrantAuthorizationCode: true,
	store.GrantImplicit:          true,
	store.GrantClientCredentials: true,
	store.GrantPassword:          true,
	store.GrantRefreshToken:      true,
}

func (f *File) validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	scopeNames := map[string]bool{}
	for i, sc := range f.Scopes {
		field := fmt.Sprintf("scopes[%d].name", i)
		switch msg := domain.ScopeNameProblem(sc.Name); {
		case msg != "":
			add("%s: %s", field, msg)
		case scopeNames[sc.Name]:
			add("%s: duplicate scope %q", field, sc.Name)
		}
		scopeNames[sc.Name] = true
	}

	userNames := map[string]bool{}
	for i, u := range f.Users {
		switch {
		case strings.TrimSpace(u.Username) == "":
			add("users[%d].username: is required", i)
		case userNames[u.Username]:
			add("users[%d].username: duplicate user %q", i, u.Username)
		}
		userNames[u.Username] = true
		if u.Password != "" && u.PasswordHash != "" {
			add("users[%d].password_hash: give password or password_hash, not both", i)
		} else if u.Password == "" && u.PasswordHash == "" {
			add("users[%d].password: is required", i)
		} else if msg := hashProblem(u.PasswordHash); msg != "" {
			add("users[%d].password_hash: %s", i, msg)
		} else if len(u.Password) > 72 {
			// bcrypt ignores everything after 72 bytes.
			add("users[%d].password: longer than 72 bytes, which bcrypt cannot hash", i)
		}
	}

	clientIDs := map[string]bool{}
	for i, c := range f.Clients {
		at := func(field string) string { return fmt.Sprintf("clients[%d].%s", i, field) }
		switch msg := domain.ClientIDProblem(c.ID); {
		case msg != "":
			add("%s: %s", at("id"), msg)
		case clientIDs[c.ID]:
			add("%s: duplicate client id %q", at("id"), c.ID)
		}
		clientIDs[c.ID] = true

		hasSecret := c.Secret != "" || c.SecretHash != ""
		switch {
		case c.Public && hasSecret:
			add("%s: a public client must not have a secret (RFC 6749 2.1)", at("secret"))
		case !c.Public && !hasSecret:
			add("%s: a confidential client needs a secret (or set public: true)", at("secret"))
		case c.Secret != "" && c.SecretHash != "":
			add("%s: give secret or secret_hash, not both", at("secret_hash"))
		default:
			if msg := hashProblem(c.SecretHash); msg != "" {
				add("%s: %s", at("secret_hash"), msg)
			}
		}
		if len(c.Secret) > 72 {
			add("%s: longer than 72 bytes, which bcrypt cannot hash", at("secret"))
		}
		switch m := c.AuthMethod; {
		case m == "":
		case c.Public && m != "none":
			add("%s: %q is not possible for a public client: use none", at("auth_method"), m)
		case !c.Public && m != "client_secret_basic" && m != "client_secret_post":
			add("%s: %q is not supported for a confidential client: use client_secret_basic or client_secret_post", at("auth_method"), m)
		}

		grants := map[string]bool{}
		if len(c.Grants) == 0 {
			add("%s: at least one grant is required", at("grants"))
		}
		for j, g := range c.Grants {
			if !knownGrants[g] {
				add("%s: unknown grant %q (use authorization_code, implicit, client_credentials, password or refresh_token)", at(fmt.Sprintf("grants[%d]", j)), g)
			}
			grants[g] = true
		}
		if grants[store.GrantClientCredentials] && c.Public {
			// RFC 6749 4.4: "The client credentials grant type MUST only be used by confidential clients."
			add("%s: client_credentials needs a confidential client (RFC 6749 4.4)", at("grants"))
		}
		if grants[store.GrantRefreshToken] && !grants[store.GrantAuthorizationCode] && !grants[store.GrantPassword] {
			// RFC 6749 1.5 and 4.4.3/4.2.2: refresh tokens come only from the code and password grants.
			add("%s: refresh_token needs authorization_code or password, the grants that issue refresh tokens", at("grants"))
		}
		if (grants[store.GrantAuthorizationCode] || grants[store.GrantImplicit]) && len(c.RedirectURIs) == 0 {
			// RFC 6749 3.1.2.2: public clients and clients using the implicit grant MUST register
			// a redirect URI; this server requires one for every redirect-based client.
			add("%s: a redirect URI is required for authorization_code and implicit", at("redirect_uris"))
		}
		seenURI := map[string]bool{}
		for j, raw := range c.RedirectURIs {
			field := at(fmt.Sprintf("redirect_uris[%d]", j))
			if msg := domain.RedirectURIProblem(raw); msg != "" {
				add("%s: %q %s", field, raw, msg)
			} else if seenURI[raw] {
				add("%s: %q is listed twice", field, raw)
			}
			seenURI[raw] = true
		}

		for j, sc := range c.Scopes {
			if !scopeNames[sc] {
				add("%s: unknown scope %q (not in scopes)", at(fmt.Sprintf("scopes[%d]", j)), sc)
			}
		}

		for _, d := range []struct{ name, val string }{
			{"auth_code_ttl", c.AuthCodeTTL}, {"access_token_ttl", c.AccessTokenTTL}, {"refresh_token_ttl", c.RefreshTokenTTL},
		} {
			if d.val == "" {
				continue
			}
			if v, err := time.ParseDuration(d.val); err != nil {
				add("%s: %q is not a duration (use e.g. 2s, 10m, 1h)", at(d.name), d.val)
			} else if v <= 0 {
				add("%s: %q must be positive", at(d.name), d.val)
			}
		}
	}
	p = append(p, f.validateAdmin()...)
	return append(p, f.validateModel()...)
}

// hashProblem explains what is wrong with a given bcrypt hash, or returns "" (also for none).
func hashProblem(h string) string {
	if h == "" {
		return ""
	}
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return "is not a bcrypt hash"
	}
	if cost < MinBcryptCost {
		return fmt.Sprintf("bcrypt cost %d is below the minimum of %d", cost, MinBcryptCost)
	}
	return ""
}

// weakHashes lists given hashes whose cost is below the cost Load was asked for.
func (f *File) weakHashes(cost int) []string {
	var p []string
	check := func(field, h string) {
		if h == "" {
			return
		}
		if c, err := bcrypt.Cost([]byte(h)); err == nil && c < cost {
			p = append(p, fmt.Sprintf("%s: bcrypt cost %d is below the configured cost %d", field, c, cost))
		}
	}
	for i, u := range f.Users {
		check(fmt.Sprintf("users[%d].password_hash", i), u.PasswordHash)
	}
	for i, c := range f.Clients {
		check(fmt.Sprintf("clients[%d].secret_hash", i), c.SecretHash)
	}
	return p
}

// build turns the validated file into store records, hashing every secret and password in
// parallel (each bcrypt hash costs tens of milliseconds).
func (f *File) build(cost int) ([]*store.Scope, []*store.User, []*store.Client, error) {
	scopes := make([]*store.Scope, len(f.Scopes))
	for i, sc := range f.Scopes {
		scopes[i] = &store.Scope{Name: sc.Name, Description: sc.Description}
	}
	now := time.Now().UTC()
	users := make([]*store.User, len(f.Users))
	clients := make([]*store.Client, len(f.Clients))

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	hash := func(plain string, dst *[]byte, what string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("seed: hash %s: %w", what, err))
				mu.Unlock()
				return
			}
			*dst = h
		}()
	}
	for i, u := range f.Users {
		users[i] = &store.User{Username: u.Username, Enabled: u.Enabled == nil || *u.Enabled, CreatedAt: now}
		if u.PasswordHash != "" {
			users[i].PasswordHash = []byte(u.PasswordHash)
		} else {
			hash(u.Password, &users[i].PasswordHash, fmt.Sprintf("password of user %q", u.Username))
		}
	}
	for i, c := range f.Clients {
		method := c.AuthMethod
		if method == "" {
			method = "client_secret_basic"
			if c.Public {
				method = "none"
			}
		}
		ttl := func(s string) time.Duration {
			d, _ := time.ParseDuration(s) // validated; "" gives 0, the server's default
			return d
		}
		sc := &store.Client{
			ID:                      c.ID,
			Name:                    c.Name,
			Description:             c.Description,
			Public:                  c.Public,
			RedirectURIs:            append([]string{}, c.RedirectURIs...),
			GrantTypes:              append([]string{}, c.Grants...),
			Scopes:                  append([]string{}, c.Scopes...),
			TokenEndpointAuthMethod: method,
			AccessTokenTTL:          ttl(c.AccessTokenTTL),
			RefreshTokenTTL:         ttl(c.RefreshTokenTTL),
			AuthCodeTTL:             ttl(c.AuthCodeTTL),
			Trusted:                 c.Trusted,
			Enabled:                 c.Enabled == nil || *c.Enabled,
			CreatedAt:               now,
			UpdatedAt:               now,
		}
		clients[i] = sc
		switch {
		case c.SecretHash != "":
			sc.SecretHash = []byte(c.SecretHash)
		case c.Secret != "":
			hash(c.Secret, &sc.SecretHash, fmt.Sprintf("secret of client %q", c.ID))
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}
	return scopes, users, clients, nil
}
