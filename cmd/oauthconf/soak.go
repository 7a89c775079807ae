package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

const soakUsage = `usage: oauthconf soak [flags]

Proves that a crash loses nothing. Starts "oauthconf serve" as a child process on a loopback
port with a fresh temporary database (seeded with --seed), drives a steady mix of every grant
(authorization code with PKCE, implicit, password, client credentials), refresh, introspection
and revocation against it, and kills it with SIGKILL and restarts it at random moments. Then it
checks, against the restarted server:

  - every token a client was given is active, unless it was revoked (or superseded by a refresh);
  - every revoked token is still inactive;
  - no authorization code and no refresh token can be redeemed twice (each used one is replayed);
  - no answer was a 5xx (while the server is down, requests fail to connect: counted apart).

It prints the counts and exits 1 on any violation.

With --addr HOST:PORT it drives a server that is already running there instead (a loopback
address only: the soak is a load generator, and the published demo credentials it uses belong
on this machine). That server must serve the published test fixtures ("oauthconf serve --demo",
or --seed fixtures/refserver/seed.yaml). It checks the same things during and after the run,
against that server, but it did not start the server, so it cannot kill or restart it: this
mode does not prove that a crash loses nothing. It proves that under a steady load the server
keeps every token it gave, keeps every revocation, never redeems a code or refresh token twice
and never answers 5xx. Restart the server yourself during the run to test durability: requests
that fail to connect are counted apart, as while a server is down.

With --replicas N (2 to 8) it starts N serve processes over one database (a SQLite file in the
temporary folder, or --db postgres://... naming an empty PostgreSQL database), all serving one
issuer: a round-robin proxy on another loopback port that sends each request to the next
replica (and past a replica that is down). It kills one replica at a time with SIGKILL at random
moments and restarts it while the others keep serving, kills and restarts them all at the end,
and checks the same things. A request held by a replica when it is killed loses its answer (the
proxy closes the connection), counted as a crash's is; no live replica may answer 5xx.

flags:
`

type soakOptions struct {
	Duration time.Duration
	Rate     float64
	Workers  int
	MinUp    time.Duration
	MaxUp    time.Duration
	SeedFile string
	Keep     bool
	// Addr, when set, is a running server's host:port (loopback only) that the soak drives
	// without starting, killing or restarting it.
	Addr string
	// Replicas, when set (2 to 8), starts that many serve processes over one database behind
	// a round-robin proxy and kills one at a time (soak_replicas.go); DB is their database, a
	// postgres:// URL, or empty for a SQLite file in the temporary folder.
	Replicas int
	DB       string
	// bin and env run the server (tests: the test binary as the command); default: this
	// executable.
	bin string
	env []string
	// serveArgs are more serve flags for every replica of --replicas (tests: a quirk).
	serveArgs []string
}

