package refserver

import (
	"context"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// handleIntrospect is the introspection endpoint (RFC 7662).
//
// RFC 7662 2.1: "the endpoint MUST also require some form of authorization to access this
// endpoint"; here that is client authentication, with client_secret_basic or
// client_secret_post (advertised in the metadata). A caller without valid credentials gets
// 401 invalid_client (2.3).
//
// A client may introspect only the tokens issued to it: for any other token the answer is
// {"active":false}, the same as for an unknown one, so introspection reveals nothing about
// other clients' tokens (RFC 7662 4: the server "MAY respond differently to different
// protected resources making the same request"; fosite answers any authenticated caller).
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	resp, oe := s.introspect(w, r)
	if oe != nil {
		writeOAuthError(w, r, oe)
		return
	}
	setNoStore(w)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) (map[string]any, *oauthError) {
	form, oe := readForm(w, r)
	if oe != nil {
		return nil, oe
	}
	ctx := r.Context()
	client, oe := s.clientAuth.authenticate(ctx, r, form)
	s.auditClientAuth(r, form, client, oe)
	if oe != nil && s.quirks.Has(QuirkIntrospectionUnauthenticated) {
		// Anyone may ask about any token: the caller is taken to be the token's own client.
		client, oe = s.introspectionCallerQuirk(ctx, form.Get("token"))
	}
	if oe != nil {
		return nil, oe
	}
	if client.Public {
		return nil, invalidClient("a public client cannot authenticate, so it may not introspect tokens")
	}
	token := form.Get("token")
	if token == "" {
		return nil, newOAuthError(errInvalidRequest, "the parameter token is required")
	}
	inactive := map[string]any{"active": false}

	// RFC 7662 2.1: token_type_hint is OPTIONAL; "If the server is unable to locate the token
	// using the given hint, it MUST extend its search across all of its supported token
	// types." An unknown hint is therefore simply not used.
	use := fosite.AccessToken
	if form.Get("token_type_hint") == "refresh_token" {
		use = fosite.RefreshToken
	}
	if s.quirks.Has(QuirkJWTSignatureUnchecked) {
		if c, exp, ok := s.unverifiedJWTCaller(ctx, token); ok && c.ClientID == client.ID {
			out := map[string]any{"active": true, "client_id": c.ClientID, "scope": strings.Join(c.Scopes, " "),
				"token_type": "Bearer", "exp": exp.Unix(), "iss": s.cfg.Issuer}
			if c.Principal != "" && c.GrantType == "" {
				out["sub"], out["username"] = c.Principal, c.Principal
			}
			return out, nil
		}
	}
	found, ar, err := s.provider.IntrospectToken(ctx, token, use, NewSession(""))
	if err != nil || ar == nil || ar.GetClient() == nil || ar.GetClient().GetID() != client.ID {
		// RFC 7662 2.2: for a token that is not active "the authorization server ... SHOULD
		// NOT include any additional information about an inactive token".
		s.auditIntrospected(r, client, token, nil, false)
		return inactive, nil
	}

	out := map[string]any{
		"active":    true,
		"client_id": ar.GetClient().GetID(),
		"scope":     strings.Join(ar.GetGrantedScopes(), " "),
		"iss":       s.cfg.Issuer,
	}
	// iat: "when this token was originally issued" (RFC 7662 2.2), which is when the token
	// request was made, stored with the token; fosite reports the introspection time.
	if at := ar.GetRequestedAt(); !at.IsZero() {
		out["iat"] = at.Unix()
	}
	tokenType := "Bearer"
	expiryKind := fosite.AccessToken
	if found == fosite.RefreshToken {
		tokenType, expiryKind = "refresh_token", fosite.RefreshToken
	}
	out["token_type"] = tokenType
	if sess := ar.GetSession(); sess != nil {
		if exp := sess.GetExpiresAt(expiryKind); !exp.IsZero() {
			out["exp"] = exp.Unix()
		}
		if sub := sess.GetSubject(); sub != "" {
			out["sub"] = sub
			username := sub
			if ss, ok := sess.(*Session); ok && ss.Username != "" {
				username = ss.Username
			}
			out["username"] = username
		}
	}
	s.auditIntrospected(r, client, token, ar, true)
	return out, nil
}

// introspectionCallerQuirk is QuirkIntrospectionUnauthenticated: an unauthenticated caller
// is answered as if it were the client the token was issued to.
func (s *Server) introspectionCallerQuirk(ctx context.Context, token string) (*store.Client, *oauthError) {
	for _, use := range []fosite.TokenUse{fosite.AccessToken, fosite.RefreshToken} {
		if _, ar, err := s.provider.IntrospectToken(ctx, token, use, NewSession("")); err == nil && ar != nil {
			if c, ok := ar.GetClient().(*store.Client); ok {
				return c, nil
			}
		}
	}
	// An unknown token: any confidential stand-in gets {"active":false}.
	return &store.Client{}, nil
}
