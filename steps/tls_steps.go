package steps

// The TLS scenarios (features/tls.feature, issue 17 item 2): for a target served over https,
// plain http is refused on the endpoints whose sentences require TLS, the handshake refuses
// TLS 1.0 and 1.1 and the weak cipher suites RFC 9325 names, and the certificate verifies. An
// http target is not applicable (the @tls capability, profile.ServedOverHTTPS).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

func (w *World) registerTLS(sc stepAdder) {
	sc.Step(`^plain http to the (authorization|token|introspection) endpoint is refused or redirected to https$`, w.plainHTTPRefused)
	sc.Step(`^the revocation endpoint the target publishes is an https URL$`, w.revocationIsHTTPS)
	sc.Step(`^the protected resource refuses plain http, or the report warns$`, w.resourcePlainHTTP)
	sc.Step(`^every https origin of the target refuses a handshake offering only (TLS 1\.0|TLS 1\.1)$`, w.refusesVersion)
	sc.Step(`^every https origin of the target refuses a handshake offering only (RC4|3DES|static RSA) cipher suites$`, w.refusesSuites)
	sc.Step(`^every https origin of the target presents a certificate that verifies for its host name$`, w.certificateVerifies)
}

// plainURL is endpoint with the http scheme: the same host and port when the URL names a port
// (one listener, spoken to without TLS), else port 80, where a user who typed http:// lands.
func plainURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the endpoint %q is not an absolute URL", endpoint)
	}
	u.Scheme = "http"
	return u.String(), nil
}

// endpointURL is the profile's (or metadata's) URL of the endpoint named.
func (w *World) endpointURL(name string) string {
	switch name {
	case "authorization":
		return w.p.Endpoints.Authorization
	case "token":
		return w.p.Endpoints.Token
	case "introspection":
		return w.p.Endpoints.Introspection
	case "revocation":
		return w.p.Endpoints.Revocation
	}
	return ""
}

// plainRefusal says how a plain http answer refused the request without processing it, or ""
// when the answer shows the endpoint at work over plain http (an OAuth JSON answer, a page, a
// redirect that is not to https). Refusing means: no answer at all (no listener, the
// connection closed: crypto/tls's own "HTTP request to an HTTPS server" is a 400 of that kind),
// a redirect to https, or an error status that is not an OAuth answer.
func plainRefusal(ex *oauthclient.Exchange) string {
	if ex.Err != nil {
		return fmt.Sprintf("no http answer (%v)", ex.Err)
	}
	r := oauthclient.NewResponse(ex)
	if r.IsRedirect() {
		if loc, err := url.Parse(r.Location()); err == nil && strings.EqualFold(loc.Scheme, "https") {
			return fmt.Sprintf("redirected to https (HTTP %d, Location %s)", r.Status, oauthclient.RedactText(r.Location()))
		}
		return ""
	}
	if r.JSON != nil && (r.Has("error") || r.Has("access_token") || r.Has("active")) {
		return ""
	}
	if r.Status >= 400 {
		return fmt.Sprintf("HTTP %d without an OAuth answer", r.Status)
	}
	return ""
}

// plainHTTPRefused judges RFC 6749 3.1 and 3.2 ("MUST require the use of TLS [...] when sending
// requests to the authorization/token endpoint") and RFC 7662 2 ("MUST be protected by a
// transport-layer security mechanism"). A request is first sent over plain http without valid
// credentials; only when that answer shows the endpoint at work over http is a request with
// the profile's credentials sent, to see whether it issues anything: a server that refuses
// plain http never sees a secret in the clear.
func (w *World) plainHTTPRefused(ctx context.Context, name string) error {
	endpoint := w.endpointURL(name)
	if endpoint == "" {
		return verdict.NotApplicable("the target has no %s endpoint (endpoints.%s, or its metadata)", name, name)
	}
	plain, err := plainURL(endpoint)
	if err != nil {
		return err
	}
	switch name {
	case "authorization":
		return w.plainAuthorization(ctx, plain)
	case "token":
		return w.plainToken(ctx, plain)
	default:
		return w.plainIntrospection(ctx, plain)
	}
}