func parseSoakFlags(args []string, stderr io.Writer) (*soakOptions, error) {
	o := &soakOptions{}
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&o.Duration, "duration", 60*time.Second, "how long to drive the server (kills included)")
	fs.Float64Var(&o.Rate, "rate", 40, "operations per second, spread over the workers")
	fs.IntVar(&o.Workers, "workers", 8, "concurrent clients")
	fs.DurationVar(&o.MinUp, "min-up", 2*time.Second, "shortest time between a start and the next SIGKILL")
	fs.DurationVar(&o.MaxUp, "max-up", 8*time.Second, "longest time between a start and the next SIGKILL")
	fs.StringVar(&o.SeedFile, "seed", "fixtures/refserver/seed.yaml", "seed YAML for the server's database (passed to serve --seed)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary database directory (printed) for inspection")
	fs.StringVar(&o.Addr, "addr", "", "drive the server already running at this loopback host:port (serving the demo fixtures) instead of starting one; no kills")
	fs.IntVar(&o.Replicas, "replicas", 0, "start this many serve processes (2 to 8) over one database behind a round-robin proxy, and kill one at a time (see above)")
	fs.StringVar(&o.DB, "db", "", "with --replicas: the database the replicas share, a postgres:// URL of an empty database (default: a SQLite file in the temporary folder)")
	if err := parseFlags(fs, args, soakUsage, stderr); err != nil {
		return nil, err
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q (flags only)", fs.Arg(0)))
	}
	if o.Addr != "" {
		if p := checkSoakAddr(o.Addr); p != "" {
			problems = append(problems, p)
		}
		// What only a soak that starts its own server uses: said, not silently ignored.
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "min-up", "max-up", "seed", "keep":
				problems = append(problems, fmt.Sprintf("--%s does not apply with --addr (the soak neither starts nor kills a server it did not start)", f.Name))
			}
		})
	}
	if o.Replicas != 0 && (o.Replicas < 2 || o.Replicas > 8) {
		problems = append(problems, fmt.Sprintf("--replicas must be between 2 and 8, got %d", o.Replicas))
	}
	if o.Replicas != 0 && o.Addr != "" {
		problems = append(problems, "--replicas and --addr exclude each other: the soak starts the replicas it kills")
	}
	if o.DB != "" && o.Replicas == 0 {
		problems = append(problems, "--db applies with --replicas only (the single-server soak uses a fresh SQLite file)")
	}
	if o.DB != "" && !store.IsPostgresURL(o.DB) {
		problems = append(problems, fmt.Sprintf("--db %s: give a postgres:// URL of an empty database (without --db the replicas share a fresh SQLite file)", store.RedactURL(o.DB)))
	}
	if o.Duration <= 0 {
		problems = append(problems, "--duration must be positive")
	}
	if o.Rate <= 0 {
		problems = append(problems, "--rate must be positive")
	}
	if o.Workers < 1 || o.Workers > 256 {
		problems = append(problems, "--workers must be between 1 and 256")
	}
	if o.MinUp <= 0 || o.MaxUp < o.MinUp {
		problems = append(problems, "--min-up must be positive and at most --max-up")
	}
	if o.Addr == "" {
		if _, err := os.Stat(o.SeedFile); err != nil {
			problems = append(problems, fmt.Sprintf("--seed %s: %v", o.SeedFile, err))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

// checkSoakAddr explains what is wrong with an --addr, or returns "". Only loopback literals
// and localhost are accepted: a name is not resolved, so nothing is sent elsewhere.
func checkSoakAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("--addr %q is not host:port (for example 127.0.0.1:8080)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("--addr %q: the port must be a number from 1 to 65535", addr)
	}
	if !isLoopbackHost(host) {
		return fmt.Sprintf("--addr %q is not a loopback address: the soak drives only a server on this machine (127.0.0.1, ::1 or localhost)", addr)
	}
	return ""
}

func soakCmd(args []string) int {
	o, err := parseSoakFlags(args, os.Stderr)
	if err != nil {
		return flagError(os.Stderr, "soak", err)
	}
	res, err := soak(context.Background(), o, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oauthconf soak: %v\n", err)
		return exitFail
	}
	if len(res.Violations) > 0 {
		return exitFail
	}
	return exitOK
}

// The seeded clients and user the soak drives (fixtures/refserver/seed.yaml).
const (
	soakUser        = "alice"
	soakPassword    = "alice-Secret-1"
	soakCallback    = "http://127.0.0.1/callback"
	soakCodeClient  = "trusted-client" // trusted: no approval page
	soakCodeSecret  = "trusted-client-secret-0123456789"
	soakImplicit    = "implicit-client"
	soakCCClient    = "cc-client"
	soakCCSecret    = "cc-client-secret-0123456789"
	soakROPCClient  = "ropc-client"
	soakROPCSecret  = "ropc-client-secret-0123456789"
	soakDownTimeout = 30 * time.Second
)

var soakSecrets = map[string]string{soakCodeClient: soakCodeSecret, soakCCClient: soakCCSecret, soakROPCClient: soakROPCSecret}

// soakServer is the child process and its state.
type soakServer struct {
	bin, dir, addr, seed string
	db                   string // the database: empty for dir/soak.db
	env                  []string
	args                 []string // more serve flags (tests: a quirk)
	out                  io.Writer

	// external: a server the soak did not start (--addr): never killed nor restarted.
	external bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	up   chan struct{} // closed while the server is up; replaced at each kill
	logs *os.File
}

// start starts the server and waits until it answers /healthz, at most timeout (the first
// start hashes the seed's secrets, which under -race on a loaded machine takes a while).
func (s *soakServer) start(ctx context.Context, timeout time.Duration) error {
	db := s.db
	if db == "" {
		db = filepath.Join(s.dir, "soak.db")
	}
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"serve", "--addr", s.addr, "--db", db,
		"--seed", s.seed, "--audit-log", filepath.Join(s.dir, "audit.log")}, s.args...)...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if len(s.env) > 0 {
		cmd.Env = append(os.Environ(), s.env...)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s serve: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		res, err := hc.Get("http://" + s.addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode < 300 {
				break
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited before answering /healthz (%v): see %s", err, s.logs.Name())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("the server did not answer /healthz within %s: see %s", timeout, s.logs.Name())
		}
	}
	s.mu.Lock()
	s.cmd = cmd
	close(s.up)
	s.mu.Unlock()
	return nil
}

