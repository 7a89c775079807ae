package runner

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// verifiedSPKIs connects to every https origin of the target with the suite's own TLS
// configuration (the system's roots and tls.ca_file, the host name checked by crypto/tls) and
// returns the base64 SHA-256 hashes of the public keys of the leaf certificates that verified: the
// keys the browser is told to accept (browser.Options.TrustedSPKI). The trust decision is
// crypto/tls's, against the CA the profile names; Chromium only follows it. An origin whose
// certificate does not verify is left out and named in the second result: the browser then
// refuses it as any browser would, and tls.feature's certificate scenario reports why.
func verifiedSPKIs(ctx context.Context, p *profile.Profile, cfg *tls.Config, timeout time.Duration) (hashes, problems []string) {
	for _, origin := range p.HTTPSOrigins() {
		u, err := url.Parse(origin)
		if err != nil {
			continue
		}
		c := cfg.Clone()
		c.ServerName = u.Hostname()
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: c}
		dctx, cancel := context.WithTimeout(ctx, timeout)
		conn, err := d.DialContext(dctx, "tcp", u.Host)
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", origin, err))
			continue
		}
		// The leaf only: Chromium accepts a chain when any certificate it presents has a listed
		// key, so an intermediate's key would let through every certificate it signs, for any
		// host.
		if certs := conn.(*tls.Conn).ConnectionState().PeerCertificates; len(certs) > 0 {
			sum := sha256.Sum256(certs[0].RawSubjectPublicKeyInfo)
			if h := base64.StdEncoding.EncodeToString(sum[:]); !slices.Contains(hashes, h) {
				hashes = append(hashes, h)
			}
		}
		_ = conn.Close()
	}
	return hashes, problems
}
