package refserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// handleRevoke is the revocation endpoint (RFC 7009). Behaviour, each choice per the RFC:
//   - client authentication as at the token endpoint (2.1), basic or post; a public client
//     identifies itself with client_id (it can only revoke its own tokens);
//   - token_type_hint: access_token or refresh_token; any other value is refused with
//     unsupported_token_type (2.2.1), since this server supports no other token type;
//   - an unknown, invalid, expired or already revoked token: 200 (2.2: "invalid tokens do not
//     cause an error response");
//   - a token issued to another client: "the authorization server first validates the client
//     credentials ... and then verifies whether the token was issued to the client making the
//     revocation request. If this validation fails, the request is refused and the client is
//     informed of the error" (2.1). It is refused with 400 unauthorized_client (RFC 6749 5.2:
//     the client is authenticated but not authorized for this request), and the token stays
//     active. fosite answers 200 and keeps the token.
//   - revoking a refresh token revokes the whole grant: every refresh and access token issued
//     from the same authorization (2.1: the server "SHOULD also invalidate all access tokens
//     based on the same authorization grant");
//   - revoking an access token revokes that access token only; the refresh token of the grant
//     stays usable (2.1: the server "MAY revoke the respective refresh token as well"). A
//     client that wants to end the grant revokes its refresh token.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if oe := s.revoke(w, r); oe != nil {
		writeOAuthError(w, r, oe)
		return
	}
	setNoStore(w)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) *oauthError {
	form, oe := readForm(w, r)
	if oe != nil {
		return oe
	}
	ctx := r.Context()
	client, oe := s.clientAuth.authenticate(ctx, r, form)
	s.auditClientAuth(r, form, client, oe)
	if oe != nil {
		return oe
	}
	token := form.Get("token")
	if token == "" {
		return newOAuthError(errInvalidRequest, "the parameter token is required")
	}
	order := []fosite.TokenType{fosite.AccessToken, fosite.RefreshToken}
	switch hint := form.Get("token_type_hint"); hint {
	case "", "access_token":
	case "refresh_token":
		order[0], order[1] = order[1], order[0]
	default:
		// RFC 7009 2.2: "An invalid token type hint value is ignored by the authorization
		// server and does not influence the revocation response."
		if s.quirks.Has(QuirkRevocationHintRefused) {
			return newOAuthError(errUnsupportedTokenType, "token_type_hint "+safeName(hint)+" is not supported: use access_token or refresh_token")
		}
	}

	for _, kind := range order {
		var (
			sig string
			req fosite.Requester
			err error
		)
		if kind == fosite.AccessToken {
			sig = s.strategy.AccessTokenSignature(ctx, token)
			req, err = s.store.GetAccessTokenSession(ctx, sig, NewSession(""))
		} else {
			sig = s.strategy.RefreshTokenSignature(ctx, token)
			req, err = s.store.GetRefreshTokenSession(ctx, sig, NewSession(""))
		}
		if err != nil {
			if isGone(err) {
				continue
			}
			return serverError(err)
		}
		if req == nil || req.GetClient() == nil {
			continue
		}
		// The store finds tokens by signature; the HMAC check proves the caller holds the whole
		// token, not only its signature, and that it has not expired.
		if kind == fosite.AccessToken {
			err = s.strategy.ValidateAccessToken(ctx, req, token)
		} else {
			err = s.strategy.ValidateRefreshToken(ctx, req, token)
		}
		if err != nil {
			continue
		}
		if req.GetClient().GetID() != client.ID && !s.quirks.Has(QuirkForeignTokenRevocable) {
			s.auditRevoked(r, client, tokenKindName(kind), req, token, true)
			return newOAuthError(errUnauthorizedClient, "the token was not issued to this client")
		}
		if kind == fosite.AccessToken {
			if s.quirks.Has(QuirkRevokedTokenActive) {
				return nil // "revoked": 200, and nothing changes
			}
			if err := s.store.DeleteAccessTokenSession(ctx, sig); err != nil && !isGone(err) {
				return serverError(err)
			}
			s.auditRevoked(r, client, "access_token", req, token, false)
			return nil
		}
		if err := s.store.RevokeRefreshToken(ctx, req.GetID()); err != nil && !isGone(err) {
			return serverError(err)
		}
		if err := s.store.RevokeAccessToken(ctx, req.GetID()); err != nil && !isGone(err) {
			return serverError(err)
		}
		s.auditRevoked(r, client, "refresh_token", req, token, false)
		return nil
	}
	s.auditRevoked(r, client, "", nil, token, false)
	return nil
}

// isGone reports a store error meaning "no such active token".
func isGone(err error) bool {
	return errors.Is(err, fosite.ErrNotFound) || errors.Is(err, fosite.ErrInactiveToken) ||
		errors.Is(err, store.ErrNotFound) || errors.Is(err, fosite.ErrInvalidatedAuthorizeCode)
}

// revokeStore is what the revocation endpoint reads and revokes.
type revokeStore interface {
	DeleteAccessTokenSession(ctx context.Context, sig string) error
	GetAccessTokenSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error)
	GetRefreshTokenSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error)
	RevokeAccessToken(ctx context.Context, requestID string) error
	RevokeRefreshToken(ctx context.Context, requestID string) error
}

var _ revokeStore = (*store.Store)(nil)
