package steps

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// signedTestJWT signs claims RS256 with kid "k1", as an authorization server would.
func signedTestJWT(t *testing.T, key *rsa.PrivateKey, claims string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1").WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign([]byte(claims))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestForgeriesAreWhatTheyClaim: each forgery keeps the genuine claims (or changes exactly the
// one it names), and none verifies with the issuer's key, so a verifier that accepts one did
// not check what the scenario says.
func TestForgeriesAreWhatTheyClaim(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := signedTestJWT(t, key, `{"sub":"alice","scope":"calc:read","exp":4102444800,"client_id":"c"}`)
	p, err := parseJWT(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.alg != jose.RS256 || p.kid != "k1" || p.claims["sub"] != "alice" {
		t.Fatalf("parsed %+v", p)
	}
	if _, err := parseJWT("ory_at_abc.def"); err == nil {
		t.Error("an opaque token parsed as a JWT")
	}
	verifies := func(forged string) bool {
		jws, err := jose.ParseSignedCompact(forged, jwsAlgorithms)
		if err != nil {
			return false
		}
		_, err = jws.Verify(&key.PublicKey)
		return err == nil
	}
	header := func(forged string) map[string]any {
		b, _ := base64.RawURLEncoding.DecodeString(strings.Split(forged, ".")[0])
		var h map[string]any
		_ = json.Unmarshal(b, &h)
		return h
	}

	none, err := p.unsigned("nOnE")
	if err != nil {
		t.Fatal(err)
	}
	if parts := strings.Split(none, "."); len(parts) != 3 || parts[2] != "" || parts[1] != p.raw[1] || header(none)["alg"] != "nOnE" || header(none)["typ"] != "at+jwt" {
		t.Errorf("alg none forgery %q: want the original header with alg nOnE, the original payload and no signature", none)
	}

	for _, withKid := range []bool{true, false} {
		other, err := p.signedByAnotherKey("k2", withKid)
		if err != nil {
			t.Fatal(err)
		}
		q, err := parseJWT(other)
		if err != nil || verifies(other) || q.raw[1] != p.raw[1] || q.alg != jose.RS256 || (withKid && q.kid != "k2") {
			t.Errorf("another key (kid %v): %q verifies %v, parse %v", withKid, other, verifies(other), err)
		}
	}

	widened, err := p.withClaims(func(c map[string]any) { widenScope(c, "admin:all") })
	if err != nil {
		t.Fatal(err)
	}
	q, _ := parseJWT(widened)
	if q == nil || q.claims["scope"] != "calc:read admin:all" || q.raw[2] != p.raw[2] || q.raw[0] != p.raw[0] || verifies(widened) {
		t.Errorf("widened scope %q: want the original header and signature over a changed payload", widened)
	}
	if !verifies(tok) {
		t.Fatal("the genuine token does not verify: the checks above prove nothing")
	}
}
