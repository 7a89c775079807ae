package steps

// Forged JWT access tokens (features/jwt_access_tokens.feature, issue 17 item 8). When the
// target's access tokens are JWTs, the suite takes a genuine one, checks that the resource (or
// introspection) accepts it, and replaces it by a forgery: the same claims under "alg":"none",
// signed by another key, a claim changed under the original signature, or HS256 keyed with the
// server's published public key. A verifier that checks what RFC 6749 7, RFC 7662 4 and
// RFC 8725 3.1 ask refuses every one.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

func (w *World) registerJWT(sc stepAdder) {
	sc.Step(`^the access token is a JWT that (the resource accepts|the introspection endpoint reports active)$`, w.genuineJWT)
	sc.Step(`^the access token is replaced by a forgery with (.+)$`, w.forgeJWT)
	sc.Step(`^the resource does not accept the forged token$`, w.forgedNotAccepted)
}

// jwsAlgorithms is every JWS algorithm go-jose knows: detection only asks whether the token is
// a JWS at all; which algorithm a verifier should accept is the target's business.
var jwsAlgorithms = []jose.SignatureAlgorithm{
	jose.EdDSA, jose.HS256, jose.HS384, jose.HS512, jose.RS256, jose.RS384, jose.RS512,
	jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512,
}

// jwtParts is a compact JWS split into its parts, with its header and claims decoded.
type jwtParts struct {
	raw       [3]string // the base64url header, payload and signature as issued
	header    map[string]any
	claims    map[string]any
	payload   []byte
	alg       jose.SignatureAlgorithm
	kid       string
	signature []byte
}

