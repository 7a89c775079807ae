package store

// Accounts that can be stopped (issue 10): session versions, revocation when a user or a
// client is disabled or a password changes, and the installation's facts.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Principals of session versions.
const (
	sessionUserPrefix  = "user:"
	sessionAdminPrefix = "admin:"
)

// UserSessionPrincipal and AdminSessionPrincipal name a session-version principal.
func UserSessionPrincipal(username string) string  { return sessionUserPrefix + username }
func AdminSessionPrincipal(username string) string { return sessionAdminPrefix + username }

// SessionVersion returns the principal's current session version (0 when none was stored).
// A session cookie is valid only while the version it carries is the current one.
func (s *Store) SessionVersion(ctx context.Context, principal string) (int64, error) {
	if s.unstorable(principal) {
		return 0, nil
	}
	var v int64
	err := s.adminQueryRow(ctx, `SELECT version FROM session_versions WHERE principal = ?`, principal).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: session version of %q: %w", principal, err)
	}
	return v, nil
}

// EndSessions adds one to the principal's session version: every session cookie issued
// before ends (sign-out, password change, disabled or deleted account).
func (s *Store) EndSessions(ctx context.Context, principal string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		if _, err := s.adminExec(ctx, `INSERT INTO session_versions (principal, version) VALUES (?, 1)
			ON CONFLICT (principal) DO UPDATE SET version = session_versions.version + 1`, principal); err != nil {
			return fmt.Errorf("store: end sessions of %q: %w", principal, err)
		}
		// An ended session must stay ended after a power cut (an insert is not an update to
		// the pre-update hook's durableTables check, so say it here).
		txFrom(ctx).root().durable.Store(true)
		return nil
	})
}

// revokeAllForSubject revokes every code and token issued on behalf of the user, in the
// context's transaction (callers run it in one: the access-token cache needs it).
func (s *Store) revokeAllForSubject(ctx context.Context, username string) error {
	for _, kind := range tokenKinds {
		if _, err := s.adminExec(ctx, `UPDATE `+s.tokens[kind].name+` SET active = 0 WHERE subject = ? AND active = 1`,
			username); err != nil {
			return fmt.Errorf("store: revoke tokens of user %q: %w", username, err)
		}
	}
	return nil
}

// EndUserSessions signs the user out everywhere: their login sessions end. Tokens are kept
// (a sign-out ends the browser session, not the grants the user approved; RFC 6749 leaves
// grants to the owner's explicit revocation).
func (s *Store) EndUserSessions(ctx context.Context, username string) error {
	return s.EndSessions(ctx, UserSessionPrincipal(username))
}

// RevokeEverything makes every stored code and token inactive, in one transaction (used when
// the token secret is rotated: tokens signed under the old secret must not come back if the
// old secret file is restored) and reports how many rows changed.
func (s *Store) RevokeEverything(ctx context.Context) (int64, error) {
	var total int64
	err := s.inTx(ctx, func(ctx context.Context) error {
		for _, kind := range tokenKinds {
			res, err := s.adminExec(ctx, `UPDATE `+s.tokens[kind].name+` SET active = 0 WHERE active = 1`)
			if err != nil {
				return fmt.Errorf("store: revoke every %s: %w", kind, err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}

// Fact returns the installation fact name; ok is false when it was never set.
func (s *Store) Fact(ctx context.Context, name string) (value string, ok bool, err error) {
	err = s.adminQueryRow(ctx, `SELECT value FROM server_facts WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: fact %q: %w", name, err)
	}
	return value, true, nil
}

// PutFact sets the installation fact name.
func (s *Store) PutFact(ctx context.Context, name, value string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		if _, err := s.adminExec(ctx, `INSERT INTO server_facts (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			name, value, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("store: put fact %q: %w", name, err)
		}
		txFrom(ctx).root().durable.Store(true) // the secret's fingerprint after a rotation
		return nil
	})
}

// HasAdmin reports whether any administrator is stored.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var has bool
	if err := s.adminQueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admins)`).Scan(&has); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return has, nil
}

// durableTables are the tables whose updated or deleted rows must survive a power cut: the
// loss of such a change fails open (a revoked or used token, an ended session, a disabled
// account or client would work again). A transaction that changes one is synced at its
// commit (db.go says why the rest is not).
var durableTables = map[string]bool{
	"authorize_codes": true, "access_tokens": true, "refresh_tokens": true, "pkce_requests": true,
	"users": true, "clients": true, "admins": true, "session_versions": true, "server_facts": true,
}

// walPath is the write-ahead log of the database a plain file path dsn names, "" otherwise.
func walPath(dsn string) string {
	base, _, memory, err := dsnParams(dsn)
	if err != nil || memory || strings.HasPrefix(base, "file:") {
		return ""
	}
	return base + "-wal"
}

// syncWAL makes every commit so far durable, as synchronous=FULL would for each: an fsync of
// the WAL file (fsync flushes the file, whichever descriptor asks).
func (s *Store) syncWAL() error {
	if s.walPath == "" {
		return nil
	}
	f, err := os.OpenFile(s.walPath, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil // checkpointed and removed: the database file holds everything
	}
	if err != nil {
		return fmt.Errorf("store: sync the write-ahead log: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: sync the write-ahead log: %w", err)
	}
	s.walSyncs.Add(1)
	return nil
}
