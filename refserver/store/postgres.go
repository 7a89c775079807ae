package store

// PostgreSQL (issue 15): the same store, the same SQL code path (database/sql through pgx's
// stdlib driver), the same representation of every value (migrations/postgres is the twin of
// migrations/sqlite). What differs is said here and where the code branches on s.pg.
//
// What SQLite's single writer guaranteed, PostgreSQL (READ COMMITTED, its default) gets as
// follows:
//   - One winner for a code redemption, a refresh-token rotation, a revocation: these are
//     conditional updates, UPDATE ... SET active = 0 WHERE signature = $1 AND active = 1, whose
//     affected-row count decides (deactivateOne). A second transaction updating the same row
//     waits for the first to commit, then re-evaluates the WHERE on the committed row, finds
//     it inactive, changes nothing and fails. Conditional updates need no retry loop, which
//     SERIALIZABLE with retry on 40001 would (and would abort unrelated transactions too).
//   - A grant family (one request id) is changed by one transaction at a time: rotation,
//     code redemption and family revocation take a transaction-level advisory lock on the
//     request id first (lockFamily). Without it a revocation that runs while a rotation is
//     in flight would skip the refresh token the rotation inserts (READ COMMITTED re-checks
//     only the rows a waiting UPDATE had found), and that token would outlive the revocation.
//   - A token stored while its resource owner or client is being disabled is stored inactive:
//     the insert reads the owner's and the client's rows FOR SHARE (tokenInsertPG), so it
//     waits for a disable in flight and sees its outcome, and a disable waits for the insert
//     and then revokes what it stored (the revoking UPDATE runs after, on a fresh snapshot).
//   - Counters (session versions) are single upserts (version = version + 1), atomic in both.
//   - A client-assertion jti is recorded by a conditional upsert whose row count tells
//     whether it was new (SetClientAssertionJWT): two replicas cannot both accept one jti.
//   - Migrations: under pg_advisory_xact_lock, so replicas starting together migrate once.
//
// Caches. Several replicas share a PostgreSQL database, and a change made through one must be
// seen by every other at once (issue 15, item 4). So nothing another replica can change is
// served from memory on PostgreSQL: the access-token cache is off (its invalidation relies on
// SQLite's pre-update hook, which sees only this process's writes) and clients are read from
// the database at each use. LISTEN/NOTIFY could bring caching back; the simplest correct
// choice comes first. SQLite-only machinery (one writer connection, group commit, the WAL
// fsync of durable transactions, the pre-update hook) stays on the SQLite path.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgresURL reports whether dsn names a PostgreSQL database (postgres:// or postgresql://).
func IsPostgresURL(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok {
		return false
	}
	scheme = strings.ToLower(scheme)
	return scheme == "postgres" || scheme == "postgresql"
}

// RedactURL returns dsn with its password replaced (for messages and logs); dsn unchanged
// when it is not a URL.
func RedactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		if IsPostgresURL(dsn) {
			return "(a malformed postgres:// URL)"
		}
		return dsn
	}
	return u.Redacted()
}

// migrationLockKey is the advisory lock taken by migrate on PostgreSQL ("oauthcon" in ASCII).
const migrationLockKey = 0x6f61757468636f6e

// familyLockClass is the first key of lockFamily's two-key advisory locks (the one-key
// space of migrationLockKey is distinct from the two-key space).
const familyLockClass = 0x6f61

// openPostgres connects to the database dsn names with two pools, as on SQLite: w carries
// the transactions and writes, r the reads made outside a transaction. A request that holds a
// transaction and reads through a context without it then never waits for a connection that
// only its own kind holds (with one pool, as many such requests as connections would wait on
// each other for ever). Open does the rest.
func openPostgres(ctx context.Context, dsn string) (w, r *sql.DB, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message names the problem; the URL (and its password) stays out.
		return nil, nil, fmt.Errorf("store: the PostgreSQL URL is not valid: %s", redactParseError(err, dsn))
	}
	if cfg.ConnectTimeout == 0 {
		// An unreachable host ends the start with a message instead of hanging it.
		cfg.ConnectTimeout = 10 * time.Second
	}
	// Every replica opens 2n connections at most; the cluster of `make pg` allows 200.
	n := max(4*runtime.GOMAXPROCS(0), 8)
	pool := func() *sql.DB {
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return db
	}
	w, r = pool(), pool()
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		where := cfg.Host + ":" + strconv.Itoa(int(cfg.Port)) + "/" + cfg.Database
		return nil, nil, fmt.Errorf("store: cannot reach PostgreSQL at %s as %q: %w", where, cfg.User, mapErr(err))
	}
	return w, r, nil
}

// redactParseError keeps the password of dsn out of a parse error's text.
func redactParseError(err error, dsn string) string {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// rebind rewrites a query written with SQLite's placeholders (? and ?NNN) into PostgreSQL's
// ($1, $NNN); on SQLite it returns the query unchanged. Prepared statements are rebound once
// when they are prepared; ad-hoc queries once per distinct text (cached).
func (s *Store) rebind(query string) string {
	if !s.pg {
		return query
	}
	if q, ok := s.rebound.Load(query); ok {
		return q.(string)
	}
	q := rebindPG(query)
	s.rebound.Store(query, q)
	return q
}

func rebindPG(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
				i = j - 1
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unstorable reports whether key can never be stored in PostgreSQL TEXT (it refuses NUL and
// invalid UTF-8 with an error): a lookup by such a key finds nothing, as it does on SQLite,
// instead of failing.
func (s *Store) unstorable(key string) bool {
	return s.pg && (strings.IndexByte(key, 0) >= 0 || !utf8.ValidString(key))
}

// lockFamily serializes the transactions that change one grant family on PostgreSQL (see the
// top of this file); the lock is held until the transaction ends. SQLite's single writer
// serializes them already.
func (s *Store) lockFamily(ctx context.Context, requestID string) error {
	if !s.pg {
		return nil
	}
	if txFrom(ctx) == nil {
		return errors.New("store: internal error: lockFamily outside a transaction")
	}
	if _, err := s.adminExec(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(?))`, familyLockClass, requestID); err != nil {
		return fmt.Errorf("store: lock grant %q: %w", requestID, err)
	}
	return nil
}
