package store

// The fosite storage interfaces. Semantics follow fosite v0.49.0's handlers (flow_refresh.go,
// flow_authorize_code_token.go, revocation.go, handler/pkce), which is what they rely on.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
)

// tokenKinds lists the token tables in a fixed order.
var tokenKinds = []TokenKind{KindAuthorizeCode, KindAccessToken, KindRefreshToken, KindPKCE}

// tokenTable holds the statements of one token table. The four tables share one shape.
type tokenTable struct {
	kind TokenKind
	name string
	// which expiry of the session the row's expires_at records
	expiry fosite.TokenType

	insert, get, activeOf, requestOf              *stmt
	deactivate, deactivateFamily, deleteSig       *stmt
	deactivateClient, deleteClient, deleteExpired *stmt
}

func tableOf(kind TokenKind) (name string, expiry fosite.TokenType) {
	switch kind {
	case KindAuthorizeCode:
		return "authorize_codes", fosite.AuthorizeCode
	case KindAccessToken:
		return "access_tokens", fosite.AccessToken
	case KindRefreshToken:
		return "refresh_tokens", fosite.RefreshToken
	default:
		// A PKCE record lives exactly as long as its authorization code.
		return "pkce_requests", fosite.AuthorizeCode
	}
}

func (s *Store) newTokenTable(ctx context.Context, kind TokenKind) (*tokenTable, error) {
	name, expiry := tableOf(kind)
	t := &tokenTable{kind: kind, name: name, expiry: expiry}
	var err error
	p := func(query string, read bool) *stmt {
		if err != nil {
			return nil
		}
		var st *stmt
		st, err = s.prepare(ctx, strings.ReplaceAll(query, "$T", name), read)
		return st
	}
	cols := `signature, request_id, client_id, subject, scopes, requested_at, expires_at, active, request, session`
	// active is decided by the insert itself, on the single writer: a code or token whose
	// resource owner or client is disabled is stored inactive. Disabling revokes what exists
	// (UpdateUser, UpdateClient); this covers what a request that passed its checks just
	// before the disable committed stores just after it, so nothing issued in that window
	// works either (and re-enabling cannot bring it back).
	vals := `?1, ?2, ?3, ?4, ?5, ?6, ?7,
		NOT EXISTS (SELECT 1 FROM users WHERE username = ?4 AND enabled = 0)
			AND NOT EXISTS (SELECT 1 FROM clients WHERE id = ?3 AND enabled = 0),
		?8, ?9`
	if kind == KindRefreshToken {
		cols += `, access_signature`
		vals += `, ?10`
	}
	if s.pg {
		t.insert = p(tokenInsertPG(cols, kind == KindRefreshToken), false)
	} else {
		t.insert = p(`INSERT INTO $T (`+cols+`) VALUES (`+vals+`)`, false)
	}
	t.get = p(`SELECT request_id, client_id, requested_at, expires_at, active, request, session FROM $T WHERE signature = ?`, true)
	t.activeOf = p(`SELECT active FROM $T WHERE signature = ?`, true)
	t.requestOf = p(`SELECT request_id FROM $T WHERE signature = ?`, true)
	t.deactivate = p(`UPDATE $T SET active = 0 WHERE signature = ? AND active = 1`, false)
	t.deactivateFamily = p(`UPDATE $T SET active = 0 WHERE request_id = ? AND active = 1`, false)
	t.deleteSig = p(`DELETE FROM $T WHERE signature = ?`, false)
	t.deactivateClient = p(`UPDATE $T SET active = 0 WHERE client_id = ? AND active = 1`, false)
	t.deleteClient = p(`DELETE FROM $T WHERE client_id = ?`, false)
	t.deleteExpired = p(`DELETE FROM $T WHERE expires_at > 0 AND expires_at < ?`, false)
	if err == nil && kind == KindAccessToken {
		for _, st := range []*stmt{t.deactivate, t.deactivateFamily, t.deleteSig, t.deactivateClient, t.deleteClient, t.deleteExpired} {
			st.changesAccessTokens = true
		}
	}
	if err == nil {
		// Revocations, rotations and redemptions: durable before they return (db.go).
		for _, st := range []*stmt{t.deactivate, t.deactivateFamily, t.deleteSig, t.deactivateClient, t.deleteClient} {
			st.durable = true
		}
	}
	return t, err
}