// plainAuthorization sends an authorization request of the confidential (else public) client
// over plain http, follows redirects that stay on plain http at the server's origins (a login
// page behind a redirect), and fails on a code or token delivered, or on a page with a password
// field (a login page served over plain http, where the resource owner would type a password
// in the clear). It never fills the form. A redirect to https (a login page there) refuses:
// nothing secret travels before it.
func (w *World) plainAuthorization(ctx context.Context, plain string) error {
	role := profile.RoleConfidential
	c, ok := w.p.Client(role)
	if !ok {
		role = profile.RolePublic
		if c, ok = w.p.Client(role); !ok {
			return verdict.NotApplicable("the profile has no confidential or public client for an authorization request (clients.confidential, clients.public)")
		}
	}
	au := oauthclient.NewAuthorizeURL(plain).Set("response_type", "code").Set("client_id", c.ID).
		Set("redirect_uri", c.RedirectURI).Set("state", "tls-probe")
	if len(w.p.Scopes.Allowed) > 0 {
		au.Set("scope", w.p.Scopes.Allowed[0])
	}
	next := au.String()
	for hop := 0; hop < 5; hop++ {
		ex, err := w.send(ctx, http.MethodGet, next, nil, nil)
		if err != nil {
			return err
		}
		r := oauthclient.NewResponse(ex)
		// A redirect is read before plainRefusal: a code delivered to an https redirect URI is
		// still a code issued over plain http.
		if ex.Err == nil && r.IsRedirect() {
			loc, err := url.Parse(r.Location())
			if err != nil {
				return verdict.Inconclusive("the plain http authorization request was redirected to an unreadable Location %q", oauthclient.RedactText(r.Location()))
			}
			if base, err := url.Parse(next); err == nil {
				loc = base.ResolveReference(loc)
			}
			q := loc.Query()
			frag, _ := url.ParseQuery(loc.Fragment)
			for _, leak := range []string{"code", "access_token"} {
				if q.Get(leak) != "" || frag.Get(leak) != "" {
					return oauthclient.Failf(r, "RFC 6749 3.1: the authorization endpoint, reached over plain http (%s), issued %s to the client (hop %d): it does not require TLS", plain, leak, hop+1)
				}
			}
			if q.Get("error") != "" || frag.Get("error") != "" {
				return nil // an error to the client: refused, nothing issued
			}
			if plainRefusal(ex) != "" {
				return nil // to https: nothing secret travelled before it
			}
			if !w.p.IsServerOrigin(loc) && !sameHostPort(loc, plain) {
				return verdict.Inconclusive("the plain http authorization request was redirected to %s, which is not the server's: the suite cannot tell whether that refuses it", oauthclient.RedactText(loc.String()))
			}
			next = loc.String()
			continue
		}
		if plainRefusal(ex) != "" {
			return nil
		}
		if r.Status >= 200 && r.Status < 300 {
			body := strings.ToLower(string(ex.ResponseBody))
			if passwordField.MatchString(body) {
				return oauthclient.Failf(r, "RFC 6749 3.1: the authorization endpoint, reached over plain http (%s), served a page with a password field (HTTP %d, hop %d): the resource owner would type a password in the clear, and the code would follow over http; it does not require TLS", plain, r.Status, hop+1)
			}
			return verdict.Inconclusive("the authorization endpoint answered plain http (%s) with HTTP %d and a page without a password field: the suite cannot tell whether that is a refusal", plain, r.Status)
		}
		return verdict.Inconclusive("the authorization endpoint answered plain http (%s) with HTTP %d: neither a refusal nor a page the suite can judge", plain, r.Status)
	}
	return verdict.Inconclusive("the plain http authorization request was redirected more than 5 times on plain http")
}

// passwordField finds an <input type=password> (quoted or not) in a lower-cased page.
var passwordField = regexp.MustCompile(`<input[^>]*type\s*=\s*["']?password`)

// sameHostPort reports whether u is on the host and port of the plain URL the probe started
// from: the server's own listener spoken to over http, whose origin differs from its https
// origins by the scheme.
func sameHostPort(u *url.URL, plain string) bool {
	p, err := url.Parse(plain)
	return err == nil && strings.EqualFold(u.Scheme, "http") && strings.EqualFold(profile.HostPort(u), profile.HostPort(p))
}

