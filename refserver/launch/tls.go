package launch

import (
	"bufio"
	"crypto/tls"
	"net"
	"sync"

	"github.com/oauthconf/oauthconf/refserver"
)

// ServerTLS is the reference server's TLS configuration for cert: TLS 1.2 or newer, and for
// TLS 1.2 only ECDHE suites with AEAD ciphers (TLS 1.3's suites are not configurable in Go and
// are all AEAD). RFC 9325 3.1.1: "Implementations MUST NOT negotiate TLS version 1.0" and
// "[...] 1.1"; 4.1: "Implementations MUST NOT negotiate RC4 cipher suites", "SHOULD NOT
// negotiate cipher suites based on RSA key transport", "MUST support and prefer to negotiate
// cipher suites offering forward secrecy"; 4.2: a CBC suite "SHOULD NOT be used unless the
// encrypt_then_mac extension [RFC7366] is also successfully negotiated" (Go has none).
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// quirkTLS applies refserver.QuirkTLSLegacy to a TLS configuration: TLS 1.0 and 1.1 allowed,
// and the insecure suites crypto/tls still implements (RC4, 3DES, static RSA) offered too.
func quirkTLS(cfg *tls.Config, quirks []string) *tls.Config {
	if cfg == nil || !refserver.HasQuirk(quirks, refserver.QuirkTLSLegacy) {
		return cfg
	}
	c := cfg.Clone()
	c.MinVersion = tls.VersionTLS10
	suites := append([]uint16(nil), c.CipherSuites...)
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID) // the static-RSA AES suites among them
	}
	c.CipherSuites = suites
	return c
}

// plainAndTLS is refserver.QuirkPlainHTTPToo: one port that answers TLS and plain http alike,
// told apart by the first byte a client sends (22, a TLS handshake record, or an HTTP method's
// first letter). The http.Server serves plain connections as they are (crypto/tls's
// tls.Conn is what marks a request as TLS).
type plainAndTLS struct {
	net.Listener
	cfg *tls.Config
}

func (l *plainAndTLS) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, cfg: l.cfg}, nil
}

// sniffConn decides on its first Read whether it is TLS.
type sniffConn struct {
	net.Conn
	cfg  *tls.Config
	once sync.Once
	r    net.Conn // the connection reads and writes go to once decided
	br   *bufio.Reader
}

func (c *sniffConn) decide() {
	c.once.Do(func() {
		c.br = bufio.NewReader(c.Conn)
		b, err := c.br.Peek(1)
		peeked := &peekedConn{Conn: c.Conn, r: c.br}
		if err == nil && b[0] == 22 {
			c.r = tls.Server(peeked, c.cfg)
			return
		}
		c.r = peeked
	})
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.decide()
	return c.r.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.decide()
	return c.r.Write(p)
}

func (c *sniffConn) Close() error {
	c.decide()
	return c.r.Close()
}

// peekedConn reads through the bufio.Reader that peeked.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