// kill sends SIGKILL and waits for the process to be gone; requests fail to connect until
// the next start.
func (s *soakServer) kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.up = make(chan struct{})
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_, _ = cmd.Process.Wait()
	}
}

// isUp reports whether the server is running (started and not being killed).
func (s *soakServer) isUp() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.up:
		return true
	default:
		return false
	}
}

// waitUp waits until the server is up (or the timeout).
func (s *soakServer) waitUp(ctx context.Context) error {
	if s.external {
		return s.waitHealthy(ctx)
	}
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(soakDownTimeout):
		return errors.New("the server stayed down")
	}
}

// waitHealthy waits until a server the soak did not start answers /healthz again (its
// operator may be restarting it), at most soakDownTimeout.
func (s *soakServer) waitHealthy(ctx context.Context) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(soakDownTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if res, err := hc.Get("http://" + s.addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode < 300 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("the server at %s stopped answering /healthz for %s", s.addr, soakDownTimeout)
		case <-tick.C:
		}
	}
}

// A token the clients were given, in a family: the tokens of one grant (a code, a password
// grant, ...) and its refreshes, which share one request id on the server, so a revocation or
// a detected replay ends all of them.
type soakToken struct {
	value      string
	refresh    bool
	superseded bool // replaced by a refresh: must be inactive
	revoked    bool // revoked by itself (an access token; RFC 7009 2.1 leaves its refresh token)
}

type soakFamily struct {
	client   string // the client that owns it ("" for implicit: checked at the resource)
	tokens   []*soakToken
	revoked  bool
	busy     bool // an operation on it is in flight
	unsure   bool // a refresh whose answer was lost: resolved after the run
	lastRT   *soakToken
	lastAT   *soakToken
	prevRT   *soakToken // the refresh token an unsure refresh presented
	implicit bool
}

// soakCode is a redeemed authorization code and the PKCE verifier it was redeemed with.
type soakCode struct{ code, verifier string }

type soakResult struct {
	Counts     map[string]int
	Violations []string
}

// soakTarget is what the workers drive: one server, or a set of replicas behind the
// round-robin proxy (soak_replicas.go).
type soakTarget interface {
	// isUp reports whether the target is serving: a request that fails meanwhile lost its
	// answer for no kill of the soak's.
	isUp() bool
	// waitUp waits until the target serves again after a kill.
	waitUp(ctx context.Context) error
}

type soakRun struct {
	srv  soakTarget
	base string
	res  soakResult
	mu   sync.Mutex // guards res, families, usedCodes, usedRTs
	fams []*soakFamily
	// usedCodes and usedRTs were redeemed (the answer was received): each must be refused.
	// Each code keeps its PKCE verifier: a replay without it would be refused for the missing
	// verifier (RFC 7636 4.6) even by a server that redeems codes twice.
	usedCodes []soakCode
	usedRTs   []string
	// lastDown is when the server was last killed; transport errors are expected then.
	down atomic.Bool
}

func (r *soakRun) count(k string, n int) {
	r.mu.Lock()
	r.res.Counts[k] += n
	r.mu.Unlock()
}

func (r *soakRun) violation(format string, a ...any) {
	r.mu.Lock()
	if len(r.res.Violations) < 1000 {
		r.res.Violations = append(r.res.Violations, fmt.Sprintf(format, a...))
	}
	r.res.Counts["violations"]++
	r.mu.Unlock()
}

// soakResponse is an answer, or errDown when the request could not complete because the
// server went away.
type soakResponse struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

var errDown = errors.New("server down")

