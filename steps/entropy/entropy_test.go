package entropy

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestLowEntropyTokensWarn: counters, timestamps, short random values and UUIDs (122 random
// bits) are flagged; 32 random bytes, with or without a fixed prefix, are not.
func TestLowEntropyTokensWarn(t *testing.T) {
	base := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC).UnixMilli()
	gen := map[string]func(i int) string{
		"counter":           func(i int) string { return fmt.Sprintf("tok-%08d", 1000+i) },
		"millisecond clock": func(i int) string { return strconv.FormatInt(base+int64(i)*137, 10) },
		"clock and counter": func(i int) string { return fmt.Sprintf("%d.%d", base/1000+int64(i/10), i) },
		"8 random bytes":    func(int) string { return randomToken(8) },
		"uuid v4": func(int) string {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
			return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
		},
	}
	for name, g := range gen {
		vals := make([]string, 60)
		for i := range vals {
			vals[i] = g(i)
		}
		e := Estimated(AccessToken, vals)
		if e.Bits >= MustBits || e.Warning == "" {
			t.Errorf("%s (%q ...): estimated %.0f bits, warning %q; want below 128 with a warning", name, vals[0], e.Bits, e.Warning)
		}
	}
	strong := map[string]func(int) string{
		"32 random bytes":           func(int) string { return randomToken(32) },
		"prefixed random":           func(int) string { return "ory_at_" + randomToken(32) + "." + randomToken(32) },
		"random hex of 32 bytes":    func(int) string { b := make([]byte, 32); _, _ = rand.Read(b); return fmt.Sprintf("%x", b) },
		"JWT with random signature": func(int) string { return "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0." + randomToken(256) },
	}
	for name, g := range strong {
		vals := make([]string, 5)
		for i := range vals {
			vals[i] = g(i)
		}
		e := Estimated(AccessToken, vals)
		if e.Bits < ShouldBits || e.Warning != "" {
			t.Errorf("%s: estimated %.0f bits, warning %q; want at least 160 and no warning", name, e.Bits, e.Warning)
		}
		if strings.HasPrefix(name, "JWT") && e.Part != "JWT signature" {
			t.Errorf("%s: measured %q, want the JWT signature", name, e.Part)
		}
	}
}

// TestCollectorSamplesWhatTheServerIssued: tokens of successful responses and codes of
// successful redemptions are sampled; a refused redemption's (made-up) code is not; a value
// seen twice is counted once.
func TestCollectorSamplesWhatTheServerIssued(t *testing.T) {
	c := NewCollector()
	ok := func(code, at, rt string) *oauthclient.Exchange {
		body := fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","refresh_token":%q}`, at, rt)
		return &oauthclient.Exchange{Status: 200, RequestBody: []byte("grant_type=authorization_code&code=" + code), ResponseBody: []byte(body)}
	}
	c.Observe(ok("code-1", "at-1", "rt-1"))
	c.Observe(ok("code-2", "at-1", "rt-2"))
	c.Observe(&oauthclient.Exchange{Status: 400, RequestBody: []byte("grant_type=authorization_code&code=made-up"), ResponseBody: []byte(`{"error":"invalid_grant"}`)})
	got := map[string]Estimate{}
	for _, e := range c.Estimates() {
		got[e.Kind] = e
	}
	if got[Code].Samples != 2 || got[RefreshToken].Samples != 2 || got[AccessToken].Samples != 1 {
		t.Fatalf("samples: %+v", got)
	}
	// An access token seen twice is counted, not judged (a JWT re-signed over the same claims
	// in the same second repeats legitimately).
	if got[AccessToken].Duplicates != 1 || got[AccessToken].Warning != "" {
		t.Errorf("access token seen twice: duplicates %d, warning %q", got[AccessToken].Duplicates, got[AccessToken].Warning)
	}
	if got[AccessToken].Bits != -1 {
		t.Errorf("one sample: bits %v, want -1 (no estimate)", got[AccessToken].Bits)
	}
}
