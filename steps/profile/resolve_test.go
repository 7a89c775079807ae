package profile

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// target starts a server whose handler sees the issuer it was given.
func target(t *testing.T, h func(issuer string) http.HandlerFunc) (issuer string) {
	t.Helper()
	var iss string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(iss)(w, r) }))
	t.Cleanup(srv.Close)
	iss = srv.URL
	return iss
}

func metadataJSON(w http.ResponseWriter, doc map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func minimalFor(t *testing.T, issuer string) *Profile {
	t.Helper()
	p, err := Parse([]byte(strings.Replace(minimal, "https://as.example.com", issuer, 1)))
	if err != nil {
		t.Fatal(err)
	}
	p.Timeouts.Request = 500 * time.Millisecond
	return p
}

func TestResolveRFC8414WithIssuerPath(t *testing.T) {
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// RFC 8414 3.1: the well-known string goes between the host and the issuer's path.
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant1" {
			http.NotFound(w, r)
			return
		}
		metadataJSON(w, map[string]any{
			"issuer":                 issuer,
			"authorization_endpoint": issuer + "/authorize",
			"token_endpoint":         issuer + "/token",
			"revocation_endpoint":    issuer + "/revoke",
		})
	}))
	defer srv.Close()
	issuer = srv.URL + "/tenant1"

	p := minimalFor(t, issuer)
	p.Endpoints.Token = "http://127.0.0.1:1/override"
	if err := p.Resolve(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if p.Endpoints.Authorization != issuer+"/authorize" || p.Endpoints.Revocation != issuer+"/revoke" {
		t.Errorf("endpoints not filled: %+v", p.Endpoints)
	}
	if p.Endpoints.Token != "http://127.0.0.1:1/override" {
		t.Errorf("a profile endpoint was overwritten: %q", p.Endpoints.Token)
	}
	if p.Endpoints.Introspection != "" {
		t.Errorf("introspection = %q, want empty (not published)", p.Endpoints.Introspection)
	}
	if p.MetadataURL != srv.URL+"/.well-known/oauth-authorization-server/tenant1" || p.Metadata["issuer"] != issuer {
		t.Errorf("metadata from %q = %v", p.MetadataURL, p.Metadata)
	}
}

func TestResolveFallsBackToOpenIDDiscovery(t *testing.T) {
	issuer := target(t, func(iss string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/.well-known/oauth-authorization-server":
				// A single-page app answering every path with its index page.
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<!doctype html><html>app</html>"))
			case "/.well-known/openid-configuration":
				metadataJSON(w, map[string]any{"issuer": iss, "token_endpoint": iss + "/t", "authorization_endpoint": iss + "/a"})
			default:
				http.NotFound(w, r)
			}
		}
	})
	p := minimalFor(t, issuer)
	if err := p.Resolve(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if p.Endpoints.Token != issuer+"/t" || !strings.HasSuffix(p.MetadataURL, "/.well-known/openid-configuration") {
		t.Errorf("token endpoint %q from %q", p.Endpoints.Token, p.MetadataURL)
	}
}