// do sends one request. A 5xx is a violation (a killed server sends nothing; a living one must
// never fail). A transport error is errDown: the caller waits for the restart.
func (r *soakRun) do(cl *http.Client, req *http.Request, what string) (*soakResponse, error) {
	r.count("requests", 1)
	res, err := cl.Do(req)
	if err != nil {
		if r.srv.isUp() {
			// Not a kill: a timeout or a dropped connection of a living server. Counted, and
			// treated like a crash (the answer is lost), but shown apart.
			r.count("requests_failed_while_up", 1)
		} else {
			r.count("requests_failed_while_down", 1)
		}
		return nil, errDown
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		r.count("requests_failed_while_down", 1)
		return nil, errDown
	}
	out := &soakResponse{status: res.StatusCode, header: res.Header, body: b}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, &out.json)
	}
	if res.StatusCode >= 500 {
		r.violation("%s: answered %d: %s", what, res.StatusCode, truncate(string(b), 200))
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (r *soakRun) post(cl *http.Client, path string, form url.Values, id, secret, what string) (*soakResponse, error) {
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return r.do(cl, req, what)
}

func (s *soakResponse) str(k string) string { v, _ := s.json[k].(string); return v }

// addFamily records the tokens of a token response.
func (r *soakRun) addFamily(client string, res *soakResponse, implicit bool) {
	f := &soakFamily{client: client, implicit: implicit}
	if at := res.str("access_token"); at != "" {
		f.lastAT = &soakToken{value: at}
		f.tokens = append(f.tokens, f.lastAT)
	}
	if rt := res.str("refresh_token"); rt != "" {
		f.lastRT = &soakToken{value: rt, refresh: true}
		f.tokens = append(f.tokens, f.lastRT)
	}
	r.mu.Lock()
	r.fams = append(r.fams, f)
	r.res.Counts["tokens_issued"] += len(f.tokens)
	r.mu.Unlock()
}

// pick takes a family that matches ok and marks it busy; nil if none.
func (r *soakRun) pick(ok func(*soakFamily) bool) *soakFamily {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.fams)
	if n == 0 {
		return nil
	}
	start := mrand.IntN(n)
	for i := 0; i < n && i < 64; i++ {
		f := r.fams[(start+i)%n]
		if !f.busy && !f.revoked && !f.unsure && ok(f) {
			f.busy = true
			return f
		}
	}
	return nil
}

func (r *soakRun) release(f *soakFamily) {
	r.mu.Lock()
	f.busy = false
	r.mu.Unlock()
}

// Operations. Each returns errDown when the server went away during it.

func (r *soakRun) opClientCredentials(cl *http.Client) error {
	res, err := r.post(cl, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}, soakCCClient, soakCCSecret, "client_credentials")
	if err != nil {
		return err
	}
	if res.status != 200 {
		r.violation("client_credentials: expected 200, got %d %s", res.status, truncate(string(res.body), 200))
		return nil
	}
	r.count("grant_client_credentials", 1)
	r.addFamily(soakCCClient, res, false)
	return nil
}

func (r *soakRun) opPassword(cl *http.Client) error {
	res, err := r.post(cl, "/oauth2/token", url.Values{"grant_type": {"password"}, "username": {soakUser}, "password": {soakPassword},
		"scope": {"calc:read offline_access"}}, soakROPCClient, soakROPCSecret, "password grant")
	if err != nil {
		return err
	}
	if res.status != 200 {
		r.violation("password grant: expected 200, got %d %s", res.status, truncate(string(res.body), 200))
		return nil
	}
	r.count("grant_password", 1)
	r.addFamily(soakROPCClient, res, false)
	return nil
}

