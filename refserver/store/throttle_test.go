package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
	"github.com/oauthconf/oauthconf/refserver/throttle"
	"github.com/oauthconf/oauthconf/refserver/throttle/throttletest"
)

// The limiter's rules through the database's counter: the contract Memory keeps too.
func TestThrottleCounterContract(t *testing.T) {
	throttletest.Contract(t, func(t *testing.T, cfg throttle.Config) throttle.Counter {
		st, _ := openStore(t)
		return st.ThrottleCounter(cfg)
	})
}

// Two stores over one file stand for two processes (two replicas of the server): guesses
// spread over both, sent together, are counted once. With AccountFailures 20, exactly 20 of
// 150 concurrent checks of one account from one source are admitted, whichever store they
// go through; and once they failed, both refuse.
func TestThrottleCountsAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oauth.db")
	if onPostgres(t) {
		path = pgSchemaURL(t)
	}
	var limiters [2]*throttle.Limiter
	for i := range limiters {
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		t.Cleanup(func() { st.Close() })
		cfg := throttle.Config{}
		cfg.Counter = st.ThrottleCounter(cfg)
		limiters[i] = throttle.NewLimiter(cfg)
	}
	const n = 150
	const attacker = "203.0.113.9:5555"
	var admitted atomic.Int64
	var reserved, wg sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		reserved.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, ref := limiters[i%2].Reserve(context.Background(), throttle.User, "bob", attacker)
			reserved.Done()
			if ref != nil {
				return
			}
			admitted.Add(1)
			<-release // every admitted check is "comparing" while the others arrive
			a.Fail()
		}()
	}
	reserved.Wait()
	close(release)
	wg.Wait()
	if got := admitted.Load(); got != 20 {
		t.Errorf("%d concurrent attempts over two stores: expected exactly 20 admitted (AccountFailures), got %d", n, got)
	}
	for i, l := range limiters {
		a, ref := l.Reserve(context.Background(), throttle.User, "bob", attacker)
		a.Release()
		if ref == nil || ref.Limit != "account" {
			t.Errorf("store #%d after the burst: expected the account throttled, got %+v", i+1, ref)
		}
	}
}

// Rows that hold nothing any more are deleted; a throttled account's row is not.
func TestThrottleCounterSweepsIdleRows(t *testing.T) {
	st, _ := openStore(t)
	clock := throttletest.NewClock()
	cfg := throttle.Config{AccountFailures: 3, Forgive: time.Minute, BaseDelay: time.Hour, MaxDelay: time.Hour}
	c := st.ThrottleCounter(cfg)
	cfg.Counter = c
	l := throttle.NewLimiter(cfg)
	l.SetClock(clock.Now)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		a, ref := l.Reserve(ctx, throttle.Client, "victim", "203.0.113.9:1")
		if ref != nil {
			break
		}
		a.Fail()
	}
	for i := 0; i < 50; i++ {
		a, _ := l.Reserve(ctx, throttle.Client, "c"+string(rune('a'+i%26))+string(rune('a'+i/26)), "198.51.100.1:1")
		a.Fail()
	}
	before, err := c.Len()
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(61 * time.Second) // the single failures are forgiven; the victim's delay (1 h) is not over
	a, _ := l.Reserve(ctx, throttle.Client, "other", "198.51.100.2:1")
	a.Release()
	after, err := c.Len()
	if err != nil {
		t.Fatal(err)
	}
	if after >= before || after > 5 {
		t.Errorf("expected the idle rows swept: %d rows before, %d after", before, after)
	}
	a, ref := l.Reserve(ctx, throttle.Client, "victim", "203.0.113.9:1")
	a.Release()
	if ref == nil {
		t.Error("the sweep forgot a throttled account")
	}
}

// When the database cannot take the counts (here: closed), the checks are counted in the
// process: guessing stays throttled, and a check is not refused for the database's sake.
func TestThrottleCounterFallsBackToTheProcess(t *testing.T) {
	st, _ := openStore(t)
	cfg := throttle.Config{AccountFailures: 3, BaseDelay: time.Hour, MaxDelay: time.Hour}
	cfg.Counter = st.ThrottleCounter(cfg)
	l := throttle.NewLimiter(cfg)
	st.Close()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		a, ref := l.Reserve(ctx, throttle.User, "u", "203.0.113.9:1")
		if ref != nil {
			t.Fatalf("check %d with the database closed: refused %+v", i+1, ref)
		}
		a.Fail()
	}
	a, ref := l.Reserve(ctx, throttle.User, "u", "203.0.113.9:1")
	a.Release()
	if ref == nil || ref.Limit != "account" {
		t.Errorf("after 3 failures counted in the process: expected the account throttled, got %+v", ref)
	}
}
