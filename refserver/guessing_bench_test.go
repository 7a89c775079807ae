package refserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver/throttle"
)

// BenchmarkGuessing measures what guessing costs everyone else: the latency of valid
// client-credentials requests (one client, its secret remembered after the first request) while
// 8 connections send wrong secrets as fast as the server answers, over real loopback HTTP and
// real bcrypt (cost 10). The throttle is off here, so every guess costs a full comparison, as
// guesses spread over many accounts and addresses would; what varies is the bcrypt gate:
//
//	go test ./refserver -run '^$' -bench BenchmarkGuessing -benchtime 300x
//
// Each sub-benchmark reports p50_ms and p99_ms of the valid requests and guesses/s.
func BenchmarkGuessing(b *testing.B) {
	for _, c := range []struct {
		name string
		cap  int
	}{
		{"no_guessing", 0},
		{"gate=none", -1},
		{"gate=cores", runtime.GOMAXPROCS(0)},
		{"gate=default", 0},
	} {
		b.Run(c.name, func(b *testing.B) { benchGuessing(b, c.cap, c.name != "no_guessing") })
	}
}

func benchGuessing(b *testing.B, gateSize int, guess bool) {
	st, _ := openSeededCopy(b)
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	srv, err := newServer(Config{Issuer: issuer, GlobalSecret: []byte(strings.Repeat("k", 32)),
		BcryptConcurrency: gateSize, Throttle: throttleOff}, st)
	if err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()

	post := func(cl *http.Client, id, secret string) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, issuer+PathToken, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		res, err := cl.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	valid := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	if code, err := post(valid, ccID, ccSecret); err != nil || code != 200 {
		b.Fatalf("warm-up: %d %v", code, err)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var guesses sync.Map
	if guess {
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				n := 0
				for ctx.Err() == nil {
					if _, err := post(cl, ccID, "wrong-"+strconv.Itoa(i)+"-"+strconv.Itoa(n)); err == nil {
						n++
					}
				}
				guesses.Store(i, n)
			}()
		}
		// Let the guessers fill the server before measuring.
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if code, _ := post(valid, ccID, ccSecret); code != 200 {
				b.Fatalf("valid request during warm-up: %d", code)
			}
		}
	}
	lat := make([]time.Duration, 0, b.N)
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		code, err := post(valid, ccID, ccSecret)
		if err != nil || code != 200 {
			b.Fatalf("valid request: %d %v", code, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	elapsed := time.Since(start)
	stop()
	wg.Wait()
	total := 0
	guesses.Range(func(_, v any) bool { total += v.(int); return true })
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99_ms")
	b.ReportMetric(float64(total)/elapsed.Seconds(), "guesses/s")
}

// throttleOff lets every guess reach bcrypt.
var throttleOff = throttle.Config{Disabled: true}
