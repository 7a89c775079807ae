package store_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// The targets, on 2 cores: ~4,000 client-credentials tokens/s persisted and ~10,000
// introspections/s. Each token is one CreateAccessTokenSession; each introspection one
// GetAccessTokenSession. Run with:
//
//	go test -run '^$' -bench . -benchtime 2s ./refserver/store/
//
// The benchmarks run with parallelism 8 (16 goroutines on 2 cores), like a server at
// concurrency 16.

// ccRequest is what the client-credentials handler stores: no subject, no form secrets.
func ccRequest(c fosite.Client, id string) *fosite.Request {
	sess := newSession("")
	sess.SetExpiresAt(fosite.AccessToken, time.Now().UTC().Add(time.Hour).Round(time.Second))
	return &fosite.Request{
		ID: id, RequestedAt: time.Now().UTC(), Client: c,
		RequestedScope: fosite.Arguments{"calc:read"}, GrantedScope: fosite.Arguments{"calc:read"},
		Form:    map[string][]string{"grant_type": {"client_credentials"}, "scope": {"calc:read"}},
		Session: sess, RequestedAudience: fosite.Arguments{}, GrantedAudience: fosite.Arguments{},
	}
}

func BenchmarkCreateAccessToken(b *testing.B) {
	st, _ := openStore(b)
	c := mustClient(b, st, "bench")
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := strconv.FormatInt(n.Add(1), 10)
			if err := st.CreateAccessTokenSession(ctx, "sig-"+id, ccRequest(c, "req-"+id)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkGetAccessToken looks up 10,000 tokens in turn, through the access-token cache.
func BenchmarkGetAccessToken(b *testing.B) {
	benchmarkGetAccessToken(b, store.DefaultAccessTokenCacheTTL)
}

// BenchmarkGetAccessTokenUncached is the same with the cache off: every lookup reads the row
// and decodes it.
func BenchmarkGetAccessTokenUncached(b *testing.B) { benchmarkGetAccessToken(b, 0) }

func benchmarkGetAccessToken(b *testing.B, ttl time.Duration) {
	st, _ := openStore(b)
	st.SetAccessTokenCacheTTL(ttl)
	c := mustClient(b, st, "bench")
	ctx := context.Background()
	const stored = 10000
	tctx, err := st.BeginTX(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i := range stored {
		id := strconv.Itoa(i)
		if err := st.CreateAccessTokenSession(tctx, "sig-"+id, ccRequest(c, "req-"+id)); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Commit(tctx); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sig := "sig-" + strconv.FormatInt(n.Add(7919)%stored, 10)
			if _, err := st.GetAccessTokenSession(ctx, sig, newSession("")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
