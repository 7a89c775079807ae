package refserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// tokenErrorCodes are the error codes RFC 6749 5.2 defines for the token endpoint.
var tokenErrorCodes = map[string]bool{
	errInvalidRequest: true, errInvalidClient: true, errInvalidGrant: true,
	errUnauthorizedClient: true, errUnsupportedGrantType: true, errInvalidScope: true,
}

// FuzzTokenEndpoint sends arbitrary methods, headers and bodies to the token endpoint: the
// answer is never a 5xx (nor a panic, which ServeHTTP would turn into a 500), and every
// non-2xx answer is JSON carrying an RFC 6749 5.2 error code. The seed corpus is in
// testdata/fuzz/FuzzTokenEndpoint; `make fuzz` explores from it.
func FuzzTokenEndpoint(f *testing.F) {
	e := newTestEnv(f)
	f.Add("POST", "application/x-www-form-urlencoded", "Basic "+basicB64(ccID, ccSecret), "", "grant_type=client_credentials")
	f.Add("POST", "application/x-www-form-urlencoded", "", "", "grant_type=client_credentials&client_id="+ccID+"&client_secret="+ccSecret+"&scope=calc:read")
	f.Add("POST", "application/x-www-form-urlencoded", "Basic "+basicB64(ropcID, ropcSecret), "", "grant_type=password&username=alice&password=alice-Secret-1")
	f.Add("GET", "", "", "grant_type=client_credentials", "")
	f.Fuzz(func(t *testing.T, method, contentType, authorization, query, body string) {
		if !validMethod(method) {
			method = http.MethodPost
		}
		target := PathToken
		if query != "" {
			target += "?" + strings.Map(func(r rune) rune {
				if r <= ' ' || r == '#' || r >= 0x7f {
					return -1
				}
				return r
			}, query)
		}
		req := httptest.NewRequest(method, "http://127.0.0.1"+PathToken, strings.NewReader(body))
		if u, err := req.URL.Parse(target); err == nil {
			req.URL = u
		}
		if validHeaderValue(contentType) {
			req.Header.Set("Content-Type", contentType)
		}
		if validHeaderValue(authorization) {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %q (auth %q, type %q): status %d: %s", method, body, authorization, contentType, res.StatusCode, rec.Body.String())
		}
		if res.StatusCode < 300 {
			return
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("status %d with Content-Type %q", res.StatusCode, ct)
		}
		var v struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || !tokenErrorCodes[v.Error] {
			t.Fatalf("status %d: body is not an RFC 6749 5.2 error: %s", res.StatusCode, rec.Body.String())
		}
		if res.StatusCode == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("401 without WWW-Authenticate: %s", rec.Body.String())
		}
	})
}

func basicB64(id, secret string) string {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.SetBasicAuth(id, secret)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether net/http would send v as a header value.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
