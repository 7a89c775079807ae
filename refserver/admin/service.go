package admin

// The operations the console and the API share: each validates its whole input first
// (collecting one message per field), then makes its change in one store transaction, so that
// a refused request saves nothing.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oauthconf/oauthconf/refserver/domain"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// fieldErrors maps a field, named as the JSON API names it ("redirect_uris[0]"), to what is
// wrong with it.
type fieldErrors map[string]string

// invalidError is a refused input: every problem, one per field.
type invalidError struct {
	fields fieldErrors
}

func (e *invalidError) Error() string {
	keys := make([]string, 0, len(e.fields))
	for k := range e.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &invalidError{fields: f}
}

// notFoundError names the unknown thing a request referred to in its path.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string { return e.what + " does not exist" }

func notFound(format string, args ...any) error {
	return &notFoundError{what: fmt.Sprintf(format, args...)}
}

// Limits on free text, so that a form cannot store megabytes.
const (
	maxNameLen        = 200
	maxDescriptionLen = 2000
	maxRedirectURIs   = 20
	maxTTL            = 365 * 24 * time.Hour
	// RFC 6749 4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
	maxCodeTTL = 10 * time.Minute
	// bcrypt uses at most 72 bytes of a password; a longer one would be silently truncated.
	maxPasswordLen = 72
	minPasswordLen = 8
)

var knownGrants = []string{
	store.GrantAuthorizationCode, store.GrantImplicit, store.GrantClientCredentials,
	store.GrantPassword, store.GrantRefreshToken,
}

// ClientInput is a client as the API and the console's form submit it. Lifetimes are in
// seconds; zero means the server's default.
type ClientInput struct {
	Name                    string   `json:"name"`
	Description             string   `json:"description"`
	Public                  bool     `json:"public"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	Scopes                  []string `json:"scopes"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	AccessTokenTTL          int64    `json:"access_token_ttl"`
	RefreshTokenTTL         int64    `json:"refresh_token_ttl"`
	AuthCodeTTL             int64    `json:"auth_code_ttl"`
	Trusted                 bool     `json:"trusted"`
	// Enabled defaults to true when absent.
	Enabled *bool `json:"enabled"`
}

// service holds what the operations need.
type service struct {
	st         serviceStore
	bcryptCost int
	// hashFn is bcrypt.GenerateFromPassword; tests make it cheaper.
	hashFn func(password []byte, cost int) ([]byte, error)
}

// hash hashes a new secret or password with bcrypt.
func (s *service) hash(secret []byte) ([]byte, error) {
	return s.hashFn(secret, s.bcryptCost)
}

