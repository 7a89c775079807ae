// Package domain holds the reference server's rules for what it stores: one rule per thing, used
// by the seed loader (refserver/seed), the admin console and the admin API (refserver/admin)
// alike, so that no way in accepts what another refuses. Each function explains what is wrong
// in words for a person ("" when nothing is), and its caller names the field.
package domain

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxURILen bounds a redirect URI, so that a form cannot store megabytes.
const MaxURILen = 2000

// MaxScopeNameLen bounds a scope name.
const MaxScopeNameLen = 100

// RedirectURIProblem explains what is wrong with a redirect URI to register, or returns "".
func RedirectURIProblem(raw string) string {
	if raw == "" {
		return "is empty"
	}
	if len(raw) > MaxURILen {
		return fmt.Sprintf("is longer than %d characters", MaxURILen)
	}
	if strings.Contains(raw, "#") {
		// RFC 6749 3.1.2: "The endpoint URI MUST NOT include a fragment component."
		return "has a fragment: a redirect URI must not have one (RFC 6749 3.1.2)"
	}
	if strings.Contains(raw, "*") {
		// RFC 9700 2.1: redirect URIs are compared exactly; no patterns.
		return "contains a wildcard: redirect URIs are matched exactly (RFC 9700 2.1)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a URI: " + strings.TrimPrefix(err.Error(), "parse ")
	}
	if !u.IsAbs() {
		// RFC 6749 3.1.2: "The redirection endpoint URI MUST be an absolute URI".
		return "is not an absolute URI (RFC 6749 3.1.2)"
	}
	if u.User != nil {
		return "must not contain user information"
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return "has no host"
		}
	case "http":
		// RFC 9700 2.6 and RFC 8252 8.3: plain http only for loopback redirects, which never
		// leave the device.
		h := u.Hostname()
		if ip := net.ParseIP(h); (ip == nil || !ip.IsLoopback()) && h != "localhost" {
			return "uses http on a non-loopback host: use https (http is allowed for 127.0.0.1, [::1] and localhost only)"
		}
	default:
		// RFC 8252 7.1: private-use URI schemes are reverse domain names, e.g. com.example.app.
		if !strings.Contains(u.Scheme, ".") {
			return fmt.Sprintf("has scheme %q: use https, http on a loopback host, or a private-use scheme in reverse-domain form (RFC 8252 7.1)", u.Scheme)
		}
	}
	return ""
}

// ScopeNameProblem explains what is wrong with a scope name, or returns "".
func ScopeNameProblem(s string) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > MaxScopeNameLen:
		return fmt.Sprintf("is longer than %d characters", MaxScopeNameLen)
	}
	// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return fmt.Sprintf("%q is not a valid scope token (RFC 6749 3.3: printable ASCII, no space, '\"' or '\\')", s)
		}
	}
	return ""
}

// ClientIDProblem explains what is wrong with a client id, or returns "".
func ClientIDProblem(s string) string {
	if s == "" {
		return "is required"
	}
	// RFC 6749 A.1: client-id = *VSCHAR, VSCHAR = %x20-7E
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Sprintf("%q has characters outside printable ASCII (RFC 6749 A.1)", s)
		}
	}
	return ""
}
