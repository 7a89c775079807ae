package profile

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// maxMetadataBytes bounds the metadata document read from a target.
const maxMetadataBytes = 1 << 20

// Resolve reads the target's metadata and fills the endpoints the profile leaves empty. It tries
// the RFC 8414 well-known URL, then OpenID Connect discovery. Each request is bounded by
// Timeouts.Request and never follows redirects: a conformance harness must not paper over a
// target that moved its metadata. hc may be nil.
//
// A target without metadata is accepted when the profile does not claim metadata support and
// names the endpoints the declared grants need.
func (p *Profile) Resolve(ctx context.Context, hc *http.Client) error {
	client := noRedirects(hc, p.Timeouts.Request)
	var tried []string
	for _, u := range p.metadataURLs() {
		doc, err := fetchMetadata(ctx, client, u)
		if err == nil {
			if err := p.useMetadata(u, doc); err != nil {
				return err
			}
			return p.checkEndpoints(nil)
		}
		var down *unreachableError
		if errors.As(err, &down) {
			// The target is down or hangs: a second URL would only double the wait.
			return fmt.Errorf("the target is not reachable: %w (is it running, and is issuer %q right?)", err, p.Issuer)
		}
		tried = append(tried, err.Error())
	}
	if isTrue(p.Capabilities.Metadata) {
		return fmt.Errorf("capabilities.metadata is true but %w (for a server without one, set capabilities.metadata: false and give endpoints.authorization and endpoints.token):\n  %s", ErrNoMetadata, strings.Join(tried, "\n  "))
	}
	return p.checkEndpoints(tried)
}

// metadataURLs lists where the metadata may be, in order.
func (p *Profile) metadataURLs() []string {
	if p.Endpoints.Metadata != "" {
		return []string{p.Endpoints.Metadata}
	}
	iss, err := url.Parse(p.Issuer)
	if err != nil {
		return nil
	}
	// RFC 8414 3.1: "inserting a well-known URI string into the authorization server's issuer
	// identifier between the host component and the path component, if any".
	rfc := *iss
	rfc.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(iss.Path, "/")
	rfc.RawPath = ""
	// OpenID Connect Discovery 1.0 4: the well-known string is appended to the issuer.
	oidc := *iss
	oidc.Path = strings.TrimSuffix(iss.Path, "/") + "/.well-known/openid-configuration"
	oidc.RawPath = ""
	return []string{rfc.String(), oidc.String()}
}

// useMetadata checks doc and fills empty endpoints from it.
func (p *Profile) useMetadata(from string, doc map[string]any) error {
	// RFC 8414 3.3: "The "issuer" value returned MUST be identical to the authorization
	// server's issuer identifier value into which the well-known URI string was inserted".
	iss, _ := doc["issuer"].(string)
	if iss != p.Issuer {
		return fmt.Errorf("the metadata at %s has issuer %q, but the profile's issuer is %q; RFC 8414 3.3 requires them to be identical: fix issuer in the profile (or the server's configuration)", from, iss, p.Issuer)
	}
	var ps problems
	fill := func(field string, dst *string) {
		v, present := doc[field]
		if !present {
			return
		}
		s, ok := v.(string)
		if !ok {
			ps.add("metadata "+field, "is %T, want a URL string", v)
			return
		}
		if _, ok := checkURL(&ps, "metadata "+field, s); ok && *dst == "" {
			*dst = s
		}
	}
	fill("authorization_endpoint", &p.Endpoints.Authorization)
	fill("token_endpoint", &p.Endpoints.Token)
	fill("introspection_endpoint", &p.Endpoints.Introspection)
	fill("revocation_endpoint", &p.Endpoints.Revocation)
	// OpenID Connect RP-Initiated Logout 1.0: the sign-out page (open_redirect.feature).
	fill("end_session_endpoint", &p.Endpoints.Logout)
	if err := ps.err(); err != nil {
		return fmt.Errorf("the metadata at %s is unusable: %w", from, err)
	}
	p.Metadata = doc
	p.MetadataURL = from
	return nil
}