func TestResolveIssuerMismatch(t *testing.T) {
	issuer := target(t, func(string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			metadataJSON(w, map[string]any{"issuer": "https://elsewhere.example.com", "token_endpoint": "https://elsewhere.example.com/t"})
		}
	})
	p := minimalFor(t, issuer)
	err := p.Resolve(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), `has issuer "https://elsewhere.example.com", but the profile's issuer is "`+issuer+`"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveBadEndpointInMetadata(t *testing.T) {
	issuer := target(t, func(iss string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			metadataJSON(w, map[string]any{"issuer": iss, "token_endpoint": "/relative", "revocation_endpoint": 7})
		}
	})
	err := minimalFor(t, issuer).Resolve(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), `metadata token_endpoint: "/relative" is not an absolute URL`) ||
		!strings.Contains(err.Error(), "metadata revocation_endpoint: is float64, want a URL string") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveWithoutMetadata(t *testing.T) {
	issuer := target(t, func(string) http.HandlerFunc { return http.NotFound })
	p := minimalFor(t, issuer)
	err := p.Resolve(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "endpoints.token not set and not published in metadata") ||
		!strings.Contains(err.Error(), "answered 404 Not Found") {
		t.Fatalf("err = %v", err)
	}

	p = minimalFor(t, issuer)
	p.Endpoints.Token = issuer + "/token"
	if err := p.Resolve(context.Background(), nil); err != nil {
		t.Fatalf("endpoints given, metadata optional: %v", err)
	}
	if p.Metadata != nil {
		t.Errorf("metadata = %v, want nil", p.Metadata)
	}

	yes := true
	p.Capabilities.Metadata = &yes
	if err := p.Resolve(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "capabilities.metadata is true but no metadata document was found") {
		t.Fatalf("err = %v", err)
	}
}

// TestResolveAgainstMisbehavingTargets: each failure ends in one clear message, within the
// request timeout, never a hang.
func TestResolveAgainstMisbehavingTargets(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    []string
	}{
		{"times out", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // hold the request until the client gives up
		}, []string{"the target is not reachable", "no answer within the request timeout"}},
		{"resets the connection", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			_ = conn.Close()
		}, []string{"the target is not reachable", "closed or reset without a complete HTTP response"}},
		{"answers HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html><body>Welcome</body></html>"))
		}, []string{`answered Content-Type "text/html; charset=utf-8", not application/json`, `body starts "<html>`}},
		{"sends malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issuer": "x", "token_endpoint": `))
		}, []string{"the body is not a JSON object: unexpected EOF"}},
		{"sends a JSON array", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`["issuer"]`))
		}, []string{"the body is not a JSON object"}},
		{"redirects in a loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, []string{"answered 302 Found redirecting to", "must be served at its well-known URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			p := minimalFor(t, srv.URL)
			p.Timeouts.Request = 300 * time.Millisecond
			start := time.Now()
			err := p.Resolve(context.Background(), nil)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("Resolve took %s; the request timeout is 300ms", took)
			}
			if err == nil {
				t.Fatal("Resolve succeeded against a misbehaving target")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestResolveTargetDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	p := minimalFor(t, "http://"+addr)
	err = p.Resolve(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "connection refused: nothing listens there") ||
		!strings.Contains(err.Error(), "is it running") {
		t.Fatalf("err = %v", err)
	}
}

func TestMetadataURLs(t *testing.T) {
	for _, c := range []struct{ issuer, rfc, oidc string }{
		{"https://as.example.com", "https://as.example.com/.well-known/oauth-authorization-server", "https://as.example.com/.well-known/openid-configuration"},
		{"https://as.example.com/", "https://as.example.com/.well-known/oauth-authorization-server", "https://as.example.com/.well-known/openid-configuration"},
		{"https://as.example.com/issuer1", "https://as.example.com/.well-known/oauth-authorization-server/issuer1", "https://as.example.com/issuer1/.well-known/openid-configuration"},
	} {
		p := &Profile{Issuer: c.issuer}
		got := p.metadataURLs()
		if len(got) != 2 || got[0] != c.rfc || got[1] != c.oidc {
			t.Errorf("metadataURLs(%q) = %v", c.issuer, got)
		}
	}
	p := &Profile{Issuer: "https://as.example.com", Endpoints: Endpoints{Metadata: "https://as.example.com/meta.json"}}
	if got := p.metadataURLs(); len(got) != 1 || got[0] != "https://as.example.com/meta.json" {
		t.Errorf("with endpoints.metadata: %v", got)
	}
}

func TestResolveNamesTLSCAFileForAnUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	p, err := Parse([]byte(strings.Replace(minimal, "https://as.example.com", srv.URL, 1)))
	if err != nil {
		t.Fatal(err)
	}
	err = p.Resolve(context.Background(), &http.Client{})
	if err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Fatalf("want an error naming tls.ca_file, got %v", err)
	}
}
