package refserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
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
	// jwtClientID is the client a JWT access token is being signed for (jwt.go); never stored.
	jwtClientID string
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
	cfg Config
	// store is what the handlers read and change themselves, each through the interface named
	// next to it (aclStore in acl.go, revokeStore in revoke.go, ...); fosite reaches the
	// store through fositeStorage. db is the concrete store, for wiring (fosite, the admin
	// handler, the guessing counts) and tests only.
	store    serverStore
	db       *store.Store
	provider fosite.OAuth2Provider
	fcfg     *fosite.Config
	issuer   *url.URL
	mux      *http.ServeMux
	// strategy makes and checks the tokens (HMAC, or JWT access tokens with HMAC codes and
	// refresh tokens); the revocation endpoint uses it directly.
	strategy oauth2.CoreStrategy
	// jwtKeys signs the JWT access tokens; nil unless Config.JWTAccessTokens (jwt.go).
	jwtKeys *jwtKeys
	// clientAuth authenticates clients at the token, introspection and revocation endpoints.
	clientAuth *clientAuthenticator
	// quirks are the deliberate deviations switched on (quirks.go); nil for a conforming server.
	quirks quirkSet
	// quirkProvider is fosite without PKCE, built only for QuirkPKCEVerifierOptional.
	quirkProvider fosite.OAuth2Provider
	// settings are the run-time settings in force (settings.go, edited in the admin console).
	settings *runtimeSettings
	// limiter throttles guessing of secrets and passwords; gate caps concurrent bcrypt work
	// (refserver/throttle, guessing.go).
	limiter *throttle.Limiter
	// throttledLog keeps a flood of refusals to one line per account and minute (guessing.go).
	throttledLog throttledLog
	gate         *throttle.Gate
	// owners checks resource owners' passwords (login.go).
	owners *ownerPasswords
	// quirkApprovals remembers the (login session, public client) pairs approved, for
	// QuirkPublicClientAutoApprove only.
	quirkApprovals sync.Map
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
	quirks, err := parseQuirks(cfg.Quirks)
	if err != nil {
		return nil, fmt.Errorf("refserver config: %w", err)
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
		RefreshTokenScopes: []string{},
		// RFC 9700 2.1.1 (public clients MUST use PKCE) is enforced by checkPKCE at the
		// authorization endpoint, from the run-time setting (settings.go), so an administrator
		// can change it while the server runs; no code is issued to a public client without a
		// challenge while it is on. fosite's own, static switch stays off.
		EnforcePKCEForPublicClients:    false,
		EnablePKCEPlainChallengeMethod: false, // S256 only (RFC 9700 2.1.1)
		TokenURL:                       cfg.Issuer + PathToken,
		SendDebugMessagesToClients:     false,
		// RFC 6749 4.1.1: state is RECOMMENDED, not required, and any length is valid. fosite
		// refuses a state under 8 characters (or none) with the non-standard invalid_state;
		// -1 switches that check off (fosite compares len(state) < MinParameterEntropy).
		MinParameterEntropy: -1,
	}
	limiter, gate := newGuessingDefences(cfg, st)
	verified := newVerifiedCache()
	clientAuth := newClientAuthenticator(st, verified)
	clientAuth.limiter, clientAuth.gate, clientAuth.dummyHash = limiter, gate, dummyHashForCost(cfg.BcryptCost)
	clientAuth.basicRefused = quirks.Has(QuirkBasicAuthRefused)
	owners := &ownerPasswords{store: st, gate: gate, cache: verified,
		compare: bcrypt.CompareHashAndPassword, dummyHash: dummyHashForCost(cfg.BcryptCost)}
	if quirks.Has(QuirkPKCEPlain) {
		fcfg.EnablePKCEPlainChallengeMethod = true
	}
	s := &Server{cfg: cfg, store: st, db: st, fcfg: fcfg, issuer: iss, mux: http.NewServeMux(), clientAuth: clientAuth, quirks: quirks,
		limiter: limiter, gate: gate, owners: owners}
	limiter.OnRefuse = s.auditThrottled
	// Client authentication is this server's own (clientauth.go): bcrypt with a cache of
	// verified secrets, client_secret_basic and client_secret_post.
	fcfg.ClientAuthenticationStrategy = s.fositeClientAuth
	s.strategy = compose.NewOAuth2HMACStrategy(fcfg)
	if cfg.JWTAccessTokens || quirks.Has(QuirkJWTSignatureUnchecked) {
		keys, err := newJWTKeys(cfg.JWTSigningKey)
		if err != nil {
			return nil, fmt.Errorf("refserver config: %w", err)
		}
		s.jwtKeys = keys
		s.strategy = newJWTStrategy(keys, s.strategy, fcfg, cfg.Issuer)
	}
	// fosite gets the store through fositeStorage, which corrects the PKCE record deletion and
	// the scope of rotated refresh tokens (fositestore.go).
	s.provider = compose.Compose(fcfg, fositeStorage{Store: st, quirks: quirks, owners: owners}, s.strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2AuthorizeImplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory, // after the explicit factory
	)
	if quirks.Has(QuirkPKCEVerifierOptional) || quirks.Has(QuirkPKCEDowngrade) ||
		quirks.Has(QuirkPKCEShortVerifier) || quirks.Has(QuirkPKCEChallengeAsVerifier) {
		// The same grants without the PKCE handler: used for code redemptions that send no
		// code_verifier, as servers that check PKCE only "if a verifier is present" do.
		// compose.Compose appends its handlers to the config, so this provider gets a copy
		// with no handlers of its own yet.
		qcfg := *fcfg
		qcfg.AuthorizeEndpointHandlers, qcfg.TokenEndpointHandlers = nil, nil
		qcfg.TokenIntrospectionHandlers, qcfg.RevocationHandlers, qcfg.PushedAuthorizeEndpointHandlers = nil, nil, nil
		s.quirkProvider = compose.Compose(&qcfg, fositeStorage{Store: st, quirks: quirks, owners: owners}, s.strategy,
			compose.OAuth2AuthorizeExplicitFactory,
			compose.OAuth2RefreshTokenGrantFactory,
		)
	}
	s.settings = newRuntimeSettings(cfg, st)
	if err := s.mountAdmin(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc(PathAuthorize, s.handleAuthorize)
	s.mux.HandleFunc(PathLogin, s.handleLogin)
	s.mux.HandleFunc(PathConsent, s.handleConsent)
	s.mux.HandleFunc(PathLogout, s.handleLogout)
	s.mux.HandleFunc(PathToken, s.handleToken)
	s.mux.HandleFunc(PathIntrospect, s.handleIntrospect)
	s.mux.HandleFunc(PathRevoke, s.handleRevoke)
	s.mux.HandleFunc(PathMetadata, s.handleMetadata)
	s.mux.HandleFunc(PathCalculate, s.handleCalculate) // resource server (calculator.go)
	s.mux.HandleFunc(PathHistory, s.handleHistory)
	s.mux.HandleFunc(PathJWKS, s.handleJWKS)
	s.mux.HandleFunc(PathHealth, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
}

// ServeHTTP implements http.Handler. A panic in a handler is a bug; it is logged and answered
// with a JSON server_error instead of a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = s.clientAddress(r)  // proxy.go: the client's address behind a trusted proxy
	r = withRequestID(w, r) // audit_hooks.go: X-Request-Id and the audit log's request_id
	// One read of the store's change epoch per request, on first use, validates every cached
	// client, token and setting the request looks up (store/epoch.go: replicas that agree).
	r = r.WithContext(s.store.WithEpochScope(r.Context()))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.Default().ErrorContext(r.Context(), "refserver: panic", "path", r.URL.Path, "panic", v)
			writeOAuthError(w, r, serverError(fmt.Errorf("panic: %v", v)))
		}
	}()
	if s.hostChecked(r) && !s.hostAllowed(r) { // hostcheck.go: DNS rebinding
		refuseHost(w)
		return
	}
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

// serverStore is every handler's store interface together: what Server.store offers.
type serverStore interface {
	aclStore
	auditStore
	authorizeStore
	calculatorStore
	loginStore
	logoutStore
	metadataStore
	quirkStore
	revokeStore
	sessionStore
	tokenStore
	// WithEpochScope: ServeHTTP's one read of the change epoch per request (store/epoch.go).
	WithEpochScope(ctx context.Context) context.Context
}