var (
	soakFormAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	soakHidden     = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// browse follows the authorization flow as a browser would: the login page (signing in as
// alice) and the approval page (approving), until a redirect to the client's callback, whose
// URL it returns.
func (r *soakRun) browse(cl *http.Client, authURL string) (*url.URL, error) {
	next, method, form := authURL, http.MethodGet, url.Values(nil)
	for step := 0; step < 8; step++ {
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(http.MethodGet, next, nil)
		} else {
			req, _ = http.NewRequest(http.MethodPost, next, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := r.do(cl, req, "authorization flow "+req.URL.Path)
		if err != nil {
			return nil, err
		}
		if loc := res.header.Get("Location"); res.status >= 300 && res.status < 400 && loc != "" {
			u, err := req.URL.Parse(loc)
			if err != nil {
				return nil, fmt.Errorf("bad Location %q", loc)
			}
			if strings.HasPrefix(u.String(), soakCallback) {
				return u, nil
			}
			next, method, form = u.String(), http.MethodGet, nil
			continue
		}
		if res.status != 200 {
			return nil, fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.status, truncate(string(res.body), 200))
		}
		page := string(res.body)
		m := soakFormAction.FindStringSubmatch(page)
		if m == nil {
			return nil, fmt.Errorf("%s: a page without a form", req.URL.Path)
		}
		action, err := req.URL.Parse(html.UnescapeString(m[1]))
		if err != nil {
			return nil, err
		}
		form = url.Values{}
		for _, h := range soakHidden.FindAllStringSubmatch(page, -1) {
			form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		switch {
		case strings.Contains(page, `id="username"`):
			form.Set("username", soakUser)
			form.Set("password", soakPassword)
		case strings.Contains(page, `id="approve"`):
			form.Set("decision", "approve")
		default:
			return nil, fmt.Errorf("%s: neither the login nor the approval page", req.URL.Path)
		}
		next, method = action.String(), http.MethodPost
	}
	return nil, errors.New("the authorization flow did not reach the callback in 8 steps")
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (r *soakRun) opCode(cl *http.Client) error {
	verifier := randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	state := randomString(8)
	q := url.Values{"response_type": {"code"}, "client_id": {soakCodeClient}, "redirect_uri": {soakCallback},
		"scope": {"calc:read offline_access"}, "state": {state}, "code_challenge_method": {"S256"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
	cb, err := r.browse(cl, r.base+"/oauth2/authorize?"+q.Encode())
	if err != nil {
		if errors.Is(err, errDown) {
			return err
		}
		r.violation("authorization code flow: %v", err)
		return nil
	}
	code := cb.Query().Get("code")
	if code == "" || cb.Query().Get("state") != state {
		r.violation("authorization code flow: callback without a code or with another state: %s", cb.RawQuery)
		return nil
	}
	r.count("codes_issued", 1)
	res, err := r.post(cl, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {soakCallback}, "code_verifier": {verifier}}, soakCodeClient, soakCodeSecret, "code exchange")
	if err != nil {
		// Whether the code was redeemed is unknown; its tokens never reached the client.
		r.count("codes_lost_in_crash", 1)
		return err
	}
	if res.status != 200 {
		r.violation("code exchange: expected 200, got %d %s", res.status, truncate(string(res.body), 200))
		return nil
	}
	r.count("grant_authorization_code", 1)
	r.mu.Lock()
	r.usedCodes = append(r.usedCodes, soakCode{code: code, verifier: verifier})
	r.mu.Unlock()
	r.addFamily(soakCodeClient, res, false)
	return nil
}

func (r *soakRun) opImplicit(cl *http.Client) error {
	state := randomString(8)
	q := url.Values{"response_type": {"token"}, "client_id": {soakImplicit}, "redirect_uri": {soakCallback},
		"scope": {"calc:read"}, "state": {state}}
	cb, err := r.browse(cl, r.base+"/oauth2/authorize?"+q.Encode())
	if err != nil {
		if errors.Is(err, errDown) {
			return err
		}
		r.violation("implicit flow: %v", err)
		return nil
	}
	frag, _ := url.ParseQuery(cb.Fragment)
	if frag.Get("access_token") == "" || frag.Get("state") != state {
		r.violation("implicit flow: callback without a token or with another state")
		return nil
	}
	r.count("grant_implicit", 1)
	r.addFamily("", &soakResponse{json: map[string]any{"access_token": frag.Get("access_token")}}, true)
	return nil
}

func (r *soakRun) opRefresh(cl *http.Client) error {
	f := r.pick(func(f *soakFamily) bool { return f.lastRT != nil })
	if f == nil {
		return nil
	}
	defer r.release(f)
	old := f.lastRT
	res, err := r.post(cl, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.value}},
		f.client, soakSecrets[f.client], "refresh")
	if err != nil {
		// The rotation may or may not have been committed: resolved after the run.
		r.mu.Lock()
		f.unsure, f.prevRT = true, old
		r.mu.Unlock()
		return err
	}
	if res.status != 200 {
		r.violation("refresh of a live refresh token: expected 200, got %d %s", res.status, truncate(string(res.body), 200))
		return nil
	}
	r.count("refreshes", 1)
	r.mu.Lock()
	old.superseded = true
	if f.lastAT != nil {
		f.lastAT.superseded = true // fosite revokes the access token of the used refresh token
	}
	f.lastAT = &soakToken{value: res.str("access_token")}
	f.tokens = append(f.tokens, f.lastAT)
	f.lastRT = nil
	if rt := res.str("refresh_token"); rt != "" {
		f.lastRT = &soakToken{value: rt, refresh: true}
		f.tokens = append(f.tokens, f.lastRT)
	}
	r.usedRTs = append(r.usedRTs, old.value)
	r.res.Counts["tokens_issued"] += 1 + btoi(f.lastRT != nil)
	r.mu.Unlock()
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// active asks whether a token is active: introspection by its client, or, for an implicit
// token (a public client cannot introspect), the resource server.
func (r *soakRun) active(cl *http.Client, f *soakFamily, t *soakToken) (bool, error) {
	if f.implicit {
		req, _ := http.NewRequest(http.MethodGet, r.base+"/oauth2/history", nil)
		req.Header.Set("Authorization", "Bearer "+t.value)
		res, err := r.do(cl, req, "resource request")
		if err != nil {
			return false, err
		}
		switch res.status {
		case 200:
			return true, nil
		case 401:
			return false, nil
		}
		return false, fmt.Errorf("resource request: unexpected %d", res.status)
	}
	res, err := r.post(cl, "/oauth2/introspect", url.Values{"token": {t.value}}, f.client, soakSecrets[f.client], "introspection")
	if err != nil {
		return false, err
	}
	if res.status != 200 {
		return false, fmt.Errorf("introspection: unexpected %d %s", res.status, truncate(string(res.body), 200))
	}
	a, _ := res.json["active"].(bool)
	return a, nil
}

// describe names a token for a violation, never with its value.
func (f *soakFamily) describe(t *soakToken) string {
	kind := "access token"
	if t.refresh {
		kind = "refresh token"
	}
	sum := sha256.Sum256([]byte(t.value))
	return fmt.Sprintf("%s sha256:%x of client %q (grant revoked=%v, token revoked=%v, superseded=%v, unsure refresh=%v, %d tokens in the grant)",
		kind, sum[:4], f.client, f.revoked, t.revoked, t.superseded, f.unsure, len(f.tokens))
}

func (f *soakFamily) want(t *soakToken) bool { return !f.revoked && !t.revoked && !t.superseded }

func (r *soakRun) opIntrospect(cl *http.Client) error {
	f := r.pick(func(*soakFamily) bool { return true })
	if f == nil {
		return nil
	}
	defer r.release(f)
	r.mu.Lock()
	t := f.tokens[mrand.IntN(len(f.tokens))]
	want := f.want(t)
	r.mu.Unlock()
	got, err := r.active(cl, f, t)
	if err != nil {
		if errors.Is(err, errDown) {
			return err
		}
		r.violation("%v", err)
		return nil
	}
	r.count("introspections", 1)
	if got != want {
		r.violation("during the run: a token expected active=%v was active=%v", want, got)
	}
	return nil
}

func (r *soakRun) opRevoke(cl *http.Client) error {
	f := r.pick(func(f *soakFamily) bool { return !f.implicit })
	if f == nil {
		return nil
	}
	defer r.release(f)
	r.mu.Lock()
	t := f.lastAT
	if f.lastRT != nil && (t == nil || t.revoked || mrand.IntN(2) == 0) {
		t = f.lastRT
	}
	r.mu.Unlock()
	if t == nil || t.revoked {
		return nil
	}
	for {
		res, err := r.post(cl, "/oauth2/revoke", url.Values{"token": {t.value}}, f.client, soakSecrets[f.client], "revocation")
		if errors.Is(err, errDown) {
			// Revocation is idempotent: send it again once the server is back.
			if err := r.srv.waitUp(context.Background()); err != nil {
				return err
			}
			continue
		}
		if res.status != 200 {
			r.violation("revocation: expected 200, got %d %s", res.status, truncate(string(res.body), 200))
			return nil
		}
		break
	}
	r.count("revocations", 1)
	r.mu.Lock()
	if t.refresh {
		f.revoked = true // RFC 7009 2.1: the refresh token's whole grant is revoked
	} else {
		t.revoked = true // the access token only; the refresh token stays usable (MAY)
	}
	r.mu.Unlock()
	return nil
}

// worker runs operations at its share of the rate until ctx ends.
func (r *soakRun) worker(ctx context.Context, interval time.Duration) {
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ops := []struct {
		weight int
		run    func(*http.Client) error
	}{
		{3, r.opClientCredentials}, {2, r.opPassword}, {2, r.opCode}, {1, r.opImplicit},
		{3, r.opRefresh}, {4, r.opIntrospect}, {1, r.opRevoke},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n := mrand.IntN(total)
		for _, o := range ops {
			if n -= o.weight; n < 0 {
				if err := o.run(cl); errors.Is(err, errDown) {
					if err := r.srv.waitUp(ctx); err != nil && ctx.Err() == nil {
						r.violation("waiting for the restart: %v", err)
						return
					}
				}
				break
			}
		}
	}
}

// killAtRandom is the soaks' killer: until runCtx ends, it waits a random time within [MinUp,
// MaxUp] after each start, kills a server with kill (SIGKILL) and brings it back with start.
// A restart that fails ends the run (stop) and is returned.
func (r *soakRun) killAtRandom(runCtx context.Context, stop context.CancelFunc, o *soakOptions, kill func(), start func() error) error {
	for runCtx.Err() == nil {
		up := o.MinUp + time.Duration(mrand.Int64N(int64(o.MaxUp-o.MinUp)+1))
		select {
		case <-runCtx.Done():
		case <-time.After(up):
		}
		if runCtx.Err() != nil {
			return nil
		}
		kill()
		r.count("kills", 1)
		if err := start(); err != nil {
			stop()
			return err
		}
		r.count("restarts", 1)
	}
	return nil
}

// soakWorkDir is what every soak that starts servers needs first: the oauthconf binary to
// start (the running one unless a test set o.bin) and a temporary folder for the databases and
// logs, removed by cleanup unless --keep asked to keep it (then printed).
func soakWorkDir(o *soakOptions, out io.Writer) (bin, dir string, cleanup func(), err error) {
	bin = o.bin
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return "", "", nil, err
		}
	}
	if dir, err = os.MkdirTemp("", "oauthconf-soak-"); err != nil {
		return "", "", nil, err
	}
	if o.Keep {
		fmt.Fprintf(out, "soak: keeping %s\n", dir)
		return bin, dir, func() {}, nil
	}
	return bin, dir, func() { os.RemoveAll(dir) }, nil
}

func soak(ctx context.Context, o *soakOptions, out io.Writer) (*soakResult, error) {
	if o.Addr != "" {
		return soakExternal(ctx, o, out)
	}
	if o.Replicas > 0 {
		return soakReplicas(ctx, o, out)
	}
	bin, dir, cleanup, err := soakWorkDir(o, out)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	srv := &soakServer{bin: bin, env: o.env, dir: dir, addr: addr, seed: o.SeedFile, out: out, up: make(chan struct{}), logs: logs}
	r := &soakRun{srv: srv, base: "http://" + addr, res: soakResult{Counts: map[string]int{}}}

	if err := srv.start(ctx, 4*soakDownTimeout); err != nil {
		return nil, err
	}
	defer srv.kill()
	fmt.Fprintf(out, "soak: serving on %s (database in %s), driving %.0f operations/s with %d workers for %s\n", addr, dir, o.Rate, o.Workers, o.Duration)

	runCtx, stop := context.WithTimeout(ctx, o.Duration)
	defer stop()
	wg := r.startWorkers(runCtx, o)
	killErr := r.killAtRandom(runCtx, stop, o, srv.kill, func() error { return srv.start(ctx, soakDownTimeout) })
	wg.Wait()
	if killErr != nil {
		return nil, killErr
	}
	// The final restart: whatever was committed before it must still hold afterwards.
	srv.kill()
	r.count("kills", 1)
	if err := srv.start(ctx, soakDownTimeout); err != nil {
		return nil, err
	}
	r.count("restarts", 1)
	if err := r.check(); err != nil {
		return nil, err
	}
	r.print(out)
	return &r.res, nil
}

// startWorkers starts o.Workers workers that together drive o.Rate operations per second until
// ctx ends; Wait on the result to know they are done.
func (r *soakRun) startWorkers(ctx context.Context, o *soakOptions) *sync.WaitGroup {
	var wg sync.WaitGroup
	interval := time.Duration(float64(o.Workers) / o.Rate * float64(time.Second))
	for i := 0; i < o.Workers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); r.worker(ctx, interval) }()
	}
	return &wg
}

