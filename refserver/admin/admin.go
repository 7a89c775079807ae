// Package admin is the reference server's administration: a JSON API under /admin/api/
// (described by openapi.yaml, authenticated with HTTP Basic as an administrator) and a
// server-rendered console under /admin/ (a login form, then a session cookie). Both manage
// the clients, scopes, users, tokens and settings in the store through the same operations,
// which validate every field and save nothing when any is wrong.
//
// Administrators are a namespace of their own: an OAuth client's id and secret, or a resource
// owner's password, never authenticate here.
package admin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// Paths the handler serves; the server mounts the handler on both prefixes.
const (
	PathConsole = "/admin/"
	PathAPI     = "/admin/api/"
)

// Config configures the admin handler.
type Config struct {
	// Username and PasswordHash (bcrypt) name an administrator given in the configuration
	// (for example by a flag). Administrators stored in the database (store.PutAdmin, the
	// seed's admin entry) are accepted as well. With neither, nobody can log in.
	Username     string
	PasswordHash []byte
	// SessionKey keys the console's session cookies and CSRF tokens: at least 32 bytes.
	// Replicas sharing a database must share it.
	SessionKey []byte
	// BcryptCost for the client secrets and passwords set here; default 10.
	BcryptCost int
	// SecureCookies marks the console's cookies Secure, with __Host- names, even when the
	// request did not come over TLS (behind a TLS-terminating proxy). Under TLS they always
	// are.
	SecureCookies bool
	// SessionTTL bounds a console session; default 8h.
	SessionTTL time.Duration
	// PathPrefix is the path the browser sees in front of /admin/ (the issuer's path), for
	// links and redirects; empty when the server is at the root.
	PathPrefix string
	// Defaults are the server's configured settings, shown until an administrator saves
	// others.
	Defaults store.Settings
	// OnSettingsChanged, when set, is called with the settings just saved, so the server
	// applies them at once.
	OnSettingsChanged func(store.Settings)
	// OnChange, when set, is told of every change an administrator makes or attempts
	// through the API or the console, and of every console sign-in (ok or failed): the
	// security audit log's source.
	OnChange func(ctx context.Context, c Change)
	// Limiter throttles guessing of administrators' passwords and Gate caps concurrent bcrypt
	// work (refserver/throttle, shared with the server's other credential checks); nil: none.
	Limiter *throttle.Limiter
	Gate    *throttle.Gate
}

// handler is the admin API and console.
type handler struct {
	cfg Config
	st  consoleStore
	svc *service
	mux *http.ServeMux
	// templates are the console's pages, parsed once.
	templates map[string]*template.Template

	// verified remembers credentials that passed bcrypt, keyed by an HMAC of username,
	// password and the hash they matched, so the API does not pay ~60 ms of bcrypt per call.
	// Only successes are kept; a changed hash misses.
	mu       sync.Mutex
	verified map[[32]byte]time.Time
	// compare is bcrypt.CompareHashAndPassword; tests memoize it.
	compare func(hash, password []byte) error
	// dummyHash is compared against for unknown usernames (see checkAdmin).
	dummyHash []byte
}

const maxVerified = 1024

