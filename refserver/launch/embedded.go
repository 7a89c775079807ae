package launch

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/rrproxy"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// EmbeddedOptions shape the reference server of a run without --target.
type EmbeddedOptions struct {
	// Seed and Profile replace fixtures/refserver/seed.yaml and fixtures/targets/refserver.yaml
	// (a second server shape, e.g. fixtures/refserver/seed-strict.yaml); nil takes the defaults.
	Seed    []byte
	Profile []byte
	// TLS, when set, serves the embedded server over https (ServerTLS); its issuer is then
	// https://127.0.0.1:PORT, and the profile must trust the certificate (tls.ca_file).
	TLS *tls.Config
	// AuditLog, when set, also receives the security audit log (JSON lines); the run's
	// @refserver scenarios read it from memory either way.
	AuditLog io.Writer
	// JWTAccessTokens starts the server issuing JWT access tokens (refserver.Config).
	JWTAccessTokens bool
	// Replicas, when 2 or more, starts that many servers over one database file, each with
	// its own store (its own connections and caches, as separate processes have), behind a
	// round-robin proxy on the issuer's address (refserver/rrproxy): each request goes to the
	// next replica (issue 15 item 5: the suite against a replicated deployment). They share
	// the token secret and the audit log.
	Replicas int
	// DB is the database (DBOptions.Path): empty for a fresh SQLite file in a temporary
	// folder, or a postgres:// URL of an empty database (seeded from Seed; the run of the
	// whole suite on PostgreSQL), which the replicas share.
	DB string
}

// Embedded is the reference server started in-process for a conformance run: a free loopback
// port, a fresh SQLite database in a temporary folder, the fixtures' seed. It is what
// steps/runner.Target asks for: the issuer, the target profile, the audit log, and Ready.
type Embedded struct {
	issuer  string
	profile []byte
	audit   *auditBuffer
	ready   chan struct{} // closed when the start ended; then srvs or err is set
	srvs    []*Server     // the replicas; the first owns the database's temporary folder
	front   *http.Server  // the round-robin proxy in front of several replicas
	proxy   *rrproxy.Proxy
	err     error
}

// StartEmbedded binds a loopback port (so that the issuer is known at once) and starts the
// server on it in the background: seeding hashes every secret with bcrypt, which takes a good
// part of a second, and the run meanwhile launches its browser. Ready waits for the start;
// requests sent before it wait in the port's backlog. The caller must Close it.
func StartEmbedded(ctx context.Context, o EmbeddedOptions) (*Embedded, error) {
	e := &Embedded{profile: o.Profile, audit: &auditBuffer{}, ready: make(chan struct{})}
	if e.profile == nil {
		e.profile = fixtures.RefserverProfileYAML()
	}
	if o.Seed == nil {
		o.Seed = fixtures.SeedYAML()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded reference server: cannot listen on loopback: %w", err)
	}
	e.issuer = "http://" + ln.Addr().String()
	if o.TLS != nil {
		e.issuer = "https://" + ln.Addr().String()
	}
	var auditW io.Writer = e.audit
	if o.AuditLog != nil {
		auditW = io.MultiWriter(e.audit, o.AuditLog)
	}
	go func() {
		defer close(e.ready)
		db, err := OpenDB(ctx, DBOptions{Path: o.DB, Seed: o.Seed})
		if err == nil {
			if err = stretchLifetimes(ctx, db.Store, raceFactor); err != nil {
				_ = db.Close()
			}
		}
		if err != nil {
			_ = ln.Close()
			e.err = fmt.Errorf("embedded reference server: %w", err)
			return
		}
		cfg := refserver.Config{Issuer: e.issuer, Audit: audit.New(auditW), SecureCookies: o.TLS != nil, JWTAccessTokens: o.JWTAccessTokens}
		if o.Replicas < 2 {
			srv, err := Serve(db, Options{Listener: ln, TLS: o.TLS, Config: cfg})
			if err != nil {
				e.err = fmt.Errorf("embedded reference server: %w", err)
				return
			}
			e.srvs = []*Server{srv}
			return
		}
		if o.TLS != nil {
			// The round-robin proxy speaks plain http to the client; TLS in front of replicas
			// is the load balancer's, which this test proxy does not play.
			e.err = errors.New("embedded reference server: replicas are served over plain http only (EmbeddedOptions.TLS with Replicas)")
			return
		}
		if e.err = e.startReplicas(ctx, db, ln, cfg, o.Replicas); e.err != nil {
			e.err = fmt.Errorf("embedded reference server (%d replicas): %w", o.Replicas, e.err)
		}
	}()
	return e, nil
}

