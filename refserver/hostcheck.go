package refserver

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/oauthconf/oauthconf/refserver/admin"
)

// DNS rebinding (issue 16 item 5): a page on evil.example whose name an attacker points at
// 127.0.0.1 reaches a server on loopback with the browser's blessing, as the same origin
// (Host: evil.example); the admin API's same-origin check then trusts it. A Host allow-list,
// as development servers keep, stops it: only the issuer's host and loopback literals are
// served. Always for the admin console and API, and for every path when Config.RestrictHosts
// (serve --demo, whose passwords are public).

// hostAllowed reports whether the request's Host names this server: the issuer's host name,
// a loopback address literal, or localhost (which browsers resolve locally, never by DNS).
// The port is not compared: the request reached this server's port anyway.
func (s *Server) hostAllowed(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if strings.EqualFold(host, s.issuer.Hostname()) || strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// hostChecked reports whether the request's path needs hostAllowed.
func (s *Server) hostChecked(r *http.Request) bool {
	if s.cfg.RestrictHosts {
		return true
	}
	p := r.URL.Path
	return p+"/" == admin.PathConsole || strings.HasPrefix(p, admin.PathConsole)
}

// refuseHost answers a request for another host: 421 Misdirected Request (RFC 9110 15.5.20:
// "the request was directed at a server that is unable or unwilling to produce an
// authoritative response for the target URI").
func refuseHost(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMisdirectedRequest)
	_, _ = w.Write([]byte("This server does not answer for this host name: use the issuer's host or a loopback address (DNS rebinding protection).\n"))
}
