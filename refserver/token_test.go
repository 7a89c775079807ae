package refserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

func TestTokenEndpointIsPostOnly(t *testing.T) {
	e := newTestEnv(t)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		r := e.do(request{Method: m, Path: PathToken})
		expectError(t, r, http.StatusMethodNotAllowed, errInvalidRequest)
		if got := r.Header.Get("Allow"); got != "POST" {
			t.Errorf("%s: Allow: expected POST, got %q", m, got)
		}
	}
}

// RFC 6749 5.2: invalid_client is 401, and when the client used the Authorization header the
// response carries WWW-Authenticate with the scheme it used. fosite sends no challenge.
func TestInvalidClientIs401WithBasicChallenge(t *testing.T) {
	e := newTestEnv(t)
	cc := url.Values{"grant_type": {"client_credentials"}}
	cases := map[string]request{
		"wrong secret with Basic":   {Path: PathToken, Form: cc, BasicID: ccID, BasicSecret: "wrong-secret"},
		"unknown client with Basic": {Path: PathToken, Form: cc, BasicID: "no-such-client", BasicSecret: "x"},
		"empty secret with Basic":   {Path: PathToken, Form: cc, BasicID: ccID},
		"Bearer instead of Basic":   {Path: PathToken, Form: cc, Header: http.Header{"Authorization": {"Bearer abc"}}},
		"malformed Basic":           {Path: PathToken, Form: cc, Header: http.Header{"Authorization": {"Basic !!!"}}},
		"wrong secret in the body": {Path: PathToken, Form: url.Values{"grant_type": {"client_credentials"},
			"client_id": {ccID}, "client_secret": {"wrong"}}},
		"no client authentication": {Path: PathToken, Form: cc},
		"confidential client without secret in the body": {Path: PathToken, Form: url.Values{
			"grant_type": {"client_credentials"}, "client_id": {ccID}}},
	}
	for name, rq := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.do(rq)
			expectError(t, r, http.StatusUnauthorized, errInvalidClient)
			if ch := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, `Basic realm="`) {
				t.Errorf("WWW-Authenticate: expected a Basic challenge with a realm, got %q", ch)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control: expected no-store, got %q", r.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestClientSecretBasicAndPostBothWork(t *testing.T) {
	e := newTestEnv(t)
	e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}})
	r := e.do(request{Path: PathToken, Form: url.Values{"grant_type": {"client_credentials"},
		"client_id": {ccID}, "client_secret": {ccSecret}}})
	if r.Status != http.StatusOK {
		t.Fatalf("client_secret_post: expected 200, got %s", r)
	}
	// RFC 6749 2.3: "The client MUST NOT use more than one authentication method in each request."
	r = e.do(request{Path: PathToken, Form: url.Values{"grant_type": {"client_credentials"},
		"client_secret": {ccSecret}}, BasicID: ccID, BasicSecret: ccSecret})
	expectError(t, r, http.StatusBadRequest, errInvalidRequest)
}

// RFC 6749 2.3.1: the Basic user and password are form-urlencoded before base64.
func TestBasicCredentialsAreFormDecoded(t *testing.T) {
	e := newTestEnv(t)
	secret := "s3cret with space+plus:colon%"
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Client{ID: "odd:id", SecretHash: hash, GrantTypes: []string{store.GrantClientCredentials},
		Scopes: []string{"calc:read"}, TokenEndpointAuthMethod: authMethodBasic, Enabled: true}
	if err := e.st.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	r := e.token("odd:id", secret, url.Values{"grant_type": {"client_credentials"}})
	if r.Status != http.StatusOK {
		t.Fatalf("expected 200, got %s", r)
	}
}

// RFC 6749 5.2: an unknown grant type is unsupported_grant_type (fosite: invalid_request).
func TestUnsupportedGrantType(t *testing.T) {
	e := newTestEnv(t)
	for _, gt := range []string{"urn:ietf:params:oauth:grant-type:device_code", "implicit", "authorization_code refresh_token", "foo"} {
		r := e.token(ccID, ccSecret, url.Values{"grant_type": {gt}})
		expectError(t, r, http.StatusBadRequest, errUnsupportedGrantType)
	}
	r := e.token(ccID, ccSecret, url.Values{"scope": {"calc:read"}})
	expectError(t, r, http.StatusBadRequest, errInvalidRequest)
}

