package profile

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// TLSSettings say how the suite trusts a target served over https (issue 17, item 2).
type TLSSettings struct {
	// CAFile is a PEM file of the certificate authorities that issued the target's
	// certificates, trusted besides the system's roots: for a target whose certificate comes
	// from a private CA (a test CA, a company CA). Empty: the system's roots only.
	CAFile string `yaml:"ca_file"`
}

// validateTLS checks that tls.ca_file, when given, holds at least one certificate.
func (p *Profile) validateTLS(ps *problems) {
	if p.TLS.CAFile == "" {
		return
	}
	if _, err := loadCAFile(p.TLS.CAFile); err != nil {
		ps.add("tls.ca_file", "%v", err)
	}
}

// loadCAFile reads the PEM certificates of path.
func loadCAFile(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: a CERTIFICATE block does not parse: %v", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no PEM CERTIFICATE block", path)
	}
	return certs, nil
}

// RootCAs is the pool the suite verifies the target's certificates with: the system's roots
// and the certificates of tls.ca_file. The verification itself is crypto/tls's, with the
// target's host name: the suite never skips it.
func (p *Profile) RootCAs() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if p.TLS.CAFile == "" {
		return pool, nil
	}
	certs, err := loadCAFile(p.TLS.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls.ca_file: %w", err)
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// ClientTLS is the TLS configuration of every connection the suite makes to the target: its
// RootCAs, and crypto/tls's defaults otherwise (TLS 1.2 or newer, certificate and host name
// verified). Nil when the profile names no CA file, which is crypto/tls's default anyway.
func (p *Profile) ClientTLS() (*tls.Config, error) {
	if p.TLS.CAFile == "" {
		return nil, nil
	}
	pool, err := p.RootCAs()
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ServedOverHTTPS reports whether the target is served over https (its issuer's scheme), and
// when not, the reason the TLS scenarios are not applicable.
func (p *Profile) ServedOverHTTPS() (bool, string) {
	u, err := url.Parse(p.Issuer)
	if err == nil && strings.EqualFold(u.Scheme, "https") {
		return true, ""
	}
	return false, fmt.Sprintf("the target is served over plain http (issuer %s); the TLS checks need a target served over https", p.Issuer)
}

// HTTPSOrigins are the distinct https origins (scheme://host:port) of the issuer, the
// endpoints and the protected resource: where the TLS handshake checks connect.
func (p *Profile) HTTPSOrigins() []string {
	var out []string
	seen := map[string]bool{}
	urls := p.serverURLs()
	if p.Resource != nil {
		urls = append(urls, p.Resource.URL)
	}
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" {
			continue
		}
		o := "https://" + HostPort(u)
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// HostPort is u's host with its port, the scheme's default port when u names none.
func HostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "443"
	if strings.EqualFold(u.Scheme, "http") {
		port = "80"
	}
	h := u.Hostname()
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + port
	}
	return h + ":" + port
}