// parseJWT reads a compact JWS whose payload is a JSON object: three base64url parts, a header
// go-jose accepts with an "alg" (RFC 7515 4.1.1 "This Header Parameter MUST be present").
func parseJWT(token string) (*jwtParts, error) {
	jws, err := jose.ParseSignedCompact(token, jwsAlgorithms)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Protected.Algorithm == "" {
		return nil, fmt.Errorf("no signed header with an alg")
	}
	parts := strings.Split(token, ".")
	p := &jwtParts{raw: [3]string{parts[0], parts[1], parts[2]}, alg: jose.SignatureAlgorithm(jws.Signatures[0].Protected.Algorithm),
		kid: jws.Signatures[0].Protected.KeyID, signature: jws.Signatures[0].Signature}
	p.payload = jws.UnsafePayloadWithoutVerification()
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(hdr, &p.header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := json.Unmarshal(p.payload, &p.claims); err != nil {
		return nil, fmt.Errorf("the payload is not a JSON object of claims: %w", err)
	}
	return p, nil
}

// genuineJWT is the precondition of every forgery: the scenario's access token is a JWT
// (else the scenario does not apply), and the genuine token is accepted where the forgery
// will be tried. A forgery refused where the genuine token is refused too proves nothing.
func (w *World) genuineJWT(ctx context.Context, where string) error {
	token, _, err := w.pickToken("the access token")
	if err != nil {
		return err
	}
	if _, err := parseJWT(token); err != nil {
		return verdict.NotApplicable("access tokens are not JWTs (%v): forged JWTs cannot be made from them", err)
	}
	if where == "the resource accepts" {
		if w.p.Resource == nil {
			return verdict.NotApplicable("the profile names no protected resource")
		}
		resp, err := oauthclient.ResourceRequest{URL: w.p.Resource.URL, Method: w.p.Resource.Method, Token: token, Placement: oauthclient.InHeader}.Send(ctx, w.http)
		if err != nil {
			return err
		}
		if !success(resp) {
			return verdict.Blocked("RFC6750-2.1", "the resource refused the genuine JWT access token (HTTP %d), so a refusal of its forgery would prove nothing", resp.Status)
		}
		// A resource that accepts anything would accept a forgery too, and that is one
		// deviation, reported once: by bearer.feature's "An invalid token gets a Bearer
		// challenge" (RFC 6750 3, MUST), not again here for every forgery.
		unknown, err := oauthclient.ResourceRequest{URL: w.p.Resource.URL, Method: w.p.Resource.Method,
			Token: "unknown-" + oauthclient.RandomString(40), Placement: oauthclient.InHeader}.Send(ctx, w.http)
		if err != nil {
			return err
		}
		if success(unknown) {
			return verdict.Blocked("RFC6750-3", "the resource also accepts a made-up token (HTTP %d): it validates no token at all, which bearer.feature's \"An invalid token gets a Bearer challenge\" reports; a forged JWT accepted here would be the same deviation", unknown.Status)
		}
		return nil
	}
	resp, _, err := w.introspect(ctx, token, "access_token")
	if err != nil {
		return err
	}
	if active, _ := resp.Bool("active"); resp.Status != 200 || !active {
		return verdict.Blocked("RFC7662-2.2", "the introspection endpoint did not report the genuine JWT access token active (HTTP %d), so an inactive forgery would prove nothing", resp.Status)
	}
	// An endpoint that reports any token active reports a forgery active too: one deviation,
	// judged by introspection.feature's "An unknown token is reported inactive, not as an error".
	unknown, _, err := w.introspect(ctx, "unknown-"+oauthclient.RandomString(40), "access_token")
	if err != nil {
		return err
	}
	if active, _ := unknown.Bool("active"); active {
		return verdict.Blocked("RFC7662-2.2", "the introspection endpoint also reports a made-up token active: it checks no token at all, which introspection.feature's \"An unknown token is reported inactive, not as an error\" reports; a forged JWT reported active here would be the same deviation")
	}
	return nil
}

// forgeJWT replaces the scenario's access token by a forgery of it. The forged token is the
// newest access token, so the steps that use "the access token" send it.
func (w *World) forgeJWT(ctx context.Context, how string) error {
	token, _, err := w.pickToken("the access token")
	if err != nil {
		return err
	}
	p, err := parseJWT(token)
	if err != nil {
		return verdict.NotApplicable("access tokens are not JWTs (%v)", err)
	}
	var forged string
	switch {
	case strings.HasPrefix(how, `alg "`):
		forged, err = p.unsigned(strings.TrimSuffix(strings.TrimPrefix(how, `alg "`), `"`))
	case how == "a signature by another key with the same kid":
		forged, err = p.signedByAnotherKey(p.kid, p.kid != "")
	case how == "a signature by another key with another kid":
		forged, err = p.signedByAnotherKey("forged-"+oauthclient.RandomString(12), true)
	case how == "a widened scope under the original signature":
		forged, err = p.withClaims(func(c map[string]any) { widenScope(c, w.extraScope()) })
	case how == "another subject under the original signature":
		forged, err = p.withClaims(func(c map[string]any) { c["sub"] = w.otherSubject(c["sub"]) })
	case how == "a later expiry under the original signature":
		forged, err = p.withClaims(func(c map[string]any) {
			exp := time.Now().Add(time.Hour)
			if n, ok := c["exp"].(float64); ok {
				exp = time.Unix(int64(n), 0)
			}
			c["exp"] = exp.Add(365 * 24 * time.Hour).Unix()
		})
	case how == "HS256 keyed with the server's public key":
		forged, err = w.keyConfusion(ctx, p)
	default:
		return fmt.Errorf("unknown forgery %q", how)
	}
	if err != nil {
		return err
	}
	w.accessTokens = append(w.accessTokens, forged)
	return nil
}

// unsigned is the token's claims as an Unsecured JWS (RFC 7515 A.5, RFC 7519 6.1): the header
// with "alg" set to the given spelling of "none", the original payload, an empty signature.
// It is assembled by hand because there is nothing to sign: go-jose (rightly) has no "none"
// signer, and the spellings other than "none" are not algorithms at all.
func (p *jwtParts) unsigned(alg string) (string, error) {
	hdr := maps.Clone(p.header)
	hdr["alg"] = alg
	b, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b) + "." + p.raw[1] + ".", nil
}

// withClaims changes the claims and keeps the original header and signature, which then no
// longer match the payload. Assembled by hand: the point is that nothing is signed anew.
func (p *jwtParts) withClaims(change func(map[string]any)) (string, error) {
	claims := maps.Clone(p.claims)
	change(claims)
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return p.raw[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + p.raw[2], nil
}

// sign signs payload with go-jose under alg and key, with the original header's other members
// (typ, ...) and the kid given (none when withKid is false).
func (p *jwtParts) sign(alg jose.SignatureAlgorithm, key any, kid string, withKid bool) (string, error) {
	opts := &jose.SignerOptions{}
	for k, v := range p.header {
		if k != "alg" && k != "kid" {
			opts.WithHeader(jose.HeaderKey(k), v)
		}
	}
	if withKid {
		opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", fmt.Errorf("making the forgery's signer (%s): %w", alg, err)
	}
	obj, err := signer.Sign(p.payload)
	if err != nil {
		return "", fmt.Errorf("signing the forgery (%s): %w", alg, err)
	}
	return obj.CompactSerialize()
}

// signedByAnotherKey signs the original payload under the original algorithm with a key the
// suite just made (RFC 8725 3.1: the verifier must use the issuer's key for it).
func (p *jwtParts) signedByAnotherKey(kid string, withKid bool) (string, error) {
	var key any
	var err error
	switch p.alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case jose.HS256, jose.HS384, jose.HS512:
		b := make([]byte, 64)
		_, err = rand.Read(b)
		key = b
	default:
		return "", verdict.NotApplicable("the access tokens use the algorithm %q, for which the suite cannot make a key", p.alg)
	}
	if err != nil {
		return "", err
	}
	return p.sign(p.alg, key, kid, withKid)
}

