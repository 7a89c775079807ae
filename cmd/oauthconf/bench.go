package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/launch"
)

const benchUsage = `usage: oauthconf bench [flags]

Starts the reference server in-process on a loopback port (fresh temporary database, seeded
from the embedded fixtures, bcrypt cost 10) and drives it over real HTTP, printing one line
per measurement:

  bench NAME db=D replicas=N rps=N p50_ms=N p99_ms=N cpu_us_per_req=N db_stmts_per_req=N

Measurements: bare_handler (the yardstick, measured first in the same run: a plain net/http
handler on its own loopback listener that reads the form and the Basic credentials and writes
a small JSON token response, with the same server limits; what HTTP and the load generator
cost on this machine now), client_credentials (token requests, HTTP Basic), introspection (of
an active access token, by its client), code_exchange (authorization code grant with client
authentication; the codes are created beforehand straight in the store, as the authorization
endpoint would after login and approval, so only the exchange is timed). Every request must
succeed; any failure is reported and the exit status is 1.

cpu_us_per_req is the process's CPU time per request (server and load generator together,
and with --db postgres:// the PostgreSQL server's processes too): on a shared, loaded
machine the rate mostly measures the other processes, CPU per request much less so; the
cores divided by it bound the rate. db_stmts_per_req is the statements (transaction begins
and ends included) the store sent to the database per request: its round trips when the
database is over the network.

--replicas N serves N servers over the one database, each with its own store (connections,
caches, guessing counts: store.ThrottleCounter), limiter and loopback listener, as N
processes would have; worker w sends to replica w mod N. They run in this process, so the
CPU per request counts them all.

flags:
`

type benchOptions struct {
	Duration    time.Duration
	Concurrency int
	Only        []string
	CPUProfile  string
	Replicas    int
	// DB is the database: empty for a fresh SQLite file in a temporary folder, or a
	// postgres:// URL (an empty database: make bench DB=postgres starts a throwaway cluster).
	DB string
}

var benchNames = []string{"bare_handler", "client_credentials", "introspection", "code_exchange"}

