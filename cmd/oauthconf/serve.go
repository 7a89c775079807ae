package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// pgSecretFile is --secret-file's default when --db is a PostgreSQL URL.
const pgSecretFile = "oauthconf-postgres.secret"

// serveOptions are the flags of `oauthconf serve`, checked.
type serveOptions struct {
	Addr string
	// DB is a SQLite file or a postgres:// URL; DBName is DB for messages (a URL's password
	// redacted).
	DB       string
	DBName   string
	Issuer   string // empty: derived from the address once listening
	SeedFile string // empty: no seed (a first start creates only an administrator)
	// Demo loads the published test fixtures (fixtures/refserver/seed.yaml): clients and
	// passwords anyone can read in the repository. Loopback addresses only.
	Demo       bool
	SecretFile string
	// RotateSecret accepts a token secret other than the one the database was used with (or
	// makes a new one): every code and token issued so far is revoked.
	RotateSecret bool
	// SecureCookies marks cookies Secure with __Host- names although this process serves
	// plain HTTP: for a deployment behind a TLS-terminating proxy.
	SecureCookies bool
	TLSCert       string
	TLSKey        string
	InsecureHTTP  bool
	AccessTTL     time.Duration
	RefreshTTL    time.Duration
	CodeTTL       time.Duration
	BcryptCost    int
	DrainTimeout  time.Duration
	// Quirks are deliberate deviations from the RFCs (refserver/quirks.go), for testing a
	// conformance suite; ListQuirks prints them and exits.
	Quirks     []string
	ListQuirks bool
	// JWTAccessTokens issues RS256-signed JWT access tokens (refserver.Config.JWTAccessTokens).
	JWTAccessTokens bool
	// AuditLog is where the security audit log goes: a file (appended to), "-" for standard
	// output, empty for none.
	AuditLog string
	// AdminUser and AdminPasswordFile name an administrator of the console and API besides
	// the ones stored in the database (the seed's). The password is read from a file, never
	// from a flag, so it does not show in the process list.
	AdminUser         string
	AdminPasswordFile string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For / Forwarded name the
	// client (refserver.Config.TrustedProxies).
	TrustedProxies []netip.Prefix
}

const serveUsage = `usage: oauthconf serve [flags]

Runs the reference OAuth 2.0 server in the foreground. On first start it creates the database
(mode 0600) and the token secret (kept next to the database, so tokens stay valid across
restarts; the database keeps the secret's fingerprint and refuses to start with a missing or
different secret unless --rotate-secret). A first start loads --seed FILE, or with --demo the
published test fixtures (loopback only: their secrets are public); with neither it creates only
an administrator, "admin" (or --admin-user), whose password it reads from
--admin-password-file or generates and prints once.

SIGINT or SIGTERM stops accepting, waits up to --drain-timeout for the requests in flight, closes
the database and exits 0. A drain that times out drops the requests still in flight (their
connections are closed; each write is its own transaction, so none is left half-done), waits at
most 3 s more for the database to close (a lock held by another process can hold it: SQLite
then replays its write-ahead log at the next start, nothing committed is lost) and exits 1 with
one line: "oauthconf serve: the drain timed out: requests still in flight after --drain-timeout
D were dropped" (and, if so, that the database did not close).

Plain HTTP is allowed on a loopback address only; any other address needs --tls-cert and
--tls-key (RFC 6749 3.1, 3.2 require TLS) or --insecure-http.

flags:
`

