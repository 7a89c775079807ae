package refserver

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a reverse proxy every request comes from the proxy's address, so the limits per
// source address (refserver/throttle) would count every client as one (issue 16 item 3).
// With Config.TrustedProxies, the client's address is the rightmost address of the forwarding
// chain that is not a trusted proxy: the addresses to its left were written by the client
// itself or by proxies nobody vouches for, so they could be anything; the ones to its right
// were added by trusted proxies.

// clientAddress returns r with RemoteAddr set to the client's address when r comes from a
// trusted proxy, else r unchanged.
func (s *Server) clientAddress(r *http.Request) *http.Request {
	if len(s.cfg.TrustedProxies) == 0 {
		return r
	}
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok || !s.trusted(peer) {
		return r
	}
	chain := forwardedFor(r.Header)
	client := peer
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(chain[i])
		if !ok {
			break // unparsable ("unknown", an obfuscated name): the last trusted hop is all we know
		}
		client = a
		if !s.trusted(a) {
			break
		}
	}
	if client == peer {
		return r
	}
	r2 := r.Clone(r.Context())
	r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
	return r2
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor is the forwarding chain, client first: the for= parameters of Forwarded
// (RFC 7239) when present, else X-Forwarded-For. Several header lines are one list, in order.
func forwardedFor(h http.Header) []string {
	var out []string
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						out = append(out, strings.Trim(v, `"`))
					}
				}
			}
		}
		return out
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, a := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(a))
		}
	}
	return out
}

// parseHostAddr parses an address with or without a port, IPv6 with or without brackets.
func parseHostAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
