package refserver

import (
	"net/http"
	"net/url"
	"testing"
)

// The store caches access-token lookups (store.accessTokenCache); through the endpoints a
// revoked or rotated token must introspect inactive at once, with the cache warm.
func TestIntrospectionSeesRevocationAtOnce(t *testing.T) {
	e := newTestEnv(t)
	at := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	for range 3 {
		if !e.active(ccID, ccSecret, at) {
			t.Fatal("a fresh token introspects inactive")
		}
	}
	if r := e.revoke(ccID, ccSecret, at); r.Status != http.StatusOK {
		t.Fatalf("revocation: expected 200, got %s", r)
	}
	if e.active(ccID, ccSecret, at) {
		t.Error("a revoked token introspects active")
	}
}

func TestIntrospectionSeesRotationAtOnce(t *testing.T) {
	e := newTestEnv(t)
	first := e.codeTokens("calc:read offline_access")
	at := first.str("access_token")
	for range 3 {
		if !e.active(confID, confSecret, at) {
			t.Fatal("a fresh token introspects inactive")
		}
	}
	e.mustToken(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}})
	if e.active(confID, confSecret, at) {
		t.Error("the access token of a rotated refresh token still introspects active")
	}
}