// RFC 6749 5.2 unauthorized_client; 4.4 and 4.3.2: client credentials and the password grant
// only for confidential clients.
func TestUnauthorizedClient(t *testing.T) {
	e := newTestEnv(t)
	r := e.token(confID, confSecret, url.Values{"grant_type": {"client_credentials"}})
	expectError(t, r, http.StatusBadRequest, errUnauthorizedClient)
	r = e.token(ccID, ccSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}})
	expectError(t, r, http.StatusBadRequest, errUnauthorizedClient)
	r = e.token(ccID, ccSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}})
	expectError(t, r, http.StatusBadRequest, errUnauthorizedClient)

	// A public client registered (wrongly) with these grants is still refused.
	pub := &store.Client{ID: "public-all", Public: true, TokenEndpointAuthMethod: authMethodNone,
		GrantTypes: []string{store.GrantClientCredentials, store.GrantPassword}, Scopes: []string{"calc:read"}, Enabled: true}
	if err := e.st.CreateClient(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	for _, form := range []url.Values{
		{"grant_type": {"client_credentials"}, "client_id": {"public-all"}},
		{"grant_type": {"password"}, "client_id": {"public-all"}, "username": {"alice"}, "password": {"alice-Secret-1"}},
	} {
		r := e.token("", "", form)
		expectError(t, r, http.StatusBadRequest, errUnauthorizedClient)
	}
}

// RFC 6749 5.1 headers and members; 3.3 default scope; 4.4.3 no refresh token.
func TestClientCredentialsResponse(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}})
	for h, want := range map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: expected %q, got %q", h, want, got)
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type: expected application/json, got %q", ct)
	}
	if !strings.EqualFold(r.str("token_type"), "bearer") {
		t.Errorf("token_type: expected bearer, got %q", r.str("token_type"))
	}
	if exp, ok := r.JSON["expires_in"].(float64); !ok || exp < 3500 || exp > 3600 {
		t.Errorf("expires_in: expected about 3600, got %v", r.JSON["expires_in"])
	}
	// The default scope: every scope associated with the client except offline_access.
	if got := r.str("scope"); got != "calc:read calc:write" {
		t.Errorf("scope: expected the client's scopes %q, got %q", "calc:read calc:write", got)
	}
	if _, ok := r.JSON["refresh_token"]; ok {
		t.Error("client credentials response carries a refresh token (RFC 6749 4.4.3)")
	}

	r = e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}})
	if got := r.str("scope"); got != "calc:read" {
		t.Errorf("scope: expected calc:read, got %q", got)
	}
	for _, sc := range []string{"admin:all", "no-such-scope", "calc:read offline_access"} {
		r = e.token(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {sc}})
		expectError(t, r, http.StatusBadRequest, errInvalidScope)
	}
}

// A client credentials client that also has offline_access and refresh_token still gets no
// refresh token (RFC 6749 4.4.3).
func TestClientCredentialsNeverIssuesRefreshToken(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustToken("short-lived", "short-lived-secret-0123456789",
		url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read offline_access"}})
	if _, ok := r.JSON["refresh_token"]; ok {
		t.Fatalf("refresh token issued for client credentials: %s", r)
	}
}

func TestPasswordGrant(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustToken(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}})
	if r.str("scope") != "calc:read calc:write" {
		t.Errorf("scope: expected the default %q, got %q", "calc:read calc:write", r.str("scope"))
	}
	if r.str("refresh_token") == "" {
		t.Errorf("expected a refresh token for a client with the refresh_token grant: %s", r)
	}
	in := e.introspect(ropcID, ropcSecret, r.str("access_token"))
	if in.str("sub") != "alice" || in.str("username") != "alice" {
		t.Errorf("introspection: expected sub and username alice, got %s", in)
	}
	// RFC 6749 5.2: invalid resource owner credentials are invalid_grant.
	for _, up := range [][2]string{{"alice", "wrong"}, {"nobody", "alice-Secret-1"}} {
		r := e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {up[0]}, "password": {up[1]}})
		expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	}
	r = e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}})
	expectError(t, r, http.StatusBadRequest, errInvalidRequest)
	r = e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}, "scope": {"admin:all"}})
	expectError(t, r, http.StatusBadRequest, errInvalidScope)
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(publicID, "calc:read offline_access", s256(testVerifier))
	r := e.exchange(publicID, "", code, testVerifier)
	if r.Status != http.StatusOK {
		t.Fatalf("expected 200, got %s", r)
	}
	if r.str("scope") != "calc:read offline_access" || r.str("refresh_token") == "" {
		t.Errorf("expected scope %q and a refresh token, got %s", "calc:read offline_access", r)
	}
}

