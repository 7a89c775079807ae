// Package entropy estimates how guessable the target's codes and tokens are, from the ones the
// suite saw during a run, against RFC 6749 10.10: "The probability of an attacker guessing
// generated tokens (and other credentials not intended for handling by end-users) MUST be less
// than or equal to 2^(-128) and SHOULD be less than or equal to 2^(-160)."
//
// A sample proves no such bound, so the result is a WARNING, never a failure. The estimate is
// an UPPER bound on the entropy: a position of the token that never changed across the samples
// counts for nothing, and every position that changed counts for log2 of the alphabet seen at
// the changing positions (as if each were uniform and independent of the others). A token
// below 128 bits by this generous count is certainly below; one above it is not shown to be
// random (a hashed counter looks random to any statistical test).
package entropy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// The kinds of credential sampled.
const (
	Code         = "authorization code"
	AccessToken  = "access token"
	RefreshToken = "refresh token"
)

// RFC 6749 10.10's bounds, in bits.
const (
	MustBits   = 128
	ShouldBits = 160
)

// maxSamples bounds the memory one kind takes in a long run.
const maxSamples = 5000

// Method says how the estimate is made, for the reports.
const Method = "per-position estimate: positions that never changed across the samples count 0 bits, every other position log2 of the alphabet seen at the changing positions (uniform, independent); an upper bound, so a result below the bound is certain and one above it proves nothing; for JWTs only the signature part is counted"

// Collector gathers the codes and tokens the target issued during a run. It is safe for
// concurrent use: every scenario's HTTP client reports to it (steps.Env.OnExchange).
type Collector struct {
	mu      sync.Mutex
	samples map[string][]string
	seen    map[string]map[string]int
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{samples: map[string][]string{}, seen: map[string]map[string]int{}}
}

// Add records one value of a kind. A value seen again is counted, not sampled again.
func (c *Collector) Add(kind, value string) {
	if value == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[kind] == nil {
		c.seen[kind] = map[string]int{}
	}
	c.seen[kind][value]++
	if c.seen[kind][value] == 1 && len(c.samples[kind]) < maxSamples {
		c.samples[kind] = append(c.samples[kind], value)
	}
}

// Observe takes the credentials the target issued out of one exchange: the access and refresh
// tokens of a successful token response, and the authorization code of a redemption that
// succeeded (a code the suite made up is never redeemed, so it is never sampled). Codes and
// tokens that reach the suite only through the browser (implicit fragments) are not seen.
func (c *Collector) Observe(ex *oauthclient.Exchange) {
	if ex == nil || ex.Err != nil || ex.Status != 200 {
		return
	}
	var body map[string]any
	if json.Unmarshal(ex.ResponseBody, &body) != nil {
		return
	}
	at, _ := body["access_token"].(string)
	if at == "" {
		return
	}
	c.Add(AccessToken, at)
	if rt, _ := body["refresh_token"].(string); rt != "" {
		c.Add(RefreshToken, rt)
	}
	if form, err := url.ParseQuery(string(ex.RequestBody)); err == nil && form.Get("grant_type") == "authorization_code" {
		c.Add(Code, form.Get("code"))
	}
}

// Estimate is the result for one kind of credential.
type Estimate struct {
	Kind    string `json:"kind"`
	Samples int    `json:"samples"`
	// Part is what was measured: "whole value", or "JWT signature".
	Part string `json:"part"`
	// Bits is the upper-bound estimate of the entropy; -1 with fewer than two samples.
	Bits float64 `json:"bits"`
	// AlphabetSize is the size of the smallest usual alphabet holding every character seen at
	// a changing position; VaryingPositions how many positions changed.
	AlphabetSize     int    `json:"alphabet_size"`
	Alphabet         string `json:"alphabet"`
	VaryingPositions int    `json:"varying_positions"`
	// Duplicates counts values the suite saw more than once. It is shown, never judged: a
	// refresh token sent back unrotated, a code redeemed twice (a reuse the security scenarios
	// judge) and a JWT signed again over the same claims in the same second all repeat a value
	// without any guessing being easier.
	Duplicates int `json:"duplicates"`
	// Warning, when set, is the RFC 6749 10.10 warning for the report.
	Warning string `json:"warning,omitempty"`
	Method  string `json:"method"`
}

