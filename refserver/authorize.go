package refserver

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/domain"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// The authorization endpoint (RFC 6749 3.1, 4.1, 4.2). Every request is validated in full
// before the resource owner is asked anything, in this order:
//
//  1. client_id and redirect_uri: if either is wrong the error is shown to the owner and
//     never redirected (RFC 6749 3.1.2.4, 4.1.2.1), so the endpoint is not an open redirector
//     (RFC 9700 4.11).
//  2. Everything else (parameters, response_type, scope, PKCE): errors are redirected to the
//     client, in the query for response_type=code and in the fragment for response_type=token
//     (RFC 6749 4.1.2.1, 4.2.2.1), with state and iss (RFC 9207 2).
//
// fosite then validates the cleaned request again; the login and approval pages come only
// after that. The POSTed decision re-runs the same validation on the request carried in the
// form, so nothing the owner's browser sends is trusted on its own.

const (
	// maxAuthorizeRequestBytes caps the query plus body of an authorization request; a real
	// one is far smaller.
	maxAuthorizeRequestBytes = 32 << 10
	maxClientIDLen           = 256
)

// authzParamNames are the parameters this endpoint understands (RFC 6749 4.1.1, 4.2.1;
// RFC 7636 4.3). Any other parameter is ignored (RFC 6749 3.1: "The authorization server
// MUST ignore unrecognized request parameters"), and in particular never reaches fosite,
// whose OpenID Connect, audience and response_mode extensions would answer with codes
// RFC 6749 does not define.
var authzParamNames = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method",
}

// pendingAuthz is an authorization request that passed every check and waits for the
// owner's decision.
type pendingAuthz struct {
	params       url.Values // the cleaned request parameters (single values, none empty)
	client       *store.Client
	ar           fosite.AuthorizeRequester
	responseType string
	redirect     *url.URL // where the response goes
	fragment     bool     // response parameters go in the fragment (implicit)
	state        string
	scopes       []*store.Scope // requested scopes, or the client's default when omitted
}

// authzFailure is an error answered either with a page (target nil) or with a redirect to
// the client.
type authzFailure struct {
	status   int    // for a page
	code     string // RFC 6749 4.1.2.1 error code
	desc     string
	clientID string // shown on a page
	target   *url.URL
	fragment bool
	state    string
}

func pageFailure(status int, code, desc string) *authzFailure {
	return &authzFailure{status: status, code: code, desc: desc}
}

// pendingTarget is where errors go once client and redirect URI are known.
type pendingTarget struct {
	redirect *url.URL
	fragment bool
	state    string
}

func (t *pendingTarget) fail(code, desc string) *authzFailure {
	return &authzFailure{code: code, desc: desc, target: t.redirect, fragment: t.fragment, state: t.state}
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.quirks.Has(QuirkAuthorizeCORS) && quirkAnswerCORS(w, r) {
		return
	}
	// RFC 6749 3.1: the endpoint MUST support GET and MAY support POST.
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, "GET, POST")
		return
	}
	params, problem, fail := readAuthorizeParams(w, r)
	if fail != nil {
		s.writeAuthzFailure(w, r, fail)
		return
	}
	now := time.Now()
	p, fail := s.checkAuthorize(r.Context(), params, problem)
	if fail != nil {
		if fail.target != nil && !s.quirks.Has(QuirkErrorRedirectBeforeLogin) {
			if _, ok := s.currentSession(r, now); !ok {
				s.loginBeforeErrorRedirect(w, r, params, problem, fail, now)
				return
			}
		}
		s.writeAuthzFailure(w, r, fail)
		return
	}
	ls, ok := s.currentSession(r, now)
	if !ok {
		// Ask the owner to log in; the login form carries the request and brings the owner
		// back here, where it is validated again.
		loc := s.issuer.Path + PathLogin + "?authz=" + url.QueryEscape(s.sealPending(p.params, now))
		if s.quirks.Has(QuirkLoginOpenReturnTo) {
			// The quirk's login page says where it returns to in its URL, as many do.
			loc += "&return_to=" + url.QueryEscape(s.issuer.Path+PathAuthorize+"?"+p.params.Encode())
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, loc, http.StatusSeeOther)
		return
	}
	if p.client.Trusted {
		// A trusted client skips the approval page, never the login.
		s.auditApproval(r, p, ls.Username, auditSkippedTrusted)
		s.approve(w, r, p, ls)
		return
	}
	if s.quirks.Has(QuirkPublicClientAutoApprove) && p.client.Public {
		if _, seen := s.quirkApprovals.Load(ls.Nonce + " " + p.client.ID); seen {
			s.approve(w, r, p, ls)
			return
		}
	}
	s.renderConsent(w, p, ls, now)
}

