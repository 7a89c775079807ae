package steps

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// implicitResponseParams are the parameters an implicit authorization response may carry that
// are no credential: RFC 6749 4.2.2 (token_type, expires_in, scope, state), RFC 9207 (iss),
// OpenID Connect Session Management (session_state), and the error response of 4.2.2.1.
var implicitResponseParams = []string{"access_token", "token_type", "expires_in", "scope", "state", "iss",
	"session_state", "error", "error_description", "error_uri"}

// tokenLike reports whether a value looks like a credential: at least 16 characters without
// spaces, mixing letters and digits (an opaque token, a JWT), unlike a word or a number.
func tokenLike(v string) bool {
	if len(v) < 16 || strings.ContainsAny(v, " \t") {
		return false
	}
	letters := strings.IndexFunc(v, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
	digits := strings.IndexFunc(v, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0
	return letters && digits
}

// noRefreshTokenInImplicitResponse checks RFC 6749 4.2.2: "The authorization server MUST NOT
// issue a refresh token." A refresh_token parameter fails. So does any other token-like value
// of the response, whatever its name, that the token endpoint takes as a refresh token (the
// implicit client sends it with grant_type=refresh_token); one it refuses is reported as a
// warning, since a credential in the fragment is exposed like the access token (RFC 9700
// 2.1.2) although no sentence names it.
func (w *World) noRefreshTokenInImplicitResponse(ctx context.Context) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	a := w.authResp
	if a.params.Has("refresh_token") {
		return ctx, w.authFail("expected no refresh token in the implicit response (RFC 6749 4.2.2: \"The authorization server MUST NOT issue a refresh token.\"), got a refresh_token parameter")
	}
	var suspects []string
	for name, vs := range a.params {
		if slices.Contains(implicitResponseParams, name) {
			continue
		}
		if slices.ContainsFunc(vs, tokenLike) {
			suspects = append(suspects, name)
		}
	}
	sort.Strings(suspects)
	if len(suspects) == 0 {
		return ctx, nil
	}
	creds, method, err := w.creds(w.authRole)
	if err != nil {
		return ctx, err
	}
	for _, name := range suspects {
		if w.p.Endpoints.Token == "" {
			break
		}
		r, err := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "refresh_token",
			RefreshToken: a.params.Get(name), Client: creds, AuthMethod: method}.Send(ctx, w.http)
		if err != nil {
			continue
		}
		if r.Status == 200 && r.AccessToken() != "" {
			return ctx, oauthclient.Failf(r, "expected no refresh token in the implicit response (RFC 6749 4.2.2: \"The authorization server MUST NOT issue a refresh token.\"), but its parameter %q is one: the token endpoint issued an access token for it with grant_type=refresh_token", name)
		}
	}
	return warnAttach(ctx, fmt.Sprintf("the implicit response carries token-like value(s) besides the access token in %s; the token endpoint did not take them as refresh tokens (or could not be asked) (RFC 6749 4.2.2: \"The authorization server MUST NOT issue a refresh token.\"), but any credential in the fragment is exposed as the access token is (RFC 9700 2.1.2)",
		strings.Join(suspects, ", "))), nil
}
