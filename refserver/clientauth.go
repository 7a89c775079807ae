package refserver

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// Client authentication methods this server supports at the token, introspection and
// revocation endpoints (RFC 8414 token_endpoint_auth_methods_supported).
const (
	authMethodBasic = "client_secret_basic"
	authMethodPost  = "client_secret_post"
	authMethodNone  = "none"
)

// clientAuthFailed is the one description for an unknown client and a wrong secret, so the
// answer does not tell which client ids exist.
const clientAuthFailed = "client authentication failed"

// clientAuthenticator authenticates clients with client_secret_basic (RFC 6749 2.3.1, which an
// AS "MUST support") and client_secret_post, against bcrypt hashes of the secrets, through a
// verifiedCache (verified.go): a secret that passed bcrypt is not checked again for a while.
type clientAuthenticator struct {
	store clientStore
	cache *verifiedCache
	// compare is bcrypt.CompareHashAndPassword; tests count its calls.
	compare func(hash, secret []byte) error

	// limiter throttles guessing; gate caps concurrent bcrypt work (guessing.go). nil: none.
	limiter *throttle.Limiter
	gate    *throttle.Gate
	// dummyHash is compared against when the client is unknown, so an unknown client costs
	// what a wrong secret costs (no client enumeration by timing). Same cost as the clients'.
	dummyHash []byte
	// basicRefused is QuirkBasicAuthRefused: every HTTP Basic authentication is refused.
	basicRefused bool
}

func newClientAuthenticator(st clientStore, cache *verifiedCache) *clientAuthenticator {
	return &clientAuthenticator{store: st, cache: cache, compare: bcrypt.CompareHashAndPassword,
		dummyHash: []byte(dummyClientSecretHash)}
}

// remembered reports whether secret was verified against client's current hash a moment
// ago (the cache): no bcrypt, and no throttling, since only a secret that passed bcrypt is
// remembered.
func (a *clientAuthenticator) remembered(client *store.Client, secret string) bool {
	return a.cache.remembered(clientAccount(client.ID), secret, client.SecretHash)
}

// verifySecret checks secret against client's bcrypt hash, through the cache.
func (a *clientAuthenticator) verifySecret(ctx context.Context, client *store.Client, secret string) bool {
	return a.cache.check(ctx, clientAccount(client.ID), secret, client.SecretHash, func(ctx context.Context) bool {
		return a.gate.Do(ctx, func() error { return a.compare(client.SecretHash, []byte(secret)) }) == nil
	})
}