// loginBeforeErrorRedirect answers an erroneous request of a known client with a registered
// redirect URI from a browser without a session: the resource owner logs in first, and the
// error is redirected to the client only then. RFC 9700 4.11.2: "The authorization server MUST
// always authenticate the user first and, with the exception of the silent authentication use
// case, prompt the user for credentials when needed, before redirecting the user." Without it,
// one link sent to a logged-out browser (a client an attacker registered, an invalid scope) makes
// this server forward the browser to the attacker's site: attack 1 of that section. The sealed
// request is validated again after the login, where the same error is redirected.
//
// A request whose encoding is malformed cannot be sealed as it came (decoding repairs it), so
// it is refused with a page, which redirects nobody.
func (s *Server) loginBeforeErrorRedirect(w http.ResponseWriter, r *http.Request, params url.Values, problem string, fail *authzFailure, now time.Time) {
	if problem != "" {
		s.renderError(w, http.StatusBadRequest, errorPage{Message: problem, Code: fail.code,
			Detail: "The application that sent you here sent a malformed request. You can close this page."})
		return
	}
	pending := url.Values{}
	for _, name := range authzParamNames {
		if vs, ok := params[name]; ok {
			pending[name] = vs // repeated values stay repeated: the same error after the login
		}
	}
	loc := s.issuer.Path + PathLogin + "?authz=" + url.QueryEscape(s.sealPending(pending, now))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// readAuthorizeParams reads the query and, for POST, the form body. A parameter given in
// both counts as repeated. problem names a malformed encoding; it is reported to the client
// once the client and its redirect URI are known.
func readAuthorizeParams(w http.ResponseWriter, r *http.Request) (url.Values, string, *authzFailure) {
	if len(r.URL.RawQuery) > maxAuthorizeRequestBytes {
		return nil, "", pageFailure(http.StatusRequestURITooLong, "invalid_request",
			"The authorization request is too large.")
	}
	params, qerr := url.ParseQuery(r.URL.RawQuery)
	problem := ""
	if qerr != nil {
		problem = "The query string is malformed (bad percent-encoding or a ';')."
	}
	if r.Method == http.MethodPost {
		body, berr := readFormBody(w, r, maxAuthorizeRequestBytes-len(r.URL.RawQuery))
		if berr != nil {
			return nil, "", berr
		}
		bv, err := url.ParseQuery(body)
		if err != nil && problem == "" {
			problem = "The request body is malformed (bad percent-encoding or a ';')."
		}
		for k, vs := range bv {
			params[k] = append(params[k], vs...)
		}
	}
	return params, problem, nil
}

// readFormBody reads an application/x-www-form-urlencoded body of at most limit bytes.
func readFormBody(w http.ResponseWriter, r *http.Request, limit int) (string, *authzFailure) {
	if r.Body == nil {
		return "", nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return "", pageFailure(http.StatusUnsupportedMediaType, "invalid_request",
				"Send the form as application/x-www-form-urlencoded.")
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", pageFailure(http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large.")
		}
		return "", pageFailure(http.StatusBadRequest, "invalid_request", "The request body could not be read.")
	}
	return string(b), nil
}

