package oauthclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Response is a recorded exchange read as an OAuth JSON response. It never fails to build: a
// body that is not JSON leaves JSON nil and explains why in JSONErr.
type Response struct {
	Exchange *Exchange
	Status   int
	Header   http.Header
	// JSON is the decoded object, nil when the body is not a JSON object.
	JSON map[string]any
	// JSONErr says why JSON is nil, e.g. `expected JSON, got text/html: <!doctype html>...`.
	JSONErr error
}

// NewResponse reads ex as an OAuth response.
func NewResponse(ex *Exchange) *Response {
	r := &Response{Exchange: ex, Status: ex.Status, Header: ex.ResponseHeader}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.JSON, r.JSONErr = decodeJSONObject(r.Header.Get("Content-Type"), ex.ResponseBody)
	return r
}

func decodeJSONObject(contentType string, body []byte) (map[string]any, error) {
	ct := contentType
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		ct = mt
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("expected JSON, got an empty body (Content-Type %q)", contentType)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		if ct != "application/json" && !strings.HasSuffix(ct, "+json") {
			if ct == "" {
				ct = "no Content-Type"
			}
			return nil, fmt.Errorf("expected JSON, got %s: %s", ct, snippet(trimmed, 200))
		}
		return nil, fmt.Errorf("expected JSON, got malformed JSON (%v): %s", err, snippet(trimmed, 200))
	}
	if dec.More() {
		return nil, fmt.Errorf("expected one JSON object, got trailing data: %s", snippet(trimmed, 200))
	}
	return obj, nil
}

func snippet(b []byte, n int) string {
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + "..."
	}
	return strconv.Quote(string(b))
}

// Has reports whether the JSON object has member name.
func (r *Response) Has(name string) bool {
	_, ok := r.JSON[name]
	return ok
}

// String returns member name as a string ("" when absent or not a string).
func (r *Response) String(name string) string {
	s, _ := r.JSON[name].(string)
	return s
}

// Number returns member name as a number, and whether it is a JSON number.
func (r *Response) Number(name string) (float64, bool) {
	n, ok := r.JSON[name].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// Bool returns member name as a boolean, and whether it is a JSON boolean.
func (r *Response) Bool(name string) (bool, bool) {
	b, ok := r.JSON[name].(bool)
	return b, ok
}

// AccessToken is the access_token member.
func (r *Response) AccessToken() string { return r.String("access_token") }

// RefreshToken is the refresh_token member.
func (r *Response) RefreshToken() string { return r.String("refresh_token") }

// Error is the error member of an OAuth error response.
func (r *Response) Error() string { return r.String("error") }

// Location is the Location header of a redirect.
func (r *Response) Location() string { return r.Header.Get("Location") }

// IsRedirect reports a 3xx status.
func (r *Response) IsRedirect() bool { return r.Status >= 300 && r.Status < 400 }
