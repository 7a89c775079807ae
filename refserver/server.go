package refserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Endpoint paths, relative to the issuer.
const (
	PathAuthorize  = "/oauth2/authorize"
	PathToken      = "/oauth2/token"
	PathIntrospect = "/oauth2/introspect"
	PathRevoke     = "/oauth2/revoke"
	PathLogin      = "/login"
	PathConsent    = "/consent"
	PathMetadata   = "/.well-known/oauth-authorization-server"
	PathHealth     = "/healthz"
)

// Session is what the server keeps with every code and token. It is stored as JSON.
type Session struct {
	fosite.DefaultSession
	// AuthTime is when the resource owner logged in (zero for client credentials).
	AuthTime time.Time `json:"auth_time,omitempty"`
}

// NewSession makes an empty session for fosite to fill or hydrate.
func NewSession(subject string) *Session {
	return &Session{DefaultSession: fosite.DefaultSession{
		Subject:   subject,
		Username:  subject,
		ExpiresAt: map[fosite.TokenType]time.Time{},
	}}
}

// Clone implements fosite.Session.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	c.DefaultSession = *s.DefaultSession.Clone().(*fosite.DefaultSession)
	return &c
}

// Server is the reference server. Build it with New.
type Server struct {
	cfg      Config
	store    *store.Store
	provider fosite.OAuth2Provider
	fcfg     *fosite.Config
	issuer   *url.URL
	mux      *http.ServeMux
}

// New builds the reference server from cfg over st. It never starts a listener.
func New(cfg Config, st *store.Store) (http.Handler, error) {
	s, err := newServer(cfg, st)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func newServer(cfg Config, st *store.Store) (*Server, error) {
	if st == nil {
		return nil, errors.New("refserver: a store is required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	iss, _ := url.Parse(cfg.Issuer)
	fcfg := &fosite.Config{
		AccessTokenLifespan:   cfg.AccessTokenTTL,
		RefreshTokenLifespan:  cfg.RefreshTokenTTL,
		AuthorizeCodeLifespan: cfg.AuthCodeTTL,
		GlobalSecret:          cfg.GlobalSecret,
		HashCost:              cfg.BcryptCost,
		// RFC 6749 3.3: scopes are compared exactly; fosite's default is wildcard matching.
		ScopeStrategy:            fosite.ExactScopeStrategy,
		AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
		// An empty, non-nil slice: a refresh token whenever the client may use the refresh grant.
		RefreshTokenScopes:             []string{},
		EnforcePKCEForPublicClients:    !cfg.DisablePKCEForPublic,
		EnablePKCEPlainChallengeMethod: false, // S256 only (RFC 9700 2.1.1)
		TokenURL:                       cfg.Issuer + PathToken,
		SendDebugMessagesToClients:     false,
	}
	provider := compose.Compose(fcfg, st, compose.NewOAuth2HMACStrategy(fcfg),
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2AuthorizeImplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory, // after the explicit factory
	)
	s := &Server{cfg: cfg, store: st, provider: provider, fcfg: fcfg, issuer: iss, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc(PathAuthorize, s.handleAuthorize)
	s.mux.HandleFunc(PathLogin, s.handleLogin)
	s.mux.HandleFunc(PathConsent, s.handleConsent)
	s.mux.HandleFunc(PathToken, s.handleToken)
	s.mux.HandleFunc(PathIntrospect, s.handleIntrospect)
	s.mux.HandleFunc(PathRevoke, s.handleRevoke)
	s.mux.HandleFunc(PathMetadata, s.handleMetadata)
	s.mux.HandleFunc(PathHealth, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (c Config) withDefaults() (Config, error) {
	var problems []error
	if c.Issuer == "" {
		problems = append(problems, errors.New("issuer is required"))
	} else if u, err := url.Parse(c.Issuer); err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		// RFC 8414 2: the issuer is a URL with no query or fragment.
		problems = append(problems, fmt.Errorf("issuer %q must be an absolute URL with no query or fragment", c.Issuer))
	}
	if len(c.GlobalSecret) < 32 {
		problems = append(problems, errors.New("global secret must be at least 32 bytes"))
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = 10
	}
	if c.BcryptCost < 10 {
		problems = append(problems, fmt.Errorf("bcrypt cost %d is below the minimum of 10", c.BcryptCost))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.AccessTokenTTL, time.Hour)
	def(&c.RefreshTokenTTL, 720*time.Hour)
	def(&c.AuthCodeTTL, 10*time.Minute)
	def(&c.LoginSessionTTL, 8*time.Hour)
	if c.ApprovalTitle == "" {
		c.ApprovalTitle = "Approve access"
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("refserver config: %w", errors.Join(problems...))
	}
	return c, nil
}