// checkAuthorize validates an authorization request completely; see the top of this file.
func (s *Server) checkAuthorize(ctx context.Context, raw url.Values, problem string) (*pendingAuthz, *authzFailure) {
	// RFC 6749 3.1: "Parameters sent without a value MUST be treated as if they were omitted
	// from the request. ... Request and response parameters MUST NOT be included more than
	// once."
	clean := url.Values{}
	var repeated []string
	for _, name := range authzParamNames {
		var vals []string
		for _, v := range raw[name] {
			if v != "" {
				vals = append(vals, v)
			}
		}
		switch {
		case len(vals) == 1:
			clean.Set(name, vals[0])
		case len(vals) > 1:
			repeated = append(repeated, name)
		}
	}
	isRepeated := func(name string) bool {
		for _, n := range repeated {
			if n == name {
				return true
			}
		}
		return false
	}

	// 1. The client. Errors here are shown, never redirected.
	clientID := clean.Get("client_id")
	switch {
	case isRepeated("client_id"):
		return nil, pageFailure(http.StatusBadRequest, "invalid_request", "The client_id parameter is repeated.")
	case clientID == "":
		return nil, pageFailure(http.StatusBadRequest, "invalid_request", "The request has no client_id.")
	case len(clientID) > maxClientIDLen || !utf8.ValidString(clientID):
		return nil, pageFailure(http.StatusBadRequest, "invalid_client", "The client_id is not a registered client.")
	}
	fc, err := s.store.GetClient(ctx, clientID)
	if err != nil {
		if errors.Is(err, fosite.ErrNotFound) {
			f := pageFailure(http.StatusBadRequest, "invalid_client", "The client_id is not a registered client (or it is disabled).")
			f.clientID = clientID
			return nil, f
		}
		if store.IsBusy(err) {
			return nil, pageFailure(http.StatusServiceUnavailable, errTemporarilyUnavailable, "The server is busy; try again in a moment.")
		}
		return nil, pageFailure(http.StatusInternalServerError, "server_error", "The client could not be looked up; try again later.")
	}
	client, ok := fc.(*store.Client)
	if !ok {
		return nil, pageFailure(http.StatusInternalServerError, "server_error", "The client record has an unexpected type.")
	}
	client = s.withSettingsLifetimes(ctx, client) // the run-time lifetimes (settings.go)

	// 2. The redirect URI. Errors here are shown, never redirected (RFC 6749 3.1.2.4).
	redirect, desc := matchRedirectURI(clean.Get("redirect_uri"), isRepeated("redirect_uri"), client.RedirectURIs)
	// prefixMatched and unregistered serve two quirks (quirks.go); a conforming server leaves
	// them empty.
	prefixMatched := ""
	if redirect == nil && s.quirks.Has(QuirkRedirectURIPrefix) {
		redirect, prefixMatched = prefixMatchRedirectURI(clean.Get("redirect_uri"), client.RedirectURIs)
	}
	suffixMatched := false
	if redirect == nil && s.quirks.Has(QuirkRedirectURIHostSuffix) {
		// fosite is then shown the registered URI, as for the prefix quirk.
		redirect, prefixMatched = hostSuffixMatchRedirectURI(clean.Get("redirect_uri"), client.RedirectURIs)
		suffixMatched = redirect != nil
	}
	if redirect == nil && s.quirks.Has(QuirkRedirectURINormalised) {
		redirect, prefixMatched = normalisedMatchRedirectURI(clean.Get("redirect_uri"), client.RedirectURIs)
	}
	if redirect == nil && s.quirks.Has(QuirkRedirectURIQueryIgnored) {
		redirect, prefixMatched = queryIgnoredMatchRedirectURI(clean.Get("redirect_uri"), client.RedirectURIs)
	}
	var unregistered *authzFailure
	if redirect == nil && s.quirks.Has(QuirkErrorRedirectUnregistered) {
		// The request's redirect URI is used for errors before it is known to be registered;
		// only a request that is otherwise valid gets the error page.
		if u, err := url.Parse(clean.Get("redirect_uri")); err == nil && u.IsAbs() && u.Host != "" {
			unregistered = pageFailure(http.StatusBadRequest, "invalid_request", desc)
			unregistered.clientID = clientID
			redirect = u
		}
	}
	if redirect == nil {
		f := pageFailure(http.StatusBadRequest, "invalid_request", desc)
		f.clientID = clientID
		return nil, f
	}
	rt := clean.Get("response_type")
	t := &pendingTarget{
		redirect: redirect,
		// RFC 6749 4.2.2.1: implicit errors go in the fragment. With a repeated or unknown
		// response_type the default, the query, is used.
		fragment: rt == "token",
		state:    clean.Get("state"),
	}
	if isRepeated("state") {
		// Which state would be "exactly as sent"? None: answer without one.
		t.state = ""
	}

	// 3. Everything else is reported to the client.
	if problem != "" {
		return nil, t.fail("invalid_request", problem)
	}
	if len(repeated) > 0 {
		return nil, t.fail("invalid_request", "Parameters must not be repeated (RFC 6749 3.1): "+strings.Join(repeated, ", ")+".")
	}
	for _, name := range authzParamNames {
		if !utf8.ValidString(clean.Get(name)) {
			return nil, t.fail("invalid_request", "The "+name+" parameter is not valid UTF-8.")
		}
	}
	switch rt {
	case "":
		return nil, t.fail("invalid_request", "The request has no response_type.")
	case "code":
		if !client.HasGrant(store.GrantAuthorizationCode) {
			return nil, t.fail("unauthorized_client", "This client may not use the authorization code grant.")
		}
	case "token":
		// RFC 6749 4.2.2.1: unauthorized_client, where fosite would say invalid_grant.
		if !client.HasGrant(store.GrantImplicit) {
			return nil, t.fail("unauthorized_client", "This client may not use the implicit grant.")
		}
	default:
		return nil, t.fail("unsupported_response_type", "Supported response types are 'code' and 'token'.")
	}
	scopes, f := s.checkScopes(ctx, client, clean, t)
	if f != nil {
		return nil, f
	}
	if rt == "code" {
		if f := s.checkPKCE(ctx, client, clean, t); f != nil {
			return nil, f
		}
	}
	if unregistered != nil {
		return nil, unregistered
	}
	// fosite redirects to an http URI only on loopback or localhost: check it now, before the
	// owner is asked, rather than after approval.
	if !fosite.IsRedirectURISecure(ctx, redirect) && !suffixMatched {
		f := pageFailure(http.StatusBadRequest, "invalid_request", "The registered redirect URI uses plain http on a host that is not the loopback interface.")
		f.clientID = clientID
		return nil, f
	}

	// 4. fosite's own validation of the cleaned request.
	fq := url.Values{}
	for k, v := range clean {
		fq[k] = v
	}
	if clean.Get("scope") == "" && len(scopes) > 0 {
		names := make([]string, len(scopes))
		for i, sc := range scopes {
			names[i] = sc.Name
		}
		fq.Set("scope", strings.Join(names, " "))
	}
	if prefixMatched != "" {
		// fosite matches exactly: it is shown the registered URI the requested one extends.
		fq.Set("redirect_uri", prefixMatched)
	}
	freq, err := http.NewRequestWithContext(ctx, http.MethodGet, PathAuthorize+"?"+fq.Encode(), nil)
	if err != nil {
		return nil, t.fail("server_error", "The request could not be prepared.")
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, freq)
	if errors.Is(err, fosite.ErrInvalidState) {
		// RFC 6749 4.1.1: state is OPTIONAL (RECOMMENDED), of any length. fosite demands 8
		// characters, cannot be configured below 1, and answers the non-standard
		// invalid_state. Its state check is the last one of NewAuthorizeRequest, so the
		// request is complete and otherwise valid here.
		err = nil
	}
	if err != nil {
		rfc := fosite.ErrorToRFC6749Error(err)
		if !ar.IsRedirectURIValid() || rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
			f := pageFailure(http.StatusBadRequest, "invalid_request", "The request was refused: "+rfc.GetDescription())
			f.clientID = clientID
			return nil, f
		}
		return nil, t.fail(standardAuthzError(rfc.ErrorField), rfc.GetDescription())
	}
	if rt == "token" {
		if far, ok := ar.(*fosite.AuthorizeRequest); ok {
			far.Client = implicitClient{client}
		}
	}
	if prefixMatched != "" {
		if far, ok := ar.(*fosite.AuthorizeRequest); ok {
			far.RedirectURI = redirect
			far.Form.Set("redirect_uri", redirect.String())
		}
	}
	return &pendingAuthz{
		params: clean, client: client, ar: ar, responseType: rt,
		redirect: redirect, fragment: t.fragment, state: t.state, scopes: scopes,
	}, nil
}

