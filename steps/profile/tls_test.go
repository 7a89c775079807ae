package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSCAFileIsChecked(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.pem"): "tls.ca_file: cannot read",
		notPEM:                            "tls.ca_file: " + notPEM + " holds no PEM CERTIFICATE block",
	} {
		_, err := Parse([]byte(minimal + "tls: {ca_file: " + file + "}\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ca_file %s: want %q, got %v", file, want, err)
		}
	}
}

func TestServedOverHTTPSIsTheTLSCapability(t *testing.T) {
	for issuer, want := range map[string]bool{"https://as.example.com": true, "HTTPS://as.example.com": true, "http://127.0.0.1:8080": false} {
		p := &Profile{Issuer: issuer}
		ok, reason := p.Supports("@tls")
		if ok != want || (!ok && !strings.Contains(reason, "plain http")) {
			t.Errorf("%s: Supports(@tls) = %v, %q; want %v", issuer, ok, reason, want)
		}
	}
}