func parseBenchFlags(args []string, stderr io.Writer) (*benchOptions, error) {
	o := &benchOptions{}
	var only string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each measurement runs")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "concurrent clients")
	fs.StringVar(&only, "only", "", "comma-separated measurements to run (default all: "+strings.Join(benchNames, ",")+")")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this file")
	fs.IntVar(&o.Replicas, "replicas", 1, "servers over the one database (1 to 16), the load spread over them")
	fs.StringVar(&o.DB, "db", "", "a postgres:// URL of an empty database (default: a fresh SQLite file in a temporary folder)")
	if err := parseFlags(fs, args, benchUsage, stderr); err != nil {
		return nil, err
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q (flags only)", fs.Arg(0)))
	}
	if o.Duration <= 0 {
		problems = append(problems, "--duration must be positive")
	}
	if o.Replicas < 1 || o.Replicas > 16 {
		problems = append(problems, "--replicas must be between 1 and 16")
	}
	if o.DB != "" && !strings.HasPrefix(o.DB, "postgres://") && !strings.HasPrefix(o.DB, "postgresql://") {
		problems = append(problems, "--db must be a postgres:// URL (the default is a fresh SQLite file): the bench never writes to a database file of yours")
	}
	if o.Concurrency < 1 || o.Concurrency > 1024 {
		problems = append(problems, "--concurrency must be between 1 and 1024")
	}
	if only == "" {
		o.Only = benchNames
	} else {
		for _, n := range strings.Split(only, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(benchNames, n) {
				problems = append(problems, fmt.Sprintf("--only: unknown measurement %q (use %s)", n, strings.Join(benchNames, ", ")))
				continue
			}
			o.Only = append(o.Only, n)
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

func benchCmd(args []string) int {
	o, err := parseBenchFlags(args, os.Stderr)
	if err != nil {
		return flagError(os.Stderr, "bench", err)
	}
	if err := bench(context.Background(), o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "oauthconf bench: %v\n", err)
		return exitFail
	}
	return exitOK
}

// codeStore is what the bench needs of the store to make codes as the authorization endpoint
// would: the client, a transaction, fosite's code storage.
type codeStore interface {
	GetClient(ctx context.Context, id string) (fosite.Client, error)
	BeginTX(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
	CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error
}

// benchTarget is the in-process server (its replicas) under load.
type benchTarget struct {
	// bases are the replicas' base URLs; worker w sends to bases[w % len(bases)].
	bases    []string
	st       codeStore
	strategy interface {
		GenerateAuthorizeCode(context.Context, fosite.Requester) (string, string, error)
	}
	hc *http.Client
	// stmts counts the statements the replicas' stores sent to the database.
	stmts func() int64
}

func bench(ctx context.Context, o *benchOptions, out, diag io.Writer) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	bare, err := startBareHandler()
	if err != nil {
		return err
	}
	defer bare.Close()
	dbName, dbPath := "sqlite", o.DB
	if dbPath != "" {
		dbName = "postgres"
	} else {
		dir, err := os.MkdirTemp("", "oauthconf-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "bench.db")
	}
	// Every replica has the same token secret (replicas must, or one would refuse another's
	// tokens) and opens the database itself; the first seeds it.
	var servers []*launch.Server
	defer func() {
		for _, srv := range servers {
			_ = srv.Close()
		}
	}()
	for i := 0; i < o.Replicas; i++ {
		d := launch.DBOptions{Path: dbPath}
		if i == 0 {
			d.Seed, d.BcryptCost = fixtures.SeedYAML(), 10
		}
		srv, err := launch.Start(ctx, d, launch.Options{Config: refserver.Config{GlobalSecret: secret, BcryptCost: 10}})
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		servers = append(servers, srv)
	}
	pgCPU := func() time.Duration { return 0 }
	if dbName == "postgres" {
		pgCPU = postgresCPU(o.DB, diag)
	}

	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	tr := &http.Transport{
		MaxIdleConns:        o.Concurrency * 2,
		MaxIdleConnsPerHost: o.Concurrency * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	t := &benchTarget{
		st: servers[0].DB.Store,
		// The same HMAC strategy as the server's (same global secret, fosite defaults), so the
		// codes made here are codes the server accepts.
		strategy: compose.NewOAuth2HMACStrategy(&fosite.Config{GlobalSecret: secret}),
		hc:       &http.Client{Transport: tr, Timeout: 30 * time.Second},
		stmts: func() int64 {
			var n int64
			for _, srv := range servers {
				n += srv.DB.Store.Statements()
			}
			return n
		},
	}
	for _, srv := range servers {
		t.bases = append(t.bases, srv.Issuer)
	}
	failed := false
	for _, name := range o.Only {
		var next func(worker, i int) (*http.Request, error)
		var err error
		switch name {
		case "bare_handler":
			next = func(_, _ int) (*http.Request, error) {
				return post(bare.url, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}, benchCCID, benchCCSecret), nil
			}
		case "client_credentials":
			next = t.clientCredentials
		case "introspection":
			next, err = t.introspection(ctx)
		case "code_exchange":
			next, err = t.codeExchange(ctx, o)
		}
		if err != nil {
			return fmt.Errorf("%s: preparing: %w", name, err)
		}
		res := t.run(o, next, pgCPU)
		line := fmt.Sprintf("bench %s db=%s replicas=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f", name, dbName, o.Replicas, res.rps, res.p50, res.p99)
		if name == "bare_handler" {
			line = fmt.Sprintf("bench %s rps=%.0f p50_ms=%.2f p99_ms=%.2f", name, res.rps, res.p50, res.p99)
		}
		if res.cpu > 0 && res.count > 0 {
			// The CPU is the whole process's (the server and the load generator together, as
			// the 2-core goal counts them), and PostgreSQL's.
			line += fmt.Sprintf(" cpu_us_per_req=%.0f", float64(res.cpu.Microseconds())/float64(res.count))
		}
		if res.count > 0 && name != "bare_handler" {
			line += fmt.Sprintf(" db_stmts_per_req=%.1f", float64(res.stmts)/float64(res.count))
		}
		fmt.Fprintln(out, line)
		if res.cpu > 0 && res.count > 0 {
			perReq := float64(res.cpu.Microseconds()) / float64(res.count)
			fmt.Fprintf(diag, "bench %s: %d requests, %.2fs CPU (%.2fs of it PostgreSQL's) in %.2fs; %d cores at this cost: %.0f/s\n",
				name, res.count, res.cpu.Seconds(), res.dbCPU.Seconds(), res.elapsed.Seconds(), runtime.NumCPU(), float64(runtime.NumCPU())*1e6/perReq)
		}
		if res.failures > 0 {
			failed = true
			fmt.Fprintf(diag, "bench %s: %d of %d requests failed; first: %s\n", name, res.failures, res.count+res.failures, res.firstFailure)
		}
		if res.exhausted {
			fmt.Fprintf(diag, "bench %s: ran out of prepared codes after %.1fs; the rate is over that time\n", name, res.elapsed.Seconds())
		}
	}
	if failed {
		return errors.New("some requests failed")
	}
	return nil
}

// bareHandler is the yardstick: a plain net/http handler doing what any token endpoint must
// (read the form and the Basic credentials, write a small JSON answer with no-store headers)
// and nothing else, behind the same server limits as the reference server's listener.
type bareHandler struct {
	url string
	srv *http.Server
}

func startBareHandler() (*bareHandler, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != benchCCID || secret != benchCCSecret || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "bare.0123456789abcdef0123456789abcdef0123456789abcdef",
			"token_type": "bearer", "expires_in": 3599, "scope": r.PostForm.Get("scope")})
	})
	b := &bareHandler{url: "http://" + ln.Addr().String() + "/token", srv: &http.Server{Handler: h,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *bareHandler) Close() { _ = b.srv.Close() }

const (
	benchCCID         = "cc-client"
	benchCCSecret     = "cc-client-secret-0123456789"
	benchCodeID       = "conf-code"
	benchCodeSecret   = "conf-code-secret-0123456789"
	benchCodeRedirect = "http://127.0.0.1/callback"
)

func post(u string, form url.Values, id, secret string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return req
}

// post is a request to the replica of worker.
func (t *benchTarget) post(worker int, path string, form url.Values, id, secret string) *http.Request {
	return post(t.bases[worker%len(t.bases)]+path, form, id, secret)
}

func (t *benchTarget) clientCredentials(worker, _ int) (*http.Request, error) {
	return t.post(worker, refserver.PathToken, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}, benchCCID, benchCCSecret), nil
}