// implicitClient lets fosite's implicit handler see the implicit grant: store.Client leaves
// "implicit" out of GetGrantTypes (it is not a token-endpoint grant), but the handler checks
// for it there. Whether the client may use it was checked in checkAuthorize.
type implicitClient struct{ *store.Client }

func (c implicitClient) GetGrantTypes() fosite.Arguments {
	return append(c.Client.GetGrantTypes(), store.GrantImplicit)
}

// standardAuthzError maps an error code to one RFC 6749 4.1.2.1 defines; fosite has some of
// its own (invalid_state, request_not_supported, ...).
func standardAuthzError(code string) string {
	switch code {
	case "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
		"invalid_scope", "server_error", "temporarily_unavailable":
		return code
	case "invalid_grant":
		return "unauthorized_client"
	}
	return "invalid_request"
}

// checkScopes validates the requested scopes (RFC 6749 3.3, 4.1.2.1 invalid_scope). An
// omitted scope means the client's associated scopes: RFC 6749 3.3 lets the server "process
// the request using a pre-defined default value".
func (s *Server) checkScopes(ctx context.Context, client *store.Client, clean url.Values, t *pendingTarget) ([]*store.Scope, *authzFailure) {
	var names []string
	if raw := clean.Get("scope"); raw != "" {
		seen := map[string]bool{}
		for _, n := range strings.Split(raw, " ") {
			if n == "" || seen[n] {
				continue
			}
			seen[n] = true
			// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
			for i := 0; i < len(n); i++ {
				if c := n[i]; c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
					return nil, t.fail("invalid_scope", "The scope contains a character RFC 6749 3.3 does not allow.")
				}
			}
			names = append(names, n)
		}
		if len(names) == 0 {
			return nil, t.fail("invalid_scope", "The scope parameter names no scope.")
		}
	} else {
		names = append(names, client.Scopes...)
	}
	allowed := map[string]bool{}
	for _, n := range client.Scopes {
		allowed[n] = true
	}
	out := make([]*store.Scope, 0, len(names))
	for _, n := range names {
		if !allowed[n] {
			return nil, t.fail("invalid_scope", "The scope '"+n+"' is unknown or not allowed for this client.")
		}
		sc, err := s.store.GetScope(ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			return nil, t.fail("invalid_scope", "The scope '"+n+"' is unknown.")
		} else if err != nil || sc == nil {
			return nil, t.fail("server_error", "The scope could not be looked up.")
		}
		out = append(out, sc)
	}
	return out, nil
}

