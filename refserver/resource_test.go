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

const (
	ccDeniedID     = "cc-denied"
	ccDeniedSecret = "cc-denied-secret-0123456789"
	bareChallenge  = `Bearer realm="oauthconf"`
)

// ccToken gets a client-credentials access token with scope for id.
func (e *testEnv) ccToken(id, secret, scope string) string {
	e.t.Helper()
	return e.mustToken(id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}).str("access_token")
}

// passwordToken gets a password-grant access token of ropc-client for username.
func (e *testEnv) passwordToken(username, password, scope string) *response {
	e.t.Helper()
	return e.mustToken(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {username},
		"password": {password}, "scope": {scope}})
}

// bearer calls the resource server with token in the Authorization header ("" sends none).
func (e *testEnv) bearer(method, target, token string) *response {
	e.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return e.do(request{Method: method, Path: target, Header: h})
}

// challengeParams parses the Bearer challenge of r (failing the test without one).
func challengeParams(t *testing.T, r *response) map[string]string {
	t.Helper()
	v := r.Header.Values("WWW-Authenticate")
	if len(v) != 1 || !strings.HasPrefix(v[0], "Bearer ") {
		t.Fatalf("expected one WWW-Authenticate: Bearer challenge, got %q (%s)", v, r)
	}
	params := map[string]string{}
	rest := strings.TrimPrefix(v[0], "Bearer ")
	for rest != "" {
		k, after, _ := strings.Cut(strings.TrimLeft(rest, ", "), `="`)
		val, tail, ok := strings.Cut(after, `"`)
		if !ok {
			t.Fatalf("malformed challenge %q", v[0])
		}
		params[k] = val
		rest = tail
	}
	return params
}

func expectBearerError(t *testing.T, r *response, status int, code string) map[string]string {
	t.Helper()
	if r.Status != status {
		t.Fatalf("expected %d, got %s", status, r)
	}
	p := challengeParams(t, r)
	if p["realm"] != bearerRealm || p["error"] != code {
		t.Fatalf("challenge %q: expected realm %q and error %q", r.Header.Get("WWW-Authenticate"), bearerRealm, code)
	}
	if r.str("error") != code {
		t.Fatalf("body error: expected %q, got %s", code, r)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
	}
	return p
}

func TestCalculatorAllowsClientInAllowedGroup(t *testing.T) {
	e := newTestEnv(t)
	tok := e.ccToken(ccID, ccSecret, "calc:write calc:read")

	r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=2&b=3", tok)
	if r.Status != http.StatusOK || r.JSON["result"] != 5.0 || r.str("op") != "add" {
		t.Fatalf("GET add: %s", r)
	}
	// POST with JSON, and with a form body (token in the header).
	r = e.do(request{Method: http.MethodPost, Path: PathCalculate, RawBody: `{"op":"multiply","a":4,"b":2.5}`,
		ContentType: "application/json", Header: http.Header{"Authorization": {"Bearer " + tok}}})
	if r.Status != http.StatusOK || r.JSON["result"] != 10.0 {
		t.Fatalf("POST JSON multiply: %s", r)
	}
	r = e.do(request{Method: http.MethodPost, Path: PathCalculate, Form: url.Values{"op": {"subtract"}, "a": {"1"}, "b": {"3"}},
		Header: http.Header{"Authorization": {"Bearer " + tok}}})
	if r.Status != http.StatusOK || r.JSON["result"] != -2.0 {
		t.Fatalf("POST form subtract: %s", r)
	}

	// The history is the caller's own, newest first.
	r = e.bearer(http.MethodGet, PathHistory, tok)
	calcs, _ := r.JSON["calculations"].([]any)
	if r.Status != http.StatusOK || len(calcs) != 3 {
		t.Fatalf("history: %s", r)
	}
	if first, _ := calcs[0].(map[string]any); first["op"] != "subtract" || first["client_id"] != ccID {
		t.Errorf("newest calculation = %v", calcs[0])
	}
	alice := e.passwordToken("alice", "alice-Secret-1", "calc:read").str("access_token")
	r = e.bearer(http.MethodGet, PathHistory, alice)
	if calcs, _ := r.JSON["calculations"].([]any); r.Status != http.StatusOK || calcs == nil || len(calcs) != 0 {
		t.Errorf("alice's history shows another principal's calculations: %s", r)
	}
}

