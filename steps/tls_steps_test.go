package steps

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// quietLog drops the servers' "TLS handshake error" lines: the refused handshakes are the test.
var quietLog = log.New(io.Discard, "", 0)

// tlsWorld is a World whose target is srv (an httptest TLS server) at host.
func tlsWorld(t *testing.T, srv *httptest.Server, host, caFile string) *World {
	t.Helper()
	port := srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":"):]
	p := &profile.Profile{Issuer: "https://" + host + port, Timeouts: profile.Timeouts{Request: 5e9}}
	p.TLS.CAFile = caFile
	return newWorld(&Env{Profile: p})
}

// writeServerCert writes srv's certificate as a CA file (httptest's certificate is its own
// root).
func writeServerCert(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCertificateVerifiesCatchesAnUnknownRootAndAWrongName(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	ctx := context.Background()
	// httptest's certificate is for 127.0.0.1, ::1 and example.com, from a root no system trusts.
	err := tlsWorld(t, srv, "127.0.0.1", "").certificateVerifies(ctx)
	if err == nil || !strings.Contains(err.Error(), "does not lead to a trusted root") || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Errorf("unknown root: got %v", err)
	}
	ca := writeServerCert(t, srv)
	if err := tlsWorld(t, srv, "127.0.0.1", ca).certificateVerifies(ctx); err != nil {
		t.Errorf("trusted through tls.ca_file: %v", err)
	}
	err = tlsWorld(t, srv, "localhost", ca).certificateVerifies(ctx)
	if err == nil || !strings.Contains(err.Error(), "not for this host name") {
		t.Errorf("wrong host name: got %v", err)
	}
}

func TestVersionAndSuiteProbesCatchALegacyServer(t *testing.T) {
	legacy := httptest.NewUnstartedServer(http.NotFoundHandler())
	legacy.TLS = &tls.Config{MinVersion: tls.VersionTLS10}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		legacy.TLS.CipherSuites = append(legacy.TLS.CipherSuites, s.ID)
	}
	legacy.Config.ErrorLog = quietLog
	legacy.StartTLS()
	defer legacy.Close()
	modern := httptest.NewUnstartedServer(http.NotFoundHandler())
	modern.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	modern.Config.ErrorLog = quietLog
	modern.StartTLS()
	defer modern.Close()
	ctx := context.Background()

	if err := tlsWorld(t, legacy, "127.0.0.1", "").refusesVersion(ctx, "TLS 1.0"); err == nil || !strings.Contains(err.Error(), "negotiated TLS 1.0") {
		t.Errorf("TLS 1.0 allowed: got %v", err)
	}
	if err := tlsWorld(t, legacy, "127.0.0.1", "").refusesSuites(ctx, "RC4"); err == nil || !strings.Contains(err.Error(), "RC4") {
		t.Errorf("RC4 allowed: got %v", err)
	}
	for _, v := range []string{"TLS 1.0", "TLS 1.1"} {
		if err := tlsWorld(t, modern, "127.0.0.1", "").refusesVersion(ctx, v); err != nil {
			t.Errorf("%s refused by a TLS 1.2 server: %v", v, err)
		}
	}
	if err := tlsWorld(t, modern, "127.0.0.1", "").refusesSuites(ctx, "RC4"); err != nil {
		t.Errorf("RC4 refused by default: %v", err)
	}
	// Nothing listening: the suite cannot judge a handshake it could not start.
	port := "127.0.0.1:1"
	w := newWorld(&Env{Profile: &profile.Profile{Issuer: "https://" + port, Timeouts: profile.Timeouts{Request: 5e9}}})
	var v *verdict.Error
	if err := w.refusesVersion(ctx, "TLS 1.0"); !errors.As(err, &v) || v.Outcome != verdict.OutcomeInconclusive {
		t.Errorf("no listener: got %v, want inconclusive", err)
	}
}