// parseServeFlags parses and checks the flags; every problem is reported at once.
func parseServeFlags(args []string, stderr io.Writer) (*serveOptions, error) {
	o := &serveOptions{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen address, host:port")
	fs.StringVar(&o.DB, "db", "oauthconf.db", "SQLite database file (created if missing), or a postgres://user:password@host:port/database URL (replicas may share one)")
	fs.StringVar(&o.Issuer, "issuer", "", "issuer URL (default http://ADDR, or https://ADDR with TLS)")
	fs.StringVar(&o.SeedFile, "seed", "", "seed YAML loaded into an empty database (default: none; see --demo)")
	fs.BoolVar(&o.Demo, "demo", false, "load the published test fixtures (fixtures/refserver/seed.yaml) into an empty database; loopback addresses only")
	fs.StringVar(&o.SecretFile, "secret-file", "", "file holding the global token secret, created on first start (default DB.secret; with a postgres:// --db, "+pgSecretFile+": replicas must share it)")
	fs.BoolVar(&o.RotateSecret, "rotate-secret", false, "accept a missing or different token secret (a missing one is generated, an unchanged one replaced): revokes every code and token issued so far")
	fs.BoolVar(&o.SecureCookies, "secure-cookies", false, "mark cookies Secure with __Host- names (behind a TLS-terminating proxy; implied by --tls-cert)")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&o.InsecureHTTP, "insecure-http", false, "allow plain HTTP on a non-loopback address (insecure: tokens travel in clear)")
	fs.DurationVar(&o.AccessTTL, "access-token-ttl", time.Hour, "access token lifetime")
	fs.DurationVar(&o.RefreshTTL, "refresh-token-ttl", 720*time.Hour, "refresh token lifetime")
	fs.DurationVar(&o.CodeTTL, "auth-code-ttl", 10*time.Minute, "authorization code lifetime (RFC 6749 4.1.2: at most 10 minutes recommended)")
	fs.IntVar(&o.BcryptCost, "bcrypt-cost", 10, "bcrypt cost for the seeded secrets and passwords (at least 10)")
	fs.DurationVar(&o.DrainTimeout, "drain-timeout", 10*time.Second, "how long a shutdown (SIGINT, SIGTERM) waits for in-flight requests before dropping them and exiting 1")
	fs.Func("quirk", "switch on a deliberate deviation from the RFCs, for testing a conformance suite (repeatable; see --list-quirks)", func(v string) error {
		o.Quirks = append(o.Quirks, v)
		return nil
	})
	fs.StringVar(&o.AuditLog, "audit-log", "", "security audit log: a file (appended to) or - for standard output; JSON lines (default: none)")
	fs.BoolVar(&o.JWTAccessTokens, "jwt-access-tokens", false, "issue access tokens as JWTs signed with a key generated at start-up, published at "+refserver.PathJWKS+" (default: opaque tokens)")
	fs.BoolVar(&o.ListQuirks, "list-quirks", false, "list the known quirks with what each breaks, and exit")
	fs.StringVar(&o.AdminUser, "admin-user", "", "an administrator of the admin console and API (with --admin-password-file; default admin)")
	fs.StringVar(&o.AdminPasswordFile, "admin-password-file", "", "file holding the administrator's password (first line); without --admin-user it names \"admin\"")
	fs.Func("trusted-proxy", "a reverse proxy (IP or CIDR, repeatable or comma-separated) whose X-Forwarded-For / Forwarded name the client: the throttle and the audit log then see the client's address", func(v string) error {
		for _, f := range strings.Split(v, ",") {
			p, err := parsePrefix(strings.TrimSpace(f))
			if err != nil {
				return err
			}
			o.TrustedProxies = append(o.TrustedProxies, p)
		}
		return nil
	})
	if err := parseFlags(fs, args, serveUsage, stderr); err != nil {
		return nil, err
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q (flags only)", fs.Arg(0)))
	}
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		problems = append(problems, fmt.Sprintf("--addr %q is not host:port (for example 127.0.0.1:8080)", o.Addr))
	} else if _, perr := net.LookupPort("tcp", port); perr != nil {
		problems = append(problems, fmt.Sprintf("--addr %q has an invalid port", o.Addr))
	}
	o.DBName = store.RedactURL(o.DB)
	switch {
	case o.DB == "":
		problems = append(problems, "--db must name a database file or a postgres:// URL")
	case store.IsPostgresURL(o.DB):
		if u, uerr := url.Parse(o.DB); uerr != nil || u.Host == "" {
			problems = append(problems, fmt.Sprintf("--db %s is not a PostgreSQL URL: write postgres://user:password@host:port/database", o.DBName))
		}
	case strings.Contains(o.DB, "://") && !strings.HasPrefix(o.DB, "file:"):
		problems = append(problems, fmt.Sprintf("--db %q: only SQLite files and postgres:// (postgresql://) URLs are databases here", o.DBName))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		problems = append(problems, "--tls-cert and --tls-key go together: give both or neither")
	}
	useTLS := o.TLSCert != "" && o.TLSKey != ""
	if err == nil && !useTLS && !o.InsecureHTTP && !isLoopbackHost(host) {
		problems = append(problems, fmt.Sprintf("--addr %q is not a loopback address: serve TLS with --tls-cert and --tls-key (RFC 6749 requires TLS), or pass --insecure-http", o.Addr))
	}
	if o.Issuer != "" {
		u, uerr := url.Parse(o.Issuer)
		if uerr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			problems = append(problems, fmt.Sprintf("--issuer %q must be an http(s) URL with no query or fragment (RFC 8414 2)", o.Issuer))
		} else {
			o.Issuer = strings.TrimSuffix(o.Issuer, "/")
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--access-token-ttl", o.AccessTTL}, {"--refresh-token-ttl", o.RefreshTTL}, {"--auth-code-ttl", o.CodeTTL}, {"--drain-timeout", o.DrainTimeout}} {
		if d.v <= 0 {
			problems = append(problems, fmt.Sprintf("%s must be positive, got %s", d.name, d.v))
		}
	}
	if o.BcryptCost < 10 || o.BcryptCost > 31 {
		problems = append(problems, fmt.Sprintf("--bcrypt-cost must be between 10 and 31, got %d", o.BcryptCost))
	}
	if len(o.Quirks) > 0 {
		known := map[string]bool{}
		var names []string
		for _, q := range refserver.KnownQuirks() {
			known[string(q.Name)] = true
			names = append(names, string(q.Name))
		}
		for _, q := range o.Quirks {
			if !known[q] {
				problems = append(problems, fmt.Sprintf("--quirk %q is not a known quirk: use one of %s (--list-quirks describes them)", q, strings.Join(names, ", ")))
			}
		}
	}
	if o.AdminUser != "" && o.AdminPasswordFile == "" {
		problems = append(problems, "--admin-user needs --admin-password-file (the password is never given on the command line)")
	}
	if o.AdminPasswordFile != "" && o.AdminUser == "" {
		o.AdminUser = defaultAdmin
	}
	if o.Demo && o.SeedFile != "" {
		problems = append(problems, "--demo and --seed exclude each other: --demo is --seed with the published test fixtures")
	}
	if o.Demo && err == nil && !isLoopbackHost(host) {
		problems = append(problems, fmt.Sprintf("--demo on %q: the demo's clients, users and administrator have passwords published in the repository; serve it on a loopback address only (127.0.0.1, ::1, localhost)", o.Addr))
	}
	if o.SecretFile == "" && store.IsPostgresURL(o.DB) {
		// A URL is no file name; the secret lives beside the working directory, and every
		// replica of the database must be given the same file.
		o.SecretFile = pgSecretFile
	} else if o.SecretFile == "" && o.DB != "" {
		o.SecretFile = o.DB + ".secret"
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

// parsePrefix parses a --trusted-proxy value: a CIDR, or one address (a /32 or /128).
func parsePrefix(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR (for example 10.0.0.0/8 or 127.0.0.1)", v)
}

// isLoopbackHost reports whether host names only the local machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadOrCreateSecret returns the global secret kept in path, creating it (32 random bytes,
// hex, mode 0600) on first start so tokens survive restarts.
//
// Replicas started together over a new database race to create it; every one of them must end
// up with the same secret, and none may read a file half written. So the secret is written to
// a file of its own first and then linked into place, which fails if path exists: the loser of
// the race removes its own and reads the winner's, complete.
func loadOrCreateSecret(path string) ([]byte, error) {
	secret, err := readTokenSecret(path)
	if !errors.Is(err, os.ErrNotExist) {
		return secret, err
	}
	secret = make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the secret file's folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("creating secret file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("creating secret file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(secret) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing secret file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing secret file: %w", err)
	}
	if err := os.Link(tmp, path); errors.Is(err, os.ErrExist) {
		return readTokenSecret(path) // another replica made it first
	} else if err != nil {
		return nil, fmt.Errorf("creating secret file: %w", err)
	}
	return secret, nil
}

