// Package rrproxy is a round-robin reverse proxy for loopback tests of replicated reference
// servers (issue 15 items 4 and 5): each request goes to the next replica, so a browser's login
// lands on one replica and its approval on another, a token issued by one is introspected by
// the next, and so on. The replicas serve one issuer, the proxy's address; the proxy keeps the
// request's Host.
//
// A replica that refuses the connection (killed, restarting) is skipped: nothing reached it, so
// the next one gets the request. A replica that dies while it holds a request loses that
// request's answer: the proxy closes the client's connection, as the dead replica's own
// connection would have been closed, and never makes up a status of its own. Only when no
// replica accepts a connection does it answer 502.
package rrproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"syscall"
	"time"
)

// maxBody bounds a request body the proxy buffers (to send it again to the next replica when
// one refuses the connection).
const maxBody = 4 << 20

// Proxy spreads requests over Backends in turn. Build it with New.
type Proxy struct {
	backends []string
	next     atomic.Uint64
	served   []atomic.Int64
	lost     atomic.Int64
	rp       *httputil.ReverseProxy
	tr       *http.Transport
}

// New returns a proxy over the backends' host:port addresses (plain HTTP).
func New(backends []string) (*Proxy, error) {
	if len(backends) == 0 {
		return nil, errors.New("rrproxy: no backends")
	}
	p := &Proxy{backends: append([]string(nil), backends...), served: make([]atomic.Int64, len(backends))}
	p.tr = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The replica is chosen per request by RoundTrip; the Host stays the proxy's, which
			// is the replicas' issuer.
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "replica"
			pr.Out.Host = pr.In.Host
		},
		Transport:    roundTripper{p},
		ErrorHandler: p.fail,
		// Flush at once: a slow answer is passed on as it comes.
		FlushInterval: -1,
	}
	return p, nil
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.rp.ServeHTTP(w, r) }

// Served returns how many requests each backend answered, in the order of New's backends.
func (p *Proxy) Served() []int64 {
	out := make([]int64, len(p.served))
	for i := range p.served {
		out[i] = p.served[i].Load()
	}
	return out
}

// Lost is how many requests lost their answer because their replica went away while it held
// them (the client's connection was closed).
func (p *Proxy) Lost() int64 { return p.lost.Load() }

// Close drops the idle connections to the backends.
func (p *Proxy) Close() { p.tr.CloseIdleConnections() }

var errNoReplica = errors.New("rrproxy: no replica accepted the connection")

type roundTripper struct{ p *Proxy }

// RoundTrip sends the request to the next backend, and to the one after it when a backend
// refuses the connection.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	p := rt.p
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(b) > maxBody {
			return nil, fmt.Errorf("rrproxy: request body over %d bytes", maxBody)
		}
		body = b
	}
	n := uint64(len(p.backends))
	start := p.next.Add(1) - 1
	for i := uint64(0); i < n; i++ {
		b := int((start + i) % n)
		out := req.Clone(req.Context())
		out.URL.Host = p.backends[b]
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
			out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			out.ContentLength = int64(len(body))
		}
		res, err := p.tr.RoundTrip(out)
		if err == nil {
			p.served[b].Add(1)
			return res, nil
		}
		if !refused(err) || req.Context().Err() != nil {
			return nil, err
		}
	}
	return nil, errNoReplica
}

// refused reports whether err says the connection was never made: the request did not reach
// the backend, so another one may take it.
func refused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}

// fail handles a request no replica answered: 502 when none accepted it; otherwise (its
// replica went away while holding it) the client's connection is closed, as the replica's was.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoReplica) {
		http.Error(w, "no replica is serving", http.StatusBadGateway)
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away first
	}
	p.lost.Add(1)
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, herr := hj.Hijack(); herr == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // closes the connection (HTTP/1) or resets the stream (HTTP/2)
}
