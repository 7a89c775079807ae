// Package oauthclient is the conformance suite's HTTP client for talking to an authorization
// server. Unlike a client library it never follows redirects, never retries and never repairs a
// response: every exchange is recorded exactly as it happened so that an assertion can show it,
// with secrets and tokens redacted.
package oauthclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxBody caps how much of a response body is kept; a misbehaving target must not exhaust memory.
const MaxBody = 1 << 20

// Client is a recording HTTP client. Create one per scenario with New. It is safe for
// concurrent use.
type Client struct {
	http *http.Client

	mu        sync.Mutex
	exchanges []*Exchange
	observe   func(*Exchange)
	// secrets are the values seen in token responses, redacted in every exchange's rendering.
	secrets secretSet
}

// Observe has f called with every exchange once it is recorded (the run's audit-log check
// collects the secrets and tokens the suite saw this way). Set it before the first request.
func (c *Client) Observe(f func(*Exchange)) {
	c.mu.Lock()
	c.observe = f
	c.mu.Unlock()
}

// New returns a client whose every exchange is bounded by timeout.
func New(timeout time.Duration) *Client { return NewTLS(timeout, nil) }

// NewTLS is New with the TLS configuration of the target's connections (nil: crypto/tls's
// defaults): the profile's tls.ca_file as extra roots (profile.ClientTLS).
func NewTLS(timeout time.Duration, tlsConfig *tls.Config) *Client {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Client{http: &http.Client{
		Timeout: timeout,
		// A conformance client must see the redirect itself (RFC 6749 4.1.2.1: an invalid
		// redirect URI MUST NOT be followed; RFC 9700 4.12: 303, not 307).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:               nil,
			DisableKeepAlives:   false,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
			// No automatic gzip: the recorded headers are the ones the server sent.
			DisableCompression: true,
			TLSClientConfig:    tlsConfig,
			// A transport with its own TLSClientConfig does not try HTTP/2 unless told; the
			// suite's requests are HTTP/1.1 either way, as before.
		},
	}}
}

// Exchange is one HTTP request and its response (or the transport error).
type Exchange struct {
	Method         string
	URL            string
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
	// Err is the transport error (timeout, connection reset, ...), nil when a response came.
	Err      error
	Duration time.Duration
	// secrets, set by the recording client, are redacted wherever they appear in String.
	secrets *secretSet
}

// Do sends req once and records the exchange. A transport error is returned and recorded too.
func (c *Client) Do(req *http.Request) (*Exchange, error) {
	ex := &Exchange{Method: req.Method, URL: req.URL.String(), RequestHeader: req.Header.Clone()}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the request body to send: %w", err)
		}
		ex.RequestBody = body
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	ex.Duration = time.Since(start)
	if err != nil {
		ex.Err = describeTransportError(err)
		c.record(ex)
		return ex, fmt.Errorf("%s %s: %w", req.Method, redactURL(ex.URL), ex.Err)
	}
	defer resp.Body.Close()
	ex.Status = resp.StatusCode
	ex.ResponseHeader = resp.Header.Clone()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	ex.ResponseBody = body
	if err != nil {
		ex.Err = fmt.Errorf("reading the response body: %w", describeTransportError(err))
		c.record(ex)
		return ex, fmt.Errorf("%s %s: %w", req.Method, redactURL(ex.URL), ex.Err)
	}
	c.record(ex)
	return ex, nil
}

// describeTransportError turns the usual transport failures into a sentence naming the cause.
func describeTransportError(err error) error {
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("the target did not answer in time: %w", err)
	case strings.Contains(err.Error(), "connection reset"), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the target closed the connection: %w", err)
	case strings.Contains(err.Error(), "connection refused"):
		return fmt.Errorf("the target is not listening: %w", err)
	}
	return err
}

func (c *Client) record(ex *Exchange) {
	c.secrets.learn(ex)
	ex.secrets = &c.secrets
	c.mu.Lock()
	c.exchanges = append(c.exchanges, ex)
	observe := c.observe
	c.mu.Unlock()
	if observe != nil {
		observe(ex)
	}
}

// Exchanges returns the exchanges recorded so far, oldest first.
func (c *Client) Exchanges() []*Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Exchange(nil), c.exchanges...)
}

// Last returns the most recent exchange, or nil.
func (c *Client) Last() *Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.exchanges) == 0 {
		return nil
	}
	return c.exchanges[len(c.exchanges)-1]
}

// Get sends a GET to rawURL with the given extra headers (name, value pairs).
func (c *Client) Get(ctx context.Context, rawURL string, header ...string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	ex, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	return NewResponse(ex), nil
}

// Metadata fetches an RFC 8414 metadata document (or any JSON document) with GET.
func (c *Client) Metadata(ctx context.Context, rawURL string) (*Response, error) {
	return c.Get(ctx, rawURL, "Accept", "application/json")
}