// checkPKCE validates the PKCE parameters of a code request here, before the owner is
// asked; fosite checks them only after approval.
func (s *Server) checkPKCE(ctx context.Context, client *store.Client, clean url.Values, t *pendingTarget) *authzFailure {
	challenge, method := clean.Get("code_challenge"), clean.Get("code_challenge_method")
	if challenge == "" {
		if method != "" {
			return t.fail("invalid_request", "code_challenge_method was sent without a code_challenge.")
		}
		// RFC 9700 2.1.1: public clients MUST use PKCE; RFC 7636 4.4.1: "If the server
		// requires Proof Key for Code Exchange (PKCE) by OAuth public clients and the client
		// does not send the "code_challenge" in the request, the authorization endpoint MUST
		// return the authorization error response with the "error" value set to
		// "invalid_request"".
		if client.Public && s.current(ctx).PKCERequiredForPublic {
			return t.fail("invalid_request", "This public client must send a code_challenge (PKCE, S256).")
		}
		return nil
	}
	// RFC 7636 4.3: the method defaults to "plain", which this server does not support (RFC
	// 9700 2.1.1: S256 is the one method that does not expose the verifier). RFC 7636 4.4.1:
	// an unsupported transformation is "invalid_request".
	if method != "S256" {
		if s.quirks.Has(QuirkPKCEPlain) && (method == "" || method == "plain") && validVerifier(challenge) {
			return nil // plain: the challenge is the verifier itself (RFC 7636 4.2)
		}
		if method == "" || method == "plain" {
			return t.fail("invalid_request", "Only code_challenge_method=S256 is supported; plain is refused.")
		}
		return t.fail("invalid_request", "Unsupported code_challenge_method; use S256.")
	}
	// RFC 7636 4.2: S256 gives BASE64URL(SHA256(verifier)): 43 characters, no padding.
	if len(challenge) != 43 || strings.Trim(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return t.fail("invalid_request", "The code_challenge is not a base64url-encoded SHA-256 hash (43 characters).")
	}
	return nil
}