// readTokenSecret reads the secret kept in path; an error wrapping os.ErrNotExist when there is none.
func readTokenSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("reading secret file: %w", err)
	}
	secret, derr := hex.DecodeString(strings.TrimSpace(string(b)))
	if derr != nil || len(secret) < 32 {
		return nil, fmt.Errorf("secret file %s must hold at least 32 bytes in hex: delete it to generate a new one (tokens issued under the old secret stop working)", path)
	}
	return secret, nil
}

func serveCmd(args []string) int {
	o, err := parseServeFlags(args, os.Stderr)
	if err != nil {
		return flagError(os.Stderr, "serve", err)
	}
	if o.ListQuirks {
		listQuirks(os.Stdout)
		return exitOK
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "oauthconf serve: %v\n", err)
		return exitFail
	}
	return exitOK
}

// listQuirks prints every quirk the reference server knows, one a line with what it breaks.
func listQuirks(out io.Writer) {
	qs := refserver.KnownQuirks()
	width := 0
	for _, q := range qs {
		width = max(width, len(q.Name))
	}
	fmt.Fprintln(out, "Quirks: deliberate deviations, each reproducing a real-world bug. Off unless named with --quirk.")
	for _, q := range qs {
		fmt.Fprintf(out, "  %-*s  %s\n", width, q.Name, q.Description)
	}
}

