package oauthclient

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// unreserved is RFC 7636 4.1's alphabet: [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

// NewVerifier returns a code_verifier of n characters (RFC 7636 4.1: 43 to 128 unreserved
// characters) from a cryptographic random source.
func NewVerifier(n int) (string, error) {
	if n < 43 || n > 128 {
		return "", fmt.Errorf("a code_verifier has 43 to 128 characters (RFC 7636 4.1), not %d", n)
	}
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("no randomness for the code_verifier: %w", err)
	}
	out := make([]byte, n)
	for i, b := range buf {
		// 66 symbols: the modulo bias is irrelevant for a test client.
		out[i] = unreserved[int(b)%len(unreserved)]
	}
	return string(out), nil
}

// S256 is the S256 code_challenge of verifier (RFC 7636 4.2):
// BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomString returns n random unreserved characters, for state values and unknown tokens.
func RandomString(n int) string {
	if n < 43 {
		s, _ := NewVerifier(43)
		return s[:n]
	}
	s, err := NewVerifier(min(n, 128))
	if err != nil {
		return ""
	}
	return s
}
