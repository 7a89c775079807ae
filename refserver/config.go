// Package refserver is the reference OAuth 2.0 authorization server and resource server,
// built on ory/fosite and corrected where fosite departs from the RFCs. It is a library:
// New builds an http.Handler from a Config and a store; the command only parses flags.
package refserver

import (
	"crypto/rsa"
	"net/netip"
	"time"

	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// Config is the server's configuration. Zero values take the documented defaults.
type Config struct {
	// Issuer is the server's issuer identifier (RFC 8414 2), e.g. "http://127.0.0.1:8080".
	// Endpoints are published under it. Required.
	Issuer string
	// GlobalSecret keys the HMAC token strategy; at least 32 bytes. Required. Tokens issued
	// under one secret stay valid across restarts only if the same secret is given again.
	GlobalSecret []byte
	// JWTAccessTokens issues access tokens as JWTs signed RS256 (RFC 9068's format; jwt.go)
	// instead of opaque HMAC tokens; codes and refresh tokens stay opaque. The tokens are
	// still recorded, so revocation and introspection work as with opaque tokens.
	// JWTSigningKey is the RSA key that signs them; nil generates a 2048-bit key at start-up
	// (tokens then do not survive a restart).
	JWTAccessTokens bool
	JWTSigningKey   *rsa.PrivateKey
	// AccessTokenTTL defaults to 1h, RefreshTokenTTL to 720h, AuthCodeTTL to 10m
	// (RFC 6749 4.1.2 recommends at most 10 minutes), LoginSessionTTL to 8h.
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	AuthCodeTTL     time.Duration
	LoginSessionTTL time.Duration
	// BcryptCost for client secrets and user passwords; at least 10, default 10.
	BcryptCost int
	// RequirePKCEForPublic defaults to true (RFC 9700 2.1.1: public clients MUST use PKCE).
	// Stored as a pointer-free "Disable" switch so the zero value is the safe one.
	DisablePKCEForPublic bool
	// SecureCookies marks cookies Secure and gives them __Host- names; set when serving over
	// TLS, or behind a TLS-terminating proxy (serve --secure-cookies). The admin console does
	// the same for its cookies, and on its own for requests that arrive over TLS.
	SecureCookies bool
	// Approval page branding.
	ApprovalTitle   string
	ApprovalHeading string
	ApprovalFooter  string
	// Quirks names deliberate deviations from the RFCs to switch on (quirks.go), for the
	// suite's self-test only. Empty, the default, means a conforming server; New refuses an
	// unknown name.
	Quirks []string
	// AdminUsername and AdminPasswordHash (bcrypt) name an administrator of the admin console
	// and API (/admin/, /admin/api/). Administrators stored in the database (the seed's admin
	// entry) are accepted too; with neither, nobody can sign in there.
	AdminUsername     string
	AdminPasswordHash []byte
	// Audit is the security audit log (refserver/audit): one JSON line per client
	// authentication, login, approval, token issued, refreshed, revoked or introspected,
	// resource access decision and admin change. nil discards.
	Audit *audit.Logger
	// Throttle sets the limits on guessing client secrets, resource-owner passwords and the
	// administrator's password (refserver/throttle). The zero value is the default: an
	// account is throttled for one source address after 20 failures from it, for every
	// source that has not succeeded for it after 200, and a (non-loopback) source address
	// after 100 failures over all accounts; delays from 1 s doubling to 15 min, one failure
	// forgiven a minute. Never tripped by a conformance run.
	Throttle throttle.Config
	// BcryptConcurrency caps the bcrypt comparisons running at once (throttle.Gate): 0 is the
	// default, throttle.DefaultGateSize() (the cores less one, at least one); -1 means no cap.
	BcryptConcurrency int
	// BcryptQueue bounds the credential checks admitted to the gate at once (waiting or
	// comparing): past it a check is answered 503 with Retry-After, unchecked and uncounted.
	// 0 is throttle.DefaultQueue (64); -1 means no bound.
	BcryptQueue int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For / Forwarded (RFC 7239)
	// name the client (proxy.go): the client's address, for the limits per source address and
	// the audit log, is the rightmost address of the chain that is not in one of them. Empty:
	// the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// RestrictHosts serves only requests whose Host is the issuer's host or a loopback
	// address (hostcheck.go: DNS rebinding), on every path; the admin console and API are
	// always restricted so. Set by serve --demo, whose passwords are public.
	RestrictHosts bool
	// Logger for operational logs; nil discards. (The security audit log is separate.)
	// Logger *slog.Logger
}