// RFC 7636 4.6 / RFC 9700 2.1.1: a code issued with a challenge always needs its verifier.
// fosite v0.49.0 deleted the PKCE record on the first failed attempt, so a second attempt
// without a verifier succeeded.
func TestPKCEVerifierAlwaysRequired(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(confID, "calc:read", s256(testVerifier))
	for i := 0; i < 2; i++ {
		r := e.exchange(confID, confSecret, code, "")
		expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	}
	r := e.exchange(confID, confSecret, code, strings.Repeat("a", 43))
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	r = e.exchange(confID, confSecret, code, "")
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	r = e.exchange(confID, confSecret, code, testVerifier)
	if r.Status != http.StatusOK {
		t.Fatalf("with the right verifier: expected 200, got %s", r)
	}
}

// RFC 9700 4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade attempt.
func TestPKCEVerifierWithoutChallengeRefused(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(confID, "calc:read", "")
	r := e.exchange(confID, confSecret, code, testVerifier)
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
}

// RFC 7636 4.1: code_verifier = 43*128unreserved.
func TestPKCEVerifierSyntax(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(confID, "calc:read", s256(testVerifier))
	for _, v := range []string{strings.Repeat("a", 42), strings.Repeat("a", 129), strings.Repeat("a", 42) + "!", strings.Repeat("é", 43)} {
		r := e.exchange(confID, confSecret, code, v)
		expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	}
	if r := e.exchange(confID, confSecret, code, testVerifier); r.Status != http.StatusOK {
		t.Fatalf("expected 200 after the malformed attempts, got %s", r)
	}
}

// RFC 6749 4.1.2 / 10.5: a reused code is refused and the tokens issued from it are revoked.
func TestAuthorizationCodeReuseRevokesTokens(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(confID, "calc:read offline_access", "")
	first := e.exchange(confID, confSecret, code, "")
	if first.Status != http.StatusOK {
		t.Fatalf("first exchange: expected 200, got %s", first)
	}
	if !e.active(confID, confSecret, first.str("access_token")) {
		t.Fatal("access token inactive right after issue")
	}
	r := e.exchange(confID, confSecret, code, "")
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	if e.active(confID, confSecret, first.str("access_token")) {
		t.Error("access token from the reused code is still active")
	}
	r = e.token(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}})
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
}

// RFC 6749 4.1.3: a code is bound to its client.
func TestAuthorizationCodeBoundToClient(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(confID, "calc:read", "")
	r := e.exchange(conf2ID, conf2Secret, code, "")
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
}

// RFC 9700 4.14.2: refresh tokens rotate; reuse of a rotated one revokes the whole family.
func TestRefreshRotationAndReuseDetection(t *testing.T) {
	e := newTestEnv(t)
	first := e.codeTokens("calc:read offline_access")
	rt1 := first.str("refresh_token")
	second := e.mustToken(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	rt2 := second.str("refresh_token")
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("expected a new refresh token, got %q", rt2)
	}
	if !e.active(confID, confSecret, second.str("access_token")) {
		t.Fatal("new access token inactive")
	}
	r := e.token(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	r = e.token(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}})
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	if e.active(confID, confSecret, second.str("access_token")) {
		t.Error("access token of the family is still active after refresh token reuse")
	}
}

// A refresh token is bound to its client (RFC 6749 6, 10.4).
func TestRefreshTokenBoundToClient(t *testing.T) {
	e := newTestEnv(t)
	rt := e.codeTokens("calc:read offline_access").str("refresh_token")
	r := e.token(conf2ID, conf2Secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	expectError(t, r, http.StatusBadRequest, errInvalidGrant)
}

// RFC 6749 6: the scope may narrow; widening is invalid_scope; omitted means the original;
// the new refresh token keeps the original scope. fosite ignores scope on refresh.
func TestRefreshScope(t *testing.T) {
	e := newTestEnv(t)
	code := e.issueCode(confID, "calc:read calc:write offline_access", "")
	first := e.exchange(confID, confSecret, code, "")
	if first.Status != http.StatusOK {
		t.Fatalf("exchange: %s", first)
	}
	rt := first.str("refresh_token")

	wide := e.token(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"calc:read admin:all"}})
	expectError(t, wide, http.StatusBadRequest, errInvalidScope)

	narrow := e.mustToken(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"calc:read"}})
	if narrow.str("scope") != "calc:read" {
		t.Errorf("narrowed refresh: expected scope calc:read, got %q", narrow.str("scope"))
	}
	if in := e.introspect(confID, confSecret, narrow.str("access_token")); in.str("scope") != "calc:read" {
		t.Errorf("narrowed access token introspects with scope %q", in.str("scope"))
	}
	rt2 := narrow.str("refresh_token")
	if in := e.introspect(confID, confSecret, rt2, "token_type_hint", "refresh_token"); in.str("scope") != "calc:read calc:write offline_access" {
		t.Errorf("new refresh token: expected the original scope, got %s", in)
	}
	again := e.mustToken(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}})
	if again.str("scope") != "calc:read calc:write offline_access" {
		t.Errorf("refresh without scope: expected the original scope, got %q", again.str("scope"))
	}
}

