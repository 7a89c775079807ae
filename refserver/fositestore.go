package refserver

import (
	"context"
	"errors"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// fositeStorage is the storage fosite is composed with: the SQL store, with three behaviours
// changed where fosite's own flow departs from the RFCs. Every other method is the store's.
type fositeStorage struct {
	*store.Store
	// quirks switch on deliberate deviations for the suite's self-test (quirks.go).
	quirks quirkSet
	// owners checks the password grant's credentials (Authenticate, guessing.go).
	owners *ownerPasswords
}

// GetAuthorizeCodeSession is the store's, except under quirks that break the code's
// single use and bindings (RFC 6749 4.1.2, 4.1.3).
func (f fositeStorage) GetAuthorizeCodeSession(ctx context.Context, code string, sess fosite.Session) (fosite.Requester, error) {
	req, err := f.Store.GetAuthorizeCodeSession(ctx, code, sess)
	if f.quirks.Has(QuirkCodeReuseKeepsTokens) && errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		// A used code looks unknown: refused with invalid_grant, but fosite never learns that
		// it was a reuse, so it does not revoke the tokens issued from it.
		return nil, fosite.ErrNotFound
	}
	if err != nil || req == nil {
		return req, err
	}
	if f.ownerStopped(ctx, req) {
		return nil, fosite.ErrNotFound
	}
	if f.quirks.Has(QuirkCodeNotClientBound) {
		// The code takes the identity of whichever client redeems it.
		if c, ok := ctx.Value(authenticatedClientKey{}).(*store.Client); ok {
			if r, ok := req.(*fosite.Request); ok {
				r.Client = c
			}
		}
	}
	if f.quirks.Has(QuirkRedirectURIUnchecked) {
		// Without the authorization request's redirect_uri, fosite has nothing to compare.
		req.GetRequestForm().Del("redirect_uri")
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession is the store's; under QuirkCodeReusable a redeemed code
// stays valid.
func (f fositeStorage) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	if f.quirks.Has(QuirkCodeReusable) {
		return nil
	}
	if f.quirks.Has(QuirkCodeRaceSometimes) && losesRace(code) {
		return nil
	}
	return f.Store.InvalidateAuthorizeCodeSession(ctx, code)
}

// GetRefreshTokenSession is the store's; under QuirkRefreshReuseUndetected a used (rotated)
// refresh token looks unknown, so fosite refuses it without revoking its successor.
func (f fositeStorage) GetRefreshTokenSession(ctx context.Context, signature string, sess fosite.Session) (fosite.Requester, error) {
	req, err := f.Store.GetRefreshTokenSession(ctx, signature, sess)
	if f.quirks.Has(QuirkRefreshReuseUndetected) && errors.Is(err, fosite.ErrInactiveToken) {
		return nil, fosite.ErrNotFound
	}
	if err == nil && req != nil && f.ownerStopped(ctx, req) {
		return nil, fosite.ErrNotFound
	}
	return req, err
}

// ownerStopped reports whether the resource owner a code or refresh token was issued for no
// longer exists or is disabled. Disabling a user revokes their codes and tokens
// (store.UpdateUser); this check at redemption closes the remaining window: a code the
// authorization endpoint issued in the same milliseconds as the disable, stored just after
// the revocation, still buys no tokens. (Refresh tokens are covered by the rotation failing
// on a revoked token too; the check costs one indexed read per code or refresh request.)
func (f fositeStorage) ownerStopped(ctx context.Context, req fosite.Requester) bool {
	sess := req.GetSession()
	if sess == nil {
		return false
	}
	sub := sess.GetSubject()
	if sub == "" || store.ValidateUsername(sub) != nil {
		return false // a client's own grant (client credentials): no resource owner
	}
	u, err := f.Store.GetUser(ctx, sub)
	return err != nil || u == nil || !u.Enabled
}

// RotateRefreshToken is the store's; under QuirkRefreshNotRotated the used refresh token
// stays active (the token handler hands it back instead of the new one).
func (f fositeStorage) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	if f.quirks.Has(QuirkRefreshNotRotated) {
		return nil
	}
	return f.Store.RotateRefreshToken(ctx, requestID, signature)
}

// DeletePKCERequestSession does nothing: fosite v0.49.0 deletes the PKCE record *before* it
// checks the verifier, so a failed attempt (no or wrong verifier) left a code that could then
// be redeemed without any verifier (a PKCE downgrade). RFC 7636 4.6 and RFC 9700 2.1.1: "If a
// code_challenge was sent in the authorization request, the authorization server MUST ensure
// that a code_verifier is present in the token request and that it matches". The record lives
// as long as its code and goes with it (store.DeleteExpired); a used code is refused before
// PKCE is looked at. (The store's own DeletePKCERequestSession only marks the record used,
// for the same reason; this keeps the guarantee here, next to the flow that needs it.)
func (f fositeStorage) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return nil
}

type refreshScopeKey struct{}

// CreateRefreshTokenSession stores a refresh token, with two corrections:
//   - RFC 6749 6: "If a new refresh token is issued, the refresh token scope MUST be identical
//     to that of the refresh token included by the client in the request." When a refresh
//     request narrows the scope, the new access token gets the narrower scope but the new
//     refresh token keeps the original one; the token handler passes it in the context.
//   - a client that may not use the refresh_token grant gets no refresh token (fosite's
//     password grant issues one regardless); the token handler drops it from the response.
func (f fositeStorage) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, r fosite.Requester) error {
	if c, ok := r.GetClient().(*store.Client); ok && !c.HasGrant(store.GrantRefreshToken) {
		return nil
	}
	if orig, ok := ctx.Value(refreshScopeKey{}).(fosite.Arguments); ok && !f.quirks.Has(QuirkRefreshTokenScopeNarrowed) {
		if req, ok := r.(*fosite.Request); ok {
			cp := *req
			cp.GrantedScope = append(fosite.Arguments(nil), orig...)
			cp.RequestedScope = append(fosite.Arguments(nil), orig...)
			r = &cp
		}
	}
	return f.Store.CreateRefreshTokenSession(ctx, signature, accessSignature, r)
}
