package refserver

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Issue 16 item 2: a lockout an outsider cannot hold for free. The attack as reported: a burst
// of 25 guesses, then one guess each time Retry-After allows, against a user's password and a
// client's secret, while the user signs in and the client authenticates as usual. Before, the
// user got 0 of 69 sign-ins in 150 s, a busy client was locked out once its remembered secret
// lapsed, and guesses interleaved with the owner's successes were never limited.
//
// One simulated hour on an injected clock (limiter and remembered secrets), one step a
// second, no sleeping: the legitimate user and client must keep at least 95% of their
// requests, and the attacker's compared guesses must stay within the budget (20, then about
// one a minute).
func TestLockoutUnderAttack(t *testing.T) {
	e := newTestEnv(t)
	cheapPasswords(t, e.st)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e.srv.limiter.SetClock(clock)
	e.srv.clientAuth.cache.now = clock

	const (
		attacker = "203.0.113.9:4444"
		userAddr = "198.51.100.7:5555"
		appAddr  = "198.51.100.8:6666"
		rareAddr = "198.51.100.9:7777"
		duration = time.Hour
	)
	bob := func(pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {pw}}
	}
	alice := func(pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {pw}}
	}
	type tally struct{ sent, ok, compared int }
	var user, app, rare, guessUser, guessClient, guessAlice tally

	// The attacker guesses bob's password, alice's and the client's secret; next is when
	// Retry-After next allows a guess at each.
	type target struct {
		next  time.Time
		burst int
		send  func() *response
		t     *tally
	}
	targets := []*target{
		{send: func() *response {
			return e.doFrom(attacker, request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret, Form: bob("wrong-guess")})
		}, t: &guessUser},
		{send: func() *response {
			return e.doFrom(attacker, request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret, Form: alice("wrong-guess")})
		}, t: &guessAlice},
		{send: func() *response {
			return e.doFrom(attacker, request{Path: PathToken, BasicID: ccID, BasicSecret: "wrong-guess", Form: ccForm})
		}, t: &guessClient},
	}
	for _, tg := range targets {
		tg.burst = 25
	}
	start := clock()
	for step := 0; clock().Sub(start) < duration; step++ {
		t0 := clock()
		for _, tg := range targets {
			for tg.burst > 0 || !t0.Before(tg.next) {
				if tg.burst > 0 {
					tg.burst--
				}
				r := tg.send()
				tg.t.sent++
				if ra := r.Header.Get("Retry-After"); ra != "" {
					s, _ := strconv.Atoi(ra)
					tg.next = t0.Add(time.Duration(s) * time.Second)
				} else {
					tg.t.compared++ // answered as a plain failure: the guess was compared
				}
				if r.Status == http.StatusOK {
					t.Fatalf("a wrong guess succeeded: %s", r)
				}
				if tg.burst == 0 {
					break
				}
			}
		}
		if step%5 == 0 { // the client, every 5 s
			app.sent++
			if r := e.doFrom(appAddr, request{Path: PathToken, BasicID: ccID, BasicSecret: ccSecret, Form: ccForm}); r.Status == http.StatusOK {
				app.ok++
			}
		}
		if step%10 == 0 { // bob signs in every 10 s
			user.sent++
			if r := e.doFrom(userAddr, request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret, Form: bob("bob-Secret-2")}); r.Status == http.StatusOK {
				user.ok++
			}
		}
		if step%420 == 0 { // alice every 7 minutes: her remembered password has lapsed each time
			rare.sent++
			if r := e.doFrom(rareAddr, request{Path: PathToken, BasicID: ropcID, BasicSecret: ropcSecret, Form: alice("alice-Secret-1")}); r.Status == http.StatusOK {
				rare.ok++
			}
		}
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
	}
	t.Logf("simulated %s: user bob %d/%d ok, client %d/%d ok, user alice (rare) %d/%d ok", duration, user.ok, user.sent, app.ok, app.sent, rare.ok, rare.sent)
	t.Logf("attacker: bob %d sent, %d compared; alice %d sent, %d compared; client %d sent, %d compared",
		guessUser.sent, guessUser.compared, guessAlice.sent, guessAlice.compared, guessClient.sent, guessClient.compared)
	for name, l := range map[string]tally{"user bob": user, "client": app, "user alice": rare} {
		if l.ok*100 < l.sent*95 {
			t.Errorf("%s: %d of %d requests succeeded under attack, expected at least 95%%", name, l.ok, l.sent)
		}
	}
	// The designed budget: 20 guesses, then one a minute (Forgive), counting the minutes at
	// both ends of the hour.
	budget := 20 + int(duration/time.Minute) + 1
	for name, g := range map[string]tally{"bob": guessUser, "alice": guessAlice, "client": guessClient} {
		if g.compared > budget {
			t.Errorf("attacker against %s: %d guesses compared in %s, expected at most %d", name, g.compared, duration, budget)
		}
	}
}
