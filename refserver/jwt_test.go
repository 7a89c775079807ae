package refserver

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestJWTAccessTokens: with Config.JWTAccessTokens the access token is an RS256 JWT typed
// at+jwt (RFC 9068 2.1) whose kid is in the published JWK Set, named by the metadata's
// jwks_uri; it works at the resource and introspection, and revoking it makes it inactive
// and refused, since every JWT is still recorded. A JWT with a changed claim is refused with
// 401 invalid_token, not answered as a store failure.
func TestJWTAccessTokens(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.JWTAccessTokens = true })
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read calc:write"}}).str("access_token")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a compact JWS", tok)
	}
	var hdr, claims map[string]any
	for i, v := range []*map[string]any{&hdr, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("part %d of %q does not decode: %v", i, tok, err)
		}
	}
	if hdr["alg"] != "RS256" || hdr["typ"] != "at+jwt" || hdr["kid"] == nil {
		t.Errorf("header %v: want alg RS256, typ at+jwt and a kid", hdr)
	}
	if claims["client_id"] != ccID || claims["scope"] != "calc:read calc:write" || claims["iss"] != testIssuer || claims["exp"] == nil {
		t.Errorf("claims %v: want client_id, scope as a string, iss and exp", claims)
	}

	md := e.do(request{Method: http.MethodGet, Path: PathMetadata})
	if md.JSON["jwks_uri"] != testIssuer+PathJWKS {
		t.Errorf("metadata jwks_uri = %v", md.JSON["jwks_uri"])
	}
	jwks := e.do(request{Method: http.MethodGet, Path: PathJWKS})
	if jwks.Status != http.StatusOK || !strings.Contains(jwks.Body, `"kid":"`+hdr["kid"].(string)+`"`) || strings.Contains(jwks.Body, `"d":`) {
		t.Errorf("JWK Set: want the public key with kid %v and no private part, got %s", hdr["kid"], jwks)
	}

	calc := func(token string) *response {
		return e.do(request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=2&b=3", Header: http.Header{"Authorization": {"Bearer " + token}}})
	}
	if r := calc(tok); r.Status != http.StatusOK {
		t.Fatalf("the resource refused the JWT: %s", r)
	}
	if !e.active(ccID, ccSecret, tok) {
		t.Fatal("introspection: the JWT is not active")
	}
	widened := strings.Replace(tok, parts[1], base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(mustDecode(t, parts[1]), `"calc:read calc:write"`, `"calc:read calc:write admin:all"`, 1))), 1)
	if r := calc(widened); r.Status != http.StatusUnauthorized || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("a JWT with a changed claim: want 401 invalid_token, got %s", r)
	}
	if e.active(ccID, ccSecret, widened) {
		t.Error("introspection reports a JWT with a changed claim active")
	}
	if r := e.revoke(ccID, ccSecret, tok); r.Status != http.StatusOK {
		t.Fatalf("revocation: %s", r)
	}
	if e.active(ccID, ccSecret, tok) || calc(tok).Status != http.StatusUnauthorized {
		t.Error("a revoked JWT is still active or accepted")
	}
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