// startReplicas serves n replicas over db (its file or URL), each on its own loopback port with a store
// of its own, and the round-robin proxy on ln. The replicas share the issuer (the proxy's
// address) and the token secret, as replicas behind a load balancer must.
func (e *Embedded) startReplicas(ctx context.Context, db *Database, ln net.Listener, cfg refserver.Config, n int) error {
	cfg.GlobalSecret = make([]byte, 32)
	_, _ = rand.Read(cfg.GlobalSecret) // crypto/rand.Read never fails (Go 1.24+)
	fail := func(err error) error {
		_ = ln.Close()
		for i := len(e.srvs) - 1; i >= 0; i-- {
			_ = e.srvs[i].Close()
		}
		if len(e.srvs) == 0 {
			_ = db.Close()
		}
		e.srvs = nil
		return err
	}
	addrs := make([]string, 0, n)
	for i := 0; i < n; i++ {
		d := db
		if i > 0 {
			var err error
			if d, err = OpenDB(ctx, DBOptions{Path: db.Path}); err != nil {
				return fail(err)
			}
		}
		rl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			if i > 0 {
				_ = d.Close()
			}
			return fail(fmt.Errorf("replica %d: cannot listen on loopback: %w", i+1, err))
		}
		srv, err := Serve(d, Options{Listener: rl, Config: cfg})
		if err != nil {
			return fail(fmt.Errorf("replica %d: %w", i+1, err)) // Serve closed d
		}
		e.srvs = append(e.srvs, srv)
		addrs = append(addrs, rl.Addr().String())
	}
	p, err := rrproxy.New(addrs)
	if err != nil {
		return fail(err)
	}
	e.proxy = p
	e.front = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.front.Serve(ln) }()
	return nil
}

// Ready waits until the server serves, and says why it does not if its start failed.
func (e *Embedded) Ready(ctx context.Context) error {
	select {
	case <-e.ready:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Issuer is the server's issuer identifier, http(s)://127.0.0.1:PORT.
func (e *Embedded) Issuer() string { return e.issuer }

// Profile is its target profile (YAML), whose issuer the runner replaces with Issuer.
func (e *Embedded) Profile() []byte { return e.profile }

// AuditLog returns a copy of the security audit log written so far.
func (e *Embedded) AuditLog() []byte { return e.audit.Bytes() }

// ReplicaRequests returns how many requests each replica answered through the proxy (nil
// for a single server).
func (e *Embedded) ReplicaRequests() []int64 {
	<-e.ready
	if e.proxy == nil {
		return nil
	}
	return e.proxy.Served()
}

// Close stops the server (after its start, if still under way) and removes its database.
func (e *Embedded) Close() error {
	<-e.ready
	var errs []error
	if e.front != nil {
		errs = append(errs, e.front.Close())
		e.proxy.Close()
	}
	// The first replica last: its database owns the temporary folder.
	for i := len(e.srvs) - 1; i >= 0; i-- {
		errs = append(errs, e.srvs[i].Close())
	}
	return errors.Join(errs...)
}

// auditBuffer is the embedded server's audit log in memory, safe for the server's concurrent
// writes and the scenarios' reads.
type auditBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (a *auditBuffer) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.Write(p)
}

// Bytes returns a copy of the log so far.
func (a *auditBuffer) Bytes() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return bytes.Clone(a.buf.Bytes())
}

// clientEditor is what stretchLifetimes needs of a store.
type clientEditor interface {
	ListClients(ctx context.Context) ([]*store.Client, error)
	UpdateClient(ctx context.Context, c *store.Client) error
}

// stretchLifetimes multiplies every lifetime a client was seeded with by factor. The seed's
// short-lived client lives about a second so that the expiry scenarios end quickly; under the
// race detector (factor > 1) one bcrypt check alone can take that long, and a code or token
// would expire before the scenario had used it once.
func stretchLifetimes(ctx context.Context, st clientEditor, factor int) error {
	if factor <= 1 {
		return nil
	}
	clients, err := st.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("stretching lifetimes: %w", err)
	}
	for _, c := range clients {
		if c.AccessTokenTTL == 0 && c.RefreshTokenTTL == 0 && c.AuthCodeTTL == 0 {
			continue
		}
		c.AccessTokenTTL *= time.Duration(factor)
		c.RefreshTokenTTL *= time.Duration(factor)
		c.AuthCodeTTL *= time.Duration(factor)
		if err := st.UpdateClient(ctx, c); err != nil {
			return fmt.Errorf("stretching lifetimes: %w", err)
		}
	}
	return nil
}