// Estimates returns one estimate per kind sampled, codes first.
func (c *Collector) Estimates() []Estimate {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Estimate
	for _, kind := range []string{Code, AccessToken, RefreshToken} {
		vals := c.samples[kind]
		if len(vals) == 0 {
			continue
		}
		dups := 0
		for _, n := range c.seen[kind] {
			if n > 1 {
				dups++
			}
		}
		e := Estimated(kind, vals)
		e.Duplicates = dups
		out = append(out, e)
	}
	return out
}

// Estimated estimates the entropy of values of one kind (see the package comment).
func Estimated(kind string, values []string) Estimate {
	e := Estimate{Kind: kind, Samples: len(values), Part: "whole value", Bits: -1, Method: Method}
	parts := values
	if allJWTs(values) {
		e.Part = "JWT signature"
		parts = make([]string, len(values))
		for i, v := range values {
			parts[i] = v[strings.LastIndex(v, ".")+1:]
		}
	}
	if len(parts) < 2 {
		return e
	}
	longest := 0
	for _, p := range parts {
		longest = max(longest, len(p))
	}
	var varyingChars []byte
	for i := 0; i < longest; i++ {
		var first byte
		varies, have := false, 0
		for _, p := range parts {
			if i >= len(p) {
				varies = true // a position some values lack: their lengths differ here
				continue
			}
			if have == 0 {
				first = p[i]
			} else if p[i] != first {
				varies = true
			}
			have++
		}
		if !varies {
			continue
		}
		e.VaryingPositions++
		for _, p := range parts {
			if i < len(p) {
				varyingChars = append(varyingChars, p[i])
			}
		}
	}
	e.Alphabet, e.AlphabetSize = alphabetOf(varyingChars)
	e.Bits = 0
	if e.VaryingPositions > 0 {
		e.Bits = float64(e.VaryingPositions) * math.Log2(float64(e.AlphabetSize))
	}
	switch {
	case e.Bits < MustBits:
		e.Warning = fmt.Sprintf("the %ss sampled (%d) carry at most about %.0f bits of entropy by a generous estimate, below the 128 bits of RFC 6749 10.10 (\"MUST be less than or equal to 2^(-128)\"): %d of their positions ever changed, over an alphabet of %d", kind, e.Samples, e.Bits, e.VaryingPositions, e.AlphabetSize)
	case e.Bits < ShouldBits:
		e.Warning = fmt.Sprintf("the %ss sampled (%d) carry at most about %.0f bits of entropy by a generous estimate, below the 160 bits RFC 6749 10.10 recommends (\"SHOULD be less than or equal to 2^(-160)\")", kind, e.Samples, e.Bits)
	}
	return e
}

// alphabets are the usual alphabets of tokens, smallest first.
var alphabets = []struct {
	name  string
	chars string
}{
	{"decimal digits", "0123456789"},
	{"lowercase hex", "0123456789abcdef"},
	{"uppercase hex", "0123456789ABCDEF"},
	{"lowercase letters and digits", "abcdefghijklmnopqrstuvwxyz0123456789"},
	{"uppercase letters and digits", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"},
	{"letters and digits", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"},
	{"base64url", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"},
	{"base64", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"},
	{"printable ASCII", " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"},
}

func alphabetOf(chars []byte) (string, int) {
	if len(chars) == 0 {
		return "", 0
	}
	slices.Sort(chars)
	chars = slices.Compact(chars)
	for _, a := range alphabets {
		if !slices.ContainsFunc(chars, func(c byte) bool { return !strings.ContainsRune(a.chars, rune(c)) }) {
			return a.name, len(a.chars)
		}
	}
	return "bytes", 256
}

// allJWTs reports whether every value is a compact JWS: three base64url parts, the first a
// JSON object with an "alg". A JWT's header and claims are readable by design; what makes it
// unguessable is its signature, so only that part is counted.
func allJWTs(values []string) bool {
	for _, v := range values {
		parts := strings.Split(v, ".")
		if len(parts) != 3 || parts[2] == "" {
			return false
		}
		hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			return false
		}
		var h map[string]any
		if json.Unmarshal(hdr, &h) != nil || h["alg"] == nil {
			return false
		}
	}
	return len(values) > 0
}
