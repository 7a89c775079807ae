package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver/pgcluster"
	"github.com/oauthconf/oauthconf/refserver/rrproxy"
)

// Issue 15 item 4: several `oauthconf serve` processes over one database behave as one server.
// These tests start real serve processes (the test binary as the command, see TestMain) over
// one SQLite file: each has its own caches, and its own view of what it wrote, so whatever one
// replica changes must be seen by the other at once.

// replicaSet is N serve processes over one database, with the round-robin proxy in front
// (its address is their issuer).
type replicaSet struct {
	dir    string
	reps   []*soakServer
	proxy  *rrproxy.Proxy
	issuer string
}

func startReplicaSet(t *testing.T, n int, db string) *replicaSet {
	t.Helper()
	dir := t.TempDir()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := &replicaSet{dir: dir, issuer: "http://" + front.Addr().String()}
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	var addrs []string
	// One after the other: the first start creates the database, its secret file and seeds it;
	// the others find them there.
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		srv := &soakServer{bin: os.Args[0], env: []string{"OAUTHCONF_TEST_AS_COMMAND=1"},
			args: []string{"--issuer", rs.issuer, "--secret-file", filepath.Join(dir, "oauth.secret")}, dir: dir, addr: addr, db: db,
			seed: filepath.Join("..", "..", "fixtures", "refserver", "seed.yaml"), up: make(chan struct{}), logs: logs}
		if err := srv.start(context.Background(), 4*soakDownTimeout); err != nil {
			t.Fatalf("replica %d: %v", i+1, err)
		}
		t.Cleanup(srv.kill)
		rs.reps = append(rs.reps, srv)
		addrs = append(addrs, addr)
	}
	if rs.proxy, err = rrproxy.New(addrs); err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: rs.proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(front) }()
	t.Cleanup(func() { hs.Close(); rs.proxy.Close() })
	return rs
}

// base is replica i's own address (not through the proxy).
func (rs *replicaSet) base(i int) string { return "http://" + rs.reps[i].addr }

// call is one request to a replica; it fails the test on a transport error or a 5xx.
type call struct {
	t  testing.TB
	cl *http.Client
}

func newCall(t testing.TB) *call {
	jar, _ := cookiejar.New(nil)
	return &call{t: t, cl: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	body   string
	json   map[string]any
}

func (a *answer) str(k string) string { v, _ := a.json[k].(string); return v }

func (c *call) do(req *http.Request) *answer {
	c.t.Helper()
	res, err := c.cl.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := &answer{status: res.StatusCode, body: string(b)}
	_ = json.Unmarshal(b, &a.json)
	if res.StatusCode >= 500 {
		c.t.Errorf("%s %s: %d %s", req.Method, req.URL, res.StatusCode, truncate(a.body, 200))
	}
	return a
}

func (c *call) form(base, path, id, secret string, f url.Values) *answer {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return c.do(req)
}

func (c *call) ccToken(base string) string {
	c.t.Helper()
	a := c.form(base, "/oauth2/token", soakCCClient, soakCCSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}})
	if a.status != 200 || a.str("access_token") == "" {
		c.t.Fatalf("client credentials at %s: %d %s", base, a.status, truncate(a.body, 200))
	}
	return a.str("access_token")
}

func (c *call) active(base, id, secret, token string) bool {
	c.t.Helper()
	a := c.form(base, "/oauth2/introspect", id, secret, url.Values{"token": {token}})
	if a.status != 200 {
		c.t.Fatalf("introspection at %s: %d %s", base, a.status, truncate(a.body, 200))
	}
	v, _ := a.json["active"].(bool)
	return v
}

// resource is the status of a bearer request to the resource server at base.
func (c *call) resource(base, token string) int {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/oauth2/history", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return c.do(req).status
}

func (c *call) admin(base, method, path string, body any) *answer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", "admin-Secret-0123456789") // fixtures/refserver/seed.yaml
	return c.do(req)
}

