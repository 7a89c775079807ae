// Package launch starts the reference server: the one place that assembles it from a database,
// a seed and a configuration and serves it on a listener. Every caller goes through it:
// oauthconf serve and bench, the embedded target of oauthconf run (StartEmbedded), the
// self-test, and the soak (which runs oauthconf serve as a child).
//
// The conformance harness (steps/...) judges servers, so it never imports the one it judges:
// it receives a started Embedded through steps/runner.Target (../shared/design.md, the
// dependency rule; TestHarnessDoesNotImportTheServer enforces it).
package launch

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// DBOptions name the database a server runs on.
type DBOptions struct {
	// Path is the SQLite database file, created if missing, or a postgres:// (postgresql://)
	// URL of a PostgreSQL database, whose tables the store creates. Empty: a fresh SQLite
	// file in a temporary folder, removed when the database is closed.
	Path string
	// Template, when set, is a closed, seeded database (seed.Template) copied to Path first:
	// seeding hashes every secret and password with bcrypt, the slow part of a start, so a
	// caller starting many servers seeds once.
	Template string
	// Seed, when set, is loaded into an empty database (seed.Load) at BcryptCost.
	Seed []byte
	// BcryptCost for the seeded secrets and passwords; 0 is seed.MinBcryptCost.
	BcryptCost int
}

// Database is an open store and where it lives.
type Database struct {
	Store *store.Store
	// Path is the database file or PostgreSQL URL (with its password; print Name instead).
	Path string
	// Name is the database for messages: the file, or the URL with its password redacted.
	Name string
	// Seeded reports whether DBOptions.Seed was loaded now (the database was empty).
	Seeded  bool
	tempDir string
}

// OpenDB opens (creating and seeding) the database o names. The caller closes it, or hands it
// to Serve, which then owns it.
func OpenDB(ctx context.Context, o DBOptions) (_ *Database, err error) {
	d := &Database{Path: o.Path, Name: store.RedactURL(o.Path)}
	if store.IsPostgresURL(o.Path) && o.Template != "" {
		// The template is a seeded SQLite file; a PostgreSQL database is seeded from Seed.
		return nil, fmt.Errorf("database %s: a template database applies to SQLite files only; give the seed instead", d.Name)
	}
	defer func() {
		if err != nil {
			_ = d.Close()
		}
	}()
	if d.Path == "" {
		if d.tempDir, err = os.MkdirTemp("", "oauthconf-db-"); err != nil {
			return nil, fmt.Errorf("temporary folder for the database: %w", err)
		}
		d.Path = filepath.Join(d.tempDir, "oauth.db")
		d.Name = d.Path
	}
	if o.Template != "" {
		if err = seed.CopyDB(o.Template, d.Path); err != nil {
			return nil, fmt.Errorf("copying the template database: %w", err)
		}
	}
	if d.Store, err = store.Open(ctx, d.Path); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", d.Name, err)
	}
	if o.Seed != nil {
		cost := o.BcryptCost
		if cost == 0 {
			cost = seed.MinBcryptCost
		}
		if d.Seeded, err = seed.Load(ctx, d.Store, o.Seed, cost); err != nil {
			return nil, fmt.Errorf("loading seed data: %w", err)
		}
	}
	return d, nil
}

// Close closes the store and removes a temporary database.
func (d *Database) Close() error {
	var errs []error
	if d.Store != nil {
		errs = append(errs, d.Store.Close())
	}
	if d.tempDir != "" {
		errs = append(errs, os.RemoveAll(d.tempDir))
	}
	return errors.Join(errs...)
}

// Options say how the server is served.
type Options struct {
	// Listener is served when set (bound early, so that the issuer is known first); otherwise
	// Addr is listened on, "127.0.0.1:0" (a free loopback port) when empty.
	Listener net.Listener
	Addr     string
	// TLS, when set, serves HTTPS.
	TLS *tls.Config
	// Config is the server's (refserver.New). An empty Issuer becomes http(s)://ADDR of the
	// listener; an empty GlobalSecret a random one, so tokens do not outlive the process.
	Config refserver.Config
}

// Server is a reference server being served. Stop it with Shutdown or Close.
type Server struct {
	// Issuer is the server's issuer identifier.
	Issuer string
	DB     *Database
	srv    *http.Server
	done   chan struct{}
	err    error // why Serve returned; read after done is closed
}

