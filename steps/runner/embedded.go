package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// embeddedServer is the reference server started in-process for a run without --target: a
// free loopback port, a fresh SQLite database in a temporary folder, the fixtures' seed.
type embeddedServer struct {
	Issuer string
	srv    *http.Server
	st     *store.Store
	dir    string
	served chan error
	// audit keeps the server's security audit log for the @refserver scenarios.
	audit *auditBuffer
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

// listenEmbedded binds the port first, so that the issuer (and with it the profile) is known
// and validated before anything slower happens.
func listenEmbedded() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("embedded reference server: cannot listen on loopback: %w", err)
	}
	return ln, "http://" + ln.Addr().String(), nil
}

// startEmbedded serves the reference server on ln. The caller must Close it.
// The audit log goes to memory (for the scenarios) and, when auditLog is set, there too.
// seedYAML replaces fixtures/refserver/seed.yaml when not nil.
func startEmbedded(ctx context.Context, ln net.Listener, issuer string, auditLog io.Writer, seedYAML []byte) (_ *embeddedServer, err error) {
	e := &embeddedServer{Issuer: issuer, served: make(chan error, 1), audit: &auditBuffer{}}
	defer func() {
		if err != nil {
			_ = ln.Close()
			_ = e.Close()
		}
	}()
	if e.dir, err = os.MkdirTemp("", "oauthconf-run-"); err != nil {
		return nil, fmt.Errorf("embedded reference server: temporary folder: %w", err)
	}
	if e.st, err = store.Open(ctx, filepath.Join(e.dir, "oauth.db")); err != nil {
		return nil, fmt.Errorf("embedded reference server: opening its database: %w", err)
	}
	if seedYAML == nil {
		seedYAML = fixtures.SeedYAML()
	}
	if _, err = seed.Load(ctx, e.st, seedYAML, 10); err != nil {
		return nil, fmt.Errorf("embedded reference server: seeding its database: %w", err)
	}
	if err = stretchLifetimes(ctx, e.st, raceTimeoutFactor); err != nil {
		return nil, fmt.Errorf("embedded reference server: %w", err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	var auditW io.Writer = e.audit
	if auditLog != nil {
		auditW = io.MultiWriter(e.audit, auditLog)
	}
	h, err := refserver.New(refserver.Config{Issuer: issuer, GlobalSecret: secret, Audit: audit.New(auditW)}, e.st)
	if err != nil {
		return nil, fmt.Errorf("embedded reference server: %w", err)
	}
	e.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { e.served <- e.srv.Serve(ln) }()
	return e, nil
}

// stretchLifetimes multiplies every lifetime a client was seeded with by factor. The seed's
// short-lived client lives about a second so that the expiry scenarios end quickly; under the
// race detector (factor > 1) one bcrypt check alone can take that long, and a code or token
// would expire before the scenario had used it once.
func stretchLifetimes(ctx context.Context, st *store.Store, factor int) error {
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

// Close stops the server and removes its database.
func (e *embeddedServer) Close() error {
	var errs []error
	if e.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			errs = append(errs, e.srv.Close())
		}
		if err := <-e.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if e.st != nil {
		errs = append(errs, e.st.Close())
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}