// TestReplicasAgree runs the agreement checks on one set of two replicas (starting one costs
// seconds of bcrypt under -race): what only reads and redeems first, what disables last.
func TestReplicasAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two serve processes; -short skips it")
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := "" // a SQLite file in the replicas' folder
			if backend == "postgres" {
				db = startPG(t)
			}
			rs := startReplicaSet(t, 2, db)
			t.Run("revoke on A, introspect on B", func(t *testing.T) { revokeOnAIntrospectOnB(t, rs) })
			t.Run("redeemed once", func(t *testing.T) { redeemOnce(t, rs) })
			t.Run("refused at once", func(t *testing.T) { refuseWhatAChangedAtOnce(t, rs) })
			t.Run("another secret is refused", func(t *testing.T) { otherSecretRefused(t, rs) })
		})
	}
}

// The figure: 1,000 rounds of a token issued, looked up on B (so B's cache holds it as
// active), revoked through A, then introspected on B and presented to B's resource server:
// inactive and refused every time. The replicas swap roles every round.
func revokeOnAIntrospectOnB(t *testing.T, rs *replicaSet) {
	c := newCall(t)
	const rounds = 1000
	failures := 0
	start := time.Now()
	for i := 0; i < rounds; i++ {
		a, b := rs.base(i%2), rs.base(1-i%2)
		tok := c.ccToken(a)
		if !c.active(b, soakCCClient, soakCCSecret, tok) {
			t.Fatalf("round %d: B says a fresh token is inactive", i)
		}
		if st := c.resource(b, tok); st == 401 {
			t.Fatalf("round %d: B's resource server refuses a fresh token (401)", i)
		}
		if r := c.form(a, "/oauth2/revoke", soakCCClient, soakCCSecret, url.Values{"token": {tok}}); r.status != 200 {
			t.Fatalf("round %d: revocation at A: %d %s", i, r.status, r.body)
		}
		bad := false
		if c.active(b, soakCCClient, soakCCSecret, tok) {
			bad = true
			t.Errorf("round %d: B introspects a token revoked through A as active", i)
		}
		if st := c.resource(b, tok); st != 401 {
			bad = true
			t.Errorf("round %d: B's resource server answers %d to a token revoked through A, want 401", i, st)
		}
		if bad {
			failures++
		}
		if failures > 10 {
			t.Fatal("more than 10 rounds failed: stopping")
		}
	}
	el := time.Since(start)
	t.Logf("revoke-on-A / introspect-on-B: %d rounds, %d failures, %s (%.1f ms a round of 6 requests)",
		rounds, failures, el.Round(time.Millisecond), float64(el.Microseconds())/1000/rounds)
}

