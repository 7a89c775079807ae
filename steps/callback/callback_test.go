package callback

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

func TestListenPicksAFreePortAndRecordsHits(t *testing.T) {
	l, err := Listen("http://127.0.0.1/callback")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, _ := url.Parse(l.RedirectURI())
	if u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" || u.Path != "/callback" {
		t.Fatalf("RedirectURI = %q", l.RedirectURI())
	}
	if len(l.Hits()) != 0 {
		t.Fatal("hits before any request")
	}

	resp, err := http.Get(l.RedirectURI() + "?code=abc&state=x%20y")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `id="oauthconf-callback"`) {
		t.Errorf("callback page: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), "code=abc&amp;state=x%20y") {
		t.Errorf("the page should show the (escaped) query: %s", body)
	}
	hits := l.Hits()
	if len(hits) != 1 {
		t.Fatalf("hits = %v", hits)
	}
	if q := hits[0].Query(); q.Get("code") != "abc" || q.Get("state") != "x y" {
		t.Errorf("query = %v", q)
	}
	if hits[0].Host != u.Host || hits[0].Scheme != "http" || hits[0].Path != "/callback" {
		t.Errorf("hit URL = %v", hits[0])
	}
	hits[0].RawQuery = "mutated"
	if l.Hits()[0].RawQuery == "mutated" {
		t.Error("Hits returns the listener's own URLs")
	}
}

func TestFixedPortIsHonoured(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	l, err := Listen("http://127.0.0.1:" + itoa(port) + "/cb")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if want := "http://127.0.0.1:" + itoa(port) + "/cb"; l.RedirectURI() != want {
		t.Errorf("RedirectURI = %q, want %q", l.RedirectURI(), want)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, uri := range []string{"http://example.com/cb", "https://127.0.0.1/cb", "http://10.0.0.1/cb", "::"} {
		if l, err := Listen(uri); err == nil {
			l.Close()
			t.Errorf("Listen(%q) succeeded", uri)
		}
	}
	l, err := Listen("http://localhost/cb")
	if err != nil {
		t.Fatalf("localhost is loopback: %v", err)
	}
	defer l.Close()
	if !strings.HasPrefix(l.RedirectURI(), "http://localhost:") {
		t.Errorf("RedirectURI keeps the host name: %q", l.RedirectURI())
	}
}

func TestWaitHitAndConcurrency(t *testing.T) {
	l, err := Listen("http://127.0.0.1/cb")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.WaitHit(ctx, 1); err == nil || !strings.Contains(err.Error(), "0 request(s) reached") {
		t.Fatalf("WaitHit without requests: %v", err)
	}

	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(l.RedirectURI() + "?i=" + itoa(i))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	hits, err := l.WaitHit(ctx2, n)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(hits) != n {
		t.Errorf("hits = %d, want %d", len(hits), n)
	}
}

func TestCloseTwice(t *testing.T) {
	l, err := Listen("http://127.0.0.1/cb")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(l.RedirectURI()); err == nil {
		t.Error("the listener still answers after Close")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// A port the listener cannot bind is the suite's trouble (inconclusive), not the target's.
func TestBindFailureIsSuiteTrouble(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, err = Listen("http://" + taken.Addr().String() + "/cb")
	if err == nil || !verdict.IsSuiteTrouble(err) {
		t.Fatalf("err = %v, want a bind error marked as the suite's trouble", err)
	}
	if _, err := Listen("http://example.com/cb"); err == nil || verdict.IsSuiteTrouble(err) {
		t.Errorf("a non-loopback redirect URI is a profile problem, not suite trouble: %v", err)
	}
}
