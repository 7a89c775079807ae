// Package store is the reference server's SQL storage: clients, users and scopes that an
// administrator manages, and every fosite storage interface the grants need. SQLite in one
// file is the embedded default (modernc.org/sqlite, no cgo); the schema comes from embedded
// migrations.
//
// Concurrency: one writer connection (BEGIN IMMEDIATE) carries every write and transaction,
// so writes queue in the process instead of failing with SQLITE_BUSY; a pool of read-only
// connections serves reads in parallel (WAL). Token inserts made outside a transaction are
// group-committed. A transaction from BeginTX holds the writer until Commit or Rollback: pass
// its context to every store call made meanwhile, or the call waits for it.
package store

import (
	"time"

	"github.com/ory/fosite"
)

// Grant type names, as RFC 6749 spells them.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantImplicit          = "implicit"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
)

// Client is a registered OAuth client. It implements fosite.Client and
// fosite.ClientWithCustomTokenLifespans so fosite can use it directly.
type Client struct {
	ID          string
	Name        string
	Description string
	// SecretHash is the bcrypt hash of the client secret; empty for a public client.
	// The plain secret is never stored.
	SecretHash []byte
	Public     bool
	// RedirectURIs are compared exactly (RFC 9700 2.1), except that any port is allowed
	// for http loopback IP literals (RFC 8252 7.3).
	RedirectURIs []string
	// GrantTypes the client may use (GrantAuthorizationCode, GrantImplicit, ...).
	GrantTypes []string
	// Scopes associated with the client: the only ones it may ask for.
	Scopes []string
	// TokenEndpointAuthMethod: client_secret_basic, client_secret_post, or none (public).
	TokenEndpointAuthMethod string
	// Lifetimes; zero means the server's default.
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	AuthCodeTTL     time.Duration
	// Trusted clients skip the approval page (never the login).
	Trusted bool
	Enabled bool

	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a resource owner.
type User struct {
	Username     string
	PasswordHash []byte // bcrypt
	Enabled      bool
	CreatedAt    time.Time
}

// Scope is a named permission with a description shown on the approval page.
type Scope struct {
	Name        string
	Description string
}

// TokenKind distinguishes the rows of the token tables.
type TokenKind string

const (
	KindAuthorizeCode TokenKind = "authorize_code"
	KindAccessToken   TokenKind = "access_token"
	KindRefreshToken  TokenKind = "refresh_token"
	KindPKCE          TokenKind = "pkce"
)

// TokenInfo is one stored token as the tokens view lists it: never the token itself,
// only its signature (the HMAC part, not usable as a credential) and metadata.
type TokenInfo struct {
	Kind      TokenKind
	Signature string
	RequestID string
	ClientID  string
	Subject   string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time // zero when unknown
	Active    bool
}

// TokenFilter narrows ListTokens; empty fields match everything.
type TokenFilter struct {
	Kind       TokenKind
	ClientID   string
	Subject    string
	ActiveOnly bool
	// Limit caps the number of rows; zero means DefaultTokenListLimit.
	Limit int
}

var (
	_ fosite.Client                         = (*Client)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*Client)(nil)
)

func (c *Client) GetID() string             { return c.ID }
func (c *Client) GetHashedSecret() []byte   { return c.SecretHash }
func (c *Client) GetRedirectURIs() []string { return c.RedirectURIs }
func (c *Client) IsPublic() bool            { return c.Public }
func (c *Client) GetAudience() fosite.Arguments {
	return fosite.Arguments{}
}
func (c *Client) GetScopes() fosite.Arguments { return fosite.Arguments(c.Scopes) }

// GetGrantTypes lists the grants fosite checks at the token endpoint. Implicit is not a
// token-endpoint grant; it shows up as the "token" response type instead.
func (c *Client) GetGrantTypes() fosite.Arguments {
	var out fosite.Arguments
	for _, g := range c.GrantTypes {
		if g != GrantImplicit {
			out = append(out, g)
		}
	}
	return out
}

// GetResponseTypes derives the response types from the grants: "code" for the
// authorization code grant, "token" for the implicit grant.
func (c *Client) GetResponseTypes() fosite.Arguments {
	var out fosite.Arguments
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode:
			out = append(out, "code")
		case GrantImplicit:
			out = append(out, "token")
		}
	}
	return out
}

// HasGrant reports whether the client may use grant g.
func (c *Client) HasGrant(g string) bool {
	for _, x := range c.GrantTypes {
		if x == g {
			return true
		}
	}
	return false
}

// GetEffectiveLifespan implements fosite.ClientWithCustomTokenLifespans.
func (c *Client) GetEffectiveLifespan(gt fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	var d time.Duration
	switch tt {
	case fosite.AccessToken:
		d = c.AccessTokenTTL
	case fosite.RefreshToken:
		d = c.RefreshTokenTTL
	case fosite.AuthorizeCode:
		d = c.AuthCodeTTL
	}
	if d > 0 {
		return d
	}
	return fallback
}