// Serve builds the server on db and serves it. It owns db from then on: Shutdown closes it,
// and so does a failure here.
func Serve(db *Database, o Options) (_ *Server, err error) {
	ln := o.Listener
	defer func() {
		if err != nil {
			if ln != nil {
				_ = ln.Close()
			}
			_ = db.Close()
		}
	}()
	if ln == nil {
		addr := o.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("listening on %s: %w", addr, err)
		}
	}
	cfg := o.Config
	if cfg.Issuer == "" {
		scheme := "http"
		if o.TLS != nil {
			scheme = "https"
		}
		cfg.Issuer = scheme + "://" + ln.Addr().String()
	}
	if cfg.GlobalSecret == nil {
		cfg.GlobalSecret = make([]byte, 32)
		_, _ = rand.Read(cfg.GlobalSecret) // crypto/rand.Read never fails (Go 1.24+)
	}
	h, err := refserver.New(cfg, db.Store)
	if err != nil {
		return nil, err
	}
	s := &Server{Issuer: cfg.Issuer, DB: db, done: make(chan struct{}),
		// The same limits for every caller: the server the suite certifies is the one people
		// deploy. A slow or idle client cannot hold a connection (or the server's memory)
		// for long.
		srv: &http.Server{
			Handler:           h,
			TLSConfig:         o.TLS,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
		}}
	go func() {
		defer close(s.done)
		if o.TLS != nil {
			s.err = s.srv.ServeTLS(ln, "", "")
		} else {
			s.err = s.srv.Serve(ln)
		}
	}()
	return s, nil
}

// Start is OpenDB then Serve.
func Start(ctx context.Context, d DBOptions, o Options) (*Server, error) {
	db, err := OpenDB(ctx, d)
	if err != nil {
		if o.Listener != nil {
			_ = o.Listener.Close()
		}
		return nil, err
	}
	return Serve(db, o)
}

// Done is closed when the server stops serving: after Shutdown, or on its own when serving
// failed (Err says why).
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is why the server stopped serving, nil after Shutdown or Close; valid once Done is closed.
func (s *Server) Err() error {
	if errors.Is(s.err, http.ErrServerClosed) {
		return nil
	}
	return s.err
}

// ErrDrainTimeout is in Shutdown's error when its context ended before every in-flight request
// was answered: those requests were dropped (their connections closed). Each write is its own
// SQLite transaction, so a dropped request leaves nothing half-written.
var ErrDrainTimeout = errors.New("requests still in flight were dropped")

// ErrDBCloseTimeout is in Shutdown's error when the database did not close within
// DBCloseTimeout: a statement is waiting for a lock another process holds (SQLite waits up to
// its busy timeout, 10 s a statement, and a timed-out drain leaves such a statement behind).
// The process may exit without it: SQLite replays its write-ahead log at the next open, so
// nothing committed is lost (the crash soak proves it with SIGKILL).
var ErrDBCloseTimeout = errors.New("the database did not close")

// DBCloseTimeout bounds Shutdown's wait for the database to close, after the drain: a shutdown
// takes at most its context's time plus this.
const DBCloseTimeout = 3 * time.Second

// Shutdown stops accepting, waits for in-flight requests until ctx is done (then drops them:
// ErrDrainTimeout), and closes the database (waiting at most DBCloseTimeout: ErrDBCloseTimeout).
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if err := s.srv.Shutdown(ctx); err != nil {
		if ctx.Err() != nil {
			errs = append(errs, ErrDrainTimeout)
		} else {
			errs = append(errs, fmt.Errorf("draining requests: %w", err))
		}
		// Closes every connection; the dropped handlers' request contexts end, which
		// interrupts their SQLite statements.
		_ = s.srv.Close()
	}
	<-s.done
	errs = append(errs, s.Err(), s.closeDB())
	return errors.Join(errs...)
}

// closeDB closes the database, giving up after DBCloseTimeout (the close goes on in the
// background; a process that exits then leaves the write-ahead log to the next open).
func (s *Server) closeDB() error {
	done := make(chan error, 1)
	go func() { done <- s.DB.Close() }()
	t := time.NewTimer(DBCloseTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w within %s (is another process holding it locked?); SQLite replays its write-ahead log at the next start, nothing committed is lost", ErrDBCloseTimeout, DBCloseTimeout)
	}
}

// Close is Shutdown with five seconds for in-flight requests.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}
