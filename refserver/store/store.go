package store

// The API below is the contract between the store and the server.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	// wdb has exactly one connection and carries every write and every transaction; rdb is
	// a pool of read-only connections (the same handle as wdb for an in-memory database).
	wdb, rdb *sql.DB
	stmts    []*stmt
	q        queries
	tokens   map[TokenKind]*tokenTable
	clients  *clientCache
	gw       *groupWriter
	atCache  *accessTokenCache

	// writerTx is the root transaction holding the writer connection, nil when none does;
	// hooked turns the pre-update hook on once the migrations have run.
	writerTx atomic.Pointer[txState]
	hooked   atomic.Bool

	// walPath is the write-ahead log's file, synced after durable commits; empty for an
	// in-memory database or a "file:" URI (their durability is the DSN's synchronous).
	walPath string
	// walSyncs counts the WAL syncs (tests).
	walSyncs atomic.Int64

	savepoints atomic.Uint64
	closed     atomic.Bool
	// statements counts what was sent to the database (Statements).
	statements atomic.Int64

	// pg: the database is PostgreSQL (postgres.go); wdb and rdb are then two pools of the
	// same database, and the SQLite-only machinery (group commit, the hook, the WAL sync, the
	// caches) is off.
	pg bool
	// rebound caches the PostgreSQL text of ad-hoc queries (rebind).
	rebound sync.Map
	// untrackedShared: a write outside any tracked transaction changed a table the caches
	// follow (epoch.go); the write's caller moves the epoch before returning.
	untrackedShared atomic.Bool
}

var (
	_ fosite.ClientManager          = (*Store)(nil)
	_ oauth2.CoreStorage            = (*Store)(nil)
	_ oauth2.TokenRevocationStorage = (*Store)(nil)
	_ pkce.PKCERequestStorage       = (*Store)(nil)
	_ fstorage.Transactional        = (*Store)(nil)
)

type queries struct {
	isEmpty                                  *stmt
	clientInsert, clientUpdate, clientDelete *stmt
	clientGet, clientList                    *stmt
	userInsert, userGet, userList            *stmt
	scopePut, scopeGet, scopeList            *stmt
	jtiGet, jtiPut, jtiDeleteExpired         *stmt
	serviceUserInsert, serviceUserDelete     *stmt
	membershipsDelete                        *stmt
	epochGet                                 *stmt
}

const clientColumns = `id, name, description, secret_hash, public, redirect_uris, grant_types, scopes,
	token_endpoint_auth_method, access_token_ttl, refresh_token_ttl, auth_code_ttl, trusted, enabled,
	created_at, updated_at`

// Open opens (creating if needed) the database named by dsn and applies the embedded
// migrations. dsn is a SQLite file path ("oauth.db", "/tmp/x.db") or "file:..." URI; query
// parameters the caller sets (modernc.org/sqlite's _pragma=..., _busy_timeout=...) win over
// the store's defaults. ":memory:" works but keeps everything on one connection. A
// postgres:// or postgresql:// URL opens a PostgreSQL database instead (postgres.go), whose
// schema the store creates and migrates itself.
//
// Stored sessions are unmarshalled into the session value fosite passes in; where fosite
// passes none (revocation), a fosite.DefaultSession is used.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{clients: newClientCache(), atCache: newAccessTokenCache()}
	if IsPostgresURL(dsn) {
		w, r, err := openPostgres(ctx, dsn, &s.statements)
		if err != nil {
			return nil, err
		}
		s.pg = true
		s.wdb, s.rdb = w, r
		s.atCache.setTTL(0) // see postgres.go: nothing another replica can change is cached
		if err := migrate(ctx, w, true); err != nil {
			s.Close()
			return nil, err
		}
		if err := s.prepareAll(ctx); err != nil {
			s.Close()
			return nil, mapErr(err)
		}
		return s, nil
	}
	w, r, err := openDBs(ctx, dsn, s.onRowChange, &s.statements)
	if err != nil {
		return nil, mapErr(err)
	}
	s.wdb, s.rdb = w, r
	s.walPath = walPath(dsn)
	if err := migrate(ctx, w, false); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepareAll(ctx); err != nil {
		s.Close()
		return nil, mapErr(err)
	}
	s.gw = newGroupWriter(s)
	s.hooked.Store(true)
	return s, nil
}

