package refserver

import (
	"net/http"
	"net/url"
	"testing"
)

// RFC 7009 2.1: a token issued to another client is refused and stays valid. fosite
// answers 200 and keeps the token.
func TestRevokeAnotherClientsTokenIsRefused(t *testing.T) {
	e := newTestEnv(t)
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	r := e.revoke(confID, confSecret, tok)
	expectError(t, r, http.StatusBadRequest, errUnauthorizedClient)
	if !e.active(ccID, ccSecret, tok) {
		t.Fatal("the token was revoked by another client")
	}
	ct := e.codeTokens("calc:read offline_access")
	r = e.revoke(conf2ID, conf2Secret, ct.str("refresh_token"), "token_type_hint", "refresh_token")
	expectError(t, r, http.StatusBadRequest, errUnauthorizedClient)
	if !e.active(confID, confSecret, ct.str("refresh_token")) {
		t.Fatal("the refresh token was revoked by another client")
	}
}

// RFC 7009 2.2: invalid tokens do not cause an error, and "An invalid token type hint value is
// ignored by the authorization server and does not influence the revocation response."
func TestRevokeUnknownTokenAndHints(t *testing.T) {
	e := newTestEnv(t)
	for _, tok := range []string{"ory_at_unknown.sig", "garbage", "a.b.c"} {
		if r := e.revoke(ccID, ccSecret, tok); r.Status != http.StatusOK {
			t.Errorf("unknown token %q: expected 200, got %s", tok, r)
		}
	}
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	if r := e.revoke(ccID, ccSecret, tok, "token_type_hint", "id_token"); r.Status != http.StatusOK {
		t.Fatalf("an unknown hint: expected 200, got %s", r)
	}
	if e.active(ccID, ccSecret, tok) {
		t.Fatal("access token still active after revocation with an unknown hint")
	}
	tok = e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	// The wrong (but supported) hint: the server searches the other type too (2.1).
	if r := e.revoke(ccID, ccSecret, tok, "token_type_hint", "refresh_token"); r.Status != http.StatusOK {
		t.Fatalf("expected 200, got %s", r)
	}
	if e.active(ccID, ccSecret, tok) {
		t.Fatal("access token still active after revocation with a refresh_token hint")
	}
}

func TestRevokeRequiresClientAuthentication(t *testing.T) {
	e := newTestEnv(t)
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	r := e.do(request{Path: PathRevoke, Form: url.Values{"token": {tok}}})
	expectError(t, r, http.StatusUnauthorized, errInvalidClient)
	r = e.revoke(ccID, "wrong", tok)
	expectError(t, r, http.StatusUnauthorized, errInvalidClient)
	if !e.active(ccID, ccSecret, tok) {
		t.Fatal("token revoked without client authentication")
	}
	r = e.do(request{Method: http.MethodGet, Path: PathRevoke})
	expectError(t, r, http.StatusMethodNotAllowed, errInvalidRequest)
	r = e.do(request{Path: PathRevoke, Form: url.Values{"token": {tok}, "client_id": {ccID}, "client_secret": {ccSecret}}})
	if r.Status != http.StatusOK || e.active(ccID, ccSecret, tok) {
		t.Fatalf("client_secret_post revocation: expected 200 and an inactive token, got %s", r)
	}
}

// RFC 7009 2.1: revoking a refresh token revokes the access tokens of the grant; revoking an
// access token leaves the refresh token usable (this server's choice of the MAY).
func TestRevokeRefreshAndAccessTokens(t *testing.T) {
	e := newTestEnv(t)
	a := e.codeTokens("calc:read offline_access")
	if r := e.revoke(confID, confSecret, a.str("refresh_token")); r.Status != http.StatusOK {
		t.Fatalf("revoke refresh token: %s", r)
	}
	if e.active(confID, confSecret, a.str("access_token")) {
		t.Error("access token still active after its refresh token was revoked")
	}
	r := e.token(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.str("refresh_token")}})
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)

	b := e.codeTokens("calc:read offline_access")
	if r := e.revoke(confID, confSecret, b.str("access_token"), "token_type_hint", "access_token"); r.Status != http.StatusOK {
		t.Fatalf("revoke access token: %s", r)
	}
	if e.active(confID, confSecret, b.str("access_token")) {
		t.Error("access token still active after revocation")
	}
	e.mustToken(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.str("refresh_token")}})
}

// A public client revokes its own tokens with client_id alone.
func TestRevokeByPublicClient(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(publicID, "calc:read offline_access", s256(testVerifier))
	tok := e.exchange(publicID, "", code, testVerifier)
	if tok.Status != http.StatusOK {
		t.Fatalf("exchange: %s", tok)
	}
	r := e.do(request{Path: PathRevoke, Form: url.Values{"token": {tok.str("refresh_token")}, "client_id": {publicID}}})
	if r.Status != http.StatusOK {
		t.Fatalf("expected 200, got %s", r)
	}
	r = e.token("", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}, "client_id": {publicID}})
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
}