// tokenInsertPG is the token insert on PostgreSQL. Its active value is decided as on SQLite,
// and the owner's and the client's rows are read FOR SHARE: a disable in flight (an UPDATE of
// that row) is waited for and its outcome seen, and a disable that comes after waits for this
// transaction and then revokes what it stored (postgres.go). MATERIALIZED keeps each locking
// read a query of its own, run whatever the planner would fold.
func tokenInsertPG(cols string, refresh bool) string {
	vals := `?1, ?2, ?3, ?4, ?5, ?6, ?7,
		CASE WHEN EXISTS (SELECT 1 FROM owner WHERE enabled = 0) OR EXISTS (SELECT 1 FROM client WHERE enabled = 0)
			THEN 0 ELSE 1 END,
		?8, ?9`
	if refresh {
		vals += `, ?10`
	}
	return `WITH owner AS MATERIALIZED (SELECT enabled FROM users WHERE username = ?4 FOR SHARE),
		client AS MATERIALIZED (SELECT enabled FROM clients WHERE id = ?3 FOR SHARE)
		INSERT INTO $T (` + cols + `) VALUES (` + vals + `)`
}

// storedRequest is the requester minus the client (stored by id) and the session (stored
// in its own column).
type storedRequest struct {
	RequestedScope    []string   `json:"requested_scope,omitempty"`
	GrantedScope      []string   `json:"granted_scope,omitempty"`
	RequestedAudience []string   `json:"requested_audience,omitempty"`
	GrantedAudience   []string   `json:"granted_audience,omitempty"`
	Form              url.Values `json:"form,omitempty"`
}

// secretFormKeys are request parameters that are credentials. They are never written to the
// database: a copy of the database must not be a copy of the credentials. code_challenge and
// code_challenge_method stay (the PKCE handler reads them back, and they are not secret).
var secretFormKeys = []string{
	"password", "client_secret", "code_verifier", "code", "refresh_token",
	"client_assertion", "assertion", "token",
}

func sanitizeForm(f url.Values) url.Values {
	out := make(url.Values, len(f))
	for k, v := range f {
		out[k] = v
	}
	for _, k := range secretFormKeys {
		delete(out, k)
	}
	return out
}

func (s *Store) createToken(ctx context.Context, t *tokenTable, sig string, r fosite.Requester, extra ...any) error {
	if r == nil {
		return fmt.Errorf("store: create %s: no request", t.kind)
	}
	if r.GetClient() == nil {
		return fmt.Errorf("store: create %s: the request has no client", t.kind)
	}
	sr := storedRequest{
		RequestedScope:    r.GetRequestedScopes(),
		GrantedScope:      r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(),
		GrantedAudience:   r.GetGrantedAudience(),
		Form:              sanitizeForm(r.GetRequestForm()),
	}
	reqJSON, err := json.Marshal(&sr)
	if err != nil {
		return fmt.Errorf("store: create %s: encode request: %w", t.kind, err)
	}
	var (
		subject  string
		expires  time.Time
		sessJSON = []byte("{}")
	)
	if sess := r.GetSession(); sess != nil {
		subject = sess.GetSubject()
		expires = sess.GetExpiresAt(t.expiry)
		if sessJSON, err = json.Marshal(sess); err != nil {
			return fmt.Errorf("store: create %s: encode session: %w", t.kind, err)
		}
	}
	args := []any{sig, r.GetID(), r.GetClient().GetID(), subject, strings.Join(r.GetGrantedScopes(), " "),
		nanos(r.GetRequestedAt()), nanos(expires), string(reqJSON), string(sessJSON)}
	args = append(args, extra...)
	if txFrom(ctx) == nil && s.gw != nil {
		err = s.gw.write(ctx, t.insert, args...)
	} else {
		_, err = s.exec(ctx, t.insert, args...)
	}
	if err != nil {
		if isConstraint(err) {
			return fmt.Errorf("store: create %s: signature already stored: %w", t.kind, ErrConflict)
		}
		return fmt.Errorf("store: create %s: %w", t.kind, err)
	}
	return nil
}