func (s *Store) prepareAll(ctx context.Context) error {
	var err error
	p := func(query string, read bool) *stmt {
		if err != nil {
			return nil
		}
		var st *stmt
		st, err = s.prepare(ctx, query, read)
		return st
	}
	s.q = queries{
		isEmpty:      p(`SELECT EXISTS (SELECT 1 FROM clients) OR EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM scopes)`, true),
		clientInsert: p(`INSERT INTO clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, false),
		clientUpdate: p(`UPDATE clients SET name = ?, description = ?, secret_hash = ?, public = ?, redirect_uris = ?,
			grant_types = ?, scopes = ?, token_endpoint_auth_method = ?, access_token_ttl = ?, refresh_token_ttl = ?,
			auth_code_ttl = ?, trusted = ?, enabled = ?, updated_at = ? WHERE id = ?`, false),
		clientDelete:     p(`DELETE FROM clients WHERE id = ?`, false),
		clientGet:        p(`SELECT `+clientColumns+` FROM clients WHERE id = ?`, true),
		clientList:       p(`SELECT `+clientColumns+` FROM clients ORDER BY id`, true),
		userInsert:       p(`INSERT INTO users (username, password_hash, enabled, created_at) VALUES (?, ?, ?, ?)`, false),
		userGet:          p(`SELECT username, password_hash, enabled, created_at FROM users WHERE username = ?`, true),
		userList:         p(`SELECT username, password_hash, enabled, created_at FROM users ORDER BY username`, true),
		scopePut:         p(`INSERT INTO scopes (name, description) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET description = excluded.description`, false),
		scopeGet:         p(`SELECT name, description FROM scopes WHERE name = ?`, true),
		scopeList:        p(`SELECT name, description FROM scopes ORDER BY name`, true),
		jtiGet:           p(`SELECT expires_at FROM client_assertion_jtis WHERE jti = ?`, true),
		jtiPut:           p(`INSERT INTO client_assertion_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at WHERE client_assertion_jtis.expires_at <= ?`, false),
		jtiDeleteExpired: p(`DELETE FROM client_assertion_jtis WHERE expires_at < ?`, false),
		serviceUserInsert: p(`INSERT INTO service_users (client_id, created_at) VALUES (?, ?)
			ON CONFLICT (client_id) DO NOTHING`, false),
		serviceUserDelete: p(`DELETE FROM service_users WHERE client_id = ?`, false),
		membershipsDelete: p(`DELETE FROM group_members WHERE principal = ?`, false),
		epochGet:          p(epochGetSQL, true),
	}
	if err != nil {
		return err
	}
	s.tokens = map[TokenKind]*tokenTable{}
	for _, kind := range tokenKinds {
		t, terr := s.newTokenTable(ctx, kind)
		if terr != nil {
			return terr
		}
		s.tokens[kind] = t
	}
	return nil
}

// Close closes the database. It checkpoints the write-ahead log first, so the database file
// alone holds everything.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.gw != nil {
		s.gw.close()
	}
	var errs []error
	for _, st := range s.stmts {
		if st.r != nil && st.r != st.w {
			errs = append(errs, st.r.Close())
		}
		if st.w != nil {
			errs = append(errs, st.w.Close())
		}
	}
	if s.rdb != nil && s.rdb != s.wdb {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil && !s.pg {
		// Best effort: a failed checkpoint loses nothing, the WAL is replayed at the next open.
		_, _ = s.wdb.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		errs = append(errs, s.wdb.Close())
	} else if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}

// IsEmpty reports whether no client, user or scope exists yet (the seed loads only then).
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var hasRows bool
	if err := s.queryRow(ctx, s.q.isEmpty).Scan(&hasRows); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return !hasRows, nil
}

// Clients. CreateClient stores c as given (SecretHash already hashed by the caller). Zero
// CreatedAt/UpdatedAt are set to now, on c as well.
func (s *Store) CreateClient(ctx context.Context, c *Client) error {
	if c == nil || strings.TrimSpace(c.ID) == "" {
		return errors.New("store: create client: the client id is empty")
	}
	now := time.Now().UTC()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	ru, gt, sc, err := clientLists(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(ctx context.Context) error {
		s.clientsChanging(ctx, c.ID)
		_, err := s.exec(ctx, s.q.clientInsert, c.ID, c.Name, c.Description, nilIfEmpty(c.SecretHash), boolInt(c.Public),
			ru, gt, sc, c.TokenEndpointAuthMethod, int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), int64(c.AuthCodeTTL),
			boolInt(c.Trusted), boolInt(c.Enabled), nanos(c.CreatedAt), nanos(c.UpdatedAt))
		if isConstraint(err) {
			return fmt.Errorf("client %q: %w", c.ID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create client %q: %w", c.ID, err)
		}
		return s.syncServiceUser(ctx, c, c.CreatedAt)
	})
	s.clients.invalidate(c.ID)
	return err
}

// syncServiceUser applies the service-user rule in the client's own transaction: a client
// allowed client_credentials has a service user (principal "client:<id>"); a client without
// the grant has none, and losing the grant also removes the service user's group
// memberships, so granting it again later starts from no memberships instead of silently
// restoring old rights.
func (s *Store) syncServiceUser(ctx context.Context, c *Client, at time.Time) error {
	if slices.Contains(c.GrantTypes, "client_credentials") {
		if _, err := s.exec(ctx, s.q.serviceUserInsert, c.ID, nanos(at)); err != nil {
			return fmt.Errorf("store: service user of client %q: %w", c.ID, err)
		}
		return nil
	}
	if _, err := s.exec(ctx, s.q.serviceUserDelete, c.ID); err != nil {
		return fmt.Errorf("store: service user of client %q: %w", c.ID, err)
	}
	return s.deleteMemberships(ctx, ServiceUserPrincipal(c.ID))
}

// deleteMemberships removes every group membership of a principal (a deleted user, a client
// deleted or without client_credentials), in the context's transaction.
func (s *Store) deleteMemberships(ctx context.Context, principal string) error {
	if _, err := s.exec(ctx, s.q.membershipsDelete, principal); err != nil {
		return fmt.Errorf("store: memberships of %q: %w", principal, err)
	}
	return nil
}

// UpdateClient replaces every field of the stored client c.ID except CreatedAt; UpdatedAt is
// set to now (on c as well).
//
// Saving a disabled client revokes every code and token issued to it, in the same
// transaction. A disabled client's tokens already stop working at once (getToken treats a
// token of a disabled client as unknown); revoking them as well means that enabling the
// client again does not bring them back: the client starts over with new grants.
func (s *Store) UpdateClient(ctx context.Context, c *Client) error {
	if c == nil || c.ID == "" {
		return errors.New("store: update client: the client id is empty")
	}
	c.UpdatedAt = time.Now().UTC()
	ru, gt, sc, err := clientLists(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(ctx context.Context) error {
		s.clientsChanging(ctx, c.ID)
		res, err := s.exec(ctx, s.q.clientUpdate, c.Name, c.Description, nilIfEmpty(c.SecretHash), boolInt(c.Public),
			ru, gt, sc, c.TokenEndpointAuthMethod, int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), int64(c.AuthCodeTTL),
			boolInt(c.Trusted), boolInt(c.Enabled), nanos(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("store: update client %q: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("client %q: %w", c.ID, ErrNotFound)
		}
		if err := s.syncServiceUser(ctx, c, c.UpdatedAt); err != nil {
			return err
		}
		if !c.Enabled {
			for _, kind := range tokenKinds {
				if _, err := s.exec(ctx, s.tokens[kind].deactivateClient, c.ID); err != nil {
					return fmt.Errorf("store: revoke tokens of client %q: %w", c.ID, err)
				}
			}
		}
		return nil
	})
	s.clients.invalidate(c.ID)
	return err
}

// DeleteClient deletes the client and every code and token issued to it, in one transaction.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(ctx context.Context) error {
		s.clientsChanging(ctx, id)
		res, err := s.exec(ctx, s.q.clientDelete, id)
		if err != nil {
			return fmt.Errorf("store: delete client %q: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("client %q: %w", id, ErrNotFound)
		}
		// The service user goes with the client (its row by the foreign key's cascade), and
		// so do its memberships.
		if err := s.deleteMemberships(ctx, ServiceUserPrincipal(id)); err != nil {
			return err
		}
		for _, kind := range tokenKinds {
			if _, err := s.exec(ctx, s.tokens[kind].deleteClient, id); err != nil {
				return fmt.Errorf("store: delete tokens of client %q: %w", id, err)
			}
		}
		return nil
	})
	s.clients.invalidate(id)
	return err
}

// LookupClient returns the client whether or not it is enabled (for the console);
// GetClient (fosite) returns fosite.ErrNotFound for a disabled or unknown client.
func (s *Store) LookupClient(ctx context.Context, id string) (*Client, error) {
	c, err := s.cachedClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	return c.clone(), nil
}

// ListClients lists every client, ordered by id.
func (s *Store) ListClients(ctx context.Context) ([]*Client, error) {
	rows, err := s.query(ctx, s.q.clientList)
	if err != nil {
		return nil, fmt.Errorf("store: list clients: %w", err)
	}
	defer rows.Close()
	var out []*Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list clients: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list clients: %w", err)
	}
	return out, nil
}

// readClient reads a client from the database; nil, nil when there is none.
func (s *Store) readClient(ctx context.Context, id string) (*Client, error) {
	if s.unstorable(id) {
		return nil, nil
	}
	c, err := scanClient(s.queryRow(ctx, s.q.clientGet, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read client %q: %w", id, err)
	}
	return c, nil
}

// cachedClient returns the client (nil when unknown) from the cache, reading it on a miss.
// Inside a transaction the cache is bypassed: the transaction may see its own changes. On
// PostgreSQL it is never used: another replica may have disabled the client a moment ago.
func (s *Store) cachedClient(ctx context.Context, id string) (*Client, error) {
	if txFrom(ctx) != nil || s.pg {
		return s.readClient(ctx, id)
	}
	epoch, err := s.Epoch(ctx)
	if err != nil {
		// Without the epoch the cache cannot tell whether another replica changed the
		// client: read it.
		return s.readClient(ctx, id)
	}
	if c, ok := s.clients.get(id, epoch); ok {
		return c, nil
	}
	gen := s.clients.generation()
	c, err := s.readClient(ctx, id)
	if err != nil {
		return nil, err
	}
	s.clients.put(id, c, gen, epoch)
	return c, nil
}

// clientsChanging marks the context's transaction so that its end drops the client cache.
func (s *Store) clientsChanging(ctx context.Context, id string) {
	if t := txFrom(ctx); t != nil {
		t.clientsChanged.Store(true)
	}
	s.clients.invalidate(id)
}

type rowScanner interface{ Scan(dest ...any) error }

func scanClient(r rowScanner) (*Client, error) {
	var (
		c                        Client
		secret                   []byte
		ru, gt, sc               string
		public, trusted, enabled int
		atTTL, rtTTL, acTTL      int64
		createdAt, updatedAt     int64
	)
	if err := r.Scan(&c.ID, &c.Name, &c.Description, &secret, &public, &ru, &gt, &sc, &c.TokenEndpointAuthMethod,
		&atTTL, &rtTTL, &acTTL, &trusted, &enabled, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if len(secret) > 0 {
		c.SecretHash = secret
	}
	c.Public, c.Trusted, c.Enabled = public != 0, trusted != 0, enabled != 0
	c.AccessTokenTTL, c.RefreshTokenTTL, c.AuthCodeTTL = time.Duration(atTTL), time.Duration(rtTTL), time.Duration(acTTL)
	c.CreatedAt, c.UpdatedAt = fromNanos(createdAt), fromNanos(updatedAt)
	for _, f := range []struct {
		raw string
		dst *[]string
	}{{ru, &c.RedirectURIs}, {gt, &c.GrantTypes}, {sc, &c.Scopes}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("client %q: stored list is not JSON: %w", c.ID, err)
		}
	}
	return &c, nil
}

func clientLists(c *Client) (ru, gt, sc string, err error) {
	enc := func(v []string) string {
		if v == nil {
			v = []string{}
		}
		b, e := json.Marshal(v)
		if e != nil && err == nil {
			err = e
		}
		return string(b)
	}
	return enc(c.RedirectURIs), enc(c.GrantTypes), enc(c.Scopes), err
}

func (c *Client) clone() *Client {
	d := *c
	d.SecretHash = append([]byte(nil), c.SecretHash...)
	if len(d.SecretHash) == 0 {
		d.SecretHash = nil
	}
	d.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	d.GrantTypes = append([]string(nil), c.GrantTypes...)
	d.Scopes = append([]string(nil), c.Scopes...)
	return &d
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Users. CreateUser stores u as given (PasswordHash already hashed by the caller). A zero
// CreatedAt is set to now, on u as well.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if u == nil || strings.TrimSpace(u.Username) == "" {
		return errors.New("store: create user: the username is empty")
	}
	if strings.Contains(u.Username, ":") {
		// RFC 9700 4.15: a username never equals a service user's principal "client:<id>"
		// (see ServiceUserPrefix), so no client can act as a resource owner.
		return &InvalidError{What: "user", Fields: []FieldError{{"username",
			"must not contain ':' (reserved for client service users, RFC 9700 4.15)"}}}
	}
	if len(u.PasswordHash) == 0 {
		return fmt.Errorf("store: create user %q: the password hash is empty", u.Username)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	_, err := s.exec(ctx, s.q.userInsert, u.Username, u.PasswordHash, boolInt(u.Enabled), nanos(u.CreatedAt))
	if isConstraint(err) {
		return fmt.Errorf("user %q: %w", u.Username, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create user %q: %w", u.Username, err)
	}
	return nil
}

// GetUser returns the user (enabled or not), ErrNotFound if unknown.
func (s *Store) GetUser(ctx context.Context, username string) (*User, error) {
	if s.unstorable(username) {
		return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	u, err := scanUser(s.queryRow(ctx, s.q.userGet, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get user %q: %w", username, err)
	}
	return u, nil
}

// ListUsers lists every user, ordered by name.
func (s *Store) ListUsers(ctx context.Context) ([]*User, error) {
	rows, err := s.query(ctx, s.q.userList)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanUser(r rowScanner) (*User, error) {
	var (
		u         User
		enabled   int
		createdAt int64
	)
	if err := r.Scan(&u.Username, &u.PasswordHash, &enabled, &createdAt); err != nil {
		return nil, err
	}
	u.Enabled = enabled != 0
	u.CreatedAt = fromNanos(createdAt)
	return &u, nil
}

// PutScope creates the scope or replaces its description.
func (s *Store) PutScope(ctx context.Context, sc *Scope) error {
	if sc == nil || strings.TrimSpace(sc.Name) == "" {
		return errors.New("store: put scope: the scope name is empty")
	}
	if _, err := s.exec(ctx, s.q.scopePut, sc.Name, sc.Description); err != nil {
		return fmt.Errorf("store: put scope %q: %w", sc.Name, err)
	}
	return nil
}

// GetScope returns the scope, ErrNotFound if unknown.
func (s *Store) GetScope(ctx context.Context, name string) (*Scope, error) {
	var sc Scope
	err := s.queryRow(ctx, s.q.scopeGet, name).Scan(&sc.Name, &sc.Description)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("scope %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get scope %q: %w", name, err)
	}
	return &sc, nil
}

// ListScopes lists every scope, ordered by name.
func (s *Store) ListScopes(ctx context.Context) ([]*Scope, error) {
	rows, err := s.query(ctx, s.q.scopeList)
	if err != nil {
		return nil, fmt.Errorf("store: list scopes: %w", err)
	}
	defer rows.Close()
	var out []*Scope
	for rows.Next() {
		var sc Scope
		if err := rows.Scan(&sc.Name, &sc.Description); err != nil {
			return nil, fmt.Errorf("store: list scopes: %w", err)
		}
		out = append(out, &sc)
	}
	return out, rows.Err()
}

// DefaultTokenListLimit caps ListTokens when TokenFilter.Limit is zero.
const DefaultTokenListLimit = 1000

// ListTokens lists stored tokens for the tokens view, newest first, at most f.Limit of them
// (DefaultTokenListLimit when zero).
func (s *Store) ListTokens(ctx context.Context, f TokenFilter) ([]TokenInfo, error) {
	kinds := tokenKinds
	if f.Kind != "" {
		if _, ok := s.tokens[f.Kind]; !ok {
			return nil, fmt.Errorf("store: list tokens: unknown token kind %q", f.Kind)
		}
		kinds = []TokenKind{f.Kind}
	}
	var where []string
	var args []any
	if f.ClientID != "" {
		where = append(where, "client_id = ?")
		args = append(args, f.ClientID)
	}
	if f.Subject != "" {
		where = append(where, "subject = ?")
		args = append(args, f.Subject)
	}
	if f.ActiveOnly {
		where = append(where, "active = 1")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var parts []string
	var all []any
	for _, k := range kinds {
		// The kind and table names come from the fixed tokenKinds list, never from input.
		parts = append(parts, fmt.Sprintf(`SELECT '%s', signature, request_id, client_id, subject, scopes, requested_at, expires_at, active FROM %s%s`,
			k, s.tokens[k].name, cond))
		all = append(all, args...)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultTokenListLimit
	}
	query := strings.Join(parts, " UNION ALL ") + " ORDER BY requested_at DESC, signature LIMIT ?"
	all = append(all, limit)
	rows, err := s.queryRaw(ctx, query, all...)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	var out []TokenInfo
	for rows.Next() {
		var (
			ti           TokenInfo
			kind, scopes string
			req, exp     int64
			active       int
		)
		if err := rows.Scan(&kind, &ti.Signature, &ti.RequestID, &ti.ClientID, &ti.Subject, &scopes, &req, &exp, &active); err != nil {
			return nil, fmt.Errorf("store: list tokens: %w", err)
		}
		ti.Kind = TokenKind(kind)
		ti.Scopes = strings.Fields(scopes)
		ti.IssuedAt, ti.ExpiresAt = fromNanos(req), fromNanos(exp)
		ti.Active = active != 0
		out = append(out, ti)
	}
	return out, rows.Err()
}

// RevokeAllForClient revokes every code and token of a client (console "revoke all").
// ErrNotFound if the client does not exist.
func (s *Store) RevokeAllForClient(ctx context.Context, clientID string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		c, err := s.readClient(ctx, clientID)
		if err != nil {
			return err
		}
		if c == nil {
			return fmt.Errorf("client %q: %w", clientID, ErrNotFound)
		}
		for _, kind := range tokenKinds {
			if _, err := s.exec(ctx, s.tokens[kind].deactivateClient, clientID); err != nil {
				return fmt.Errorf("store: revoke tokens of client %q: %w", clientID, err)
			}
		}
		return nil
	})
}

// DeleteExpired removes expired tokens, codes and client-assertion ids (the expired-token
// clean-up) and reports how many rows went. Rows without an expiry are kept.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	now := time.Now().UnixNano()
	var total int64
	err := s.inTx(ctx, func(ctx context.Context) error {
		for _, kind := range tokenKinds {
			res, err := s.exec(ctx, s.tokens[kind].deleteExpired, now)
			if err != nil {
				return fmt.Errorf("store: delete expired %s: %w", kind, err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		res, err := s.exec(ctx, s.q.jtiDeleteExpired, now)
		if err != nil {
			return fmt.Errorf("store: delete expired client assertion ids: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