// checkEndpoints makes sure the endpoints the declared grants need are known.
func (p *Profile) checkEndpoints(tried []string) error {
	var missing []string
	if p.Endpoints.Token == "" && (len(p.Capabilities.Grants) == 0 || p.declaresGrant(GrantAuthorizationCode) ||
		p.declaresGrant(GrantClientCredentials) || p.declaresGrant(GrantPassword)) {
		missing = append(missing, "endpoints.token")
	}
	if p.Endpoints.Authorization == "" && (len(p.Capabilities.Grants) == 0 || p.needsBrowser()) {
		missing = append(missing, "endpoints.authorization")
	}
	if len(missing) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s not set and not published in metadata", strings.Join(missing, " and "))
	if len(tried) > 0 {
		msg += "; no metadata document was found:\n  " + strings.Join(tried, "\n  ")
	}
	return errors.New(msg)
}

// ErrNoMetadata is what Resolve's error wraps when the target answered at every metadata URL,
// with no metadata document.
var ErrNoMetadata = errors.New("no metadata document was found")

// IsUnreachable reports whether Resolve failed because nothing answered (rather than because
// the target publishes no metadata).
func IsUnreachable(err error) bool {
	var down *unreachableError
	return errors.As(err, &down)
}

// unreachableError is a transport failure: nothing answered, or not in time.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

func fetchMetadata(ctx context.Context, hc *http.Client, u string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &unreachableError{fmt.Errorf("GET %s: %s", u, DescribeTransportError(err))}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, fmt.Errorf("GET %s: answered %s redirecting to %q; metadata must be served at its well-known URL", u, resp.Status, resp.Header.Get("Location"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, &unreachableError{fmt.Errorf("GET %s: reading the body: %s", u, DescribeTransportError(err))}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: answered %s", u, resp.Status)
	}
	if len(body) > maxMetadataBytes {
		return nil, fmt.Errorf("GET %s: the document is larger than %d bytes", u, maxMetadataBytes)
	}
	// RFC 8414 3.2: "the response ... using the "application/json" content type".
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != "application/json" {
		return nil, fmt.Errorf("GET %s: answered Content-Type %q, not application/json (body starts %s)", u, resp.Header.Get("Content-Type"), Snippet(body))
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("GET %s: the body is not a JSON object: %v (body starts %s)", u, err, Snippet(body))
	}
	if dec.More() {
		return nil, fmt.Errorf("GET %s: the body has data after the JSON object (body starts %s)", u, Snippet(body))
	}
	return doc, nil
}

// noRedirects copies hc (or makes a client) so that redirects are returned, not followed, and
// every request has a deadline.
func noRedirects(hc *http.Client, timeout time.Duration) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	if c.Timeout == 0 || c.Timeout > timeout {
		c.Timeout = timeout
	}
	return c
}

// DescribeTransportError turns a transport error into a sentence a user can act on.
func DescribeTransportError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer within the request timeout (timeouts.request)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens there"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed or reset without a complete HTTP response"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("the host name %q does not resolve", dnsErr.Name)
	}
	// The TLS scenarios judge a certificate (features/tls.feature); the run itself needs to
	// trust it first, and says how.
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("the server's certificate does not lead to a trusted root (%v): if its CA is private, name the CA's PEM file in the profile's tls.ca_file", unknown.Error())
	case errors.As(err, &host):
		return fmt.Sprintf("the server's certificate is not for this host name (%v): the issuer's host must be one the certificate names", host.Error())
	case errors.As(err, &invalid):
		return fmt.Sprintf("the server's certificate is invalid (%v)", invalid.Error())
	}
	return err.Error()
}

// Snippet quotes the start of a body for an error message.
func Snippet(body []byte) string {
	const n = 80
	s := strings.TrimSpace(string(body))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return fmt.Sprintf("%q", s)
}