// validateClient checks everything about in that does not need the database, and normalizes
// it (trimmed strings, the default auth method).
func validateClient(in *ClientInput) fieldErrors {
	fe := fieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	checkText(fe, "name", in.Name, maxNameLen, true)
	checkText(fe, "description", in.Description, maxDescriptionLen, false)

	if len(in.GrantTypes) == 0 {
		fe["grant_types"] = "choose at least one grant"
	}
	grants := map[string]bool{}
	for i, g := range in.GrantTypes {
		key := fmt.Sprintf("grant_types[%d]", i)
		switch {
		case !slices.Contains(knownGrants, g):
			fe[key] = fmt.Sprintf("unknown grant %q: use one of %s", g, strings.Join(knownGrants, ", "))
		case grants[g]:
			fe[key] = fmt.Sprintf("grant %q is listed twice", g)
		case in.Public && (g == store.GrantClientCredentials || g == store.GrantPassword):
			// RFC 6749 4.4: "The client credentials grant type MUST only be used by
			// confidential clients"; the password grant is likewise confidential-only here
			// (the webMethods model), since a public client cannot keep the user's trust.
			fe[key] = fmt.Sprintf("a public client may not use the %s grant: only confidential clients may (RFC 6749 4.4)", g)
		}
		grants[g] = true
	}
	if grants[store.GrantRefreshToken] && !grants[store.GrantAuthorizationCode] && !grants[store.GrantPassword] {
		fe["grant_types"] = "refresh_token needs authorization_code or password: only those grants issue refresh tokens"
	}

	switch {
	case in.Public && in.TokenEndpointAuthMethod == "":
		in.TokenEndpointAuthMethod = "none"
	case !in.Public && in.TokenEndpointAuthMethod == "":
		in.TokenEndpointAuthMethod = "client_secret_basic"
	case in.Public && in.TokenEndpointAuthMethod != "none":
		fe["token_endpoint_auth_method"] = "a public client has no secret: its method must be none"
	case !in.Public && in.TokenEndpointAuthMethod != "client_secret_basic" && in.TokenEndpointAuthMethod != "client_secret_post":
		fe["token_endpoint_auth_method"] = fmt.Sprintf("unknown method %q: use client_secret_basic or client_secret_post", in.TokenEndpointAuthMethod)
	}

	needsRedirect := grants[store.GrantAuthorizationCode] || grants[store.GrantImplicit]
	if needsRedirect && len(in.RedirectURIs) == 0 {
		// RFC 6749 3.1.2.2: public clients and implicit clients MUST register one; this
		// server requires one for every redirecting client (RFC 9700 2.1: exact matching).
		fe["redirect_uris"] = "a client using authorization_code or implicit needs at least one redirect URI"
	}
	if len(in.RedirectURIs) > maxRedirectURIs {
		fe["redirect_uris"] = fmt.Sprintf("at most %d redirect URIs", maxRedirectURIs)
	}
	seen := map[string]bool{}
	for i, raw := range in.RedirectURIs {
		raw = strings.TrimSpace(raw)
		in.RedirectURIs[i] = raw
		key := fmt.Sprintf("redirect_uris[%d]", i)
		if p := domain.RedirectURIProblem(raw); p != "" {
			fe[key] = p
		} else if seen[raw] {
			fe[key] = "is listed twice"
		}
		seen[raw] = true
	}

	seenScope := map[string]bool{}
	for i, sc := range in.Scopes {
		if seenScope[sc] {
			fe[fmt.Sprintf("scopes[%d]", i)] = fmt.Sprintf("scope %q is listed twice", sc)
		}
		seenScope[sc] = true
	}
	checkTTL(fe, "access_token_ttl", in.AccessTokenTTL, maxTTL)
	checkTTL(fe, "refresh_token_ttl", in.RefreshTokenTTL, maxTTL)
	checkTTL(fe, "auth_code_ttl", in.AuthCodeTTL, maxCodeTTL)
	return fe
}

func checkText(fe fieldErrors, key, v string, maxLen int, required bool) {
	switch {
	case required && v == "":
		fe[key] = "is required"
	case !utf8.ValidString(v):
		fe[key] = "is not valid UTF-8"
	case utf8.RuneCountInString(v) > maxLen:
		fe[key] = fmt.Sprintf("is longer than %d characters", maxLen)
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		fe[key] = "contains control characters"
	}
}

func checkTTL(fe fieldErrors, key string, secs int64, limit time.Duration) {
	if secs < 0 || secs > int64(limit/time.Second) {
		fe[key] = fmt.Sprintf("must be between 0 (the server's default) and %d seconds", int64(limit/time.Second))
	}
}