// plainToken: a client credentials request with a wrong secret first; if that is answered as
// OAuth over plain http, the same request with the profile's secret. A token issued fails.
func (w *World) plainToken(ctx context.Context, plain string) error {
	role := profile.RoleClientCredentials
	c, ok := w.p.Client(role)
	if !ok || !c.Confidential() {
		role = profile.RoleConfidential
		if c, ok = w.p.Client(role); !ok || !c.Confidential() {
			return verdict.NotApplicable("the profile has no confidential client for a token request (clients.client_credentials, clients.confidential)")
		}
	}
	probe, err := w.plainTokenRequest(ctx, plain, c, "wrong-"+c.Secret)
	if err != nil {
		return err
	}
	if plainRefusal(probe) != "" {
		return nil
	}
	if ok, _ := w.p.Supports("grant-client-credentials"); !ok {
		return verdict.Inconclusive("the token endpoint answers OAuth over plain http (%s: HTTP %d to a wrong client secret); whether it would issue a token there needs the client credentials grant, which the target does not offer", plain, probe.Status)
	}
	ex, err := w.plainTokenRequest(ctx, plain, c, c.Secret)
	if err != nil {
		return err
	}
	r := oauthclient.NewResponse(ex)
	if ex.Err == nil && r.Status >= 200 && r.Status < 300 && r.AccessToken() != "" {
		return oauthclient.Failf(r, "RFC 6749 3.2: the token endpoint issued an access token over plain http (%s): it does not require TLS. The secret of clients.%s traveled in the clear in this request and must be taken as leaked: rotate it", plain, role)
	}
	return nil
}

func (w *World) plainTokenRequest(ctx context.Context, plain string, c profile.Client, secret string) (*oauthclient.Exchange, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(w.p.Scopes.Allowed) > 0 {
		form.Set("scope", w.p.Scopes.Allowed[0])
	}
	return w.sendAuthenticated(ctx, plain, form, c, secret)
}

// sendAuthenticated POSTs form with the client's authentication method and secret.
func (w *World) sendAuthenticated(ctx context.Context, target string, form url.Values, c profile.Client, secret string) (*oauthclient.Exchange, error) {
	if c.AuthMethod == "client_secret_post" {
		form.Set("client_id", c.ID)
		form.Set("client_secret", secret)
		return w.send(ctx, http.MethodPost, target, form, nil)
	}
	return w.send(ctx, http.MethodPost, target, form, &[2]string{c.ID, secret})
}

// plainIntrospection: an introspection of a made-up token with a wrong secret, then with the
// caller's secret; an answer with "active" to the authenticated request fails (the endpoint
// serves authenticated introspection over plain http).
func (w *World) plainIntrospection(ctx context.Context, plain string) error {
	role, c, ok := w.introspectionCaller()
	if !ok {
		return verdict.NotApplicable("the profile has no confidential client to call the introspection endpoint")
	}
	send := func(secret string) (*oauthclient.Exchange, error) {
		return w.sendAuthenticated(ctx, plain, url.Values{"token": {"made-up-token-for-the-tls-check"}}, c, secret)
	}
	probe, err := send("wrong-" + c.Secret)
	if err != nil {
		return err
	}
	if plainRefusal(probe) != "" {
		return nil
	}
	ex, err := send(c.Secret)
	if err != nil {
		return err
	}
	r := oauthclient.NewResponse(ex)
	if ex.Err == nil && r.Status >= 200 && r.Status < 300 && r.Has("active") {
		return oauthclient.Failf(r, "RFC 7662 2: the introspection endpoint answered an introspection over plain http (%s): it is not protected by TLS. The secret of clients.%s traveled in the clear in this request and must be taken as leaked: rotate it", plain, role)
	}
	return nil
}

// introspectionCaller is the client the introspection scenarios call with:
// token_endpoints_caller, else the client credentials client, else the confidential one.
func (w *World) introspectionCaller() (string, profile.Client, bool) {
	for _, role := range []string{w.p.TokenEndpointsCaller, profile.RoleClientCredentials, profile.RoleConfidential} {
		if role == "" {
			continue
		}
		if c, ok := w.p.Client(role); ok && c.Confidential() {
			return role, c, true
		}
	}
	return "", profile.Client{}, false
}

