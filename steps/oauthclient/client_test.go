package oauthclient

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNeverFollowsRedirects(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c := New(time.Second)
	r, err := c.Get(context.Background(), srv.URL+"/start")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 302 || r.Location() != "/elsewhere" || hits != 1 {
		t.Fatalf("status %d location %q hits %d: the client followed or lost the redirect", r.Status, r.Location(), hits)
	}
	if len(c.Exchanges()) != 1 {
		t.Fatalf("recorded %d exchanges, want 1", len(c.Exchanges()))
	}
}

func TestTokenRequestBasicAuthAndRedaction(t *testing.T) {
	var gotAuth, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		_ = r.ParseForm()
		gotBody = r.PostForm.Encode()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"AT-SECRET","token_type":"Bearer","expires_in":3600,"refresh_token":"RT-SECRET"}`))
	}))
	defer srv.Close()
	c := New(time.Second)
	r, err := TokenRequest{Endpoint: srv.URL, GrantType: "authorization_code", Code: "CODE-SECRET",
		CodeVerifier: "VERIFIER-SECRET", Client: Credentials{ID: "my client", Secret: "p@ss:word"},
		AuthMethod: AuthBasic}.Send(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding.
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(gotAuth, "Basic "))
	if string(raw) != "my+client:p%40ss%3Aword" {
		t.Fatalf("basic credentials %q", raw)
	}
	if strings.Contains(gotBody, "client_secret") || strings.Contains(gotBody, "client_id") {
		t.Fatalf("basic auth must not put credentials in the body: %s", gotBody)
	}
	if err := ExpectTokenResponse(r); err != nil {
		t.Fatal(err)
	}
	if n, ok := r.Number("expires_in"); !ok || n != 3600 {
		t.Fatalf("expires_in %v %v", n, ok)
	}
	rendered := r.Exchange.String()
	for _, secret := range []string{"AT-SECRET", "RT-SECRET", "CODE-SECRET", "VERIFIER-SECRET", base64.StdEncoding.EncodeToString(raw)} {
		if strings.Contains(rendered, secret) {
			t.Errorf("rendering leaks %q:\n%s", secret, rendered)
		}
	}
	if !strings.Contains(rendered, "Authorization: Basic [redacted]") || !strings.Contains(rendered, "grant_type=authorization_code") {
		t.Errorf("rendering lost useful detail:\n%s", rendered)
	}
}

func TestPostAuthAndRepeatedParameters(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		form = r.PostForm
		w.WriteHeader(400)
	}))
	defer srv.Close()
	_, err := TokenRequest{Endpoint: srv.URL, GrantType: "client_credentials", Client: Credentials{ID: "a", Secret: "b"},
		AuthMethod: AuthPost, Extra: url.Values{"grant_type": {"client_credentials"}}}.Send(context.Background(), New(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("client_id") != "a" || form.Get("client_secret") != "b" || len(form["grant_type"]) != 2 {
		t.Fatalf("form %v", form)
	}
}

func TestMalformedJSONIsExplained(t *testing.T) {
	cases := map[string]struct{ ct, body, want string }{
		"html":      {"text/html", "<html><body>Oops</body></html>", "expected JSON, got text/html"},
		"malformed": {"application/json", `{"access_token":`, "malformed JSON"},
		"empty":     {"application/json", "", "empty body"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ct)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			r, err := New(time.Second).Get(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			err = ExpectTokenResponse(r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestTimeoutIsClear(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	_, err := New(50*time.Millisecond).Get(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("got %v", err)
	}
}

func TestExpectOAuthError(t *testing.T) {
	mk := func(status int, hdr http.Header, reqAuth, body string) *Response {
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr.Set("Content-Type", "application/json")
		req := http.Header{}
		if reqAuth != "" {
			req.Set("Authorization", reqAuth)
		}
		return NewResponse(&Exchange{Status: status, ResponseHeader: hdr, ResponseBody: []byte(body), RequestHeader: req})
	}
	if err := ExpectOAuthError(mk(400, nil, "", `{"error":"invalid_grant"}`), "invalid_grant"); err != nil {
		t.Fatal(err)
	}
	if err := ExpectOAuthError(mk(400, nil, "", `{"error":"invalid_request"}`), "invalid_grant"); err == nil || !strings.Contains(err.Error(), `expected error "invalid_grant", got "invalid_request"`) {
		t.Fatalf("got %v", err)
	}
	if err := ExpectOAuthError(mk(200, nil, "", `{}`), "invalid_grant"); err == nil {
		t.Fatal("a success passed as an error")
	}
	// RFC 6749 5.2: Basic auth failure needs 401 and a WWW-Authenticate header.
	if err := ExpectOAuthError(mk(401, nil, "Basic x", `{"error":"invalid_client"}`), "invalid_client"); err == nil || !strings.Contains(err.Error(), "WWW-Authenticate") {
		t.Fatalf("got %v", err)
	}
	ok := mk(401, http.Header{"Www-Authenticate": {`Basic realm="x"`}}, "Basic x", `{"error":"invalid_client"}`)
	if err := ExpectOAuthError(ok, "invalid_client"); err != nil {
		t.Fatal(err)
	}
	if err := ExpectStatus(mk(200, nil, "", "{}"), 400); err == nil || !strings.HasPrefix(err.Error(), "expected HTTP 400, got 200") {
		t.Fatalf("got %v", err)
	}
}

func TestAuthorizeURL(t *testing.T) {
	a := NewAuthorizeURL("https://as.example/authorize?tenant=1")
	a.Set("response_type", "code").Set("client_id", "c").Add("client_id", "c").Set("state", "a b")
	if got := a.String(); got != "https://as.example/authorize?tenant=1&response_type=code&client_id=c&client_id=c&state=a+b" {
		t.Fatalf("got %s", got)
	}
	a.Set("client_id", "d").Del("state")
	if got := a.String(); got != "https://as.example/authorize?tenant=1&response_type=code&client_id=d" {
		t.Fatalf("got %s", got)
	}
}

func TestPKCE(t *testing.T) {
	v, err := NewVerifier(43)
	if err != nil || len(v) != 43 || strings.Trim(v, unreserved) != "" {
		t.Fatalf("verifier %q %v", v, err)
	}
	if _, err := NewVerifier(42); err == nil {
		t.Fatal("42 characters accepted")
	}
	// Expected value computed independently (Python hashlib + urlsafe base64, no padding).
	if got := S256("dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWjVXtOM"); got != "GlWfjGZh_2vuhkp6TmWgTHy7wNIRbylxtE1uAogjgs4" {
		t.Fatalf("S256 = %s", got)
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("http://127.0.0.1:1/cb?code=abc&state=xyz#access_token=tok&token_type=bearer")
	if strings.Contains(got, "abc") || strings.Contains(got, "tok&") || !strings.Contains(got, "state=xyz") || !strings.Contains(got, "token_type=bearer") {
		t.Fatalf("got %s", got)
	}
}
