package refserver

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ory/fosite"
)

// RFC 7662 2.1: the endpoint requires authorization; 2.3: 401 otherwise.
func TestIntrospectionRequiresClientAuthentication(t *testing.T) {
	e := newTestEnv(t)
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	for name, rq := range map[string]request{
		"none":          {Path: PathIntrospect, Form: url.Values{"token": {tok}}},
		"wrong secret":  {Path: PathIntrospect, Form: url.Values{"token": {tok}}, BasicID: ccID, BasicSecret: "nope"},
		"public client": {Path: PathIntrospect, Form: url.Values{"token": {tok}, "client_id": {publicID}}},
		"bearer token": {Path: PathIntrospect, Form: url.Values{"token": {tok}},
			Header: http.Header{"Authorization": {"Bearer " + tok}}},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.do(rq)
			expectError(t, r, http.StatusUnauthorized, errInvalidClient)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	r := e.do(request{Method: http.MethodGet, Path: PathIntrospect})
	expectError(t, r, http.StatusMethodNotAllowed, errInvalidRequest)
}

func TestIntrospectionActiveAccessToken(t *testing.T) {
	e := newTestEnv(t)
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}).str("access_token")
	// client_secret_post works here too (fosite: Basic or Bearer only).
	r := e.do(request{Path: PathIntrospect, Form: url.Values{"token": {tok}, "client_id": {ccID}, "client_secret": {ccSecret}}})
	if r.Status != http.StatusOK || r.JSON["active"] != true {
		t.Fatalf("expected an active token, got %s", r)
	}
	for k, want := range map[string]any{"scope": "calc:read", "client_id": ccID, "token_type": "Bearer", "iss": testIssuer} {
		if r.JSON[k] != want {
			t.Errorf("%s: expected %v, got %v", k, want, r.JSON[k])
		}
	}
	if _, ok := r.JSON["sub"]; ok {
		t.Errorf("client credentials token has a sub: %v", r.JSON["sub"])
	}
	exp, _ := r.JSON["exp"].(float64)
	if d := time.Until(time.Unix(int64(exp), 0)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("exp: expected about an hour ahead, got %v", r.JSON["exp"])
	}
	for _, h := range []string{"Cache-Control", "Pragma"} {
		if r.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
}

// RFC 7662 2.2: iat is when the token was issued, not when it is introspected.
func TestIntrospectionIatIsIssueTime(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	client, err := e.st.GetClient(ctx, ccID)
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Now().UTC().Add(-40 * time.Minute).Truncate(time.Second)
	sess := NewSession("")
	sess.SetExpiresAt(fosite.AccessToken, issued.Add(time.Hour))
	req := fosite.NewAccessRequest(sess)
	req.RequestedAt = issued
	req.Client = client
	req.GrantedScope = fosite.Arguments{"calc:read"}
	tok, sig, err := e.srv.strategy.GenerateAccessToken(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateAccessTokenSession(ctx, sig, req.Sanitize(nil)); err != nil {
		t.Fatal(err)
	}
	r := e.introspect(ccID, ccSecret, tok)
	if r.JSON["active"] != true {
		t.Fatalf("expected active, got %s", r)
	}
	if iat, _ := r.JSON["iat"].(float64); int64(iat) != issued.Unix() {
		t.Errorf("iat: expected the issue time %d, got %v", issued.Unix(), r.JSON["iat"])
	}
	if exp, _ := r.JSON["exp"].(float64); int64(exp) != issued.Add(time.Hour).Unix() {
		t.Errorf("exp: expected %d, got %v", issued.Add(time.Hour).Unix(), r.JSON["exp"])
	}
}

// RFC 7662 2.2: inactive tokens get {"active":false} and nothing else; a client sees only
// its own tokens.
func TestIntrospectionInactiveIsBare(t *testing.T) {
	e := newTestEnv(t)
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	revoked := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	if r := e.revoke(ccID, ccSecret, revoked); r.Status != http.StatusOK {
		t.Fatalf("revoke: %s", r)
	}
	cases := map[string]*response{
		"another client's token": e.introspect(confID, confSecret, tok),
		"unknown token":          e.introspect(ccID, ccSecret, "ory_at_nothing.nothing"),
		"garbage":                e.introspect(ccID, ccSecret, "%%%"),
		"revoked token":          e.introspect(ccID, ccSecret, revoked),
		"tampered token":         e.introspect(ccID, ccSecret, tok+"x"),
	}
	for name, r := range cases {
		if r.Status != http.StatusOK || len(r.JSON) != 1 || r.JSON["active"] != false {
			t.Errorf("%s: expected 200 {\"active\":false}, got %s", name, r)
		}
	}
	r := e.do(request{Path: PathIntrospect, Form: url.Values{"token_type_hint": {"access_token"}}, BasicID: ccID, BasicSecret: ccSecret})
	expectError(t, r, http.StatusBadRequest, errInvalidRequest)
}

func TestIntrospectionRefreshTokenAndHints(t *testing.T) {
	e := newTestEnv(t)
	r := e.codeTokens("calc:read offline_access")
	at, rt := r.str("access_token"), r.str("refresh_token")
	for _, hint := range []string{"", "refresh_token", "access_token", "bogus"} {
		in := e.introspect(confID, confSecret, rt, "token_type_hint", hint)
		if in.JSON["active"] != true || in.str("token_type") != "refresh_token" || in.str("sub") != "alice" {
			t.Errorf("refresh token with hint %q: expected active refresh_token for alice, got %s", hint, in)
		}
		in = e.introspect(confID, confSecret, at, "token_type_hint", hint)
		if in.JSON["active"] != true || in.str("token_type") != "Bearer" {
			t.Errorf("access token with hint %q: expected active Bearer, got %s", hint, in)
		}
	}
}