func TestPlainRefusal(t *testing.T) {
	for _, c := range []struct {
		name    string
		ex      *oauthclient.Exchange
		refused bool
	}{
		{"no answer", &oauthclient.Exchange{Err: errors.New("connection refused")}, true},
		{"crypto/tls's 400", &oauthclient.Exchange{Status: 400, ResponseHeader: http.Header{}, ResponseBody: []byte("Client sent an HTTP request to an HTTPS server.\n")}, true},
		{"redirect to https", &oauthclient.Exchange{Status: 301, ResponseHeader: http.Header{"Location": {"https://as.example.com/token"}}}, true},
		{"redirect on http", &oauthclient.Exchange{Status: 302, ResponseHeader: http.Header{"Location": {"http://as.example.com/login"}}}, false},
		{"OAuth error", &oauthclient.Exchange{Status: 401, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: []byte(`{"error":"invalid_client"}`)}, false},
		{"token", &oauthclient.Exchange{Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: []byte(`{"access_token":"x","token_type":"Bearer"}`)}, false},
		{"page", &oauthclient.Exchange{Status: 200, ResponseHeader: http.Header{"Content-Type": {"text/html"}}, ResponseBody: []byte(`<form>`)}, false},
	} {
		if got := plainRefusal(c.ex) != ""; got != c.refused {
			t.Errorf("%s: refused %v, want %v", c.name, got, c.refused)
		}
	}
}

func TestPasswordField(t *testing.T) {
	for page, want := range map[string]bool{
		`<input id="password" name="password" type="password">`: true,
		`<input type=password name=p>`:                          true,
		`<input type='password'>`:                               true,
		`<form><input type="text" name="q"></form>`:             false,
	} {
		if got := passwordField.MatchString(page); got != want {
			t.Errorf("%s: %v, want %v", page, got, want)
		}
	}
}

func TestPlainURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://as.example.com/token":      "http://as.example.com/token",
		"https://as.example.com:8443/token": "http://as.example.com:8443/token",
	} {
		if got, err := plainURL(in); err != nil || got != want {
			t.Errorf("plainURL(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := plainURL("/token"); err == nil {
		t.Error("a relative URL was taken")
	}
}

func TestPlainAuthorizationJudgesWhatCameBack(t *testing.T) {
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		want    string // "" passes, "fail", "inconclusive"
	}{
		{"redirect to https", func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "https://as.example.com"+r.URL.RequestURI(), http.StatusMovedPermanently)
		}, ""},
		{"code to an https redirect URI", func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "https://client.example.com/cb?code=abc&state=tls-probe", http.StatusFound)
		}, "fail"},
		{"error to the client", func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "http://127.0.0.1/cb?error=invalid_request", http.StatusFound)
		}, ""},
		{"login page behind a redirect", func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/login" {
				_, _ = rw.Write([]byte(`<form method="post"><input type="password" name="p"></form>`))
				return
			}
			http.Redirect(rw, r, "/login", http.StatusFound)
		}, "fail"},
		{"a page without a password field", func(rw http.ResponseWriter, r *http.Request) {
			_, _ = rw.Write([]byte(`<p>use https</p>`))
		}, "inconclusive"},
		{"404", http.NotFound, ""},
	} {
		srv := httptest.NewServer(c.handler)
		p := &profile.Profile{Issuer: srv.URL, Timeouts: profile.Timeouts{Request: 5e9},
			Endpoints: profile.Endpoints{Authorization: srv.URL + "/authorize"},
			Clients:   map[string]profile.Client{profile.RoleConfidential: {ID: "c", Secret: "s", RedirectURI: "http://127.0.0.1/cb"}}}
		err := newWorld(&Env{Profile: p}).plainHTTPRefused(context.Background(), "authorization")
		srv.Close()
		var v *verdict.Error
		switch {
		case c.want == "" && err != nil, c.want == "fail" && (err == nil || errors.As(err, &v)):
			t.Errorf("%s: got %v, want %s", c.name, err, map[string]string{"": "a pass", "fail": "a failure"}[c.want])
		case c.want == "inconclusive" && (!errors.As(err, &v) || v.Outcome != verdict.OutcomeInconclusive):
			t.Errorf("%s: got %v, want inconclusive", c.name, err)
		}
	}
}