// authenticate identifies and authenticates the client of a request at the token,
// introspection or revocation endpoint. form is the checked body (readForm).
//
// Rules (RFC 6749 2.3):
//   - HTTP Basic: id and secret are form-urlencoded, then base64 (2.3.1);
//   - client_id and client_secret in the body (client_secret_post), NOT RECOMMENDED but allowed;
//   - "The client MUST NOT use more than one authentication method in each request" (2.3);
//   - a public client identifies itself with client_id and no secret (2.3, 3.2.1), and RFC 8252
//     8.5 forbids treating a secret a public client sends as authentication, so one is refused.
//
// A confidential client may use either method, whatever its registered preference.
func (a *clientAuthenticator) authenticate(ctx context.Context, r *http.Request, form url.Values) (*store.Client, *oauthError) {
	var id, secret string
	usedHeader := false
	if h := r.Header.Get("Authorization"); h != "" {
		usedHeader = true
		scheme, cred, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return nil, invalidClient("unsupported authentication scheme: use HTTP Basic with the client id and secret")
		}
		if a.basicRefused {
			return nil, invalidClient("HTTP Basic is not supported: send client_id and client_secret in the body")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return nil, invalidClient("the Basic credentials are not valid base64")
		}
		u, p, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, invalidClient("the Basic credentials lack the ':' between client id and secret")
		}
		// RFC 6749 2.3.1: both are application/x-www-form-urlencoded before base64.
		if id, err = url.QueryUnescape(u); err != nil {
			return nil, invalidClient("the client id in the Basic credentials is not form-urlencoded")
		}
		if secret, err = url.QueryUnescape(p); err != nil {
			return nil, invalidClient("the client secret in the Basic credentials is not form-urlencoded")
		}
		if form.Has("client_secret") {
			return nil, newOAuthError(errInvalidRequest, "credentials in both the Authorization header and the body: use one authentication method (RFC 6749 2.3)")
		}
		if bid := form.Get("client_id"); bid != "" && bid != id {
			return nil, newOAuthError(errInvalidRequest, "client_id in the body differs from the client id in the Authorization header")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return nil, invalidClient("client authentication is required: send the client id and secret with HTTP Basic")
	}
	var client *store.Client
	if utf8Printable(id) {
		c, err := a.store.GetClient(ctx, id)
		switch {
		case errors.Is(err, fosite.ErrNotFound) || errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, serverError(err)
		default:
			var ok bool
			if client, ok = c.(*store.Client); !ok {
				return nil, serverError(errors.New("store returned an unexpected client type"))
			}
		}
	}
	if client != nil && client.Public {
		if secret != "" {
			return nil, invalidClient("this is a public client: it has no secret and must not send one")
		}
		return client, nil
	}
	if secret == "" {
		if usedHeader {
			return nil, invalidClient("the client secret is missing from the Basic credentials")
		}
		return nil, invalidClient("client authentication is required: send the client id and secret with HTTP Basic")
	}
	// A secret remembered as right passes even while the client is throttled: only its
	// holder can present it, so an attacker's guessing cannot lock a working client out.
	if client != nil && a.remembered(client, secret) {
		a.limiter.Remembered(throttle.Client, client.ID, r.RemoteAddr)
		return client, nil
	}
	// RFC 6749 2.3.1: "the authorization server MUST protect any endpoint utilizing it
	// against brute force attacks". The attempt is counted before the comparison (so
	// concurrent guesses are counted like sequential ones); a throttled one is answered at
	// once, unchecked.
	// The bcrypt gate's queue is bounded: past it the check is refused before it is counted.
	done, err := a.gate.Admit()
	if err != nil {
		return nil, gateBusy()
	}
	defer done()
	reserve := a.limiter.Reserve
	if client == nil {
		reserve = a.limiter.ReserveUnknown // made-up ids: one bucket per address
	}
	attempt, ref := reserve(ctx, throttle.Client, id, r.RemoteAddr)
	if ref != nil {
		return nil, throttledClient(ref)
	}
	if client == nil {
		// An unknown client is answered as a wrong secret is, after as long: the same
		// bcrypt comparison, against a hash no secret matches.
		_ = a.gate.Do(ctx, func() error { return a.compare(a.dummyHash, []byte(secret)) })
		attempt.Fail()
		return nil, invalidClient(clientAuthFailed)
	}
	if !a.verifySecret(ctx, client, secret) {
		attempt.Fail()
		return nil, invalidClient(clientAuthFailed)
	}
	attempt.Succeed()
	return client, nil
}

// utf8Printable rejects ids no client can have (control characters, over-long), so they
// never reach the store.
func utf8Printable(s string) bool {
	if len(s) > 255 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

type authenticatedClientKey struct{}

// fositeClientAuth is the fosite.ClientAuthenticationStrategy. The endpoints authenticate the
// client themselves first (to answer with the right status and challenge) and pass it down
// in the context; fosite then gets that client back instead of checking the secret again.
func (s *Server) fositeClientAuth(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	// The run-time lifetimes (settings.go) reach fosite through the client.
	if c, ok := ctx.Value(authenticatedClientKey{}).(*store.Client); ok {
		return s.quirkLongLived(s.withSettingsLifetimes(ctx, c)), nil
	}
	c, oe := s.clientAuth.authenticate(ctx, r, form)
	if oe != nil {
		return nil, oe
	}
	return s.quirkLongLived(s.withSettingsLifetimes(ctx, c)), nil
}

// clientStore is what client authentication reads: the client.
type clientStore interface {
	GetClient(ctx context.Context, id string) (fosite.Client, error)
}

var _ clientStore = (*store.Store)(nil)
