package refserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// seededDBTemplate is a database seeded once from fixtures.SeedYAML() (bcrypt cost 10 for ten
// secrets and passwords takes about half a second, too long to repeat per test). Each test
// server starts from its own copy of it. Set by TestMain, read-only afterwards.
var seededDBTemplate string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "refserver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "refserver tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "seeded.db")
	if err := seed.Template(context.Background(), path, fixtures.SeedYAML(), 10); err != nil {
		fmt.Fprintln(os.Stderr, "refserver tests:", err)
		return 1
	}
	seededDBTemplate = path
	return m.Run()
}

// Seeded test credentials (fixtures/refserver/seed.yaml).
const (
	testIssuer   = "http://127.0.0.1:9999"
	ccID         = "cc-client"
	ccSecret     = "cc-client-secret-0123456789"
	confID       = "conf-code"
	confSecret   = "conf-code-secret-0123456789"
	conf2ID      = "conf-code-2"
	conf2Secret  = "conf-code-2-secret-0123456789"
	ropcID       = "ropc-client"
	ropcSecret   = "ropc-client-secret-0123456789"
	publicID     = "public-pkce"
	callbackURI  = "http://127.0.0.1/callback"
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789"
)

// testEnv is one reference server over its own seeded database.
type testEnv struct {
	t    testing.TB
	srv  *Server
	st   *store.Store
	path string
	cfg  Config
}

// openSeededCopy opens a copy of the seeded template database in t.TempDir(), closed when
// the test ends, and returns it with its file's path.
func openSeededCopy(t testing.TB) (*store.Store, string) {
	t.Helper()
	if seededDBTemplate == "" {
		t.Fatal("the seeded template database is missing: TestMain did not run")
	}
	path := filepath.Join(t.TempDir(), "oauth.db")
	if err := seed.CopyDB(seededDBTemplate, path); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// newTestEnv opens a copy of the seeded database and builds the server on it.
func newTestEnv(t testing.TB, configure ...func(*Config)) *testEnv {
	t.Helper()
	st, path := openSeededCopy(t)
	cfg := Config{Issuer: testIssuer, GlobalSecret: []byte("0123456789abcdef0123456789abcdef-test")}
	for _, f := range configure {
		f(&cfg)
	}
	srv, err := newServer(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	srv.clientAuth.compare, srv.owners.compare = memoBcrypt, memoBcrypt
	return &testEnv{t: t, srv: srv, st: st, path: path, cfg: cfg}
}

// restart closes the store and builds a new server over the same database file and config,
// as a process restart would.
func (e *testEnv) restart() *testEnv {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	st, err := store.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	srv, err := newServer(e.cfg, st)
	if err != nil {
		e.t.Fatal(err)
	}
	srv.clientAuth.compare, srv.owners.compare = memoBcrypt, memoBcrypt
	return &testEnv{t: e.t, srv: srv, st: st, path: e.path, cfg: e.cfg}
}

// bcryptResults memoizes bcrypt comparisons across the test binary: the seeded secrets are
// cost 10, and under -race one check takes seconds. Each test server still runs its own
// verified-secret cache over this (clientauth_test.go tests the cache with real bcrypt).
var bcryptResults sync.Map // string(hash) + "\x00" + secret -> error

func memoBcrypt(hash, secret []byte) error {
	k := string(hash) + "\x00" + string(secret)
	if v, ok := bcryptResults.Load(k); ok {
		err, _ := v.(error)
		return err
	}
	err := bcrypt.CompareHashAndPassword(hash, secret)
	bcryptResults.Store(k, err)
	return err
}

// response is a recorded response with its JSON body decoded (when it is JSON).
type response struct {
	Status int
	Header http.Header
	Body   string
	JSON   map[string]any
}

func (r *response) str(k string) string {
	s, _ := r.JSON[k].(string)
	return s
}

func (r *response) String() string {
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}

// request describes one HTTP request to the server.
type request struct {
	Method      string
	Path        string
	Form        url.Values
	RawBody     string // used when Form is nil
	ContentType string // default application/x-www-form-urlencoded
	BasicID     string // HTTP Basic credentials when BasicID != ""
	BasicSecret string
	Header      http.Header
}

func (e *testEnv) do(rq request) *response {
	e.t.Helper()
	if rq.Method == "" {
		rq.Method = http.MethodPost
	}
	body := rq.RawBody
	if rq.Form != nil {
		body = rq.Form.Encode()
	}
	req := httptest.NewRequest(rq.Method, rq.Path, strings.NewReader(body))
	// Addressed to the issuer's host, as a client would (hostcheck.go refuses other hosts).
	issuer := testIssuer
	if e.cfg.Issuer != "" {
		issuer = e.cfg.Issuer
	}
	if u, err := url.Parse(issuer); err == nil {
		req.Host = u.Host
	}
	ct := rq.ContentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ct)
	if rq.BasicID != "" {
		req.SetBasicAuth(url.QueryEscape(rq.BasicID), url.QueryEscape(rq.BasicSecret))
	}
	for k, v := range rq.Header {
		req.Header[k] = v
	}
	if v := req.Header.Get("Host"); v != "" { // hostcheck_test.go
		req.Host = v
		req.Header.Del("Host")
	}
	if v := req.Header.Get(remoteHeader); v != "" { // guessing_test.go
		req.RemoteAddr = v
		req.Header.Del(remoteHeader)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	out := &response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &out.JSON); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %v: %s", rq.Method, rq.Path, err, b)
		}
	}
	return out
}