// revocationIsHTTPS judges RFC 7009 2: "URLs for token revocation endpoints MUST be HTTPS
// URLs." Plain http at the revocation endpoint is not judged: the same section asks a server
// reachable over http to "also offer a revocation service at the corresponding HTTP URI" (SHOULD),
// so that tokens sent there by mistake die.
func (w *World) revocationIsHTTPS() error {
	endpoint := w.endpointURL("revocation")
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("the revocation endpoint %q is not an absolute URL", endpoint)
	}
	if !strings.EqualFold(u.Scheme, "https") {
		from := "the profile (endpoints.revocation)"
		if w.p.Metadata != nil && w.p.Metadata["revocation_endpoint"] == endpoint {
			from = "the metadata (revocation_endpoint)"
		}
		return fmt.Errorf("RFC 7009 2: the revocation endpoint %s, from %s, is not an HTTPS URL", endpoint, from)
	}
	return nil
}

// resourcePlainHTTP: RFC 6750 5.3's MUST binds the client ("Clients MUST always use TLS"), so
// a resource that answers plain http breaks no sentence of the server's: a warning. The probe
// carries no token (a token sent in the clear would be leaked by the check itself).
func (w *World) resourcePlainHTTP(ctx context.Context) (context.Context, error) {
	plain, err := plainURL(w.p.Resource.URL)
	if err != nil {
		return ctx, err
	}
	ex, err := w.send(ctx, w.p.Resource.Method, plain, nil, nil)
	if err != nil {
		return ctx, err
	}
	if ex.Err != nil {
		return ctx, nil
	}
	r := oauthclient.NewResponse(ex)
	if r.IsRedirect() {
		if loc, err := url.Parse(r.Location()); err == nil && strings.EqualFold(loc.Scheme, "https") {
			return ctx, nil
		}
	}
	if r.Status < 300 || strings.Contains(strings.ToLower(strings.Join(r.Header.Values("WWW-Authenticate"), ",")), "bearer") {
		return warnAttach(ctx, fmt.Sprintf("the protected resource answers plain http (%s: HTTP %d to a request without a token): a client that sends its bearer token there sends it in the clear (RFC 6750 5.3 binds the client; redirect or refuse plain http to protect careless ones)", plain, r.Status)), nil
	}
	return ctx, nil
}

// handshake connects to origin with cfg and returns the negotiated state, or in refused the
// error that ended the handshake (the server's refusal, or the client's: a certificate that did
// not verify). err is set when the suite could not judge: no connection, no answer in time.
func (w *World) handshake(ctx context.Context, origin string, cfg *tls.Config) (st *tls.ConnectionState, refused, err error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, nil, err
	}
	cfg.ServerName = u.Hostname()
	timeout := w.p.Timeouts.Request
	raw, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, nil, verdict.Inconclusive("cannot connect to %s: %v", origin, err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(timeout))
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, nil, verdict.Inconclusive("the TLS handshake with %s did not end within the request timeout", origin)
		}
		return nil, err, nil
	}
	state := conn.ConnectionState()
	return &state, nil, nil
}

func (w *World) httpsOrigins() ([]string, error) {
	origins := w.p.HTTPSOrigins()
	if len(origins) == 0 {
		return nil, verdict.NotApplicable("the target names no https URL")
	}
	return origins, nil
}