// RFC 6749 3.2: repeated parameters, empty values, unknown parameters; and the request
// format checks.
func TestTokenRequestFormat(t *testing.T) {
	e := newTestEnv(t)
	basic := func(body string) request {
		return request{Path: PathToken, RawBody: body, BasicID: ccID, BasicSecret: ccSecret}
	}
	bad := map[string]request{
		"repeated grant_type": basic("grant_type=client_credentials&grant_type=client_credentials"),
		"repeated scope":      basic("grant_type=client_credentials&scope=calc:read&scope=calc:write"),
		"invalid UTF-8":       basic("grant_type=client_credentials&scope=%ff%fe"),
		"bad escape":          basic("grant_type=client_credentials&scope=%zz"),
		"body over 64 KiB":    basic("grant_type=client_credentials&x=" + strings.Repeat("a", 70<<10)),
		"JSON body": {Path: PathToken, RawBody: `{"grant_type":"client_credentials"}`, ContentType: "application/json",
			BasicID: ccID, BasicSecret: ccSecret},
		"latin1 charset": {Path: PathToken, RawBody: "grant_type=client_credentials", ContentType: "application/x-www-form-urlencoded; charset=ISO-8859-1",
			BasicID: ccID, BasicSecret: ccSecret},
		"secret in the query": {Path: PathToken + "?client_id=" + ccID + "&client_secret=" + ccSecret, RawBody: "grant_type=client_credentials"},
		"empty body":          basic(""),
	}
	for name, rq := range bad {
		t.Run(name, func(t *testing.T) {
			expectError(t, e.do(rq), http.StatusBadRequest, errInvalidRequest)
		})
	}
	// An empty value is as if omitted: scope= gives the default scope; unknown parameters are ignored.
	r := e.do(basic("grant_type=client_credentials&scope=&foo=bar&unknown_param=1"))
	if r.Status != http.StatusOK || r.str("scope") != "calc:read calc:write" {
		t.Fatalf("empty scope and unknown parameters: expected 200 with the default scope, got %s", r)
	}
	r = e.do(request{Path: PathToken, RawBody: "grant_type=client_credentials", ContentType: "application/x-www-form-urlencoded; charset=utf-8",
		BasicID: ccID, BasicSecret: ccSecret})
	if r.Status != http.StatusOK {
		t.Fatalf("charset=utf-8: expected 200, got %s", r)
	}
}

// Everything survives a restart with the same global secret: an active token stays active, a
// revoked one stays revoked, a used code stays used, a refresh token still refreshes.
func TestTokensSurviveRestart(t *testing.T) {
	e := newTestEnv(t)
	active := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	revoked := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	if r := e.revoke(ccID, ccSecret, revoked); r.Status != http.StatusOK {
		t.Fatalf("revoke: %s", r)
	}
	code := e.issueCode(confID, "calc:read offline_access", "")
	tokens := e.exchange(confID, confSecret, code, "")
	if tokens.Status != http.StatusOK {
		t.Fatalf("exchange: %s", tokens)
	}

	e2 := e.restart()
	if !e2.active(ccID, ccSecret, active) {
		t.Error("an active token is inactive after the restart")
	}
	if e2.active(ccID, ccSecret, revoked) {
		t.Error("a revoked token is active after the restart")
	}
	expectError(t, e2.exchange(confID, confSecret, code, ""), http.StatusBadRequest, errInvalidGrant)
	// The reuse above revoked the grant's tokens (RFC 6749 4.1.2), after the restart too.
	if e2.active(confID, confSecret, tokens.str("access_token")) {
		t.Error("the access token of a reused code is still active")
	}
}

func TestRefreshTokenSurvivesRestart(t *testing.T) {
	e := newTestEnv(t)
	rt := e.codeTokens("calc:read offline_access").str("refresh_token")
	e2 := e.restart()
	e2.mustToken(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}
