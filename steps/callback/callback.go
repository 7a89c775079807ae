// Package callback is the client's redirection endpoint for one scenario: a listener on the
// loopback host of the profile's redirect URI, so that the browser has a real page to land on
// and the scenario can see what reached the client.
//
// RFC 8252 7.3: "The authorization server MUST allow any port to be specified at the time of
// the request for loopback IP redirect URIs". A redirect URI without a port (or with port 0) is
// therefore bound to a free port, and RedirectURI returns it with that port; a redirect URI
// with a fixed port binds exactly that port.
package callback

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

// Listener records the requests that reach the redirect URI.
type Listener struct {
	uri *url.URL
	srv *http.Server
	ln  net.Listener

	mu      sync.Mutex
	hits    []*url.URL
	changed chan struct{} // closed and replaced on every hit, so waiters wake up
}

// Listen binds the loopback host of redirectURI. Only loopback hosts are accepted: a scenario
// must never open a port on another interface.
func Listen(redirectURI string) (*Listener, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return nil, fmt.Errorf("callback: redirect URI %q is not a URL: %w", redirectURI, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("callback: redirect URI %q must use http: the listener serves plain HTTP on loopback", redirectURI)
	}
	host := u.Hostname()
	if !isLoopback(host) {
		return nil, fmt.Errorf("callback: redirect URI %q is not on a loopback host (127.0.0.1, [::1] or localhost): the suite can only receive redirects on loopback", redirectURI)
	}
	port := u.Port()
	if port == "" {
		port = "0"
	}
	bindHost := host
	if host == "localhost" {
		bindHost = "127.0.0.1" // RFC 8252 8.3 prefers the IP literal; localhost resolves to it here
	}
	ln, err := listenFixed(net.JoinHostPort(bindHost, port), port != "0")
	if err != nil {
		// The suite's own trouble (a fixed port in use, ...), not the target's: inconclusive.
		return nil, verdict.SuiteTrouble(fmt.Errorf("callback: cannot listen for %q: %w", redirectURI, err))
	}
	real := *u
	real.Host = net.JoinHostPort(host, fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	if u.Path == "" {
		real.Path = "/"
	}
	l := &Listener{uri: &real, ln: ln, changed: make(chan struct{})}
	l.srv = &http.Server{Handler: http.HandlerFunc(l.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// RedirectURI is the redirect URI with the port actually bound.
func (l *Listener) RedirectURI() string { return l.uri.String() }

// Close stops the listener. It is safe to call more than once.
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = l.srv.Close()
	}
	return err
}

// Hits returns copies of the URLs requested so far, oldest first. The query is visible; a
// fragment never is, since browsers do not send it (RFC 3986 3.5).
func (l *Listener) Hits() []*url.URL {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*url.URL, len(l.hits))
	for i, h := range l.hits {
		c := *h
		out[i] = &c
	}
	return out
}

// WaitHit waits until at least n requests arrived, or ctx ends.
func (l *Listener) WaitHit(ctx context.Context, n int) ([]*url.URL, error) {
	for {
		l.mu.Lock()
		changed := l.changed
		count := len(l.hits)
		l.mu.Unlock()
		if count >= n {
			return l.Hits(), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return l.Hits(), fmt.Errorf("callback: %d request(s) reached %s, expected %d: %w", count, l.RedirectURI(), n, ctx.Err())
		}
	}
}

var page = template.Must(template.New("callback").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>oauthconf callback</title></head>
<body><h1 id="oauthconf-callback">Redirect received</h1>
<p>The conformance suite's client received this redirect.</p>
<pre id="query">{{.}}</pre></body></html>
`))

func (l *Listener) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r) // the browser asks for it; it is not a redirect
		return
	}
	hit := *r.URL
	hit.Scheme = l.uri.Scheme
	hit.Host = l.uri.Host
	l.mu.Lock()
	l.hits = append(l.hits, &hit)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = page.Execute(w, r.URL.RawQuery)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// portFreeWait bounds the wait for a fixed callback port that is still held, by the previous
// scenario's listener or a connection of its browser context that is still closing.
const portFreeWait = 3 * time.Second

// listenFixed listens on addr; a fixed port (a redirect URI that names its port, so every
// scenario binds the same one) that is still in use is tried again until it is free or
// portFreeWait has passed.
func listenFixed(addr string, fixed bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil || !fixed || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	deadline := time.NewTimer(portFreeWait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return nil, err
		case <-tick.C:
			if ln, err = net.Listen("tcp", addr); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
				return ln, err
			}
		}
	}
}