// keyConfusion signs the original payload with HS256, keyed with the PEM encoding (SubjectPublicKeyInfo)
// of the server's public key for the token: the classic confusion of a verifier that takes
// the key it holds for RS256 as the HMAC secret the header asks for (RFC 8725 2.1, 3.1: "each
// key MUST be used with exactly one algorithm").
func (w *World) keyConfusion(ctx context.Context, p *jwtParts) (string, error) {
	jwksURI, _ := w.p.Metadata["jwks_uri"].(string)
	if jwksURI == "" {
		return "", verdict.NotApplicable("the target publishes no JWK Set (no jwks_uri in its metadata), so its public key cannot be used as an HMAC key")
	}
	resp, err := w.http.Get(ctx, jwksURI)
	if err != nil {
		return "", err
	}
	var set jose.JSONWebKeySet
	if resp.Status != 200 || json.Unmarshal(resp.Exchange.ResponseBody, &set) != nil {
		return "", verdict.Inconclusive("the JWK Set at %s could not be read (HTTP %d)", jwksURI, resp.Status)
	}
	var pub crypto.PublicKey
	for _, k := range set.Keys {
		if (p.kid == "" || k.KeyID == p.kid) && k.IsPublic() && k.Use != "enc" {
			if _, sym := k.Key.([]byte); !sym {
				pub = k.Key
				break
			}
		}
	}
	if pub == nil {
		return "", verdict.NotApplicable("the JWK Set at %s has no public key for the access tokens (kid %q)", jwksURI, p.kid)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", verdict.NotApplicable("the public key for the access tokens (%T) has no PEM form: %v", pub, err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return p.sign(jose.HS256, secret, p.kid, p.kid != "")
}

// extraScope is a scope the token was not granted: the profile's not-allowed scope, else an
// invented one.
func (w *World) extraScope() string {
	if len(w.p.Scopes.NotAllowed) > 0 {
		return w.p.Scopes.NotAllowed[0]
	}
	return "forged-scope"
}

// widenScope adds scope to the token's scope claim, whichever form it has ("scope" string of
// RFC 9068 2.2.3, or a "scp" list), or adds a "scope" claim.
func widenScope(c map[string]any, scope string) {
	switch v := c["scope"].(type) {
	case string:
		c["scope"] = strings.TrimSpace(v + " " + scope)
		return
	}
	if list, ok := c["scp"].([]any); ok {
		c["scp"] = append(list, scope)
		return
	}
	c["scope"] = scope
}

// otherSubject is a subject the token was not issued for: the profile's second user, else the
// first, else an invented one.
func (w *World) otherSubject(cur any) string {
	old, _ := cur.(string)
	for _, u := range []string{w.p.Users["second"].Username, w.p.Users["valid"].Username} {
		if u != "" && u != old {
			return u
		}
	}
	return "forged-" + old
}

// forgedNotAccepted judges the protection only: RFC 6749 7 asks the resource to validate the
// token, not how to word a refusal (RFC 6750 3's challenge is judged by bearer.feature). A
// 2xx served the forgery; any other answer refused it, and a 5xx is a refusal by accident,
// worth a warning.
func (w *World) forgedNotAccepted(ctx context.Context) (context.Context, error) {
	r, err := w.lastResp()
	if err != nil {
		return ctx, err
	}
	if success(r) {
		return ctx, oauthclient.Failf(r, "expected the resource to refuse the forged JWT access token, got HTTP %d: it did not validate the token (RFC 6749 7)", r.Status)
	}
	if r.Status >= 500 {
		ctx = warnAttach(ctx, fmt.Sprintf("the resource answered a forged JWT access token with HTTP %d: refused, but by a server error rather than as an invalid token (RFC 6750 3.1 invalid_token, 401)", r.Status))
	}
	return ctx, nil
}
