package callback

import (
	"net/url"
	"strings"
)

// Reaches reports whether a request to u (a hit on the listener, a browser navigation, a
// Location header) is a request to the redirect URI requested, the one the authorization
// request named. It decides whether a server sent the user agent to an invalid redirect URI
// (RFC 6749 3.1.2.4: it "MUST NOT automatically redirect the user-agent to the invalid
// redirection URI"), so it must not mistake a redirect to the registered URI for one to the
// requested variant:
//
//   - scheme and host compare case-insensitively, the port with the scheme's default filled in;
//   - the path compares as sent, percent-encoding included ("/%63allback" is not "/callback":
//     RFC 9700 2.1 asks for "exact string matching"), once dot segments are resolved, as a
//     browser resolves "/cb/../evil" to "/evil" before requesting it;
//   - every "name=value" pair of the requested query must be in u's query, as sent: RFC 6749
//     3.1.2 says the query "MUST be retained when adding additional query parameters", and the
//     parameters the server adds are the response;
//   - a requested fragment can only be seen where u carries one (a Location header, the page's
//     URL; never a request, RFC 3986 3.5): a URL without a fragment does not reach a requested
//     URI that has one, and a URL with one must begin its fragment with the requested one.
func Reaches(u, requested *url.URL) bool {
	if u == nil || requested == nil {
		return false
	}
	if !strings.EqualFold(u.Scheme, requested.Scheme) || hostPort(u) != hostPort(requested) {
		return false
	}
	// User information is part of the URI: "http://evil@host/cb" is not "http://host/cb"
	// (RFC 9700 2.1, exact string matching), so neither reaches the other.
	if u.User.String() != requested.User.String() {
		return false
	}
	if path(u) != path(requested) {
		return false
	}
	got := map[string]bool{}
	for _, p := range strings.Split(u.RawQuery, "&") {
		got[p] = true
	}
	if requested.RawQuery != "" {
		for _, p := range strings.Split(requested.RawQuery, "&") {
			if p != "" && !got[p] {
				return false
			}
		}
	}
	if f := requested.EscapedFragment(); f != "" || requested.Fragment != "" {
		return strings.HasPrefix(u.EscapedFragment(), f) && (u.Fragment != "" || u.RawFragment != "")
	}
	return true
}

// hostPort is the host, lower-cased, with the scheme's default port when none is given.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// path is the escaped path with dot segments resolved (RFC 3986 5.2.4), "/" when empty.
func path(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	p := (&url.URL{}).ResolveReference(&c).EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// SameOrigin reports whether a and b have the same scheme, host and port (RFC 6454 4), the
// scheme's default port filled in.
func SameOrigin(a, b *url.URL) bool {
	return a != nil && b != nil && strings.EqualFold(a.Scheme, b.Scheme) && hostPort(a) == hostPort(b)
}

// ParseLikeBrowser parses raw as a browser reads it before following it, where the URL
// Standard departs from RFC 3986 in ways a redirect URI attack uses: leading and trailing
// controls and spaces are dropped, tabs and newlines are removed anywhere, and in an http or
// https URL a backslash before the query is a slash ("http://attacker.example\@host/cb" goes to
// attacker.example). Go's url.Parse then reads the result.
func ParseLikeBrowser(raw string) (*url.URL, error) {
	s := strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "http:") || strings.HasPrefix(lower, "https:") {
		end := strings.IndexAny(s, "?#")
		if end < 0 {
			end = len(s)
		}
		s = strings.ReplaceAll(s[:end], "\\", "/") + s[end:]
	}
	return url.Parse(s)
}

// IsRegistered reports whether a request to u is a request to the registered redirect URI
// and to nothing the request added to it: Reaches, with the registered URI's own user
// information (none), and without any query parameter the requested URI carries beyond the
// registered one's ("?tenant=a&evil=1" for a registered "?tenant=a" is not the registered URI,
// though the parameters a server adds to it are the response).
func IsRegistered(u, registered, requested *url.URL) bool {
	if !Reaches(u, registered) {
		return false
	}
	if requested == nil {
		return true
	}
	reg := map[string]bool{}
	for _, p := range strings.Split(registered.RawQuery, "&") {
		reg[p] = true
	}
	got := map[string]bool{}
	for _, p := range strings.Split(u.RawQuery, "&") {
		got[p] = true
	}
	for _, p := range strings.Split(requested.RawQuery, "&") {
		if p != "" && !reg[p] && got[p] {
			return false
		}
	}
	return true
}