// serve runs the server until ctx is done, then drains in-flight requests and closes the
// database. It prints the issuer, the database file and the client ids to out.
func serve(ctx context.Context, o *serveOptions, out io.Writer) error {
	var seedYAML []byte
	demo := o.Demo
	if demo {
		seedYAML = fixtures.SeedYAML()
	} else if o.SeedFile != "" {
		b, err := os.ReadFile(o.SeedFile)
		if err != nil {
			return fmt.Errorf("reading --seed: %w", err)
		}
		seedYAML = b
	}
	// A seed with any published secret or password is the demo under another name
	// (serve_demo.go).
	published := publishedInSeed(seedYAML)
	demo = demo || published != ""
	host, _, _ := net.SplitHostPort(o.Addr)
	if published != "" && !isLoopbackHost(host) {
		return fmt.Errorf("--seed %s holds the published test fixtures (%s; their passwords are in the repository): serve them on a loopback address only, or write a seed of your own", o.SeedFile, published)
	}
	var tlsCfg *tls.Config
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return fmt.Errorf("loading --tls-cert/--tls-key: %w", err)
		}
		tlsCfg = launch.ServerTLS(cert)
	}

	auditLog, closeAudit, err := openAuditLog(o.AuditLog, out)
	if err != nil {
		return err
	}
	defer closeAudit()

	db, err := launch.OpenDB(ctx, launch.DBOptions{Path: o.DB})
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	// Closed by the server's Shutdown once it serves; here for every return before that.
	defer db.Close()
	st := db.Store
	dbFile := o.DB
	if store.IsPostgresURL(o.DB) {
		dbFile = "" // no file of ours to tighten
	}
	if err := tightenFileModes(dbFile, o.AuditLog); err != nil { // serve_files.go
		return err
	}
	secret, rotated, err := checkSecret(ctx, st, o)
	if err != nil {
		return err
	}
	dbNote, err := firstStart(ctx, st, o, seedYAML, demo, out)
	if err != nil {
		return err
	}
	from, _, err := st.Fact(ctx, factSeededFrom)
	if err != nil {
		return err
	}
	if err := checkNotDemo(ctx, st, o, host, from); err != nil {
		return err
	}
	demo = demo || from == seededDemo || publishedAdminPassword(o.AdminPasswordFile) != ""

	adminNote, err := storeAdminPassword(ctx, st, o) // serve_admin.go
	if err != nil {
		return err
	}

	cfg := refserver.Config{
		Issuer:          o.Issuer, // empty: the launcher derives it from the address it listens on
		GlobalSecret:    secret,
		AccessTokenTTL:  o.AccessTTL,
		RefreshTokenTTL: o.RefreshTTL,
		AuthCodeTTL:     o.CodeTTL,
		BcryptCost:      o.BcryptCost,
		SecureCookies:   tlsCfg != nil || o.SecureCookies,
		Quirks:          o.Quirks,
		JWTAccessTokens: o.JWTAccessTokens,
		Audit:           auditLog,
		RestrictHosts:   demo, // public passwords: no DNS rebinding onto them (hostcheck.go)
		TrustedProxies:  o.TrustedProxies,
	}
	clients, err := st.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("listing clients: %w", err)
	}
	srv, err := launch.Serve(db, launch.Options{Addr: o.Addr, TLS: tlsCfg, Config: cfg})
	if err != nil {
		return err
	}
	issuer := srv.Issuer
	fmt.Fprintf(out, "issuer:   %s\n", issuer)
	fmt.Fprintf(out, "metadata: %s%s\n", issuer, refserver.PathMetadata)
	fmt.Fprintf(out, "database: %s%s\n", o.DBName, dbNote)
	fmt.Fprintf(out, "secret:   %s%s\n", o.SecretFile, rotated)
	if adminNote != "" {
		fmt.Fprintf(out, "admin:    %s\n", adminNote)
	}
	ids := make([]string, 0, len(clients))
	for _, c := range clients {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		ids = append(ids, "(none yet)")
	}
	fmt.Fprintf(out, "clients:  %s\n", strings.Join(ids, ", "))
	if len(o.Quirks) > 0 {
		fmt.Fprintf(out, "quirks:   %s (NOT a conforming server: for testing a conformance suite only)\n", strings.Join(o.Quirks, ", "))
	}

	select {
	case <-srv.Done():
		_ = srv.Close() // closes the database
		return fmt.Errorf("serving: %w", srv.Err())
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), o.DrainTimeout)
	defer cancel()
	return shutdownError(srv.Shutdown(sctx), o.DrainTimeout)
}

