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
)

// secretParams are redacted wherever they appear: form bodies, queries, fragments, JSON.
var secretParams = map[string]bool{
	"client_secret": true, "password": true, "code": true, "code_verifier": true,
	"access_token": true, "refresh_token": true, "token": true, "id_token": true,
}

// secretHeaders are redacted in requests and responses.
var secretHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Set-Cookie": true}

const redacted = "[redacted]"

// String renders the exchange for a failure report, with secrets and tokens redacted.
func (e *Exchange) String() string {
	if e == nil {
		return "(no HTTP exchange)"
	}
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
		frag := redactForm(u.Fragment)
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

var jsonSecret = regexp.MustCompile(`"(client_secret|password|code|code_verifier|access_token|refresh_token|token|id_token)"\s*:\s*"(?:[^"\\]|\\.)*"`)

func redactBody(contentType string, body []byte) string {
	trimmed := bytes.TrimSpace(body)
	switch {
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		return redactForm(string(trimmed))
	case json.Valid(trimmed):
		return jsonSecret.ReplaceAllString(string(trimmed), `"$1":"`+redacted+`"`)
	}
	// An HTML page may echo a token in a link or a form: redact anything looking like one.
	s := jsonSecret.ReplaceAllString(string(trimmed), `"$1":"`+redacted+`"`)
	return htmlSecret.ReplaceAllString(s, "${1}="+redacted)
}

var htmlSecret = regexp.MustCompile(`\b(client_secret|password|code|code_verifier|access_token|refresh_token)=[^&"'\s<>]+`)
