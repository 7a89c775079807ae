package refserver

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Tests of the defences against guessing (guessing.go, refserver/throttle): RFC 6749 2.3.1 and
// 4.3.2 "MUST protect the endpoint against brute force attacks".

var ccForm = url.Values{"grant_type": {"client_credentials"}}

// cheapPasswords gives alice, bob and the administrator their seeded passwords hashed at
// bcrypt's minimum cost: these tests make dozens of real comparisons (the admin check does not
// go through memoBcrypt, nor does a server a test builds itself), which at cost 10 take seconds
// on a loaded machine.
func cheapPasswords(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	for user, pw := range map[string]string{"alice": "alice-Secret-1", "bob": "bob-Secret-2"} {
		h, _ := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err := st.UpdateUser(ctx, &store.User{Username: user, PasswordHash: h, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("admin-Secret-0123456789"), bcrypt.MinCost)
	if err := st.PutAdmin(ctx, "admin", h); err != nil {
		t.Fatal(err)
	}
}

// guessAt sends wrong secrets for id until one is throttled, at most max; it returns how
// many were answered as plain failures before, and the throttled answer (nil if none).
func guessSecrets(t *testing.T, e *testEnv, id string, max int) (plain int, throttled *response) {
	t.Helper()
	for i := 0; i < max; i++ {
		r := e.token(id, "wrong-secret", ccForm) // one value: memoBcrypt pays for it once
		if r.Status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
			t.Fatalf("wrong secret %d: expected 401 invalid_client, got %s", i+1, r)
		}
		if r.Header.Get("Retry-After") != "" {
			return plain, r
		}
		plain++
	}
	return plain, nil
}

func TestGuessingClientSecretsIsThrottled(t *testing.T) {
	e, buf := newAuditEnv(t)
	plain, thr := guessSecrets(t, e, ccID, 50)
	if thr == nil {
		t.Fatal("50 wrong secrets in a row for one client: none was throttled")
	}
	if plain != 20 {
		t.Errorf("expected the throttle after 20 failures (the default AccountFailures), got %d", plain)
	}
	// RFC 6749 5.2: invalid_client, 401 with the challenge; plus Retry-After in seconds.
	if thr.Header.Get("WWW-Authenticate") == "" || thr.Header.Get("Retry-After") != "1" {
		t.Errorf("throttled answer: expected WWW-Authenticate and Retry-After: 1, got %v", thr.Header)
	}
	// Answered unchecked: even the right secret, never verified before, is refused now.
	if r := e.token(ccID, ccSecret, ccForm); r.Status != http.StatusUnauthorized || r.Header.Get("Retry-After") == "" {
		t.Errorf("the right secret while throttled (never verified): expected a throttled 401, got %s", r)
	}
	// The audit log has the throttled event, with the client and never a secret.
	lines := find(buf.lines(t), "throttled", "denied")
	if len(lines) == 0 {
		t.Fatalf("no throttled event in the audit log:\n%s", buf.String())
	}
	if l := lines[0]; l.s("client_id") != ccID || l.s("limit") != "account" || l["retry_after_s"] == nil {
		t.Errorf("throttled event: expected client_id %s, limit account and retry_after_s, got %v", ccID, l)
	}
	if strings.Contains(buf.String(), "wrong-secret") || strings.Contains(buf.String(), ccSecret) {
		t.Error("the audit log holds a secret")
	}

	// Once the delay has passed, the right secret works, and clears the count.
	later := time.Now().Add(time.Hour)
	e.srv.limiter.SetClock(func() time.Time { return later })
	e.mustToken(ccID, ccSecret, ccForm)
}

func TestRememberedSecretPassesWhileThrottled(t *testing.T) {
	e := newTestEnv(t)
	e.mustToken(ccID, ccSecret, ccForm) // verified and remembered
	if _, thr := guessSecrets(t, e, ccID, 50); thr == nil {
		t.Fatal("50 wrong secrets: not throttled")
	}
	// The attacker cannot lock out the client that is using its secret...
	e.mustToken(ccID, ccSecret, ccForm)
	// ...and its success does not lift the attacker's throttle.
	if r := e.token(ccID, "another-wrong-secret", ccForm); r.Header.Get("Retry-After") == "" {
		t.Errorf("a wrong secret after the client's success: expected still throttled, got %s", r)
	}
}

// The conformance suite sends wrong secrets and passwords on purpose, many in a run and
// concurrently, from 127.0.0.1, with successes in between: it must get the RFC's plain answers.
func TestConformanceRunDoesNotTripTheThrottle(t *testing.T) {
	e := newTestEnv(t)
	cheapPasswords(t, e.st)
	loopback := func(rq request) *response { return e.doFrom("127.0.0.1:40000", rq) }
	for round := 0; round < 10; round++ {
		for i := 0; i < 15; i++ {
			if r := loopback(request{Path: PathToken, Form: ccForm, BasicID: ccID, BasicSecret: "wrong"}); r.Header.Get("Retry-After") != "" {
				t.Fatalf("round %d, wrong secret %d: throttled: %s", round, i, r)
			}
			r := loopback(request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret, Form: url.Values{
				"grant_type": {"password"}, "username": {"bob"}, "password": {"wrong"}}})
			if r.Status != http.StatusBadRequest || r.str("error") != "invalid_grant" || r.Header.Get("Retry-After") != "" {
				t.Fatalf("round %d, wrong password %d: expected a plain 400 invalid_grant, got %s", round, i, r)
			}
		}
		// A success between the rounds clears the account's count.
		if r := loopback(request{Path: PathToken, Form: ccForm, BasicID: ccID, BasicSecret: ccSecret}); r.Status != http.StatusOK {
			t.Fatalf("round %d: the right secret: %s", round, r)
		}
		if r := loopback(request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret, Form: url.Values{
			"grant_type": {"password"}, "username": {"bob"}, "password": {"bob-Secret-2"}}}); r.Status != http.StatusOK {
			t.Fatalf("round %d: the right password: %s", round, r)
		}
	}
	// Many accounts from the loopback address: not throttled as an address (a local proxy
	// makes every client 127.0.0.1).
	for i := 0; i < 150; i++ {
		if r := loopback(request{Path: PathToken, Form: ccForm, BasicID: "no-such-client-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), BasicSecret: "x"}); r.Header.Get("Retry-After") != "" {
			t.Fatalf("unknown client %d from 127.0.0.1: throttled: %s", i, r)
		}
	}
}

