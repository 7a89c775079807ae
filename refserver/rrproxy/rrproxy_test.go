package rrproxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func backend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/die" {
			// A replica killed while it holds the request: the connection closes, no answer.
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, name+" "+r.Host+" "+string(b))
	}))
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, c *http.Client, url, body string) (int, string, error) {
	t.Helper()
	res, err := c.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

func TestRoundRobinSkipsRefusingReplicas(t *testing.T) {
	a, b := backend(t, "A"), backend(t, "B")
	// A port nobody listens on: a replica that is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p, err := New([]string{a.Listener.Addr().String(), dead, b.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	c := front.Client()
	seen := map[string]int{}
	for i := range 6 {
		st, body, err := get(t, c, front.URL+"/x", "body")
		if err != nil || st != 200 {
			t.Fatalf("request %d: %d %q %v", i, st, body, err)
		}
		f := strings.Fields(body)
		if len(f) != 3 || f[1] != front.Listener.Addr().String() || f[2] != "body" {
			t.Fatalf("request %d: the replica saw %q: want its name, the proxy's Host and the body", i, body)
		}
		seen[f[0]]++
	}
	if seen["A"] == 0 || seen["B"] == 0 || seen["A"]+seen["B"] != 6 {
		t.Errorf("requests per replica %v: want both served, the dead one skipped", seen)
	}
	if s := p.Served(); s[1] != 0 || s[0]+s[2] != 6 {
		t.Errorf("Served() = %v", s)
	}
	// A replica that dies holding the request: the client's connection is closed, no status
	// is made up.
	if st, body, err := get(t, c, front.URL+"/die", ""); err == nil {
		t.Errorf("a lost answer came back as %d %q; want a closed connection", st, body)
	}
	if p.Lost() == 0 {
		t.Error("Lost() = 0 after a lost answer")
	}
}

func TestNoReplicaIs502(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p, _ := New([]string{dead})
	front := httptest.NewServer(p)
	defer front.Close()
	if st, _, err := get(t, front.Client(), front.URL, ""); err != nil || st != http.StatusBadGateway {
		t.Errorf("no replica: %d %v, want 502", st, err)
	}
	if _, err := New(nil); err == nil {
		t.Error("New accepted no backends")
	}
}