// matchRedirectURI resolves the redirect URI of a request against the client's registered
// ones, or says why it cannot. RFC 9700 2.1: exact string matching, except (RFC 8252 7.3)
// that any port is allowed for http loopback IP literals, 127.0.0.1 and [::1]. RFC 6749
// 3.1.2.3: without redirect_uri, the client must have exactly one registered.
func matchRedirectURI(requested string, repeated bool, registered []string) (*url.URL, string) {
	if repeated {
		return nil, "The redirect_uri parameter is repeated."
	}
	if requested == "" {
		if len(registered) != 1 {
			return nil, "The request has no redirect_uri, and the client does not have exactly one registered."
		}
		u, err := url.Parse(registered[0])
		if err != nil || domain.RedirectURIProblem(registered[0]) != "" {
			return nil, "The client's registered redirect URI is invalid."
		}
		return u, ""
	}
	if !utf8.ValidString(requested) || len(requested) > 2048 {
		return nil, "The redirect_uri is not registered for this client."
	}
	for _, reg := range registered {
		if reg == requested || loopbackMatch(requested, reg) {
			// The registration rule (refserver/domain) applies to what is redirected to: the
			// seed, the console and the API refuse what it refuses, and a URI stored before
			// the rule (or a loopback one with another port) is held to it here.
			u, err := url.Parse(requested)
			if err != nil || domain.RedirectURIProblem(requested) != "" {
				break
			}
			return u, ""
		}
	}
	return nil, "The redirect_uri is not registered for this client (redirect URIs must match exactly)."
}

// prefixMatchRedirectURI is QuirkRedirectURIPrefix: the requested URI is accepted when it
// starts with a registered one (for http loopback, whatever the port), and that registered
// URI is returned with it.
func prefixMatchRedirectURI(requested string, registered []string) (*url.URL, string) {
	q, err := url.Parse(requested)
	if requested == "" || err != nil || !validRedirectURI(q) {
		return nil, ""
	}
	portless := requested
	if q.Scheme == "http" && (q.Hostname() == "127.0.0.1" || q.Hostname() == "::1") && q.Port() != "" {
		c := *q
		c.Host = strings.TrimSuffix(q.Host, ":"+q.Port())
		portless = c.String()
	}
	for _, reg := range registered {
		if strings.HasPrefix(requested, reg) || strings.HasPrefix(portless, reg) {
			return q, reg
		}
	}
	return nil, ""
}

// hostSuffixMatchRedirectURI is QuirkRedirectURIHostSuffix: the requested URI is accepted when
// its host ends with a registered URI's host ("evil.127.0.0.1" for "127.0.0.1"), the scheme,
// path and query being the registered ones (any port, as for loopback); that registered URI is
// returned with it.
func hostSuffixMatchRedirectURI(requested string, registered []string) (*url.URL, string) {
	q, err := url.Parse(requested)
	if requested == "" || err != nil || !validRedirectURI(q) {
		return nil, ""
	}
	for _, reg := range registered {
		g, err := url.Parse(reg)
		if err != nil || g.Hostname() == "" {
			continue
		}
		if q.Scheme == g.Scheme && strings.HasSuffix(q.Hostname(), g.Hostname()) &&
			q.EscapedPath() == g.EscapedPath() && q.RawQuery == g.RawQuery {
			return q, reg
		}
	}
	return nil, ""
}

// normalisedMatchRedirectURI is QuirkRedirectURINormalised: the requested URI is accepted when,
// its path decoded once, stripped of ";" parameters and dot segments, and its user information
// dropped, it matches a registered one (loopback: any port); that registered URI is returned
// with it.
func normalisedMatchRedirectURI(requested string, registered []string) (*url.URL, string) {
	q, err := url.Parse(requested)
	if requested == "" || err != nil || !validRedirectURI(q) {
		return nil, ""
	}
	n := *q
	n.User = nil
	segs := strings.Split(q.Path, "/")
	for i, sg := range segs {
		if j := strings.IndexByte(sg, ';'); j >= 0 {
			segs[i] = sg[:j]
		}
	}
	n.Path = (&url.URL{}).ResolveReference(&url.URL{Path: strings.Join(segs, "/")}).Path
	n.RawPath = ""
	for _, reg := range registered {
		if n.String() == reg || loopbackMatch(n.String(), reg) {
			return q, reg
		}
	}
	return nil, ""
}

// queryIgnoredMatchRedirectURI is QuirkRedirectURIQueryIgnored: the requested URI is accepted
// when it matches a registered one but for the query (loopback: any port); that registered URI
// is returned with it.
func queryIgnoredMatchRedirectURI(requested string, registered []string) (*url.URL, string) {
	q, err := url.Parse(requested)
	if requested == "" || err != nil || !validRedirectURI(q) {
		return nil, ""
	}
	n := *q
	n.RawQuery, n.ForceQuery = "", false
	for _, reg := range registered {
		g, err := url.Parse(reg)
		if err != nil {
			continue
		}
		g.RawQuery, g.ForceQuery = "", false
		if n.String() == g.String() || loopbackMatch(n.String(), g.String()) {
			return q, reg
		}
	}
	return nil, ""
}