// getToken rebuilds the stored requester, hydrating sess (a fosite.DefaultSession when nil).
// A token whose client was deleted or disabled is fosite.ErrNotFound: it no longer works.
//
// Access tokens are looked up far more often than anything else (every introspection and
// every resource request); outside a transaction their rows come from the access-token cache
// when it has them (accessTokenCache says why that is exact).
func (s *Store) getToken(ctx context.Context, t *tokenTable, sig string, sess fosite.Session) (req *fosite.Request, active bool, err error) {
	var (
		row      *cachedToken
		gen      uint64
		cacheIt  bool
		useCache = t.kind == KindAccessToken && txFrom(ctx) == nil
		now      = time.Now()
	)
	var epoch uint64
	if useCache {
		// The epoch first, then the row (epoch.go): a row read after the epoch is at least as
		// new as the epoch says. Without the epoch, nothing is served from or added to the
		// cache.
		if epoch, err = s.Epoch(ctx); err != nil {
			useCache = false
		}
	}
	if useCache {
		row = s.atCache.get(sig, now, epoch)
		if row == nil {
			gen, cacheIt = s.atCache.generation()
		}
	}
	if row == nil {
		if row, err = s.readToken(ctx, t, sig); err != nil {
			return nil, false, err
		}
		if cacheIt {
			row.epoch = epoch
			s.atCache.put(sig, row, gen, now)
		}
	}
	c, err := s.cachedClient(ctx, row.clientID)
	if err != nil {
		return nil, false, err
	}
	if c == nil || !c.Enabled {
		return nil, false, fosite.ErrNotFound
	}
	if sess == nil {
		sess = &fosite.DefaultSession{}
	}
	if err := json.Unmarshal(row.session, sess); err != nil {
		return nil, false, fmt.Errorf("store: get %s: the stored session does not fit %T: %w", t.kind, sess, err)
	}
	// Fresh slices and form for every caller: fosite may change the requester it gets, and a
	// cached row is shared.
	form := make(url.Values, len(row.req.Form))
	for k, v := range row.req.Form {
		form[k] = append([]string(nil), v...)
	}
	req = &fosite.Request{
		ID:                row.requestID,
		RequestedAt:       fromNanos(row.requestedAt),
		Client:            c.clone(),
		RequestedScope:    fosite.Arguments(cloneNonNil(row.req.RequestedScope)),
		GrantedScope:      fosite.Arguments(cloneNonNil(row.req.GrantedScope)),
		RequestedAudience: fosite.Arguments(cloneNonNil(row.req.RequestedAudience)),
		GrantedAudience:   fosite.Arguments(cloneNonNil(row.req.GrantedAudience)),
		Form:              form,
		Session:           sess,
	}
	return req, row.active, nil
}

// readToken reads and decodes one row; fosite.ErrNotFound when there is none.
func (s *Store) readToken(ctx context.Context, t *tokenTable, sig string) (*cachedToken, error) {
	if s.unstorable(sig) {
		return nil, fosite.ErrNotFound
	}
	var (
		row               cachedToken
		expires           int64
		act               int
		reqJSON, sessJSON string
	)
	err := s.queryRow(ctx, t.get, sig).Scan(&row.requestID, &row.clientID, &row.requestedAt, &expires, &act, &reqJSON, &sessJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s: %w", t.kind, err)
	}
	if err := json.Unmarshal([]byte(reqJSON), &row.req); err != nil {
		return nil, fmt.Errorf("store: get %s: stored request is not JSON: %w", t.kind, err)
	}
	row.active = act != 0
	row.session = []byte(sessJSON)
	// A cached row never outlives the token.
	row.until = fromNanos(expires)
	return &row, nil
}

