package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// These tests drive fosite's own handlers over the store, so the store is checked against
// what fosite v0.49.0 actually does with it (not against a reading of its interfaces).

type flowEnv struct {
	t        *testing.T
	st       *store.Store
	provider fosite.OAuth2Provider
}

// passwordStorage adds the password grant's check of the owner's credentials to the store, as
// the reference server does (its ownerPasswords, with a cache and a gate this test has no need of).
type passwordStorage struct{ *store.Store }

func (p passwordStorage) Authenticate(ctx context.Context, name, secret string) (string, error) {
	u, err := p.GetUser(ctx, name)
	if err != nil || !u.Enabled || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(secret)) != nil {
		return "", fosite.ErrNotFound
	}
	return u.Username, nil
}

func newFlowEnv(t *testing.T) *flowEnv {
	st, _ := openStore(t)
	cfg := &fosite.Config{
		AccessTokenLifespan:            time.Hour,
		RefreshTokenLifespan:           24 * time.Hour,
		AuthorizeCodeLifespan:          10 * time.Minute,
		GlobalSecret:                   []byte("0123456789abcdef0123456789abcdef"),
		HashCost:                       bcrypt.MinCost,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		RefreshTokenScopes:             []string{},
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
	}
	p := compose.Compose(cfg, passwordStorage{st}, compose.NewOAuth2HMACStrategy(cfg),
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	)
	ctx := context.Background()
	hash := func(s string) []byte {
		h, err := bcrypt.GenerateFromPassword([]byte(s), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, c := range []*store.Client{
		{ID: "web", SecretHash: hash("web-secret"), RedirectURIs: []string{"http://127.0.0.1/cb"},
			GrantTypes: []string{store.GrantAuthorizationCode, store.GrantRefreshToken, store.GrantClientCredentials, store.GrantPassword},
			Scopes:     []string{"calc:read", "offline_access"}, TokenEndpointAuthMethod: "client_secret_basic", Enabled: true},
		{ID: "other", SecretHash: hash("other-secret"), GrantTypes: []string{store.GrantClientCredentials},
			Scopes: []string{"calc:read"}, TokenEndpointAuthMethod: "client_secret_basic", Enabled: true},
	} {
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: hash("alice-pw"), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return &flowEnv{t: t, st: st, provider: p}
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough-verifier"

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize runs the authorization endpoint for client web and returns the code.
func (e *flowEnv) authorize(withPKCE bool) string {
	e.t.Helper()
	q := url.Values{
		"client_id": {"web"}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1/cb"},
		"scope": {"calc:read offline_access"}, "state": {"state-12345678"},
	}
	if withPKCE {
		q.Set("code_challenge", challenge(verifier))
		q.Set("code_challenge_method", "S256")
	}
	ctx := context.Background()
	ar, err := e.provider.NewAuthorizeRequest(ctx, httptest.NewRequest(http.MethodGet, "/oauth2/authorize?"+q.Encode(), nil))
	if err != nil {
		e.t.Fatalf("authorize request: %v", fosite.ErrorToRFC6749Error(err).WithExposeDebug(true).GetDescription())
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	resp, err := e.provider.NewAuthorizeResponse(ctx, ar, newSession("alice"))
	if err != nil {
		e.t.Fatalf("authorize response: %v", err)
	}
	code := resp.GetParameters().Get("code")
	if code == "" {
		e.t.Fatal("no code issued")
	}
	return code
}

// token calls the token endpoint as client web (or id/secret) and returns the response or
// the RFC 6749 error code.
func (e *flowEnv) token(id, secret string, form url.Values) (fosite.AccessResponder, string) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	ctx := context.Background()
	areq, err := e.provider.NewAccessRequest(ctx, req, newSession(""))
	if err != nil {
		e.t.Logf("token request error: %+v", fosite.ErrorToRFC6749Error(err).WithExposeDebug(true).GetDescription())
		return nil, fosite.ErrorToRFC6749Error(err).ErrorField
	}
	if form.Get("grant_type") == "client_credentials" || form.Get("grant_type") == "password" {
		for _, s := range areq.GetRequestedScopes() {
			areq.GrantScope(s)
		}
	}
	resp, err := e.provider.NewAccessResponse(ctx, areq)
	if err != nil {
		e.t.Logf("token response error: %+v", fosite.ErrorToRFC6749Error(err).WithExposeDebug(true).GetDescription())
		return nil, fosite.ErrorToRFC6749Error(err).ErrorField
	}
	return resp, ""
}

func (e *flowEnv) active(token string, use fosite.TokenType) bool {
	e.t.Helper()
	_, _, err := e.provider.IntrospectToken(context.Background(), token, use, newSession(""))
	return err == nil
}

func (e *flowEnv) revoke(id, secret, token string) error {
	req := httptest.NewRequest(http.MethodPost, "/oauth2/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	return e.provider.NewRevocationRequest(context.Background(), req)
}

func codeForm(code string, pkce string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1/cb"}}
	if pkce != "" {
		f.Set("code_verifier", pkce)
	}
	return f
}

func TestFositeCodeReuseRevokesItsTokens(t *testing.T) {
	e := newFlowEnv(t)
	code := e.authorize(true)
	resp, errc := e.token("web", "web-secret", codeForm(code, verifier))
	if errc != "" {
		t.Fatalf("code exchange: %s", errc)
	}
	at, rt := resp.GetAccessToken(), resp.GetExtra("refresh_token").(string)
	if !e.active(at, fosite.AccessToken) || !e.active(rt, fosite.RefreshToken) {
		t.Fatal("fresh tokens are not active")
	}
	// RFC 6749 4.1.2: a reused code is refused and the tokens issued from it are revoked.
	if _, errc := e.token("web", "web-secret", codeForm(code, verifier)); errc != "invalid_grant" {
		t.Errorf("code reuse: error %q, want invalid_grant", errc)
	}
	if e.active(at, fosite.AccessToken) {
		t.Error("access token still active after its code was reused")
	}
	if e.active(rt, fosite.RefreshToken) {
		t.Error("refresh token still active after its code was reused")
	}
}

func TestFositeRefreshRotationAndReuseDetection(t *testing.T) {
	e := newFlowEnv(t)
	resp, errc := e.token("web", "web-secret", codeForm(e.authorize(true), verifier))
	if errc != "" {
		t.Fatal(errc)
	}
	at1, rt1 := resp.GetAccessToken(), resp.GetExtra("refresh_token").(string)

	resp2, errc := e.token("web", "web-secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	if errc != "" {
		t.Fatalf("refresh: %s", errc)
	}
	at2, rt2 := resp2.GetAccessToken(), resp2.GetExtra("refresh_token").(string)
	if rt2 == rt1 || !e.active(at2, fosite.AccessToken) || !e.active(rt2, fosite.RefreshToken) {
		t.Fatal("refresh did not rotate to a new active pair")
	}
	if e.active(at1, fosite.AccessToken) || e.active(rt1, fosite.RefreshToken) {
		t.Error("the old pair is still active after rotation")
	}
	// Reusing rt1 is theft or a replay: refused, and the whole family dies (RFC 9700 4.14.2).
	if _, errc := e.token("web", "web-secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}}); errc != "invalid_grant" {
		t.Errorf("refresh token reuse: %q, want invalid_grant", errc)
	}
	if e.active(at2, fosite.AccessToken) || e.active(rt2, fosite.RefreshToken) {
		t.Error("the new pair survived reuse of the old refresh token")
	}
	if _, errc := e.token("web", "web-secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}}); errc == "" {
		t.Error("a revoked refresh token was accepted")
	}
}

func TestFositePKCECannotBeDowngraded(t *testing.T) {
	e := newFlowEnv(t)
	code := e.authorize(true)
	if _, errc := e.token("web", "web-secret", codeForm(code, verifier+"-wrong")); errc == "" {
		t.Fatal("a wrong code_verifier was accepted")
	}
	// fosite deleted the PKCE record before failing; the store kept it, so the code still
	// needs its verifier (RFC 7636 4.6).
	if _, errc := e.token("web", "web-secret", codeForm(code, "")); errc == "" {
		t.Fatal("a code issued with a challenge was redeemed without code_verifier")
	}
	// A code issued without PKCE works without a verifier for this confidential client.
	if _, errc := e.token("web", "web-secret", codeForm(e.authorize(false), "")); errc != "" {
		t.Errorf("code without PKCE: %s", errc)
	}
}

func TestFositeRevocationAndOtherGrants(t *testing.T) {
	e := newFlowEnv(t)
	resp, errc := e.token("web", "web-secret", codeForm(e.authorize(true), verifier))
	if errc != "" {
		t.Fatal(errc)
	}
	at, rt := resp.GetAccessToken(), resp.GetExtra("refresh_token").(string)
	// RFC 7009 2.1: revoking the refresh token also invalidates the access tokens of its grant.
	if err := e.revoke("web", "web-secret", rt); err != nil {
		t.Fatal(err)
	}
	if e.active(rt, fosite.RefreshToken) || e.active(at, fosite.AccessToken) {
		t.Error("tokens still active after revoking the refresh token")
	}

	cc, errc := e.token("other", "other-secret", url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}})
	if errc != "" {
		t.Fatalf("client credentials: %s", errc)
	}
	if !e.active(cc.GetAccessToken(), fosite.AccessToken) {
		t.Error("client credentials token is not active")
	}
	if _, errc := e.token("other", "wrong", url.Values{"grant_type": {"client_credentials"}}); errc != "invalid_client" {
		t.Errorf("wrong client secret: %q, want invalid_client", errc)
	}

	pw, errc := e.token("web", "web-secret", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"}, "scope": {"calc:read"}})
	if errc != "" {
		t.Fatalf("password grant: %s", errc)
	}
	_, ar, err := e.provider.IntrospectToken(context.Background(), pw.GetAccessToken(), fosite.AccessToken, newSession(""))
	if err != nil || ar.GetSession().GetSubject() != "alice" {
		t.Errorf("password-grant token: subject %v, %v; want alice", ar, err)
	}
	if _, errc := e.token("web", "web-secret", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"nope"}}); errc != "invalid_grant" {
		t.Errorf("wrong password: %q, want invalid_grant", errc)
	}
	// The plain password never reaches the database.
	toks, _ := e.st.ListTokens(context.Background(), store.TokenFilter{Subject: "alice", Kind: store.KindAccessToken})
	if len(toks) == 0 {
		t.Fatal("no tokens listed for alice")
	}
	got, err := e.st.GetAccessTokenSession(context.Background(), toks[0].Signature, newSession(""))
	if err != nil && !errors.Is(err, fosite.ErrInactiveToken) {
		t.Fatal(err)
	}
	if got.GetRequestForm().Has("password") {
		t.Error("the password was stored with the token")
	}
}