// token posts form to the token endpoint with HTTP Basic credentials (none if id is "").
func (e *testEnv) token(id, secret string, form url.Values) *response {
	e.t.Helper()
	return e.do(request{Path: PathToken, Form: form, BasicID: id, BasicSecret: secret})
}

// mustToken is token that fails the test unless the answer is 200.
func (e *testEnv) mustToken(id, secret string, form url.Values) *response {
	e.t.Helper()
	r := e.token(id, secret, form)
	if r.Status != http.StatusOK || r.str("access_token") == "" {
		e.t.Fatalf("token request %v: expected 200 with an access token, got %s", form, r)
	}
	return r
}

func (e *testEnv) introspect(id, secret, token string, extra ...string) *response {
	e.t.Helper()
	form := url.Values{"token": {token}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return e.do(request{Path: PathIntrospect, Form: form, BasicID: id, BasicSecret: secret})
}

// active reports whether the token introspects active for its client.
func (e *testEnv) active(id, secret, token string) bool {
	e.t.Helper()
	r := e.introspect(id, secret, token)
	if r.Status != http.StatusOK {
		e.t.Fatalf("introspection: expected 200, got %s", r)
	}
	a, ok := r.JSON["active"].(bool)
	if !ok {
		e.t.Fatalf("introspection: no boolean active member: %s", r)
	}
	return a
}

func (e *testEnv) revoke(id, secret, token string, extra ...string) *response {
	e.t.Helper()
	form := url.Values{"token": {token}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return e.do(request{Path: PathRevoke, Form: form, BasicID: id, BasicSecret: secret})
}

// s256 is the PKCE S256 challenge of verifier (RFC 7636 4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// issueCode obtains an authorization code for alice straight from fosite, as the
// authorization endpoint would after login and approval, granting every requested scope.
// challenge "" means no PKCE.
func (e *testEnv) issueCode(clientID, scope, challenge string) string {
	e.t.Helper()
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {clientID},
		"redirect_uri":  {callbackURI},
		"scope":         {scope},
		"state":         {"state-0123456789"},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	ctx := context.Background()
	req := httptest.NewRequest(http.MethodGet, PathAuthorize+"?"+q.Encode(), nil)
	ar, err := e.srv.provider.NewAuthorizeRequest(ctx, req)
	if err != nil {
		e.t.Fatalf("authorize request: %v", err)
	}
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	sess := NewSession("alice")
	sess.AuthTime = time.Now().UTC()
	resp, err := e.srv.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		e.t.Fatalf("authorize response: %v", err)
	}
	code := resp.GetCode()
	if code == "" {
		e.t.Fatal("no code issued")
	}
	return code
}

// exchange redeems code at the token endpoint for clientID (Basic auth unless secret is "").
func (e *testEnv) exchange(clientID, secret, code, verifier string) *response {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURI}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	if secret == "" {
		form.Set("client_id", clientID)
		return e.token("", "", form)
	}
	return e.token(clientID, secret, form)
}

// codeTokens runs the code grant for conf-code (alice, no PKCE) and returns the token response.
func (e *testEnv) codeTokens(scope string) *response {
	e.t.Helper()
	r := e.exchange(confID, confSecret, e.issueCode(confID, scope, ""), "")
	if r.Status != http.StatusOK || r.str("access_token") == "" {
		e.t.Fatalf("code exchange: expected 200 with tokens, got %s", r)
	}
	return r
}

// expectError fails unless r is status with a JSON error code.
func expectError(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.Status != status || r.str("error") != code {
		t.Fatalf("expected %d %s, got %s", status, code, r)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error response Content-Type: expected application/json, got %q", ct)
	}
}