func TestCalculatorACL(t *testing.T) {
	e := newTestEnv(t)
	// cc-denied's service user is in no allowed group: token yes, answer no.
	denied := e.ccToken(ccDeniedID, ccDeniedSecret, "calc:write")
	r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", denied)
	if r.Status != http.StatusForbidden || r.str("error") != errAccessDenied || !strings.Contains(r.str("error_description"), "calc-acl") {
		t.Fatalf("cc-denied: expected 403 access_denied naming the ACL, got %s", r)
	}
	if got := r.Header.Get("WWW-Authenticate"); got != bareChallenge {
		t.Errorf("ACL refusal challenge = %q, want %q (no RFC 6750 code fits)", got, bareChallenge)
	}
	// A caller without access learns nothing about its input: 403 before 400.
	if r := e.bearer(http.MethodGet, PathCalculate+"?op=pow&a=x", denied); r.Status != http.StatusForbidden {
		t.Errorf("cc-denied with bad input: expected 403, got %s", r)
	}

	// Password grant: the token acts as the resource owner.
	alice := e.passwordToken("alice", "alice-Secret-1", "calc:write").str("access_token")
	if r := e.bearer(http.MethodGet, PathCalculate+"?op=divide&a=1&b=4", alice); r.Status != http.StatusOK || r.JSON["result"] != 0.25 {
		t.Errorf("alice: %s", r)
	}
	bob := e.passwordToken("bob", "bob-Secret-2", "calc:write").str("access_token")
	if r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", bob); r.Status != http.StatusForbidden || r.str("error") != errAccessDenied {
		t.Errorf("bob (in no allowed group): expected 403 access_denied, got %s", r)
	}
	// Code grant: alice again.
	code := e.codeTokens("calc:write").str("access_token")
	if r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", code); r.Status != http.StatusOK {
		t.Errorf("code token of alice: %s", r)
	}

	// Deny wins: put alice in the denied group.
	ctx := context.Background()
	if err := e.st.AddGroupMember(ctx, "nobody", "alice"); err != nil {
		t.Fatal(err)
	}
	if r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", alice); r.Status != http.StatusForbidden ||
		!strings.Contains(r.str("error_description"), "denies") {
		t.Errorf("alice in a denied group: expected 403, got %s", r)
	}
}

