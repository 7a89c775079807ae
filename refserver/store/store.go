package store

// The API below is the contract between the store and the server. The bodies are the store
// helper's to write; signatures change only by agreement.

import (
	"context"
	"errors"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/pkce"
	fstorage "github.com/ory/fosite/storage"
)

// ErrNotFound is returned by the management methods for an unknown id. The fosite methods
// return fosite.ErrNotFound as fosite expects.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a create would duplicate an existing id or name.
var ErrConflict = errors.New("already exists")

// Store is the SQL store. Safe for concurrent use.
type Store struct {
	// fields are the implementation's
}

var (
	_ fosite.ClientManager                                = (*Store)(nil)
	_ oauth2.CoreStorage                                  = (*Store)(nil)
	_ oauth2.TokenRevocationStorage                       = (*Store)(nil)
	_ oauth2.ResourceOwnerPasswordCredentialsGrantStorage = (*Store)(nil)
	_ pkce.PKCERequestStorage                             = (*Store)(nil)
	_ fstorage.Transactional                              = (*Store)(nil)
)

// Open opens (creating if needed) the database named by dsn and applies the embedded
// migrations. dsn is a SQLite file path ("oauth.db", "/tmp/x.db") or "file:..." URI.
// sessionProto makes a fresh, empty session value of the server's session type; the store
// unmarshals stored sessions into the value fosite passes in, so it is only needed where
// fosite passes none (ListTokens).
func Open(ctx context.Context, dsn string) (*Store, error) { panic("unimplemented") }

// Close closes the database.
func (s *Store) Close() error { panic("unimplemented") }

// IsEmpty reports whether no client, user or scope exists yet (the seed loads only then).
func (s *Store) IsEmpty(ctx context.Context) (bool, error) { panic("unimplemented") }

// Clients. CreateClient stores c as given (SecretHash already hashed by the caller).
func (s *Store) CreateClient(ctx context.Context, c *Client) error { panic("unimplemented") }
func (s *Store) UpdateClient(ctx context.Context, c *Client) error { panic("unimplemented") }
func (s *Store) DeleteClient(ctx context.Context, id string) error { panic("unimplemented") }

// LookupClient returns the client whether or not it is enabled (for the console);
// GetClient (fosite) returns fosite.ErrNotFound for a disabled or unknown client.
func (s *Store) LookupClient(ctx context.Context, id string) (*Client, error) {
	panic("unimplemented")
}
func (s *Store) ListClients(ctx context.Context) ([]*Client, error) { panic("unimplemented") }

// Users. CreateUser stores u as given (PasswordHash already hashed by the caller).
func (s *Store) CreateUser(ctx context.Context, u *User) error               { panic("unimplemented") }
func (s *Store) GetUser(ctx context.Context, username string) (*User, error) { panic("unimplemented") }
func (s *Store) ListUsers(ctx context.Context) ([]*User, error)              { panic("unimplemented") }

// Scopes.
func (s *Store) PutScope(ctx context.Context, sc *Scope) error             { panic("unimplemented") }
func (s *Store) GetScope(ctx context.Context, name string) (*Scope, error) { panic("unimplemented") }
func (s *Store) ListScopes(ctx context.Context) ([]*Scope, error)          { panic("unimplemented") }

// ListTokens lists stored tokens for the tokens view, newest first.
func (s *Store) ListTokens(ctx context.Context, f TokenFilter) ([]TokenInfo, error) {
	panic("unimplemented")
}

// RevokeAllForClient revokes every token of a client (console "revoke all").
func (s *Store) RevokeAllForClient(ctx context.Context, clientID string) error {
	panic("unimplemented")
}

// DeleteExpired removes expired tokens and codes (the expired-token clean-up).
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) { panic("unimplemented") }