// New builds the admin handler over st.
func New(cfg Config, st Store) (http.Handler, error) {
	if st == nil {
		return nil, errors.New("admin: a store is required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("admin: the session key must be at least 32 bytes")
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 10
	}
	if cfg.BcryptCost < 10 || cfg.BcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("admin: bcrypt cost %d is out of range: use 10 to %d", cfg.BcryptCost, bcrypt.MaxCost)
	}
	if cfg.Username != "" && len(cfg.PasswordHash) == 0 || cfg.Username == "" && len(cfg.PasswordHash) != 0 {
		return nil, errors.New("admin: give both the administrator's username and password hash, or neither")
	}
	if len(cfg.PasswordHash) > 0 {
		if _, err := bcrypt.Cost(cfg.PasswordHash); err != nil {
			return nil, fmt.Errorf("admin: the administrator's password hash is not a bcrypt hash: %w", err)
		}
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Defaults.ApprovalTitle == "" {
		cfg.Defaults.ApprovalTitle = "Approve access"
	}
	cfg.PathPrefix = strings.TrimRight(cfg.PathPrefix, "/")
	h := &handler{
		cfg:       cfg,
		st:        st,
		svc:       &service{st: st, bcryptCost: cfg.BcryptCost, hashFn: bcrypt.GenerateFromPassword},
		compare:   bcrypt.CompareHashAndPassword,
		dummyHash: []byte(dummyHash),
		mux:       http.NewServeMux(),
		verified:  map[[32]byte]time.Time{},
	}
	h.apiRoutes()
	if err := h.consoleRoutes(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// No page or answer of the admin may be framed or cached (it shows secrets once).
	hd := w.Header()
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	// JSON answers too; console pages replace this with their own policy (render).
	hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.mux.ServeHTTP(w, r)
}

// checkAdmin reports whether username and password are an administrator's. It costs one
// bcrypt comparison unless the same credentials were verified before.
func (h *handler) checkAdmin(ctx context.Context, username, password string) (bool, error) {
	if username == "" || password == "" {
		return false, nil
	}
	var hash []byte
	if h.cfg.Username != "" && subtle.ConstantTimeCompare([]byte(username), []byte(h.cfg.Username)) == 1 {
		hash = h.cfg.PasswordHash
	} else {
		stored, err := h.st.AdminPasswordHash(ctx, username)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		hash = stored
	}
	// The bcrypt gate's queue is bounded: past it a check is refused before it is counted.
	if len(hash) == 0 {
		done, err := h.cfg.Gate.Admit()
		if err != nil {
			return false, err
		}
		defer done()
		attempt, ref := h.reserve(ctx, username)
		if ref != nil {
			return false, ref
		}
		// Compare anyway so an unknown name takes as long as a wrong password.
		_ = h.gatedCompare(ctx, h.dummyHash, []byte(password))
		attempt.Fail()
		return false, nil
	}
	mac := hmac.New(sha256.New, h.cfg.SessionKey)
	mac.Write([]byte("admin-credential\x00" + username + "\x00" + password + "\x00"))
	mac.Write(hash)
	var key [32]byte
	copy(key[:], mac.Sum(nil))
	h.mu.Lock()
	_, ok := h.verified[key]
	h.mu.Unlock()
	if ok {
		// Verified before: passes even while throttled (throttle.go).
		h.cfg.Limiter.Remembered(throttle.Admin, username, remote(ctx))
		return true, nil
	}
	done, err := h.cfg.Gate.Admit()
	if err != nil {
		return false, err
	}
	defer done()
	attempt, ref := h.reserve(ctx, username)
	if ref != nil {
		return false, ref
	}
	if h.gatedCompare(ctx, hash, []byte(password)) != nil {
		attempt.Fail()
		return false, nil
	}
	attempt.Succeed()
	h.mu.Lock()
	if len(h.verified) >= maxVerified {
		clear(h.verified)
	}
	h.verified[key] = time.Now()
	h.mu.Unlock()
	return true, nil
}

// adminExists reports whether username still names an administrator (a console session of a
// removed administrator ends).
func (h *handler) adminExists(ctx context.Context, username string) bool {
	if h.cfg.Username != "" && username == h.cfg.Username {
		return true
	}
	_, err := h.st.AdminPasswordHash(ctx, username)
	return err == nil
}

// dummyHash is a bcrypt hash (cost 10) of a random string, compared against for unknown
// usernames.
const dummyHash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

// path returns the browser-visible path of an admin path.
func (h *handler) path(p string) string { return h.cfg.PathPrefix + p }

// consoleStore is what the console and the API read themselves (changes go through the
// service, serviceStore): the lists they show, the administrator's password, session versions.
type consoleStore interface {
	AdminPasswordHash(ctx context.Context, username string) ([]byte, error)
	AllScopeResources(ctx context.Context) (map[string][]store.Resource, error)
	EndSessions(ctx context.Context, principal string) error
	GroupsOf(ctx context.Context, principal string) ([]string, error)
	ListACLs(ctx context.Context) ([]*store.ACL, error)
	ListClients(ctx context.Context) ([]*store.Client, error)
	ListGroups(ctx context.Context) ([]*store.Group, error)
	ListPackages(ctx context.Context) ([]*store.Package, error)
	ListResourceACLs(ctx context.Context) ([]store.ResourceACL, error)
	ListScopes(ctx context.Context) ([]*store.Scope, error)
	ListUsers(ctx context.Context) ([]*store.User, error)
	SessionVersion(ctx context.Context, principal string) (int64, error)
}

var _ consoleStore = (*store.Store)(nil)

// Store is what the admin handler needs of the store: the console's reads and the service's
// changes. *store.Store is one.
type Store interface {
	consoleStore
	serviceStore
}

var _ Store = (*store.Store)(nil)