// validRedirectURI is the quirk matchers' structural check (RFC 6749 3.1.2: absolute, no
// fragment, with a host). The conforming path (matchRedirectURI) holds a URI to
// domain.RedirectURIProblem, the one rule the seed, the console and the API apply; the quirks
// reproduce servers that match loosely, so they must not be stopped by it (an
// "http://evil.127.0.0.1/" a host-suffix match lets through is what that quirk is about).
func validRedirectURI(u *url.URL) bool {
	return u.IsAbs() && u.Host != "" && u.Fragment == "" && !strings.Contains(u.String(), "#") && fosite.IsValidRedirectURI(u)
}

// loopbackMatch: RFC 8252 7.3: "The authorization server MUST allow any port to be
// specified at the time of the request for loopback IP redirect URIs". Only http, only the
// IP literals (RFC 8252 8.3: "localhost" is NOT RECOMMENDED), the same literal as
// registered, and everything but the port identical.
func loopbackMatch(requested, registered string) bool {
	q, err1 := url.Parse(requested)
	g, err2 := url.Parse(registered)
	if err1 != nil || err2 != nil {
		return false
	}
	if q.Scheme != "http" || g.Scheme != "http" || q.User != nil || g.User != nil {
		return false
	}
	host := q.Hostname()
	if host != g.Hostname() || (host != "127.0.0.1" && host != "::1") {
		return false
	}
	if port := q.Port(); port != "" && !validPort(port) {
		return false
	}
	return q.EscapedPath() == g.EscapedPath() && q.RawQuery == g.RawQuery &&
		q.ForceQuery == g.ForceQuery && q.Fragment == "" && g.Fragment == "" && q.Opaque == "" && g.Opaque == ""
}

func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n <= 65535
}

// writeAuthzFailure shows a page or redirects the error to the client.
func (s *Server) writeAuthzFailure(w http.ResponseWriter, r *http.Request, f *authzFailure) {
	if f.target == nil {
		if f.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		s.renderError(w, f.status, errorPage{Message: f.desc, Code: f.code, ClientID: f.clientID,
			Detail: "The application that sent you here was not told about this error, because its identity or return address could not be verified. You can close this page."})
		return
	}
	s.redirectError(w, r, f.target, f.fragment, f.state, f.code, f.desc)
}

// redirectError sends an error response to the client's redirect URI: RFC 6749 4.1.2.1 in
// the query, 4.2.2.1 in the fragment, with state exactly as received and RFC 9207 iss.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, target *url.URL, fragment bool, state, code, desc string) {
	v := url.Values{}
	v.Set("error", code)
	if d := errorDescription(desc); d != "" {
		v.Set("error_description", d)
	}
	if state != "" && !s.quirks.Has(QuirkStateNotEchoed) {
		v.Set("state", state)
	}
	v.Set("iss", s.cfg.Issuer)
	u := *target
	u.Fragment, u.RawFragment = "", ""
	var loc string
	if fragment {
		loc = u.String() + "#" + v.Encode()
	} else {
		// RFC 6749 3.1.2: the query component of the redirect URI MUST be retained.
		if u.RawQuery != "" {
			u.RawQuery += "&" + v.Encode()
		} else {
			u.RawQuery = v.Encode()
		}
		loc = u.String()
	}
	w.Header().Set("Location", loc)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	// RFC 9700 4.12: never 307; 303 makes the browser switch to GET.
	w.WriteHeader(http.StatusSeeOther)
}

// errorDescription keeps only the characters RFC 6749 4.1.2.1 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E).
func errorDescription(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 300; i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\'')
		case c >= 0x20 && c <= 0x7e && c != '\\':
			b = append(b, c)
		}
	}
	return strings.TrimSpace(string(b))
}