// refusesVersion judges RFC 9325 3.1.1: "Implementations MUST NOT negotiate TLS version 1.0"
// (and 1.1), on every https origin of the target.
func (w *World) refusesVersion(ctx context.Context, name string) error {
	v := uint16(tls.VersionTLS10)
	if name == "TLS 1.1" {
		v = tls.VersionTLS11
	}
	origins, err := w.httpsOrigins()
	if err != nil {
		return err
	}
	var failed []string
	for _, o := range origins {
		// Every suite crypto/tls implements: only the version decides.
		st, _, err := w.handshake(ctx, o, &tls.Config{MinVersion: v, MaxVersion: v, CipherSuites: allSuites(), InsecureSkipVerify: true}) //nolint:gosec // probing the version only
		if err != nil {
			return err
		}
		if st != nil {
			failed = append(failed, fmt.Sprintf("%s negotiated %s with %s", o, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("RFC 9325 3.1.1: a handshake offering only %s was accepted: %s", name, strings.Join(failed, "; "))
	}
	return nil
}

// weakSuites are the cipher suites crypto/tls can still offer that RFC 9325 4.1 names: RC4
// ("MUST NOT negotiate RC4 cipher suites"), 3DES (112 bits: "SHOULD NOT negotiate cipher
// suites that use algorithms offering less than 128 bits of security") and static RSA ("SHOULD
// NOT negotiate cipher suites based on RSA key transport"). crypto/tls implements no NULL or
// export suite, so those are not offered.
// allSuites are the IDs of every TLS 1.0-1.2 suite crypto/tls implements.
func allSuites() []uint16 {
	var out []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		out = append(out, s.ID)
	}
	return out
}

func weakSuites(kind string) []uint16 {
	var out []uint16
	all := append(tls.InsecureCipherSuites(), tls.CipherSuites()...)
	for _, s := range all {
		switch {
		case kind == "RC4" && strings.Contains(s.Name, "_RC4_"),
			kind == "3DES" && strings.Contains(s.Name, "_3DES_"),
			kind == "static RSA" && strings.HasPrefix(s.Name, "TLS_RSA_WITH_") && !strings.Contains(s.Name, "_RC4_") && !strings.Contains(s.Name, "_3DES_"):
			out = append(out, s.ID)
		}
	}
	return out
}

func (w *World) refusesSuites(ctx context.Context, kind string) error {
	suites := weakSuites(kind)
	if len(suites) == 0 {
		return verdict.SuiteTrouble(fmt.Errorf("crypto/tls implements no %s cipher suite to offer", kind))
	}
	origins, err := w.httpsOrigins()
	if err != nil {
		return err
	}
	var failed []string
	for _, o := range origins {
		// TLS 1.2 at most: TLS 1.3's suites are fixed and strong, and offering 1.3 would let the
		// server pick one of them. TLS 1.0 at least, so a server still speaking only old
		// versions is tried too (their refusal is judged by the version scenarios).
		st, _, err := w.handshake(ctx, o, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12, CipherSuites: suites, InsecureSkipVerify: true}) //nolint:gosec // probing the suites only
		if err != nil {
			return err
		}
		if st != nil {
			failed = append(failed, fmt.Sprintf("%s negotiated %s over %s", o, tls.CipherSuiteName(st.CipherSuite), tls.VersionName(st.Version)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("RFC 9325 4.1: a handshake offering only %s cipher suites was accepted: %s", kind, strings.Join(failed, "; "))
	}
	return nil
}

// certificateVerifies judges RFC 6749 10.9: "the authorization server MUST require the use of
// TLS with server authentication as defined by [RFC2818]": a certificate chain that verifies
// to the system's roots or tls.ca_file, for the host name of the URL (RFC 2818 3.1).
func (w *World) certificateVerifies(ctx context.Context) error {
	origins, err := w.httpsOrigins()
	if err != nil {
		return err
	}
	roots, err := w.p.RootCAs()
	if err != nil {
		return err
	}
	var failed []string
	for _, o := range origins {
		_, hsErr, err := w.handshake(ctx, o, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
		if err != nil {
			return err
		}
		if hsErr != nil {
			failed = append(failed, fmt.Sprintf("%s: %s", o, describeCertError(hsErr)))
		}
	}
	if len(failed) > 0 {
		trust := "the system's roots"
		if w.p.TLS.CAFile != "" {
			trust += " and tls.ca_file " + w.p.TLS.CAFile
		}
		return fmt.Errorf("RFC 6749 10.9: the server's certificate does not verify against %s: %s", trust, strings.Join(failed, "; "))
	}
	return nil
}

// describeCertError names what is wrong with a certificate: the host name, the chain, or its
// validity period.
func describeCertError(err error) string {
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return fmt.Sprintf("the certificate is not for this host name (%v)", host.Error())
	case errors.As(err, &unknown):
		return fmt.Sprintf("the chain does not lead to a trusted root (%v); if the server's CA is private, name it in tls.ca_file", unknown.Error())
	case errors.As(err, &invalid):
		return fmt.Sprintf("the certificate is invalid (%v)", invalid.Error())
	}
	return fmt.Sprintf("the handshake failed (%v)", err)
}

// newRequest builds a request; a form body when form is set.
func newRequest(ctx context.Context, method, target string, form url.Values) (*http.Request, error) {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("building the request %s %s: %w", method, oauthclient.RedactText(target), err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	return req, nil
}

// send sends a request and returns its exchange (a transport error is in the exchange).
func (w *World) send(ctx context.Context, method, target string, form url.Values, basic *[2]string) (*oauthclient.Exchange, error) {
	req, err := newRequest(ctx, method, target, form)
	if err != nil {
		return nil, err
	}
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1])) // RFC 6749 2.3.1
	}
	ex, _ := w.http.Do(req)
	return ex, nil
}