// checkScopesExist adds a field error for every scope of in that the store does not know.
func (s *service) checkScopesExist(ctx context.Context, fe fieldErrors, scopes []string) error {
	for i, sc := range scopes {
		if _, err := s.st.GetScope(ctx, sc); errors.Is(err, store.ErrNotFound) {
			fe[fmt.Sprintf("scopes[%d]", i)] = fmt.Sprintf("unknown scope %q: create it first", sc)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newClientID generates a client id (RFC 6749 2.2: unique to the server; not a secret).
func newClientID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "client-" + hex.EncodeToString(b)
}

// newSecret generates a client secret: 256 bits (RFC 6749 10.10, RFC 9700 4.14).
func newSecret() string { return randomString(32) }

// inTx runs fn in one store transaction.
func (s *service) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tctx, err := s.st.BeginTX(ctx)
	if err != nil {
		return err
	}
	if err := fn(tctx); err != nil {
		if rerr := s.st.Rollback(tctx); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return s.st.Commit(tctx)
}

func enabledOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func applyClientInput(c *store.Client, in *ClientInput) {
	c.Name, c.Description, c.Public = in.Name, in.Description, in.Public
	c.RedirectURIs = nonNil(in.RedirectURIs)
	c.GrantTypes = nonNil(in.GrantTypes)
	c.Scopes = nonNil(in.Scopes)
	c.TokenEndpointAuthMethod = in.TokenEndpointAuthMethod
	c.AccessTokenTTL = time.Duration(in.AccessTokenTTL) * time.Second
	c.RefreshTokenTTL = time.Duration(in.RefreshTokenTTL) * time.Second
	c.AuthCodeTTL = time.Duration(in.AuthCodeTTL) * time.Second
	c.Trusted = in.Trusted
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return append([]string(nil), v...)
}

// createClient registers a client with a generated id and, for a confidential client, a
// generated secret that is returned once and stored only as a bcrypt hash.
func (s *service) createClient(ctx context.Context, in ClientInput) (*store.Client, string, error) {
	fe := validateClient(&in)
	if err := s.checkScopesExist(ctx, fe, in.Scopes); err != nil {
		return nil, "", err
	}
	if err := fe.err(); err != nil {
		return nil, "", err
	}
	c := &store.Client{ID: newClientID(), Enabled: enabledOr(in.Enabled, true)}
	applyClientInput(c, &in)
	var secret string
	if !c.Public {
		secret = newSecret()
		h, err := s.hash([]byte(secret))
		if err != nil {
			return nil, "", fmt.Errorf("hash the client secret: %w", err)
		}
		c.SecretHash = h
	}
	err := s.inTx(ctx, func(ctx context.Context) error {
		// Checked again inside the transaction: a scope deleted meanwhile is refused.
		fe := fieldErrors{}
		if err := s.checkScopesExist(ctx, fe, c.Scopes); err != nil {
			return err
		}
		if err := fe.err(); err != nil {
			return err
		}
		if err := s.st.CreateClient(ctx, c); err != nil {
			return err
		}
		return s.clientCreated(ctx, c)
	})
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

// updateClient replaces the editable fields of a client. Its type (public or confidential)
// cannot change: a confidential client's secret would otherwise linger or be missing.
func (s *service) updateClient(ctx context.Context, id string, in ClientInput) (*store.Client, error) {
	var out *store.Client
	fe := validateClient(&in)
	err := s.inTx(ctx, func(ctx context.Context) error {
		c, err := s.st.LookupClient(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("client %q", id)
		}
		if err != nil {
			return err
		}
		if in.Public != c.Public {
			fe["public"] = "the client type cannot change: register a new client instead"
		}
		if err := s.checkScopesExist(ctx, fe, in.Scopes); err != nil {
			return err
		}
		if err := fe.err(); err != nil {
			return err
		}
		applyClientInput(c, &in)
		c.Enabled = enabledOr(in.Enabled, c.Enabled)
		if err := s.st.UpdateClient(ctx, c); err != nil {
			return err
		}
		out = c
		return s.clientCreated(ctx, c)
	})
	return out, err
}

func (s *service) getClient(ctx context.Context, id string) (*store.Client, error) {
	c, err := s.st.LookupClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("client %q", id)
	}
	return c, err
}

// setClientEnabled enables or disables a client. A disabled client cannot authenticate or
// obtain tokens (the store's GetClient hides it); its tokens stay listed until revoked.
func (s *service) setClientEnabled(ctx context.Context, id string, on bool) (*store.Client, error) {
	var out *store.Client
	err := s.inTx(ctx, func(ctx context.Context) error {
		c, err := s.getClient(ctx, id)
		if err != nil {
			return err
		}
		c.Enabled = on
		out = c
		return s.st.UpdateClient(ctx, c)
	})
	return out, err
}

// regenerateSecret replaces a confidential client's secret; the old one stops working at once.
func (s *service) regenerateSecret(ctx context.Context, id string) (string, error) {
	secret := newSecret()
	h, err := s.hash([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("hash the client secret: %w", err)
	}
	err = s.inTx(ctx, func(ctx context.Context) error {
		c, err := s.getClient(ctx, id)
		if err != nil {
			return err
		}
		if c.Public {
			return fieldErrors{"public": "a public client has no secret to regenerate"}.err()
		}
		c.SecretHash = h
		return s.st.UpdateClient(ctx, c)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

func (s *service) deleteClient(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(ctx context.Context) error {
		if err := s.st.DeleteClient(ctx, id); err != nil {
			return err
		}
		return s.clientDeleted(ctx, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("client %q", id)
	}
	return err
}

func (s *service) revokeClientTokens(ctx context.Context, id string) error {
	err := s.st.RevokeAllForClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("client %q", id)
	}
	return err
}

// ScopeInput is a scope as submitted.
type ScopeInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Resources the scope opens, written as store.ParseResource reads them ("GET
	// /oauth2/calculate", "service calc.services:add", "folder calc", "package Calc");
	// absent (nil) leaves them as they are on an update.
	Resources []string `json:"resources"`
}

func (s *service) createScope(ctx context.Context, in ScopeInput) (*store.Scope, error) {
	fe := fieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	if p := domain.ScopeNameProblem(in.Name); p != "" {
		fe["name"] = p
	}
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	rs := parseResources(in.Resources, fe)
	if err := fe.err(); err != nil {
		return nil, err
	}
	sc := &store.Scope{Name: in.Name, Description: in.Description}
	err := s.inTx(ctx, func(ctx context.Context) error {
		err := s.st.CreateScope(ctx, sc)
		if errors.Is(err, store.ErrConflict) {
			return fieldErrors{"name": fmt.Sprintf("a scope named %q already exists", in.Name)}.err()
		}
		if err != nil || len(in.Resources) == 0 {
			return err
		}
		return fromStore(s.st.SetScopeResources(ctx, sc.Name, rs), "")
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func (s *service) updateScope(ctx context.Context, name string, in ScopeInput) (*store.Scope, error) {
	fe := fieldErrors{}
	in.Description = strings.TrimSpace(in.Description)
	if in.Name != "" && in.Name != name {
		fe["name"] = "a scope cannot be renamed: create a new one"
	}
	checkText(fe, "description", in.Description, maxDescriptionLen, false)
	var rs []store.Resource
	if in.Resources != nil {
		rs = parseResources(in.Resources, fe)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	sc := &store.Scope{Name: name, Description: in.Description}
	err := s.saveScope(ctx, name, ScopeChange{Description: in.Description, Resources: rs})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func (s *service) getScope(ctx context.Context, name string) (*store.Scope, error) {
	sc, err := s.st.GetScope(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("scope %q", name)
	}
	return sc, err
}

func (s *service) deleteScope(ctx context.Context, name string) error {
	err := s.st.DeleteScope(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("scope %q", name)
	}
	return err
}

// scopeClients lists the ids of the clients associated with the scope.
func (s *service) scopeClients(ctx context.Context, name string) ([]string, error) {
	cs, err := s.st.ListClients(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, c := range cs {
		if slices.Contains(c.Scopes, name) {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

func (s *service) setScopeClient(ctx context.Context, scope, clientID string, on bool) error {
	if clientID == "" {
		return fieldErrors{"client_id": "is required"}.err()
	}
	err := s.st.SetScopeClient(ctx, scope, clientID, on)
	if errors.Is(err, store.ErrNotFound) {
		if _, serr := s.st.GetScope(ctx, scope); errors.Is(serr, store.ErrNotFound) {
			return notFound("scope %q", scope)
		}
		return fieldErrors{"client_id": fmt.Sprintf("unknown client %q", clientID)}.err()
	}
	return err
}

// UserInput is a resource owner as submitted. Password is plain and hashed on the way in.
type UserInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Enabled  *bool  `json:"enabled"`
	// Groups the user is a member of; absent (nil) leaves them as they are on an update.
	Groups []string `json:"groups"`
}

func checkPassword(fe fieldErrors, pw string, required bool) {
	switch {
	case pw == "" && !required:
	case len(pw) < minPasswordLen:
		fe["password"] = fmt.Sprintf("must be at least %d characters", minPasswordLen)
	case len(pw) > maxPasswordLen:
		fe["password"] = fmt.Sprintf("must be at most %d bytes (bcrypt ignores the rest)", maxPasswordLen)
	}
}

func (s *service) createUser(ctx context.Context, in UserInput) (*store.User, error) {
	fe := fieldErrors{}
	// The store's rule (store.ValidateUsername): no ':', which marks client service users
	// (RFC 9700 4.15), no control characters, no surrounding spaces.
	if err := store.ValidateUsername(in.Username); err != nil {
		fe["username"] = err.Error()
	}
	checkPassword(fe, in.Password, true)
	if err := fe.err(); err != nil {
		return nil, err
	}
	h, err := s.hash([]byte(in.Password))
	if err != nil {
		return nil, fmt.Errorf("hash the password: %w", err)
	}
	u := &store.User{Username: in.Username, PasswordHash: h, Enabled: enabledOr(in.Enabled, true)}
	err = s.inTx(ctx, func(ctx context.Context) error {
		err := s.st.CreateUser(ctx, u)
		if errors.Is(err, store.ErrConflict) {
			return fieldErrors{"username": fmt.Sprintf("a user named %q already exists", in.Username)}.err()
		}
		if err != nil || len(in.Groups) == 0 {
			return err
		}
		return s.setUserGroups(ctx, u.Username, in.Groups)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *service) updateUser(ctx context.Context, name string, in UserInput) (*store.User, error) {
	fe := fieldErrors{}
	if in.Username != "" && in.Username != name {
		fe["username"] = "a user cannot be renamed: create a new one"
	}
	checkPassword(fe, in.Password, false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	u, err := s.getUser(ctx, name)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = nil
	if in.Password != "" {
		if u.PasswordHash, err = s.hash([]byte(in.Password)); err != nil {
			return nil, fmt.Errorf("hash the password: %w", err)
		}
	}
	u.Enabled = enabledOr(in.Enabled, u.Enabled)
	err = s.inTx(ctx, func(ctx context.Context) error {
		err := s.st.UpdateUser(ctx, u)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("user %q", name)
		}
		if err != nil || in.Groups == nil {
			return err
		}
		return s.setUserGroups(ctx, u.Username, in.Groups)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *service) getUser(ctx context.Context, name string) (*store.User, error) {
	u, err := s.st.GetUser(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("user %q", name)
	}
	return u, err
}

func (s *service) deleteUser(ctx context.Context, name string) error {
	err := s.st.DeleteUser(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("user %q", name)
	}
	return err
}

// tokenKinds the tokens view lists and revokes. PKCE records are an implementation detail of
// the code grant and are not shown.
var listedKinds = []store.TokenKind{store.KindAccessToken, store.KindRefreshToken, store.KindAuthorizeCode}

// TokenQuery filters the tokens view.
type TokenQuery struct {
	ClientID, Subject string
	Kind              store.TokenKind
	// All includes revoked and used tokens; by default only active ones are listed.
	All bool
}

func (s *service) listTokens(ctx context.Context, q TokenQuery) ([]store.TokenInfo, error) {
	if q.Kind != "" && !slices.Contains(listedKinds, q.Kind) {
		return nil, fieldErrors{"kind": fmt.Sprintf("unknown token kind %q: use access_token, refresh_token or authorize_code", q.Kind)}.err()
	}
	ts, err := s.st.ListTokens(ctx, store.TokenFilter{Kind: q.Kind, ClientID: q.ClientID, Subject: q.Subject, ActiveOnly: !q.All})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := ts[:0]
	for _, t := range ts {
		if t.Kind == store.KindPKCE {
			continue
		}
		if !q.All && !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(now) {
			continue // expired: no longer active, only waiting for the clean-up
		}
		out = append(out, t)
	}
	return out, nil
}

func (s *service) revokeToken(ctx context.Context, kind store.TokenKind, id string) error {
	if !slices.Contains(listedKinds, kind) {
		return fieldErrors{"kind": fmt.Sprintf("unknown token kind %q: use access_token, refresh_token or authorize_code", kind)}.err()
	}
	err := s.st.RevokeToken(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("%s %q", kind, id)
	}
	return err
}

// SettingsInput is the settings as the API and the console show and take them. Lifetimes are
// in seconds.
type SettingsInput struct {
	AccessTokenTTL        int64  `json:"access_token_ttl"`
	RefreshTokenTTL       int64  `json:"refresh_token_ttl"`
	AuthCodeTTL           int64  `json:"auth_code_ttl"`
	PKCERequiredForPublic bool   `json:"pkce_required_for_public"`
	ApprovalTitle         string `json:"approval_title"`
	ApprovalHeading       string `json:"approval_heading"`
	ApprovalFooter        string `json:"approval_footer"`
}

func settingsView(st store.Settings) SettingsInput {
	return SettingsInput{
		AccessTokenTTL:        int64(st.AccessTokenTTL / time.Second),
		RefreshTokenTTL:       int64(st.RefreshTokenTTL / time.Second),
		AuthCodeTTL:           int64(st.AuthCodeTTL / time.Second),
		PKCERequiredForPublic: st.PKCERequiredForPublic,
		ApprovalTitle:         st.ApprovalTitle,
		ApprovalHeading:       st.ApprovalHeading,
		ApprovalFooter:        st.ApprovalFooter,
	}
}

// getSettings returns the saved settings, or defaults when none were saved.
func (s *service) getSettings(ctx context.Context, defaults store.Settings) (store.Settings, error) {
	st, err := s.st.GetSettings(ctx)
	if err != nil || st == nil {
		return defaults, err
	}
	return *st, nil
}

func (s *service) putSettings(ctx context.Context, in SettingsInput) (store.Settings, error) {
	fe := fieldErrors{}
	// Zero is not allowed here: the settings are the server's defaults themselves.
	for _, f := range []struct {
		key   string
		v     int64
		limit time.Duration
	}{
		{"access_token_ttl", in.AccessTokenTTL, maxTTL},
		{"refresh_token_ttl", in.RefreshTokenTTL, maxTTL},
		{"auth_code_ttl", in.AuthCodeTTL, maxCodeTTL},
	} {
		if f.v < 1 || f.v > int64(f.limit/time.Second) {
			fe[f.key] = "must be between 1 and " + strconv.FormatInt(int64(f.limit/time.Second), 10) + " seconds"
		}
	}
	in.ApprovalTitle = strings.TrimSpace(in.ApprovalTitle)
	in.ApprovalHeading = strings.TrimSpace(in.ApprovalHeading)
	in.ApprovalFooter = strings.TrimSpace(in.ApprovalFooter)
	checkText(fe, "approval_title", in.ApprovalTitle, maxNameLen, true)
	checkText(fe, "approval_heading", in.ApprovalHeading, maxNameLen, false)
	checkText(fe, "approval_footer", in.ApprovalFooter, maxDescriptionLen, false)
	if err := fe.err(); err != nil {
		return store.Settings{}, err
	}
	st := store.Settings{
		AccessTokenTTL:        time.Duration(in.AccessTokenTTL) * time.Second,
		RefreshTokenTTL:       time.Duration(in.RefreshTokenTTL) * time.Second,
		AuthCodeTTL:           time.Duration(in.AuthCodeTTL) * time.Second,
		PKCERequiredForPublic: in.PKCERequiredForPublic,
		ApprovalTitle:         in.ApprovalTitle,
		ApprovalHeading:       in.ApprovalHeading,
		ApprovalFooter:        in.ApprovalFooter,
	}
	return st, s.st.PutSettings(ctx, &st)
}

// serviceStore is what the admin service (the console's and the API's changes) reads and
// changes, in transactions.
type serviceStore interface {
	AddGroupMember(ctx context.Context, group, principal string) error
	BeginTX(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	CreateACL(ctx context.Context, a *store.ACL) error
	CreateClient(ctx context.Context, c *store.Client) error
	CreateGroup(ctx context.Context, g *store.Group) error
	CreateScope(ctx context.Context, sc *store.Scope) error
	CreateUser(ctx context.Context, u *store.User) error
	DeleteACL(ctx context.Context, name string) error
	DeleteClient(ctx context.Context, id string) error
	DeleteGroup(ctx context.Context, name string) error
	DeletePackage(ctx context.Context, name string) error
	DeleteScope(ctx context.Context, name string) error
	DeleteUser(ctx context.Context, username string) error
	GetACL(ctx context.Context, name string) (*store.ACL, error)
	GetGroup(ctx context.Context, name string) (*store.Group, error)
	GetPackage(ctx context.Context, name string) (*store.Package, error)
	GetScope(ctx context.Context, name string) (*store.Scope, error)
	GetSettings(ctx context.Context) (*store.Settings, error)
	GetUser(ctx context.Context, username string) (*store.User, error)
	ListClients(ctx context.Context) ([]*store.Client, error)
	ListGroups(ctx context.Context) ([]*store.Group, error)
	ListScopeResources(ctx context.Context, scope string) ([]store.Resource, error)
	ListTokens(ctx context.Context, f store.TokenFilter) ([]store.TokenInfo, error)
	LookupClient(ctx context.Context, id string) (*store.Client, error)
	PutPackage(ctx context.Context, p *store.Package) error
	PutSettings(ctx context.Context, st *store.Settings) error
	RemoveGroupMember(ctx context.Context, group, principal string) error
	RevokeAllForClient(ctx context.Context, clientID string) error
	RevokeToken(ctx context.Context, kind store.TokenKind, signature string) error
	Rollback(ctx context.Context) error
	SetResourceACL(ctx context.Context, r store.Resource, acl string) error
	SetScopeClient(ctx context.Context, scope, clientID string, on bool) error
	SetScopeResources(ctx context.Context, scope string, rs []store.Resource) error
	UpdateACL(ctx context.Context, a *store.ACL) error
	UpdateClient(ctx context.Context, c *store.Client) error
	UpdateGroup(ctx context.Context, g *store.Group) error
	UpdateScope(ctx context.Context, sc *store.Scope) error
	UpdateUser(ctx context.Context, u *store.User) error
}

var _ serviceStore = (*store.Store)(nil)
