package admin

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/throttle"
	"github.com/oauthconf/oauthconf/refserver/throttle/throttletest"
)

// Issue 16 item 1 at the admin API: a burst of wrong administrator passwords sent together
// causes at most AccountFailures (20) comparisons, and the right password sent last is
// refused while the administrator is throttled from that address.
func TestBurstOfAdminPasswordsIsCountedBeforeComparing(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limiter = throttle.NewLimiter(throttle.Config{}) })
	const n = 60
	b := throttletest.New(n)
	e.h.compare = b.Wrap(memoBcrypt)
	b.Run(t, n, func(i int) {
		r := e.apiAs(testAdmin, fmt.Sprint("wrong-", i), http.MethodGet, "/admin/api/clients", nil)
		if r.status != http.StatusUnauthorized && r.status != http.StatusTooManyRequests {
			t.Errorf("wrong password %d: expected 401 or 429, got %d", i, r.status)
		}
	})
	t.Logf("burst: %d requests sent together, %d bcrypt comparisons", n, b.Compares())
	if c := b.Compares(); c > 20 {
		t.Errorf("%d concurrent wrong admin passwords: %d bcrypt comparisons, expected at most 20", n, c)
	}
	if r := e.api(http.MethodGet, "/admin/api/clients", nil); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("the right password after the burst: expected 429 with Retry-After, got %d", r.status)
	}
}