// Issue 16 item 3: made-up client ids from one address share one bucket (20 failures), and do
// not count against the address over all clients: 100 of them through one address (a proxy)
// used to lock out every client.
func TestMadeUpClientIDsShareOneBucket(t *testing.T) {
	e := newTestEnv(t)
	// httptest's requests come from 192.0.2.1: one address trying many made-up ids.
	var thr *response
	for i := 0; i < 100 && thr == nil; i++ {
		r := e.token("sprayed-client-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "guess", ccForm)
		if r.Header.Get("Retry-After") != "" {
			if i != 20 {
				t.Fatalf("made-up ids: throttled after %d failures, expected 20", i)
			}
			thr = r
		}
	}
	if thr == nil || thr.Status != http.StatusUnauthorized || thr.str("error") != "invalid_client" {
		t.Fatalf("100 made-up client ids from one address: expected a throttled 401 invalid_client, got %v", thr)
	}
	// A real client from the same address is not locked out.
	e.mustToken(ccID, ccSecret, ccForm)
}

func TestUnknownClientAnsweredAsWrongSecret(t *testing.T) {
	e := newTestEnv(t)
	var compares atomic.Int64
	e.srv.clientAuth.compare = func(hash, secret []byte) error {
		compares.Add(1)
		return memoBcrypt(hash, secret)
	}
	unknown := e.token("no-such-client", "some-secret", ccForm)
	nUnknown := compares.Swap(0)
	wrong := e.token(ccID, "some-secret", ccForm)
	nWrong := compares.Swap(0)
	if unknown.Status != wrong.Status || unknown.Body != wrong.Body || unknown.Header.Get("WWW-Authenticate") != wrong.Header.Get("WWW-Authenticate") {
		t.Errorf("unknown client and wrong secret answered differently:\n  %s\n  %s", unknown, wrong)
	}
	// The same work, hence the same time: one bcrypt comparison each.
	if nUnknown != 1 || nWrong != 1 {
		t.Errorf("bcrypt comparisons: unknown client %d, wrong secret %d; expected 1 and 1", nUnknown, nWrong)
	}
	// The dummy hash is a real bcrypt hash at cost 10, so the comparison costs what a real one
	// does (an invalid hash fails at once).
	if c, err := bcrypt.Cost([]byte(dummyClientSecretHash)); err != nil || c != 10 {
		t.Errorf("dummy hash: cost %d, %v", c, err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(dummyClientSecretHash), []byte("some-secret")); err != bcrypt.ErrMismatchedHashAndPassword {
		t.Errorf("dummy hash comparison: %v", err)
	}
}

func TestGuessingPasswordsIsThrottled(t *testing.T) {
	e, buf := newAuditEnv(t)
	cheapPasswords(t, e.st)
	form := func(pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {pw}}
	}
	var thr *response
	for i := 0; i < 50 && thr == nil; i++ {
		r := e.token(ropcID, ropcSecret, form("guess-"+string(rune('a'+i%26))))
		if r.Status != http.StatusBadRequest || r.str("error") != "invalid_grant" {
			t.Fatalf("wrong password %d: expected 400 invalid_grant, got %s", i+1, r)
		}
		if r.Header.Get("Retry-After") != "" {
			thr = r
		}
	}
	if thr == nil {
		t.Fatal("50 wrong passwords for one user: none was throttled")
	}
	// The right password is refused unchecked while the user is throttled; another user is not.
	if r := e.token(ropcID, ropcSecret, form("bob-Secret-2")); r.Status != http.StatusBadRequest || r.Header.Get("Retry-After") == "" {
		t.Errorf("bob's right password while throttled: expected a throttled 400, got %s", r)
	}
	e.mustToken(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}})
	lines := find(buf.lines(t), "throttled", "denied")
	if len(lines) == 0 || lines[0].s("user") != "bob" {
		t.Errorf("expected a throttled event for user bob, got %v", lines)
	}
}