// shutdownError words what went wrong in a shutdown as one line (serve -h documents it): a
// drain that timed out names --drain-timeout first, then anything else (a database that did
// not close in time).
func shutdownError(err error, drain time.Duration) error {
	if err == nil {
		return nil
	}
	var parts []string
	if errors.Is(err, launch.ErrDrainTimeout) {
		parts = append(parts, fmt.Sprintf("the drain timed out: requests still in flight after --drain-timeout %s were dropped", drain))
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, launch.ErrDrainTimeout) {
			parts = append(parts, strings.ReplaceAll(e.Error(), "\n", "; "))
		}
	}
	return &shutdownErr{msg: strings.Join(parts, "; "), err: err}
}

// shutdownErr keeps the launcher's errors for errors.Is behind the one-line message.
type shutdownErr struct {
	msg string
	err error
}

func (e *shutdownErr) Error() string { return e.msg }
func (e *shutdownErr) Unwrap() error { return e.err }

// openAuditLog opens the --audit-log destination: "-" is out (standard output), a path is
// appended to (created 0600: the log names users and clients), "" is no log.
func openAuditLog(dest string, out io.Writer) (*audit.Logger, func(), error) {
	switch dest {
	case "":
		return nil, func() {}, nil
	case "-":
		return audit.New(out), func() {}, nil
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log: %w", err)
	}
	return audit.New(f), func() { _ = f.Close() }, nil
}

// readAdminPassword reads the administrator's password from the first line of path.
func readAdminPassword(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--admin-password-file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimRight(pw, "\r")
	if len(pw) < 12 {
		return nil, fmt.Errorf("--admin-password-file %s: the password must have at least 12 characters", path)
	}
	return []byte(pw), nil
}

// hashAdminPassword reads the administrator's password from the first line of path and
// hashes it; the plain password is kept no longer than this call.
func hashAdminPassword(path string, cost int) ([]byte, error) {
	pw, err := readAdminPassword(path)
	if err != nil {
		return nil, err
	}
	h, err := bcrypt.GenerateFromPassword(pw, cost)
	if err != nil {
		return nil, fmt.Errorf("--admin-password-file %s: %w", path, err)
	}
	return h, nil
}