// A client disabled, a user disabled, a refresh token rotated through A: B refuses at once,
// although B had just served each of them.
func refuseWhatAChangedAtOnce(t *testing.T, rs *replicaSet) {
	a, b := rs.base(0), rs.base(1)
	pw := url.Values{"grant_type": {"password"}, "username": {soakUser}, "password": {soakPassword}, "scope": {"calc:read offline_access"}}

	t.Run("refresh token rotated through A", func(t *testing.T) {
		c := newCall(t)
		g := c.form(a, "/oauth2/token", soakROPCClient, soakROPCSecret, pw)
		if g.status != 200 || g.str("refresh_token") == "" {
			t.Fatalf("password grant at A: %d %s", g.status, g.body)
		}
		oldAT, oldRT := g.str("access_token"), g.str("refresh_token")
		if !c.active(b, soakROPCClient, soakROPCSecret, oldAT) || !c.active(b, soakROPCClient, soakROPCSecret, oldRT) {
			t.Fatal("B: the fresh tokens are inactive")
		}
		r := c.form(a, "/oauth2/token", soakROPCClient, soakROPCSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {oldRT}})
		if r.status != 200 {
			t.Fatalf("refresh at A: %d %s", r.status, r.body)
		}
		if c.active(b, soakROPCClient, soakROPCSecret, oldRT) {
			t.Error("B: the refresh token rotated through A is still active")
		}
		if c.active(b, soakROPCClient, soakROPCSecret, oldAT) {
			t.Error("B: the access token of the refresh token rotated through A is still active")
		}
		if r := c.form(b, "/oauth2/token", soakROPCClient, soakROPCSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {oldRT}}); r.status == 200 {
			t.Errorf("B: redeemed the refresh token rotated through A: %s", truncate(r.body, 200))
		}
	})

	t.Run("user disabled through A", func(t *testing.T) {
		c := newCall(t)
		tok := c.form(b, "/oauth2/token", soakROPCClient, soakROPCSecret, pw).str("access_token")
		if tok == "" || !c.active(b, soakROPCClient, soakROPCSecret, tok) {
			t.Fatal("B: no active token for the user to begin with")
		}
		u := c.admin(a, http.MethodGet, "/admin/api/users/"+soakUser, nil)
		if u.status != 200 {
			t.Fatalf("admin API at A: %d %s", u.status, u.body)
		}
		u.json["enabled"] = false
		delete(u.json, "created_at") // read-only
		delete(u.json, "username")
		if r := c.admin(a, http.MethodPut, "/admin/api/users/"+soakUser, u.json); r.status != 200 {
			t.Fatalf("disabling the user at A: %d %s", r.status, r.body)
		}
		if c.active(b, soakROPCClient, soakROPCSecret, tok) {
			t.Error("B: the token of a user disabled through A is still active")
		}
		if r := c.form(b, "/oauth2/token", soakROPCClient, soakROPCSecret, pw); r.status == 200 {
			t.Errorf("B: issued a token to a user disabled through A: %s", truncate(r.body, 200))
		}
	})

	t.Run("client disabled through A", func(t *testing.T) {
		c := newCall(t)
		tok := c.ccToken(b)
		if !c.active(b, soakCCClient, soakCCSecret, tok) {
			t.Fatal("B: the fresh token is inactive")
		}
		cl := c.admin(a, http.MethodGet, "/admin/api/clients/"+soakCCClient, nil)
		if cl.status != 200 {
			t.Fatalf("admin API at A: %d %s", cl.status, cl.body)
		}
		cl.json["enabled"] = false
		for _, k := range []string{"client_id", "created_at", "updated_at", "service_user"} { // read-only
			delete(cl.json, k)
		}
		if r := c.admin(a, http.MethodPut, "/admin/api/clients/"+soakCCClient, cl.json); r.status != 200 {
			t.Fatalf("disabling the client at A: %d %s", r.status, r.body)
		}
		if r := c.form(b, "/oauth2/token", soakCCClient, soakCCSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}); r.status == 200 {
			t.Errorf("B: issued a token to a client disabled through A: %s", truncate(r.body, 200))
		}
		if st := c.resource(b, tok); st != 401 {
			t.Errorf("B's resource server answers %d to a token of a client disabled through A, want 401", st)
		}
	})
}

