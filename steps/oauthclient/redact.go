package oauthclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// secretParams are redacted wherever they appear: form bodies, queries, fragments, JSON.
var secretParams = map[string]bool{
	"client_secret": true, "password": true, "code": true, "code_verifier": true,
	"access_token": true, "refresh_token": true, "token": true, "id_token": true,
}

// secretHeaders are redacted in requests and responses.
var secretHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Set-Cookie": true}

const redacted = "[redacted]"

// publicTokenMembers are the members of a token response (RFC 6749 5.1, RFC 8693 2.2.1) and
// the parameters of an implicit response (RFC 6749 4.2.2, RFC 9207) that are no credential.
// Every other value of a token response, whatever its name (a refresh token called
// "offline_token", an id_token, a server's own session secret), is redacted.
var publicTokenMembers = map[string]bool{
	"token_type": true, "expires_in": true, "scope": true, "issued_token_type": true,
	"refresh_token_expires_in": true, "state": true, "iss": true,
	"error": true, "error_description": true, "error_uri": true,
}

// isTokenResponse reports whether a JSON object is a token response: it issues a token.
func isTokenResponse(obj map[string]any) bool {
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	return false
}

// secretSet is the values a client saw in token responses, redacted wherever they appear again
// (a later request may send one under any name). Safe for concurrent use.
type secretSet struct {
	mu   sync.Mutex
	vals map[string]bool
}

// minSecretLen keeps short values ("Bearer", "3600") from being redacted everywhere.
const minSecretLen = 8

func (s *secretSet) learn(ex *Exchange) {
	if s == nil || ex == nil || len(ex.ResponseBody) == 0 {
		return
	}
	obj, err := decodeJSONObject(ex.ResponseHeader.Get("Content-Type"), ex.ResponseBody)
	if err != nil || !isTokenResponse(obj) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vals == nil {
		s.vals = map[string]bool{}
	}
	for k, v := range obj {
		if str, ok := v.(string); ok && !publicTokenMembers[k] && len(str) >= minSecretLen {
			s.vals[str] = true
		}
	}
}

// scrub replaces every known secret in text, as it is and URL-encoded.
func (s *secretSet) scrub(text string) string {
	if s == nil {
		return text
	}
	s.mu.Lock()
	vals := make([]string, 0, len(s.vals))
	for v := range s.vals {
		vals = append(vals, v)
	}
	s.mu.Unlock()
	// Longest first, so that a secret containing another is replaced whole.
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		text = strings.ReplaceAll(text, v, redacted)
		if q := url.QueryEscape(v); q != v {
			text = strings.ReplaceAll(text, q, redacted)
		}
	}
	return text
}

// String renders the exchange for a failure report, with secrets and tokens redacted: the
// secret parameters by name, every value of a token response whatever its name, and any value
// the recording client saw in a token response wherever it appears again.
func (e *Exchange) String() string {
	if e == nil {
		return "(no HTTP exchange)"
	}
	return e.secrets.scrub(e.render())
}

func (e *Exchange) render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", e.Method, redactURL(e.URL))
	writeHeaders(&b, "> ", e.RequestHeader)
	if len(e.RequestBody) > 0 {
		fmt.Fprintf(&b, ">\n> %s\n", redactBody(e.RequestHeader.Get("Content-Type"), e.RequestBody))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "< (no response: %v)\n", e.Err)
		return b.String()
	}
	fmt.Fprintf(&b, "< HTTP %d %s (%s)\n", e.Status, http.StatusText(e.Status), e.Duration.Round(1e6))
	writeHeaders(&b, "< ", e.ResponseHeader)
	if len(e.ResponseBody) > 0 {
		body := redactBody(e.ResponseHeader.Get("Content-Type"), e.ResponseBody)
		if len(body) > 2000 {
			body = body[:2000] + "...(truncated)"
		}
		fmt.Fprintf(&b, "<\n< %s\n", body)
	}
	return b.String()
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, redactHeader(k, v))
		}
	}
}

func redactHeader(name, value string) string {
	name = http.CanonicalHeaderKey(name)
	if secretHeaders[name] {
		// Keep the scheme: "Basic [redacted]" still tells which method was used.
		if scheme, _, ok := strings.Cut(value, " "); ok && name == "Authorization" {
			return scheme + " " + redacted
		}
		return redacted
	}
	if name == "Location" {
		return redactURL(value)
	}
	return value
}

// redactURL redacts secret parameters in the query and the fragment of u.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.RawQuery != "" {
		u.RawQuery = redactForm(u.RawQuery)
	}
	if u.Fragment != "" {
		frag := redactFragment(u.EscapedFragment())
		u.Fragment = ""
		u.RawFragment = ""
		return u.String() + "#" + frag
	}
	return u.String()
}

// redactForm redacts the values of secret parameters in an urlencoded string, keeping the order
// and any repeats so the rendering shows what was sent.
func redactForm(s string) string {
	parts := strings.Split(s, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && secretParams[name] {
			parts[i] = k + "=" + url.QueryEscape(redacted)
		}
	}
	return strings.Join(parts, "&")
}

// redactFragment redacts a fragment's parameters: an implicit response (RFC 6749 4.2.2) is a
// token response, so every value but the public ones is redacted, whatever its name.
func redactFragment(s string) string {
	parts := strings.Split(s, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && !publicTokenMembers[name] {
			parts[i] = k + "=" + url.QueryEscape(redacted)
		}
	}
	return strings.Join(parts, "&")
}

var jsonSecret = regexp.MustCompile(`"(client_secret|password|code|code_verifier|access_token|refresh_token|token|id_token)"\s*:\s*"(?:[^"\\]|\\.)*"`)

func redactBody(contentType string, body []byte) string {
	trimmed := bytes.TrimSpace(body)
	switch {
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		return redactForm(string(trimmed))
	case json.Valid(trimmed):
		if obj, err := decodeJSONObject("application/json", trimmed); err == nil && isTokenResponse(obj) {
			return redactTokenResponse(obj)
		}
		return jsonSecret.ReplaceAllString(string(trimmed), `"$1":"`+redacted+`"`)
	}
	// An HTML page may echo a token in a link or a form: redact anything looking like one.
	s := jsonSecret.ReplaceAllString(string(trimmed), `"$1":"`+redacted+`"`)
	return htmlSecret.ReplaceAllString(s, "${1}="+redacted)
}

// RedactText redacts what looks like a secret parameter in free text (a page's text, which may
// echo a query such as the suite's own callback page does).
func RedactText(s string) string {
	return htmlSecret.ReplaceAllString(jsonSecret.ReplaceAllString(s, `"$1":"`+redacted+`"`), "${1}="+redacted)
}

var htmlSecret = regexp.MustCompile(`\b(client_secret|password|code|code_verifier|access_token|refresh_token)=[^&"'\s<>]+`)

// redactTokenResponse renders a token response with every value redacted but the public ones
// (publicTokenMembers), whatever the other members are called.
func redactTokenResponse(obj map[string]any) string {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if publicTokenMembers[k] {
			out[k] = v
		} else {
			out[k] = redacted
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return redacted
	}
	return string(b)
}
