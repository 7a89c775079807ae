package launch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver"
)

// startTLS serves an empty database over https with ServerTLS and quirks.
func startTLS(t *testing.T, quirks ...string) (*Server, *x509.CertPool) {
	t.Helper()
	ca, err := NewTestCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(context.Background(), DBOptions{}, Options{TLS: ServerTLS(ca.Server), Config: refserver.Config{Quirks: quirks}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	pem, err := os.ReadFile(ca.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return srv, pool
}

// handshakes reports whether a handshake with cfg succeeds.
func handshakes(t *testing.T, issuer string, cfg *tls.Config) bool {
	t.Helper()
	cfg.InsecureSkipVerify = true //nolint:gosec // the version and suite are under test
	c, err := tls.Dial("tcp", strings.TrimPrefix(issuer, "https://"), cfg)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func TestServerTLSRefusesLegacyUnlessQuirked(t *testing.T) {
	srv, pool := startTLS(t)
	if !strings.HasPrefix(srv.Issuer, "https://") {
		t.Fatalf("issuer %s", srv.Issuer)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(srv.Issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatalf("a client trusting the test CA: %v", err)
	}
	_ = resp.Body.Close()
	var rc4 []uint16
	for _, s := range tls.InsecureCipherSuites() {
		if strings.Contains(s.Name, "_RC4_") {
			rc4 = append(rc4, s.ID)
		}
	}
	legacy := []*tls.Config{
		{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10},
		{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11},
		{MaxVersion: tls.VersionTLS12, CipherSuites: rc4},
		{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}},
	}
	for i, cfg := range legacy {
		if handshakes(t, srv.Issuer, cfg.Clone()) {
			t.Errorf("legacy handshake %d accepted by the default server", i)
		}
	}
	quirked, _ := startTLS(t, string(refserver.QuirkTLSLegacy))
	for i, cfg := range legacy {
		if !handshakes(t, quirked.Issuer, cfg.Clone()) {
			t.Errorf("legacy handshake %d refused with %s on", i, refserver.QuirkTLSLegacy)
		}
	}
}

func TestPlainHTTPOnlyWithTheQuirk(t *testing.T) {
	get := func(issuer string) (int, string) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + strings.TrimPrefix(issuer, "https://") + "/.well-known/oauth-authorization-server")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	srv, _ := startTLS(t)
	if status, body := get(srv.Issuer); status == http.StatusOK {
		t.Errorf("plain http answered 200 by the default TLS server: %s", body)
	}
	quirked, pool := startTLS(t, string(refserver.QuirkPlainHTTPToo))
	if status, body := get(quirked.Issuer); status != http.StatusOK || !strings.Contains(body, `"issuer"`) {
		t.Errorf("plain http with %s: HTTP %d %s", refserver.QuirkPlainHTTPToo, status, body)
	}
	// The same port still speaks TLS.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(quirked.Issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatalf("https with %s: %v", refserver.QuirkPlainHTTPToo, err)
	}
	_ = resp.Body.Close()
}

func TestTLSQuirksNeedTLS(t *testing.T) {
	for _, q := range []refserver.Quirk{refserver.QuirkTLSLegacy, refserver.QuirkPlainHTTPToo} {
		srv, err := Start(context.Background(), DBOptions{}, Options{Config: refserver.Config{Quirks: []string{string(q)}}})
		if err == nil {
			_ = srv.Close()
			t.Errorf("quirk %s started on plain http", q)
		} else if !strings.Contains(err.Error(), "--tls-cert") {
			t.Errorf("quirk %s: %v", q, err)
		}
	}
}