func TestCalculatorScope(t *testing.T) {
	e := newTestEnv(t)
	read := e.ccToken(ccID, ccSecret, "calc:read")
	r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", read)
	p := expectBearerError(t, r, http.StatusForbidden, errInsufficientScope)
	if p["scope"] != "calc:write" || r.str("scope") != "calc:write" {
		t.Errorf("insufficient_scope names scope %q (body %q), want calc:write", p["scope"], r.str("scope"))
	}
	// calc:read opens the history (GET only).
	if r := e.bearer(http.MethodGet, PathHistory, read); r.Status != http.StatusOK {
		t.Errorf("history with calc:read: %s", r)
	}
	write := e.ccToken(ccID, ccSecret, "calc:write")
	p = expectBearerError(t, e.bearer(http.MethodGet, PathHistory, write), http.StatusForbidden, errInsufficientScope)
	if p["scope"] != "calc:read" {
		t.Errorf("history scope = %q", p["scope"])
	}
	r = e.bearer(http.MethodPost, PathHistory, write)
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET" {
		t.Errorf("POST history: expected 405 Allow: GET, got %s %v", r, r.Header)
	}

	// A scope that opens only one service opens that operation and no other.
	ctx := context.Background()
	if err := e.st.PutScope(ctx, &store.Scope{Name: "calc:add", Description: "Add only"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddScopeResource(ctx, "calc:add", store.Resource{Kind: store.ResourceService, Name: "calc.services:add"}); err != nil {
		t.Fatal(err)
	}
	// z-calc opens the whole folder; the adder may ask for it (but will not).
	if err := e.st.PutScope(ctx, &store.Scope{Name: "z-calc"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddScopeResource(ctx, "z-calc", store.Resource{Kind: store.ResourceFolder, Name: CalculatorFolder}); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("adder-secret"), bcrypt.MinCost)
	if err := e.st.CreateClient(ctx, &store.Client{ID: "adder", SecretHash: hash, GrantTypes: []string{store.GrantClientCredentials},
		Scopes: []string{"calc:add", "z-calc"}, TokenEndpointAuthMethod: "client_secret_basic", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddGroupMember(ctx, "calculator-users", "client:adder"); err != nil {
		t.Fatal(err)
	}
	adder := e.ccToken("adder", "adder-secret", "calc:add")
	if r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=2", adder); r.Status != http.StatusOK {
		t.Errorf("calc:add adding: %s", r)
	}
	r = e.bearer(http.MethodGet, PathCalculate+"?op=divide&a=1&b=2", adder)
	p = expectBearerError(t, r, http.StatusForbidden, errInsufficientScope)
	// calc:write and z-calc both open it: the challenge names one, the one this client may
	// ask for; the description names both.
	if p["scope"] != "z-calc" || !strings.Contains(r.str("error_description"), "calc:write or z-calc") {
		t.Errorf("divide: challenge scope %q, description %q; want z-calc, and both named", p["scope"], r.str("error_description"))
	}

	// The token endpoint: a client may ask only for its associated scopes (fosite's
	// ExactScopeStrategy, RFC 6749 3.3).
	expectError(t, e.token(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"admin:all"}}),
		http.StatusBadRequest, errInvalidScope)
	expectError(t, e.token("adder", "adder-secret", url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:write"}}),
		http.StatusBadRequest, errInvalidScope)
}

func TestBearerTokenErrors(t *testing.T) {
	e := newTestEnv(t)
	tok := e.ccToken(ccID, ccSecret, "calc:write")
	calc := PathCalculate + "?op=add&a=1&b=1"

	// RFC 6750 3.1: no credentials, a bare challenge.
	for _, h := range []http.Header{{}, {"Authorization": {"Basic " + "Y2MtY2xpZW50OnNlY3JldA=="}}} {
		r := e.do(request{Method: http.MethodGet, Path: calc, Header: h})
		if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != bareChallenge || r.str("error") != "" {
			t.Errorf("no bearer credentials (%v): expected 401 with %q and no error code, got %s %v", h, bareChallenge, r, r.Header)
		}
	}
	// The scheme is case-insensitive.
	if r := e.do(request{Method: http.MethodGet, Path: calc, Header: http.Header{"Authorization": {"bEaReR " + tok}}}); r.Status != http.StatusOK {
		t.Errorf("scheme bEaReR: %s", r)
	}
	// Unknown, malformed and refresh tokens are invalid_token.
	expectBearerError(t, e.bearer(http.MethodGet, calc, "no-such-token"), http.StatusUnauthorized, errInvalidToken)
	expectBearerError(t, e.bearer(http.MethodGet, calc, tok+"x"), http.StatusUnauthorized, errInvalidToken)
	rt := e.passwordToken("alice", "alice-Secret-1", "calc:write offline_access").str("refresh_token")
	if rt == "" {
		t.Fatal("no refresh token for ropc-client")
	}
	expectBearerError(t, e.bearer(http.MethodGet, calc, rt), http.StatusUnauthorized, errInvalidToken)
	expectBearerError(t, e.bearer(http.MethodGet, calc, "bad token"), http.StatusBadRequest, errInvalidRequest)

	// Revoked: introspected in process, so it stops at once.
	revoked := e.ccToken(ccID, ccSecret, "calc:write")
	if r := e.bearer(http.MethodGet, calc, revoked); r.Status != http.StatusOK {
		t.Fatalf("before revocation: %s", r)
	}
	if r := e.revoke(ccID, ccSecret, revoked); r.Status != http.StatusOK {
		t.Fatalf("revoke: %s", r)
	}
	expectBearerError(t, e.bearer(http.MethodGet, calc, revoked), http.StatusUnauthorized, errInvalidToken)

	// A disabled client's tokens stop working.
	ctx := context.Background()
	dis := e.ccToken(ccID, ccSecret, "calc:write")
	c, err := e.st.LookupClient(ctx, ccID)
	if err != nil {
		t.Fatal(err)
	}
	c.Enabled = false
	if err := e.st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	expectBearerError(t, e.bearer(http.MethodGet, calc, dis), http.StatusUnauthorized, errInvalidToken)
}

func TestBearerTokenPlacement(t *testing.T) {
	e := newTestEnv(t)
	tok := e.ccToken(ccID, ccSecret, "calc:write")
	auth := http.Header{"Authorization": {"Bearer " + tok}}

	// RFC 6750 2.3 is refused: the token in the query, even with a good header.
	for _, h := range []http.Header{nil, auth} {
		r := e.do(request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=1&b=1&access_token=" + tok, Header: h})
		p := expectBearerError(t, r, http.StatusBadRequest, errInvalidRequest)
		if !strings.Contains(p["error_description"], "query") {
			t.Errorf("query token refusal does not say why: %q", p["error_description"])
		}
	}

	// RFC 6750 2.2: a form-encoded POST body may carry it, operands in the body or the query.
	r := e.do(request{Method: http.MethodPost, Path: PathCalculate, Form: url.Values{"access_token": {tok}, "op": {"add"}, "a": {"20"}, "b": {"22"}}})
	if r.Status != http.StatusOK || r.JSON["result"] != 42.0 {
		t.Fatalf("form-body token: %s", r)
	}
	r = e.do(request{Method: http.MethodPost, Path: PathCalculate + "?op=add&a=1&b=2", Form: url.Values{"access_token": {tok}}})
	if r.Status != http.StatusOK || r.JSON["result"] != 3.0 {
		t.Fatalf("form-body token, operands in the query: %s", r)
	}
	// ... but not in another content type, nor a GET body: then there are no credentials.
	for _, rq := range []request{
		{Method: http.MethodPost, Path: PathCalculate, RawBody: "access_token=" + tok, ContentType: "text/plain"},
		{Method: http.MethodPost, Path: PathCalculate, RawBody: `{"access_token":"` + tok + `"}`, ContentType: "application/json"},
		{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=1&b=1", RawBody: "access_token=" + tok},
	} {
		if r := e.do(rq); r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != bareChallenge {
			t.Errorf("%s %s (%s): expected 401 with a bare challenge, got %s", rq.Method, rq.Path, rq.ContentType, r)
		}
	}
	// Two methods at once, a repeated token, two headers, a non-ASCII form: invalid_request.
	for name, rq := range map[string]request{
		"header and body": {Method: http.MethodPost, Path: PathCalculate, Form: url.Values{"access_token": {tok}, "op": {"add"}, "a": {"1"}, "b": {"1"}}, Header: auth},
		"repeated":        {Method: http.MethodPost, Path: PathCalculate, Form: url.Values{"access_token": {tok, tok}}},
		"two headers":     {Method: http.MethodGet, Path: PathCalculate, Header: http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}},
		"non-ASCII body":  {Method: http.MethodPost, Path: PathCalculate, RawBody: "access_token=" + tok + "&op=add\xc3\xa9"},
	} {
		expectBearerError(t, e.do(rq), http.StatusBadRequest, errInvalidRequest)
		_ = name
	}
	if r := e.do(request{Method: http.MethodPut, Path: PathCalculate, Header: auth}); r.Status != http.StatusMethodNotAllowed ||
		r.Header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT: expected 405 with Allow, got %s %v", r, r.Header)
	}
}

func TestCalculatorInput(t *testing.T) {
	e := newTestEnv(t)
	tok := e.ccToken(ccID, ccSecret, "calc:write")
	auth := http.Header{"Authorization": {"Bearer " + tok}}

	r := e.bearer(http.MethodGet, PathCalculate+"?op=divide&a=1&b=0", tok)
	if r.Status != http.StatusBadRequest || r.str("error") != "division_by_zero" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("division by zero: expected 400 division_by_zero JSON, got %s", r)
	}
	for _, c := range []struct {
		name string
		rq   request
		want string // in error_description
	}{
		{"unknown op", request{Method: http.MethodGet, Path: PathCalculate + "?op=pow&a=1&b=2"}, "op must be"},
		{"missing b", request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=1"}, "b is required"},
		{"not a number", request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=x&b=1"}, "a must be a finite number"},
		{"NaN", request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=NaN&b=1"}, "a must be a finite number"},
		{"repeated", request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=1&a=2&b=1"}, "repeated"},
		{"query and body", request{Method: http.MethodPost, Path: PathCalculate + "?a=1", Form: url.Values{"op": {"add"}, "a": {"2"}, "b": {"1"}}}, "both"},
		{"bad JSON", request{Method: http.MethodPost, Path: PathCalculate, RawBody: `{"op":"add","a":"1","b":2}`, ContentType: "application/json"}, "JSON number"},
		{"unknown JSON field", request{Method: http.MethodPost, Path: PathCalculate, RawBody: `{"op":"add","a":1,"b":2,"c":3}`, ContentType: "application/json"}, "unknown field"},
	} {
		c.rq.Header = auth
		r := e.do(c.rq)
		if r.Status != http.StatusBadRequest || r.str("error") != errInvalidRequest || !strings.Contains(r.str("error_description"), c.want) {
			t.Errorf("%s: expected 400 invalid_request mentioning %q, got %s", c.name, c.want, r)
		}
	}
	r = e.do(request{Method: http.MethodPost, Path: PathCalculate, RawBody: "op add", ContentType: "text/plain", Header: auth})
	if r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: expected 415, got %s", r)
	}
	r = e.bearer(http.MethodGet, PathCalculate+"?op=multiply&a=1e308&b=10", tok)
	if r.Status != http.StatusBadRequest || r.str("error") != "result_out_of_range" {
		t.Errorf("overflow: expected 400 result_out_of_range, got %s", r)
	}
	if r := e.bearer(http.MethodGet, PathHistory+"?limit=0", e.ccToken(ccID, ccSecret, "calc:read")); r.Status != http.StatusBadRequest {
		t.Errorf("history limit=0: %s", r)
	}
}

// TestClientIDUserConfusion is RFC 9700 4.15: a user named like a client id does not act as
// that client's service user, and a client named like a user does not act as that user.
func TestClientIDUserConfusion(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("Imposter-Secret-1"), bcrypt.MinCost)
	calc := PathCalculate + "?op=add&a=1&b=1"

	// A user "cc-client": the service user client:cc-client is in calculator-users, this user
	// is not, so its password-grant token is refused.
	if err := e.st.CreateUser(ctx, &store.User{Username: ccID, PasswordHash: hash, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	tok := e.passwordToken(ccID, "Imposter-Secret-1", "calc:write").str("access_token")
	if r := e.bearer(http.MethodGet, calc, tok); r.Status != http.StatusForbidden || r.str("error") != errAccessDenied {
		t.Errorf("user named like cc-client: expected 403 access_denied, got %s", r)
	}
	// And no user can take the service user's own name.
	if err := e.st.CreateUser(ctx, &store.User{Username: store.ServiceUserPrincipal(ccID), PasswordHash: hash, Enabled: true}); err == nil {
		t.Error("a user named client:cc-client was created")
	}

	// A client "alice" allowed client_credentials: its token acts as client:alice, not as the
	// user alice (who is in calculator-users).
	if err := e.st.CreateClient(ctx, &store.Client{ID: "alice", SecretHash: hash, GrantTypes: []string{store.GrantClientCredentials},
		Scopes: []string{"calc:write"}, TokenEndpointAuthMethod: "client_secret_basic", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	tok = e.ccToken("alice", "Imposter-Secret-1", "calc:write")
	if r := e.bearer(http.MethodGet, calc, tok); r.Status != http.StatusForbidden || r.str("error") != errAccessDenied {
		t.Errorf("client named alice: expected 403 access_denied, got %s", r)
	}
	// The real alice still gets her answer.
	alice := e.passwordToken("alice", "alice-Secret-1", "calc:write").str("access_token")
	if r := e.bearer(http.MethodGet, calc, alice); r.Status != http.StatusOK {
		t.Errorf("alice: %s", r)
	}
}

// A store failure is the server's fault, not the token's: 500, never 401 invalid_token.
func TestBearerStoreFailureIsServerError(t *testing.T) {
	e := newTestEnv(t)
	tok := e.ccToken(ccID, ccSecret, "calc:write")
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.bearer(http.MethodGet, PathCalculate+"?op=add&a=1&b=1", tok)
	if r.Status != http.StatusInternalServerError || r.str("error") != errServerError {
		t.Fatalf("closed store: expected 500 server_error, got %s", r)
	}
}