// introspection gets one access token, then introspects it on every request.
func (t *benchTarget) introspection(ctx context.Context) (func(int, int) (*http.Request, error), error) {
	req, _ := t.clientCredentials(0, 0)
	res, err := t.hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.AccessToken == "" {
		return nil, fmt.Errorf("getting a token to introspect: status %d, %v", res.StatusCode, err)
	}
	return func(worker, _ int) (*http.Request, error) {
		return t.post(worker, refserver.PathIntrospect, url.Values{"token": {body.AccessToken}}, benchCCID, benchCCSecret), nil
	}, nil
}

// codeExchange creates authorization codes for alice straight in the store (one transaction),
// as the authorization endpoint does after login and approval, and hands them out in order.
func (t *benchTarget) codeExchange(ctx context.Context, o *benchOptions) (func(int, int) (*http.Request, error), error) {
	c, err := t.st.GetClient(ctx, benchCodeID)
	if err != nil {
		return nil, err
	}
	// Enough for 5,000 exchanges/s for the whole duration, within reason.
	n := int(o.Duration.Seconds() * 5000)
	n = max(1000, min(n, 100000))
	codes := make([]string, 0, n)
	txCtx, err := t.st.BeginTX(ctx)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		sess := refserver.NewSession("alice")
		now := time.Now().UTC()
		sess.AuthTime = now
		sess.SetExpiresAt(fosite.AuthorizeCode, now.Add(10*time.Minute))
		r := fosite.NewRequest()
		r.RequestedAt = now
		r.Client = c
		r.RequestedScope = fosite.Arguments{"calc:read", "offline_access"}
		r.GrantedScope = fosite.Arguments{"calc:read", "offline_access"}
		r.Form = url.Values{"response_type": {"code"}, "client_id": {benchCodeID}, "redirect_uri": {benchCodeRedirect}, "scope": {"calc:read offline_access"}}
		r.Session = sess
		code, sig, err := t.strategy.GenerateAuthorizeCode(ctx, r)
		if err != nil {
			_ = t.st.Rollback(txCtx)
			return nil, err
		}
		if err := t.st.CreateAuthorizeCodeSession(txCtx, sig, r); err != nil {
			_ = t.st.Rollback(txCtx)
			return nil, err
		}
		codes = append(codes, code)
	}
	if err := t.st.Commit(txCtx); err != nil {
		return nil, err
	}
	var next atomic.Int64
	return func(worker, _ int) (*http.Request, error) {
		i := int(next.Add(1)) - 1
		if i >= len(codes) {
			return nil, errCodesExhausted
		}
		return t.post(worker, refserver.PathToken, url.Values{
			"grant_type": {"authorization_code"}, "code": {codes[i]}, "redirect_uri": {benchCodeRedirect},
		}, benchCodeID, benchCodeSecret), nil
	}, nil
}

