package refserver

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The resource owner's pages: login, approval, error. Plain server-rendered HTML from
// html/template, no scripts and no third-party resources (RFC 9700 4.2: pages of the
// authorization endpoint should not load third-party resources that could leak the request
// through the Referer header); the one inline style block carries a per-response CSP nonce.

//go:embed templates/*.html
var templateFS embed.FS

// pages are parsed once; html/template values are safe for concurrent use and never changed
// after parsing.
var pages = parsePages("login", "consent", "error", "signedin", "signout")

func parsePages(names ...string) map[string]*template.Template {
	m := make(map[string]*template.Template, len(names))
	for _, n := range names {
		m[n] = template.Must(template.ParseFS(templateFS, "templates/base.html", "templates/"+n+".html"))
	}
	return m
}

// pageView is what every page template sees.
type pageView struct {
	Title, Heading, Footer string
	Nonce                  string
	Data                   any
}

// errorPage is the content of the error page.
type errorPage struct {
	Message  string // what went wrong, in one sentence
	Code     string // the RFC 6749 error code, when one applies
	ClientID string
	Detail   string
}

// setPageHeaders sets the headers every HTML page of the server carries and returns the
// style nonce for the Content-Security-Policy. formTarget is where the page's form leads in the
// end, through the server's redirects (see formActionSources); nil for a page whose form stays
// on the server.
func setPageHeaders(h http.Header, formTarget *url.URL) string {
	nonce := randomToken()[:22]
	// RFC 9700 4.16 / RFC 6749 10.13: the login and approval pages must not be framed
	// (clickjacking): both the legacy header and CSP frame-ancestors.
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'; "+pageCSP(nonce, formTarget))
	// RFC 9700 4.2.4: no Referer carrying authorization request parameters leaves our pages.
	h.Set("Referrer-Policy", "no-referrer")
	// Pages contain CSRF tokens and pending requests: never cache them.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", "text/html; charset=utf-8")
	return nonce
}

// pageCSP is the page policy without frame-ancestors (which the frameable-approval quirk
// drops).
func pageCSP(nonce string, formTarget *url.URL) string {
	csp := "default-src 'self'; style-src 'nonce-" + nonce + "'; base-uri 'none'"
	if fa := formActionSources(formTarget); fa != "" {
		csp += "; form-action " + fa
	}
	return csp
}

// formActionSources is the CSP form-action source list for a page whose form leads to target.
//
// form-action keeps an injected or altered form from posting the owner's password or approval
// anywhere else. Chrome applies it to every redirect that follows the form's POST (CSP3 6.2.5
// checks the navigation's redirect chain), and the owner's forms end at the client: the approval
// POST redirects to the client's redirect URI, the login POST to /authorize and, for a trusted
// client or a remembered approval, on to the redirect URI. So the list is 'self' plus the
// origin of the redirect URI of the request in flight (with its port: a loopback redirect URI
// may use any port, RFC 8252 7.3) or, for a private-use scheme (RFC 8252 7.1), that scheme.
//
// A redirect URI that no CSP source expression can name (an IPv6 literal host: CSP3's
// host-source has no brackets) gets no form-action at all, rather than a policy that would
// break the flow; every other page gets 'self'.
func formActionSources(target *url.URL) string {
	if target == nil {
		return "'self'"
	}
	scheme := strings.ToLower(target.Scheme)
	if !cspScheme.MatchString(scheme) {
		return ""
	}
	if target.Host == "" {
		return "'self' " + scheme + ":"
	}
	host, port := strings.ToLower(target.Hostname()), target.Port()
	if !cspHost.MatchString(host) || (port != "" && !cspPort.MatchString(port)) {
		return ""
	}
	src := scheme + "://" + host
	if port != "" {
		src += ":" + port
	}
	return "'self' " + src
}

var (
	cspScheme = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)
	cspHost   = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*$`)
	cspPort   = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// renderPage writes page name with status. Rendering goes to a buffer first so a template
// failure can never leave a half-written page.
func (s *Server) renderPage(w http.ResponseWriter, status int, name, title, heading string, data any) {
	s.renderPageTo(w, status, name, title, heading, data, nil)
}

// renderPageTo is renderPage for a page whose form leads, through redirects, to formTarget.
func (s *Server) renderPageTo(w http.ResponseWriter, status int, name, title, heading string, data any, formTarget *url.URL) {
	nonce := setPageHeaders(w.Header(), formTarget)
	if s.quirks.Has(QuirkReferrerLeaksURL) {
		w.Header().Set("Referrer-Policy", "unsafe-url")
	}
	if name == "consent" && s.quirks.Has(QuirkFrameableApproval) {
		w.Header().Del("X-Frame-Options")
		w.Header().Set("Content-Security-Policy", pageCSP(nonce, formTarget))
	}
	v := pageView{Title: title, Heading: heading, Footer: s.current(context.Background()).ApprovalFooter, Nonce: nonce, Data: data}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "base", v); err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error: the page could not be rendered\n"))
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError shows an error to the resource owner, never redirecting.
func (s *Server) renderError(w http.ResponseWriter, status int, e errorPage) {
	heading := "Request refused"
	switch status {
	case http.StatusForbidden:
		heading = "Request not accepted"
	case http.StatusMethodNotAllowed:
		heading = "Method not allowed"
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		heading = "Something went wrong"
	}
	s.renderPage(w, status, "error", heading, heading, e)
}

// methodNotAllowed answers 405 with the Allow header (RFC 9110 15.5.6).
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	s.renderError(w, http.StatusMethodNotAllowed, errorPage{
		Message: "This address does not accept " + sanitizeText(r.Method, 20) + " requests; use " + allow + ".",
	})
}

// sanitizeText shortens s to at most max bytes of printable ASCII for messages that echo input.
func sanitizeText(s string, max int) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < max; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}
