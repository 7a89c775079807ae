package store

// Store methods the admin console and API need beyond the server's contract (issue 4): scope
// creation and deletion, client-scope association, user updates and deletion, revoking one
// token by its signature, administrators, and the run-time settings. Each change runs in one
// transaction, so a failure leaves nothing half-saved.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Settings are the server-wide values an administrator may change at run time. Once saved
// (PutSettings) they replace the values the server was configured with.
type Settings struct {
	// Lifetimes; zero means the server's configured default.
	AccessTokenTTL  time.Duration `json:"access_token_ttl"`
	RefreshTokenTTL time.Duration `json:"refresh_token_ttl"`
	AuthCodeTTL     time.Duration `json:"auth_code_ttl"`
	// PKCERequiredForPublic: RFC 9700 2.1.1 "public clients MUST use PKCE"; switching it off
	// exists only to reproduce older deployments.
	PKCERequiredForPublic bool `json:"pkce_required_for_public"`
	// The approval page's text; an empty title means the server's default title.
	ApprovalTitle   string `json:"approval_title"`
	ApprovalHeading string `json:"approval_heading"`
	ApprovalFooter  string `json:"approval_footer"`
}

// GetSettings returns the saved settings, or nil (and no error) when none were ever saved.
func (s *Store) GetSettings(ctx context.Context) (*Settings, error) {
	var raw string
	err := s.adminQueryRow(ctx, `SELECT settings FROM server_settings WHERE id = 1`).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: get settings: %w", err)
	}
	var st Settings
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return nil, fmt.Errorf("store: stored settings are not JSON: %w", err)
	}
	return &st, nil
}

// PutSettings saves the settings (all of them, replacing what was saved before).
func (s *Store) PutSettings(ctx context.Context, st *Settings) error {
	if st == nil {
		return errors.New("store: put settings: no settings")
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: put settings: %w", err)
	}
	if _, err := s.adminExec(ctx, `INSERT INTO server_settings (id, settings, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
		string(raw), time.Now().UnixNano()); err != nil {
		return fmt.Errorf("store: put settings: %w", err)
	}
	return nil
}

// PutAdmin creates the administrator or replaces its password hash (bcrypt, hashed by the
// caller). A new password ends every console session of the administrator.
func (s *Store) PutAdmin(ctx context.Context, username string, passwordHash []byte) error {
	if strings.TrimSpace(username) == "" {
		return errors.New("store: put admin: the username is empty")
	}
	if len(passwordHash) == 0 {
		return fmt.Errorf("store: put admin %q: the password hash is empty", username)
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if _, err := s.adminExec(ctx, `INSERT INTO admins (username, password_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash`,
			username, passwordHash, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("store: put admin %q: %w", username, err)
		}
		return s.EndSessions(ctx, AdminSessionPrincipal(username))
	})
}

// AdminPasswordHash returns the administrator's bcrypt hash, ErrNotFound if unknown.
func (s *Store) AdminPasswordHash(ctx context.Context, username string) ([]byte, error) {
	if s.unstorable(username) {
		return nil, fmt.Errorf("admin %q: %w", username, ErrNotFound)
	}
	var h []byte
	err := s.adminQueryRow(ctx, `SELECT password_hash FROM admins WHERE username = ?`, username).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("admin %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get admin %q: %w", username, err)
	}
	return h, nil
}

// CreateScope creates a scope; ErrConflict if the name is taken (PutScope would overwrite).
func (s *Store) CreateScope(ctx context.Context, sc *Scope) error {
	if sc == nil || strings.TrimSpace(sc.Name) == "" {
		return errors.New("store: create scope: the scope name is empty")
	}
	_, err := s.adminExec(ctx, `INSERT INTO scopes (name, description) VALUES (?, ?)`, sc.Name, sc.Description)
	if isConstraint(err) {
		return fmt.Errorf("scope %q: %w", sc.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create scope %q: %w", sc.Name, err)
	}
	return nil
}

// UpdateScope replaces the description of an existing scope; ErrNotFound if unknown.
func (s *Store) UpdateScope(ctx context.Context, sc *Scope) error {
	if sc == nil {
		return errors.New("store: update scope: no scope")
	}
	res, err := s.adminExec(ctx, `UPDATE scopes SET description = ? WHERE name = ?`, sc.Description, sc.Name)
	if err != nil {
		return fmt.Errorf("store: update scope %q: %w", sc.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("scope %q: %w", sc.Name, ErrNotFound)
	}
	return nil
}

// DeleteScope deletes the scope and removes it from every client it was associated with, in
// one transaction. Tokens already issued with it keep it until they expire or are revoked.
func (s *Store) DeleteScope(ctx context.Context, name string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		res, err := s.adminExec(ctx, `DELETE FROM scopes WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("store: delete scope %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("scope %q: %w", name, ErrNotFound)
		}
		clients, err := s.ListClients(ctx)
		if err != nil {
			return err
		}
		for _, c := range clients {
			if i := slices.Index(c.Scopes, name); i >= 0 {
				c.Scopes = slices.Delete(c.Scopes, i, i+1)
				if err := s.UpdateClient(ctx, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// SetScopeClient associates (on) or dissociates (off) a scope and a client, in one
// transaction. ErrNotFound names the unknown scope or client.
func (s *Store) SetScopeClient(ctx context.Context, scope, clientID string, on bool) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		if _, err := s.GetScope(ctx, scope); err != nil {
			return err
		}
		c, err := s.readClient(ctx, clientID)
		if err != nil {
			return err
		}
		if c == nil {
			return fmt.Errorf("client %q: %w", clientID, ErrNotFound)
		}
		i := slices.Index(c.Scopes, scope)
		switch {
		case on && i < 0:
			c.Scopes = append(c.Scopes, scope)
		case !on && i >= 0:
			c.Scopes = slices.Delete(c.Scopes, i, i+1)
		default:
			return nil
		}
		return s.UpdateClient(ctx, c)
	})
}

// UpdateUser replaces the user's password hash (when u.PasswordHash is not empty) and enabled
// switch; ErrNotFound if unknown.
//
// Disabling the user or changing the password, in the same transaction: every code and token
// issued on the user's behalf is revoked (marked inactive), and every login session of the
// user ends (session_versions). Revoking at the change, rather than checking the owner's
// state at each use, keeps the hot paths (introspection, the resource server, served from
// the access-token cache) free of a user lookup, and makes re-enabling safe by construction:
// a revoked row never becomes active again, so enabling the user later brings back none of
// the old tokens. Grants in flight cannot outlive the change either: a refresh or a code
// redemption deactivates the used row in its own transaction and fails when this one
// revoked it first (RotateRefreshToken, InvalidateAuthorizeCodeSession).
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	if u == nil {
		return errors.New("store: update user: no user")
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		var (
			res sql.Result
			err error
		)
		if len(u.PasswordHash) > 0 {
			res, err = s.adminExec(ctx, `UPDATE users SET password_hash = ?, enabled = ? WHERE username = ?`,
				u.PasswordHash, boolInt(u.Enabled), u.Username)
		} else {
			res, err = s.adminExec(ctx, `UPDATE users SET enabled = ? WHERE username = ?`, boolInt(u.Enabled), u.Username)
		}
		if err != nil {
			return fmt.Errorf("store: update user %q: %w", u.Username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %q: %w", u.Username, ErrNotFound)
		}
		if !u.Enabled || len(u.PasswordHash) > 0 {
			if err := s.revokeAllForSubject(ctx, u.Username); err != nil {
				return err
			}
			return s.EndSessions(ctx, UserSessionPrincipal(u.Username))
		}
		return nil
	})
}

// DeleteUser deletes the user, revokes every code and token issued on its behalf and ends
// its login sessions, in one transaction.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		res, err := s.adminExec(ctx, `DELETE FROM users WHERE username = ?`, username)
		if err != nil {
			return fmt.Errorf("store: delete user %q: %w", username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %q: %w", username, ErrNotFound)
		}
		// A user's memberships go with it: a user created later under the same name starts
		// with none.
		if err := s.deleteMemberships(ctx, username); err != nil {
			return err
		}
		if err := s.revokeAllForSubject(ctx, username); err != nil {
			return err
		}
		return s.EndSessions(ctx, UserSessionPrincipal(username))
	})
}