func TestGuessingAtTheLoginPageIsThrottled(t *testing.T) {
	e := newAZEnv(t, nil)
	cheapPasswords(t, e.srv.db)
	b := e.browser(t)
	var last azPage
	for i := 0; i < 50; i++ {
		last = b.login(b.get(e.issuer+PathLogin), "bob", "guess-"+string(rune('a'+i%26)))
		if last.resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		if !strings.Contains(last.body, "not correct") {
			t.Fatalf("wrong password %d: expected the login page's error, got %d", i+1, last.resp.StatusCode)
		}
	}
	if last.resp.StatusCode != http.StatusTooManyRequests || last.resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(last.body, "Too many failed sign-ins") {
		t.Fatalf("50 wrong passwords at the login page: expected a 429 error page with Retry-After, got %d %v", last.resp.StatusCode, last.resp.Header)
	}
}

func TestGuessingTheAdminPasswordIsThrottled(t *testing.T) {
	e := newTestEnv(t)
	cheapPasswords(t, e.st)
	var thr *response
	for i := 0; i < 50 && thr == nil; i++ {
		r := e.do(request{Method: http.MethodGet, Path: "/admin/api/clients", BasicID: "admin", BasicSecret: "guess"})
		switch r.Status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			thr = r
		default:
			t.Fatalf("wrong admin password %d: %s", i+1, r)
		}
	}
	if thr == nil || thr.Header.Get("Retry-After") == "" {
		t.Fatalf("50 wrong admin passwords: expected a 429 with Retry-After, got %v", thr)
	}
}

func TestBcryptGateCapsConcurrentChecks(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.BcryptConcurrency = 1; c.Throttle.Disabled = true })
	var running, most atomic.Int64
	e.srv.clientAuth.compare = func(hash, secret []byte) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		return bcrypt.CompareHashAndPassword(hash, secret)
	}
	e.srv.clientAuth.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	done := make(chan struct{})
	for i := 0; i < 6; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			e.token("unknown-"+string(rune('a'+i)), "guess", ccForm)
		}()
	}
	for i := 0; i < 6; i++ {
		<-done
	}
	if most.Load() != 1 {
		t.Errorf("gate of 1: expected at most 1 comparison at once, saw %d", most.Load())
	}
}

func TestDatabaseBusyIs503(t *testing.T) {
	_, path := openSeededCopy(t)
	// A short busy timeout (pragmas given in the DSN win over the store's), and another
	// connection holding the write lock, as another process would.
	st, err := store.Open(context.Background(), "file:"+path+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := newServer(Config{Issuer: testIssuer, GlobalSecret: []byte("0123456789abcdef0123456789abcdef-test")}, st)
	if err != nil {
		t.Fatal(err)
	}
	srv.clientAuth.compare = memoBcrypt
	e := &testEnv{t: t, srv: srv, st: st, path: path}
	e.mustToken(ccID, ccSecret, ccForm)

	unlock := lockDB(t, path)
	r := e.token(ccID, ccSecret, ccForm)
	unlock()
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.str("error") != "temporarily_unavailable" {
		t.Fatalf("a token request while the database is locked: expected 503 temporarily_unavailable with Retry-After, got %s %v", r, r.Header)
	}
	e.mustToken(ccID, ccSecret, ccForm)
}

// doFrom is do with the request's source address set.
func (e *testEnv) doFrom(remote string, rq request) *response {
	e.t.Helper()
	return e.do(request{Method: rq.Method, Path: rq.Path, Form: rq.Form, RawBody: rq.RawBody, ContentType: rq.ContentType,
		BasicID: rq.BasicID, BasicSecret: rq.BasicSecret, Header: withRemote(rq.Header, remote)})
}

// remoteHeader is a test-only header do() turns into the request's RemoteAddr.
const remoteHeader = "X-Test-Remote-Addr"

func withRemote(h http.Header, remote string) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	out.Set(remoteHeader, remote)
	return out
}

// lockDB takes the database's write lock from another connection, as another process would,
// until the returned function is called.
func lockDB(t *testing.T, path string) func() {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
}

func TestDatabaseBusyAtTheAuthorizationEndpoint(t *testing.T) {
	_, path := openSeededCopy(t)
	st, err := store.Open(context.Background(), "file:"+path+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := startAZEnv(t, st, nil)
	b := e.browser(t)
	p := b.get(e.authURL("response_type", "code", "client_id", "trusted-client", "scope", "calc:read", "state", "busy"))
	unlock := lockDB(t, path)
	p = b.login(p, azUser, azPassword) // the code cannot be stored
	unlock()
	// RFC 6749 4.1.2.1: temporarily_unavailable, to the client, with its state.
	r := e.redirected(t, p, azCallback, false)
	if r.query.Get("error") != "temporarily_unavailable" || r.query.Get("state") != "busy" {
		t.Errorf("expected an error redirect with temporarily_unavailable, got %s", r.loc)
	}
}
