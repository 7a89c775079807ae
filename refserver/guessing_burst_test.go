package refserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver/throttle/throttletest"
)

// Issue 16 item 1: guesses sent together are throttled like guesses sent in a row. Before,
// the limit was checked before the comparison and counted after, so a burst all passed the
// check: 150 concurrent wrong secrets for one client were all compared and the right secret
// sent last authenticated. Each test sends a burst of burstSize wrong credentials at once
// (throttletest.Burst holds every comparison until all have passed the limiter), then the
// right one.

const burstSize = 60

// uncapped lets every admitted comparison run at once, so the burst shows how many were
// admitted (the gate would queue them). The first delay is a minute rather than a second: the
// right credential sent after the burst must meet the throttle however slowly a loaded machine
// (under -race, with the counts in the database) settles the burst's 20 failures.
func uncapped(c *Config) { c.BcryptConcurrency = -1; c.Throttle.BaseDelay = time.Minute }

func TestBurstOfClientSecretsIsCountedBeforeComparing(t *testing.T) {
	e := newTestEnv(t, uncapped)
	b := throttletest.New(burstSize)
	e.srv.clientAuth.compare = b.Wrap(memoBcrypt)
	b.Run(t, burstSize, func(i int) {
		if r := e.token(ccID, fmt.Sprint("wrong-", i), ccForm); r.Status != http.StatusUnauthorized {
			t.Errorf("wrong secret %d: expected 401, got %s", i, r)
		}
	})
	t.Logf("burst: %d requests sent together, %d bcrypt comparisons", burstSize, b.Compares())
	if n := b.Compares(); n > 20 {
		t.Errorf("%d concurrent wrong secrets: %d bcrypt comparisons, expected at most 20", burstSize, n)
	}
	// Sent last, the right secret (never verified) is refused unchecked.
	if r := e.token(ccID, ccSecret, ccForm); r.Status != http.StatusUnauthorized || r.Header.Get("Retry-After") == "" {
		t.Errorf("the right secret after the burst: expected a throttled 401, got %s", r)
	}
}

func TestBurstOfGrantPasswordsIsCountedBeforeComparing(t *testing.T) {
	e := newTestEnv(t, uncapped)
	cheapPasswords(t, e.st)
	form := func(pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {pw}}
	}
	// The client's own secret is verified once first (remembered), so the burst's only
	// comparisons are of bob's password.
	e.mustToken(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}})
	b := throttletest.New(burstSize)
	e.srv.owners.compare = b.Wrap(memoBcrypt)
	b.Run(t, burstSize, func(i int) {
		if r := e.token(ropcID, ropcSecret, form(fmt.Sprint("wrong-", i))); r.Status != http.StatusBadRequest {
			t.Errorf("wrong password %d: expected 400, got %s", i, r)
		}
	})
	t.Logf("burst: %d requests sent together, %d bcrypt comparisons", burstSize, b.Compares())
	if n := b.Compares(); n > 20 {
		t.Errorf("%d concurrent wrong passwords: %d bcrypt comparisons, expected at most 20", burstSize, n)
	}
	if r := e.token(ropcID, ropcSecret, form("bob-Secret-2")); r.Status != http.StatusBadRequest || r.Header.Get("Retry-After") == "" {
		t.Errorf("bob's right password after the burst: expected a throttled 400, got %s", r)
	}
}

func TestBurstAtTheLoginPageIsCountedBeforeComparing(t *testing.T) {
	e := newAZEnv(t, uncapped)
	cheapPasswords(t, e.srv.db)
	br := e.browser(t)
	page := br.get(e.issuer + PathLogin)
	b := throttletest.New(burstSize)
	e.srv.owners.compare = b.Wrap(memoBcrypt)
	b.Run(t, burstSize, func(i int) {
		p := br.login(page, "bob", fmt.Sprint("wrong-", i))
		if p.resp.StatusCode != http.StatusOK && p.resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("wrong password %d: expected the login page or 429, got %d", i, p.resp.StatusCode)
		}
	})
	t.Logf("burst: %d requests sent together, %d bcrypt comparisons", burstSize, b.Compares())
	if n := b.Compares(); n > 20 {
		t.Errorf("%d concurrent wrong passwords at the login page: %d bcrypt comparisons, expected at most 20", burstSize, n)
	}
	p := br.login(page, "bob", "bob-Secret-2")
	if p.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many failed sign-ins") {
		t.Errorf("bob's right password after the burst: expected the 429 page, got %d", p.resp.StatusCode)
	}
}

// Issue 16 item 3: the bcrypt gate's queue is bounded. With 2 checks admitted at once, a
// flood's others are answered 503 with Retry-After at once, unchecked.
func TestGateQueueFullIs503(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.BcryptConcurrency = 2; c.BcryptQueue = 2 })
	release := make(chan struct{})
	e.srv.clientAuth.compare = func(hash, secret []byte) error { <-release; return memoBcrypt(hash, secret) }
	const n = 6
	type answer struct {
		status int
		retry  string
	}
	answers := make(chan answer, n)
	for i := 0; i < n; i++ {
		go func() {
			r := e.token(ccID, fmt.Sprint("wrong-", i), ccForm)
			answers <- answer{r.Status, r.Header.Get("Retry-After")}
		}()
	}
	timeout := time.After(time.Minute)
	busy := 0
	for busy < n-2 {
		select {
		case a := <-answers:
			if a.status != http.StatusServiceUnavailable || a.retry == "" {
				t.Fatalf("while 2 checks hold the gate: expected 503 with Retry-After, got %d", a.status)
			}
			busy++
		case <-timeout:
			close(release)
			t.Fatalf("only %d of %d answered 503 within a minute", busy, n-2)
		}
	}
	close(release)
	for i := 0; i < 2; i++ {
		if a := <-answers; a.status != http.StatusUnauthorized {
			t.Errorf("an admitted wrong secret: expected 401, got %d", a.status)
		}
	}
}