var errCodesExhausted = errors.New("no more prepared codes")

type benchResult struct {
	count, failures int
	cpu             time.Duration // process CPU (server and load generator) and dbCPU during the timed part
	dbCPU           time.Duration // PostgreSQL's processes' CPU during the timed part
	stmts           int64         // statements sent to the database during the timed part
	firstFailure    string
	rps, p50, p99   float64
	elapsed         time.Duration
	exhausted       bool
}

// run drives next with o.Concurrency workers for o.Duration, after a short warm-up (which
// also lets the first bcrypt check of each client land in the verified-secret cache).
func (t *benchTarget) run(o *benchOptions, next func(worker, i int) (*http.Request, error), dbCPU func() time.Duration) benchResult {
	warm := func(req *http.Request) {
		if res, err := t.hc.Do(req); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	if req, err := next(0, -1); err == nil {
		warm(req)
	}

	var (
		mu        sync.Mutex
		all       []time.Duration
		failures  int
		first     string
		exhausted atomic.Bool
		wg        sync.WaitGroup
	)
	start := time.Now()
	cpu0, db0, stmts0 := processCPU(), dbCPU(), t.stmts()
	deadline := start.Add(o.Duration)
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			fails, firstFail := 0, ""
			for i := 0; time.Now().Before(deadline); i++ {
				req, err := next(w, i)
				if err != nil {
					exhausted.Store(true)
					break
				}
				t0 := time.Now()
				res, err := t.hc.Do(req)
				if err != nil {
					fails++
					if firstFail == "" {
						firstFail = err.Error()
					}
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				d := time.Since(t0)
				if res.StatusCode != http.StatusOK {
					fails++
					if firstFail == "" {
						firstFail = fmt.Sprintf("%d %s", res.StatusCode, b)
					}
					continue
				}
				lat = append(lat, d)
			}
			mu.Lock()
			all = append(all, lat...)
			failures += fails
			if first == "" {
				first = firstFail
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	db := dbCPU() - db0
	cpu := processCPU() - cpu0 + db
	stmts := t.stmts() - stmts0
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)-1))
		return float64(all[i].Microseconds()) / 1000
	}
	return benchResult{
		count: len(all), failures: failures, firstFailure: first,
		rps: float64(len(all)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99),
		elapsed: elapsed, exhausted: exhausted.Load(), cpu: cpu, dbCPU: db, stmts: stmts,
	}
}
