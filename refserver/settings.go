package refserver

// Run-time settings and the admin console/API mount (issue 4). An administrator can change the
// token lifetimes, PKCE for public clients and the approval page's text while the server
// runs; the values are saved in the store and replace the configured ones.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/oauthconf/oauthconf/refserver/admin"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// settingsMaxAge bounds how long a change saved by another replica sharing the database
// stays unseen here. A change made through this server's own admin handler applies at once.
const settingsMaxAge = 2 * time.Second

// settingsStore is what runtimeSettings reads the saved settings from.
type settingsStore interface {
	GetSettings(ctx context.Context) (*store.Settings, error)
}

// runtimeSettings serves the settings in force: the saved ones, else the configured ones.
type runtimeSettings struct {
	st       settingsStore
	defaults store.Settings
	cur      atomic.Pointer[settingsEntry]
}

type settingsEntry struct {
	s  store.Settings
	at time.Time
}

func newRuntimeSettings(cfg Config, st settingsStore) *runtimeSettings {
	return &runtimeSettings{st: st, defaults: configSettings(cfg)}
}

// configSettings are the settings the configuration gives (after withDefaults).
func configSettings(cfg Config) store.Settings {
	return store.Settings{
		AccessTokenTTL:        cfg.AccessTokenTTL,
		RefreshTokenTTL:       cfg.RefreshTokenTTL,
		AuthCodeTTL:           cfg.AuthCodeTTL,
		PKCERequiredForPublic: !cfg.DisablePKCEForPublic,
		ApprovalTitle:         cfg.ApprovalTitle,
		ApprovalHeading:       cfg.ApprovalHeading,
		ApprovalFooter:        cfg.ApprovalFooter,
	}
}

// get returns the settings in force. A store error keeps the last known values (or the
// configured ones): a settings read must never fail a request.
func (rs *runtimeSettings) get() store.Settings {
	if e := rs.cur.Load(); e != nil && time.Since(e.at) < settingsMaxAge {
		return e.s
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	saved, err := rs.st.GetSettings(ctx)
	if err != nil {
		slog.Default().Error("refserver: read settings", "error", err)
		if e := rs.cur.Load(); e != nil {
			return e.s
		}
		return rs.defaults
	}
	s := rs.defaults
	if saved != nil {
		s = rs.merge(*saved)
	}
	rs.cur.Store(&settingsEntry{s: s, at: time.Now()})
	return s
}

// set takes the values the admin handler just saved.
func (rs *runtimeSettings) set(s store.Settings) {
	rs.cur.Store(&settingsEntry{s: rs.merge(s), at: time.Now()})
}

// merge fills what a saved setting leaves empty (a zero lifetime, an empty title) from the
// configuration.
func (rs *runtimeSettings) merge(s store.Settings) store.Settings {
	if s.AccessTokenTTL <= 0 {
		s.AccessTokenTTL = rs.defaults.AccessTokenTTL
	}
	if s.RefreshTokenTTL <= 0 {
		s.RefreshTokenTTL = rs.defaults.RefreshTokenTTL
	}
	if s.AuthCodeTTL <= 0 {
		s.AuthCodeTTL = rs.defaults.AuthCodeTTL
	}
	if s.ApprovalTitle == "" {
		s.ApprovalTitle = rs.defaults.ApprovalTitle
	}
	return s
}

// current returns the settings in force.
func (s *Server) current() store.Settings { return s.settings.get() }

// withSettingsLifetimes returns c with the server-wide lifetimes in force filled in where the
// client has none of its own, so that fosite (which reads them through
// fosite.ClientWithCustomTokenLifespans) applies the run-time settings. c is not modified.
func (s *Server) withSettingsLifetimes(c *store.Client) *store.Client {
	if c == nil || (c.AccessTokenTTL > 0 && c.RefreshTokenTTL > 0 && c.AuthCodeTTL > 0) {
		return c
	}
	set := s.current()
	cp := *c
	if cp.AccessTokenTTL <= 0 {
		cp.AccessTokenTTL = set.AccessTokenTTL
	}
	if cp.RefreshTokenTTL <= 0 {
		cp.RefreshTokenTTL = set.RefreshTokenTTL
	}
	if cp.AuthCodeTTL <= 0 && set.AuthCodeTTL != s.cfg.AuthCodeTTL {
		cp.AuthCodeTTL = set.AuthCodeTTL
	}
	return &cp
}

// mountAdmin mounts the admin console (/admin/) and API (/admin/api/).
func (s *Server) mountAdmin() error {
	// The console's session key is derived from the global secret, so replicas sharing it
	// share sessions, and it is never the key of the tokens themselves.
	mac := hmac.New(sha256.New, s.cfg.GlobalSecret)
	mac.Write([]byte("oauthconf admin console session key"))
	h, err := admin.New(admin.Config{
		Username:          s.cfg.AdminUsername,
		PasswordHash:      s.cfg.AdminPasswordHash,
		SessionKey:        mac.Sum(nil),
		BcryptCost:        s.cfg.BcryptCost,
		SecureCookies:     s.cfg.SecureCookies,
		PathPrefix:        s.issuer.Path,
		Defaults:          s.settings.defaults,
		OnSettingsChanged: s.settings.set,
		OnChange:          s.auditAdminChange, // the audit log's admin_change (audit_hooks.go)
		Limiter:           s.limiter,
		Gate:              s.gate,
	}, s.db)
	if err != nil {
		return fmt.Errorf("refserver: %w", err)
	}
	s.mux.Handle(admin.PathConsole, h)
	return nil
}
