package launch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// EmbeddedOptions shape the reference server of a run without --target.
type EmbeddedOptions struct {
	// Seed and Profile replace fixtures/refserver/seed.yaml and fixtures/targets/refserver.yaml
	// (a second server shape, e.g. fixtures/refserver/seed-strict.yaml); nil takes the defaults.
	Seed    []byte
	Profile []byte
	// AuditLog, when set, also receives the security audit log (JSON lines); the run's
	// @refserver scenarios read it from memory either way.
	AuditLog io.Writer
}

// Embedded is the reference server started in-process for a conformance run: a free loopback
// port, a fresh SQLite database in a temporary folder, the fixtures' seed. It is what
// steps/runner.Target asks for: the issuer, the target profile, the audit log.
type Embedded struct {
	srv     *Server
	profile []byte
	audit   *auditBuffer
}

// StartEmbedded starts the embedded reference server. The caller must Close it.
func StartEmbedded(ctx context.Context, o EmbeddedOptions) (_ *Embedded, err error) {
	e := &Embedded{profile: o.Profile, audit: &auditBuffer{}}
	if e.profile == nil {
		e.profile = fixtures.RefserverProfileYAML()
	}
	if o.Seed == nil {
		o.Seed = fixtures.SeedYAML()
	}
	db, err := OpenDB(ctx, DBOptions{Seed: o.Seed})
	if err != nil {
		return nil, fmt.Errorf("embedded reference server: %w", err)
	}
	if err := stretchLifetimes(ctx, db.Store, raceFactor); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded reference server: %w", err)
	}
	var auditW io.Writer = e.audit
	if o.AuditLog != nil {
		auditW = io.MultiWriter(e.audit, o.AuditLog)
	}
	if e.srv, err = Serve(db, Options{Config: refserver.Config{Audit: audit.New(auditW)}}); err != nil {
		return nil, fmt.Errorf("embedded reference server: %w", err)
	}
	return e, nil
}

// Issuer is the server's issuer identifier, http://127.0.0.1:PORT.
func (e *Embedded) Issuer() string { return e.srv.Issuer }

// Profile is its target profile (YAML), whose issuer the runner replaces with Issuer.
func (e *Embedded) Profile() []byte { return e.profile }

// AuditLog returns a copy of the security audit log written so far.
func (e *Embedded) AuditLog() []byte { return e.audit.Bytes() }

// Close stops the server and removes its database.
func (e *Embedded) Close() error { return e.srv.Close() }

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
