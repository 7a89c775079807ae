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

// settingsStore is what runtimeSettings reads the saved settings from. Epoch is the store's
// shared change epoch (store/epoch.go): a save through any replica sharing the database moves
// it, so the settings in memory are used only while it has not moved.
type settingsStore interface {
	GetSettings(ctx context.Context) (*store.Settings, error)
	Epoch(ctx context.Context) (uint64, error)
}

// runtimeSettings serves the settings in force: the saved ones, else the configured ones.
type runtimeSettings struct {
	st       settingsStore
	defaults store.Settings
	cur      atomic.Pointer[settingsEntry]
}

type settingsEntry struct {
	s store.Settings
	// epoch is the store's change epoch read before the settings were; hasEpoch is false for
	// values the admin handler handed over (set), which the next get reads again.
	epoch    uint64
	hasEpoch bool
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
// configured ones): a settings read must never fail a request. A change saved through another
// replica is seen at once: the epoch it moved no longer matches the one in memory.
func (rs *runtimeSettings) get(ctx context.Context) store.Settings {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	epoch, eerr := rs.st.Epoch(ctx)
	if e := rs.cur.Load(); e != nil && eerr == nil && e.hasEpoch && e.epoch == epoch {
		return e.s
	}
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
	rs.cur.Store(&settingsEntry{s: s, epoch: epoch, hasEpoch: eerr == nil})
	return s
}

// set takes the values the admin handler just saved.
func (rs *runtimeSettings) set(s store.Settings) {
	rs.cur.Store(&settingsEntry{s: rs.merge(s)})
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
func (s *Server) current(ctx context.Context) store.Settings { return s.settings.get(ctx) }

// withSettingsLifetimes returns c with the server-wide lifetimes in force filled in where the
// client has none of its own, so that fosite (which reads them through
// fosite.ClientWithCustomTokenLifespans) applies the run-time settings. c is not modified.
func (s *Server) withSettingsLifetimes(ctx context.Context, c *store.Client) *store.Client {
	if c == nil || (c.AccessTokenTTL > 0 && c.RefreshTokenTTL > 0 && c.AuthCodeTTL > 0) {
		return c
	}
	set := s.current(ctx)
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