// RevokeToken revokes one code or token by its signature, as ListTokens shows it. Revoking a
// refresh token also revokes the access tokens of the same grant (RFC 7009 2.1: "If the
// particular token is a refresh token and the authorization server supports the revocation of
// access tokens, then the authorization server SHOULD also invalidate all access tokens based
// on the same authorization grant"). ErrNotFound if no such row exists.
func (s *Store) RevokeToken(ctx context.Context, kind TokenKind, signature string) error {
	t, ok := s.tokens[kind]
	if !ok {
		return fmt.Errorf("store: revoke token: unknown token kind %q", kind)
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		var requestID string
		err := s.adminQueryRow(ctx, `SELECT request_id FROM `+t.name+` WHERE signature = ?`, signature).Scan(&requestID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s %q: %w", kind, signature, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: revoke %s: %w", kind, err)
		}
		if _, err := s.exec(ctx, t.deactivate, signature); err != nil {
			return fmt.Errorf("store: revoke %s: %w", kind, err)
		}
		if kind == KindRefreshToken {
			if err := s.lockFamily(ctx, requestID); err != nil {
				return err
			}
			if err := s.deactivateFamily(ctx, KindAccessToken, requestID); err != nil {
				return err
			}
		}
		return nil
	})
}

// adminExec runs an ad-hoc write in the context's transaction, if any.
func (s *Store) adminExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var (
		res sql.Result
		err error
	)
	if t := txFrom(ctx); t != nil {
		res, err = t.tx.ExecContext(ctx, s.rebind(query), args...)
	} else {
		res, err = s.wdb.ExecContext(ctx, s.rebind(query), args...)
	}
	if berr := s.bumpIfUntracked(ctx); berr != nil && err == nil {
		err = berr
	}
	return res, mapErr(err)
}

// adminQueryRow runs an ad-hoc single-row read in the context's transaction, if any.
func (s *Store) adminQueryRow(ctx context.Context, query string, args ...any) row {
	if t := txFrom(ctx); t != nil {
		return row{t.tx.QueryRowContext(ctx, s.rebind(query), args...)}
	}
	return row{s.rdb.QueryRowContext(ctx, s.rebind(query), args...)}
}