func cloneNonNil(v []string) []string {
	return append([]string{}, v...)
}

// deactivateOne marks one row inactive. It reports fosite.ErrNotFound for an unknown
// signature and alreadyInactive for a row that was inactive already.
func (s *Store) deactivateOne(ctx context.Context, t *tokenTable, sig string, alreadyInactive error) error {
	res, err := s.exec(ctx, t.deactivate, sig)
	if err != nil {
		return fmt.Errorf("store: deactivate %s: %w", t.kind, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var act int
	err = s.queryRow(ctx, t.activeOf, sig).Scan(&act)
	if errors.Is(err, sql.ErrNoRows) {
		return fosite.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: deactivate %s: %w", t.kind, err)
	}
	return alreadyInactive
}

func (s *Store) deactivateFamily(ctx context.Context, kind TokenKind, requestID string) error {
	if !s.pg {
		if _, err := s.exec(ctx, s.tokens[kind].deactivateFamily, requestID); err != nil {
			return fmt.Errorf("store: revoke %s family: %w", kind, err)
		}
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.lockFamily(ctx, requestID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, s.tokens[kind].deactivateFamily, requestID); err != nil {
			return fmt.Errorf("store: revoke %s family: %w", kind, err)
		}
		return nil
	})
}

// GetClient implements fosite.ClientManager: the client as *Client, fosite.ErrNotFound when
// it is unknown or disabled.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.cachedClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || !c.Enabled {
		return nil, fosite.ErrNotFound
	}
	return c.clone(), nil
}