// The same authorization code, and the same refresh token, redeemed at the same moment through
// A and through B: exactly one of the two wins, every round.
func redeemOnce(t *testing.T, rs *replicaSet) {
	a, b := rs.base(0), rs.base(1)
	const rounds = 50
	both := func(c *call, f func(base string) *answer) (wins int, answers [2]*answer) {
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, base := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				answers[i] = f(base)
			}()
		}
		close(gate)
		wg.Wait()
		for _, r := range answers {
			if r.status == 200 {
				wins++
			}
		}
		return wins, answers
	}
	t.Run("authorization codes", func(t *testing.T) {
		c := newCall(t)
		run := &soakRun{srv: &soakServer{external: true, up: closedChan()}, res: soakResult{Counts: map[string]int{}}}
		bad := 0
		start := time.Now()
		for i := 0; i < rounds; i++ {
			verifier := randomString(32)
			sum := sha256.Sum256([]byte(verifier))
			q := url.Values{"response_type": {"code"}, "client_id": {soakCodeClient}, "redirect_uri": {soakCallback},
				"scope": {"calc:read"}, "state": {"s"}, "code_challenge_method": {"S256"},
				"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
			// Through the proxy: the authorization request, the login and the redirect back
			// land on alternating replicas.
			cb, err := run.browse(c.cl, rs.issuer+"/oauth2/authorize?"+q.Encode())
			if err != nil {
				t.Fatalf("round %d: authorization flow: %v", i, err)
			}
			code := cb.Query().Get("code")
			wins, ans := both(c, func(base string) *answer {
				return c.form(base, "/oauth2/token", soakCodeClient, soakCodeSecret, url.Values{"grant_type": {"authorization_code"},
					"code": {code}, "redirect_uri": {soakCallback}, "code_verifier": {verifier}})
			})
			if wins != 1 {
				bad++
				t.Errorf("round %d: the code was redeemed %d times: A %d %s; B %d %s", i, wins,
					ans[0].status, truncate(ans[0].body, 120), ans[1].status, truncate(ans[1].body, 120))
			}
		}
		t.Logf("parallel code redemption through A and B: %d rounds, %d without exactly one winner, %s", rounds, bad, time.Since(start).Round(time.Millisecond))
	})
	t.Run("refresh tokens", func(t *testing.T) {
		c := newCall(t)
		bad := 0
		start := time.Now()
		for i := 0; i < rounds; i++ {
			g := c.form(rs.base(i%2), "/oauth2/token", soakROPCClient, soakROPCSecret, url.Values{"grant_type": {"password"},
				"username": {soakUser}, "password": {soakPassword}, "scope": {"calc:read offline_access"}})
			rt := g.str("refresh_token")
			if rt == "" {
				t.Fatalf("round %d: password grant: %d %s", i, g.status, g.body)
			}
			wins, ans := both(c, func(base string) *answer {
				return c.form(base, "/oauth2/token", soakROPCClient, soakROPCSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			})
			if wins != 1 {
				bad++
				t.Errorf("round %d: the refresh token was redeemed %d times: A %d %s; B %d %s", i, wins,
					ans[0].status, truncate(ans[0].body, 120), ans[1].status, truncate(ans[1].body, 120))
			}
		}
		t.Logf("parallel refresh through A and B: %d rounds, %d without exactly one winner, %s", rounds, bad, time.Since(start).Round(time.Millisecond))
	})
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// startPG starts a throwaway PostgreSQL cluster for the test and returns its URL (no skip
// without PostgreSQL: `make setup` installs it).
func startPG(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	return c.URL
}

// A replica started with another token secret than the database was used with does not
// serve: its tokens would fail on the other replicas and theirs on it. The database keeps the
// secret's fingerprint (serve_accounts.go); the message names the secret file.
func otherSecretRefused(t *testing.T, rs *replicaSet) {
	other := filepath.Join(rs.dir, "other.secret")
	if err := os.WriteFile(other, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs, err := os.Create(filepath.Join(rs.dir, "other.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	first := rs.reps[0]
	srv := &soakServer{bin: first.bin, env: first.env, dir: rs.dir, addr: addr, seed: first.seed, db: first.db,
		args: []string{"--issuer", rs.issuer, "--secret-file", other}, up: make(chan struct{}), logs: logs}
	if err := srv.start(context.Background(), soakDownTimeout); err == nil {
		srv.kill()
		t.Fatal("a replica with another token secret started serving")
	}
	b, _ := os.ReadFile(logs.Name())
	if !strings.Contains(string(b), "is not the one database") {
		t.Errorf("the refusal does not say why: %s", b)
	}
}

// Replicas started together over a new database race to create the token secret file: every
// one gets the same secret, none reads a half-written file.
func TestSecretFileCreatedOnceByRacingReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oauth.db.secret")
	const n = 16
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			got[i], errs[i] = loadOrCreateSecret(path)
		}()
	}
	close(gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if string(got[i]) != string(got[0]) {
			t.Fatalf("start %d got another secret than start 0", i)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file: %v, %v; want mode 0600", fi, err)
	}
	if m, _ := filepath.Glob(path + ".new-*"); len(m) != 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}