// approve issues the code or token for the scopes the owner approved.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, p *pendingAuthz, ls loginSession) {
	ctx := r.Context()
	for _, sc := range p.scopes {
		p.ar.GrantScope(sc.Name)
	}
	sess := NewSession(ls.Username)
	sess.AuthTime = time.Unix(ls.AuthTime, 0).UTC()
	var fs fosite.Session = sess
	if ttl := p.client.AuthCodeTTL; ttl > 0 && p.responseType == "code" {
		fs = &codeLifetimeSession{Session: sess, latest: time.Now().UTC().Add(ttl)}
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, p.ar, fs)
	if err != nil && store.IsBusy(err) {
		// RFC 6749 4.1.2.1 temporarily_unavailable: "The authorization server is currently
		// unable to handle the request due to a temporary overloading or maintenance of the
		// server." The database stayed locked by another process.
		s.redirectError(w, r, p.redirect, p.fragment, p.state, errTemporarilyUnavailable, "the server is busy: try again in a moment")
		return
	}
	if err != nil {
		rfc := fosite.ErrorToRFC6749Error(err)
		s.redirectError(w, r, p.redirect, p.fragment, p.state, standardAuthzError(rfc.ErrorField), rfc.GetDescription())
		return
	}
	s.auditImplicitIssued(r, p, ls.Username, resp)
	params := resp.GetParameters()
	if p.state == "" {
		// fosite adds an empty state; RFC 6749 4.1.2: state only "if the "state" parameter
		// was present in the client authorization request".
		params.Del("state")
	}
	// RFC 6749 4.2.2: "The authorization server MUST NOT issue a refresh token" (implicit).
	params.Del("refresh_token")
	params.Set("iss", s.cfg.Issuer) // RFC 9207 2
	if s.quirks.Has(QuirkStateNotEchoed) {
		params.Del("state")
	}
	if s.quirks.Has(QuirkStateTruncated) && len(p.state) > 512 {
		params.Set("state", p.state[:512])
	}
	if s.quirks.Has(QuirkPublicClientAutoApprove) && p.client.Public {
		s.quirkApprovals.Store(ls.Nonce+" "+p.client.ID, true)
	}
	if p.fragment && s.quirks.Has(QuirkImplicitTokenInQuery) {
		u := *p.redirect
		q := u.Query()
		for k, vs := range params {
			q[k] = vs
		}
		u.RawQuery, u.Fragment, u.RawFragment = q.Encode(), "", ""
		w.Header().Set("Location", u.String())
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	if !p.fragment && p.redirect.RawQuery != "" && s.quirks.Has(QuirkRedirectURIQueryDropped) {
		// The response replaces the registered query instead of being added to it.
		u := *p.redirect
		u.RawQuery = params.Encode()
		w.Header().Set("Location", u.String())
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, p.ar, resp)
}

// codeLifetimeSession caps the authorization code's expiry at the client's own code lifetime
// (store.Client.AuthCodeTTL): fosite's code handler always sets the server-wide lifespan and
// ignores fosite.ClientWithCustomTokenLifespans for codes. It is stored as the plain Session
// it embeds (the cap is unexported and not serialized).
type codeLifetimeSession struct {
	*Session
	latest time.Time
}

func (s *codeLifetimeSession) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if key == fosite.AuthorizeCode && exp.After(s.latest) {
		exp = s.latest
	}
	s.Session.SetExpiresAt(key, exp)
}

// deny answers access_denied (RFC 6749 4.1.2.1, 4.2.2.1).
func (s *Server) deny(w http.ResponseWriter, r *http.Request, p *pendingAuthz) {
	s.redirectError(w, r, p.redirect, p.fragment, p.state, "access_denied", "The resource owner denied the request.")
}

// sealPending signs the cleaned request parameters for the login and approval forms.
func (s *Server) sealPending(params url.Values, now time.Time) string {
	// Keys sorted by Encode, so the same request always seals to the same string.
	payload := now.Add(pendingTTL).UTC().Format(time.RFC3339) + "\n" + params.Encode()
	return s.seal(keyPending, []byte(payload))
}

// openPending returns the request parameters of a sealed pending request.
func (s *Server) openPending(sealed string, now time.Time) (url.Values, bool) {
	if sealed == "" || len(sealed) > 4*maxAuthorizeRequestBytes {
		return nil, false
	}
	payload, err := s.open(keyPending, sealed)
	if err != nil {
		return nil, false
	}
	exp, q, ok := strings.Cut(string(payload), "\n")
	if !ok {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339, exp)
	if err != nil || !now.Before(t) {
		return nil, false
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return nil, false
	}
	return v, true
}

// authorizeStore is what the authorization endpoint reads: the client and the scopes shown
// on the approval page.
type authorizeStore interface {
	GetClient(ctx context.Context, id string) (fosite.Client, error)
	GetScope(ctx context.Context, name string) (*store.Scope, error)
}

var _ authorizeStore = (*store.Store)(nil)