// ClientAssertionJWTValid implements fosite.ClientManager: fosite.ErrJTIKnown when the jti
// was seen and has not expired (RFC 7523 3: the JWT may be used only once).
func (s *Store) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	if s.unstorable(jti) {
		return nil // never stored, so never seen
	}
	var exp int64
	err := s.queryRow(ctx, s.q.jtiGet, jti).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: client assertion jti: %w", err)
	}
	if exp > time.Now().UnixNano() {
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT implements fosite.ClientManager: records jti until exp, and clears
// expired ones.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		now := time.Now().UnixNano()
		if _, err := s.exec(ctx, s.q.jtiDeleteExpired, now); err != nil {
			return fmt.Errorf("store: client assertion jti: %w", err)
		}
		if err := s.ClientAssertionJWTValid(ctx, jti); err != nil {
			return err
		}
		// The upsert replaces only an expired row: no row changed means another request
		// recorded this jti since the check above (on PostgreSQL, through another replica or
		// connection), and only one of them may accept it.
		res, err := s.exec(ctx, s.q.jtiPut, jti, exp.UnixNano(), now)
		if err != nil {
			return fmt.Errorf("store: client assertion jti: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fosite.ErrJTIKnown
		}
		return nil
	})
}

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.createToken(ctx, s.tokens[KindAuthorizeCode], code, r)
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. A used code returns its
// requester together with fosite.ErrInvalidatedAuthorizeCode: fosite needs the request id to
// revoke the tokens issued from it (RFC 6749 4.1.2: "If an authorization code is used more
// than once, the authorization server MUST deny the request and SHOULD revoke (when possible)
// all tokens previously issued based on that authorization code").
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, code string, sess fosite.Session) (fosite.Requester, error) {
	req, active, err := s.getToken(ctx, s.tokens[KindAuthorizeCode], code, sess)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInvalidatedAuthorizeCode
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. Invalidating a code
// that is already invalid fails with fosite.ErrInvalidatedAuthorizeCode: two concurrent
// redemptions of one code both pass the read, and only the first may get tokens.
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	t := s.tokens[KindAuthorizeCode]
	if !s.pg {
		return s.deactivateOne(ctx, t, code, fosite.ErrInvalidatedAuthorizeCode)
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		// The code's grant family is changed by one transaction at a time (postgres.go).
		if s.unstorable(code) {
			return fosite.ErrNotFound
		}
		var requestID string
		err := s.queryRow(ctx, t.requestOf, code).Scan(&requestID)
		if errors.Is(err, sql.ErrNoRows) {
			return fosite.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: invalidate authorize code: %w", err)
		}
		if err := s.lockFamily(ctx, requestID); err != nil {
			return err
		}
		return s.deactivateOne(ctx, t, code, fosite.ErrInvalidatedAuthorizeCode)
	})
}

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) CreateAccessTokenSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.createToken(ctx, s.tokens[KindAccessToken], sig, r)
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage. A revoked token returns its
// requester with fosite.ErrInactiveToken (introspection then reports it inactive).
func (s *Store) GetAccessTokenSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error) {
	req, active, err := s.getToken(ctx, s.tokens[KindAccessToken], sig, sess)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage. Deleting an unknown
// signature is not an error.
func (s *Store) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	if _, err := s.exec(ctx, s.tokens[KindAccessToken].deleteSig, sig); err != nil {
		return fmt.Errorf("store: delete access token: %w", err)
	}
	return nil
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Store) CreateRefreshTokenSession(ctx context.Context, sig, accessSig string, r fosite.Requester) error {
	return s.createToken(ctx, s.tokens[KindRefreshToken], sig, r, accessSig)
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage. A rotated or revoked refresh
// token returns its requester with fosite.ErrInactiveToken, which fosite treats as reuse and
// answers by revoking the whole grant family (RFC 9700 4.14.2).
func (s *Store) GetRefreshTokenSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error) {
	req, active, err := s.getToken(ctx, s.tokens[KindRefreshToken], sig, sess)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage. Deleting an unknown
// signature is not an error.
func (s *Store) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	if _, err := s.exec(ctx, s.tokens[KindRefreshToken].deleteSig, sig); err != nil {
		return fmt.Errorf("store: delete refresh token: %w", err)
	}
	return nil
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage: the used refresh token (sig)
// becomes inactive, and so do the other refresh and access tokens of its grant (requestID).
// fosite then stores the new pair under the same request id.
//
// If sig is already inactive, a concurrent request rotated it first: this one fails with
// fosite.ErrInactiveToken so that one refresh token never yields two new ones.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, sig string) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.lockFamily(ctx, requestID); err != nil {
			return err
		}
		if err := s.deactivateOne(ctx, s.tokens[KindRefreshToken], sig, fosite.ErrInactiveToken); err != nil {
			return err
		}
		if err := s.deactivateFamily(ctx, KindRefreshToken, requestID); err != nil {
			return err
		}
		return s.deactivateFamily(ctx, KindAccessToken, requestID)
	})
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: every refresh token of the
// grant family requestID becomes inactive.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.deactivateFamily(ctx, KindRefreshToken, requestID)
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage: every access token of the
// grant family requestID becomes inactive. RFC 7009 2.1: revoking a refresh token SHOULD
// also invalidate the access tokens issued from the same grant; fosite calls both.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.deactivateFamily(ctx, KindAccessToken, requestID)
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) CreatePKCERequestSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.createToken(ctx, s.tokens[KindPKCE], sig, r)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage. It returns the record even after
// DeletePKCERequestSession (see there).
func (s *Store) GetPKCERequestSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error) {
	req, _, err := s.getToken(ctx, s.tokens[KindPKCE], sig, sess)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage by marking the record used
// instead of deleting it. fosite deletes the record before it checks the verifier; a real
// delete would let a second attempt without code_verifier find no PKCE record and redeem a
// code that was issued with a challenge (a PKCE downgrade). RFC 7636 4.6 binds the code to
// its challenge for as long as the code lives, so the record stays until the code expires
// (DeleteExpired).
func (s *Store) DeletePKCERequestSession(ctx context.Context, sig string) error {
	if _, err := s.exec(ctx, s.tokens[KindPKCE].deactivate, sig); err != nil {
		return fmt.Errorf("store: delete pkce request: %w", err)
	}
	return nil
}