// soakExternal drives the server already running at o.Addr: the same operations and checks as
// the crash soak, without kills (see soakUsage for what that does and does not prove).
func soakExternal(ctx context.Context, o *soakOptions, out io.Writer) (*soakResult, error) {
	up := make(chan struct{})
	close(up) // never killed by the soak: always "up"; a connection failure is counted as such
	srv := &soakServer{addr: o.Addr, external: true, up: up, out: out}
	r := &soakRun{srv: srv, base: "http://" + o.Addr, res: soakResult{Counts: map[string]int{}}}
	if err := r.preflight(); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "soak: driving the running server at %s (not started by the soak: no kills, no restarts), %.0f operations/s with %d workers for %s\n", o.Addr, o.Rate, o.Workers, o.Duration)
	runCtx, stop := context.WithTimeout(ctx, o.Duration)
	defer stop()
	wg := r.startWorkers(runCtx, o)
	wg.Wait()
	if err := r.check(); err != nil {
		return nil, err
	}
	r.print(out)
	return &r.res, nil
}

// preflight makes sure something at the address is the reference server with the demo
// fixtures before the run, so a wrong address or seed is one clear message, not a run of
// violations.
func (r *soakRun) preflight() error {
	cl := &http.Client{Timeout: 10 * time.Second}
	res, err := cl.Get(r.base + "/healthz")
	if err != nil {
		return fmt.Errorf("--addr %s: nothing answers there (%v): start the server first, for example: oauthconf serve --demo --addr %s", strings.TrimPrefix(r.base, "http://"), err, strings.TrimPrefix(r.base, "http://"))
	}
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("--addr %s: GET /healthz answered %d: is it the reference server (oauthconf serve)?", strings.TrimPrefix(r.base, "http://"), res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, r.base+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(soakCCClient, soakCCSecret)
	res, err = cl.Do(req)
	if err != nil {
		return fmt.Errorf("--addr %s: the token endpoint: %v", strings.TrimPrefix(r.base, "http://"), err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("--addr %s: the demo client %s was refused a token (%d): the soak drives the published test fixtures; serve them with oauthconf serve --demo (or --seed fixtures/refserver/seed.yaml)", strings.TrimPrefix(r.base, "http://"), soakCCClient, res.StatusCode)
	}
	return nil
}

// check verifies every token, then replays every used code and refresh token.
func (r *soakRun) check() error {
	cl := &http.Client{Timeout: 10 * time.Second}
	for _, f := range r.fams {
		if f.unsure {
			// A refresh whose answer was lost: did the server commit the rotation? If the
			// presented refresh token is still active, it did not; otherwise its tokens are
			// superseded (the new ones never reached the client).
			a, err := r.active(cl, f, f.prevRT)
			if err != nil {
				return err
			}
			if !a {
				f.prevRT.superseded = true
				if f.lastAT != nil {
					f.lastAT.superseded = true
				}
				r.res.Counts["refreshes_lost_in_crash_committed"]++
			} else {
				r.res.Counts["refreshes_lost_in_crash_not_committed"]++
			}
		}
		for _, t := range f.tokens {
			want := f.want(t)
			got, err := r.active(cl, f, t)
			if err != nil {
				return fmt.Errorf("final check: %w", err)
			}
			switch {
			case want && got:
				r.res.Counts["checked_active"]++
			case !want && !got:
				if f.revoked || t.revoked {
					r.res.Counts["checked_revoked_inactive"]++
				} else {
					r.res.Counts["checked_superseded_inactive"]++
				}
			case want:
				r.violation("after the run: a token the client was given (not revoked) is inactive: %s", f.describe(t))
			default:
				r.violation("after the run: a revoked or superseded token is active: %s", f.describe(t))
			}
		}
	}
	for _, c := range r.usedCodes {
		res, err := r.post(cl, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {c.code},
			"redirect_uri": {soakCallback}, "code_verifier": {c.verifier}}, soakCodeClient, soakCodeSecret, "code replay")
		if err != nil {
			return fmt.Errorf("final check: %w", err)
		}
		if res.status != 400 || res.str("error") != "invalid_grant" {
			r.violation("a used authorization code was redeemed again: %d %s", res.status, truncate(string(res.body), 200))
			continue
		}
		r.res.Counts["replayed_codes_refused"]++
	}
	for _, rt := range r.usedRTs {
		var client string
		for _, f := range r.fams {
			for _, t := range f.tokens {
				if t.value == rt {
					client = f.client
				}
			}
		}
		res, err := r.post(cl, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
			client, soakSecrets[client], "refresh replay")
		if err != nil {
			return fmt.Errorf("final check: %w", err)
		}
		if res.status != 400 || res.str("error") != "invalid_grant" {
			r.violation("a used refresh token was redeemed again: %d %s", res.status, truncate(string(res.body), 200))
			continue
		}
		r.res.Counts["replayed_refresh_tokens_refused"]++
	}
	return nil
}

func (r *soakRun) print(out io.Writer) {
	keys := make([]string, 0, len(r.res.Counts))
	for k := range r.res.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "soak %-40s %d\n", k, r.res.Counts[k])
	}
	for i, v := range r.res.Violations {
		if i == 20 {
			fmt.Fprintf(out, "soak VIOLATION ... and %d more\n", len(r.res.Violations)-20)
			break
		}
		fmt.Fprintf(out, "soak VIOLATION %s\n", v)
	}
	if len(r.res.Violations) == 0 {
		fmt.Fprintln(out, "soak: OK: nothing lost, nothing redeemed twice, no 5xx")
	} else {
		fmt.Fprintf(out, "soak: FAIL: %d violations\n", len(r.res.Violations))
	}
}
