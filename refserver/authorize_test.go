package refserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// TestAuthorizationEndpoint drives the authorization endpoint, the login and the approval
// pages of one seeded server; each subtest has its own browser (cookie jar).
func TestAuthorizationEndpoint(t *testing.T) {
	e := newAZEnv(t, nil)

	t.Run("code flow: login, approve, code in the query with state and iss", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.get(e.authURL("response_type", "code", "client_id", "conf-code", "redirect_uri", azCallback,
			"scope", "calc:read calc:write", "state", "st-123 /+?"))
		if !p.isLogin() {
			t.Fatalf("expected the login page first, got %d: %s", p.resp.StatusCode, p.body)
		}
		azCheckPageHeaders(t, p.resp)
		p = b.login(p, azUser, azPassword)
		if !p.isApproval() {
			t.Fatalf("expected the approval page after login, got %d: %s", p.resp.StatusCode, p.body)
		}
		azCheckPageHeaders(t, p.resp)
		for _, want := range []string{"Confidential code client", "calc:read", "Read your calculation history",
			"calc:write", "Run calculations with the calculator", `id="deny"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("approval page lacks %q", want)
			}
		}
		if strings.Contains(p.body, "offline_access") {
			t.Errorf("approval page lists a scope that was not requested")
		}
		r := e.redirected(t, b.decide(p, "approve"), azCallback, false)
		if r.query.Get("code") == "" {
			t.Errorf("no code in %s", r.loc)
		}
		if got := r.query.Get("state"); got != "st-123 /+?" {
			t.Errorf("state = %q, want it exactly as sent", got)
		}
		if r.query.Has("access_token") || r.query.Has("refresh_token") {
			t.Errorf("code response carries tokens: %s", r.loc)
		}

		// A second authorization within the login session: no login page.
		p = b.get(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read"))
		if !p.isApproval() {
			t.Fatalf("second authorization: expected the approval page without login, got %d: %s", p.resp.StatusCode, p.body)
		}
		r = e.redirected(t, b.decide(p, "approve"), azCallback, false)
		if r.query.Get("code") == "" || r.query.Has("state") {
			t.Errorf("second authorization: want a code and no state, got %s", r.loc)
		}
	})

	t.Run("POST to the authorization endpoint works like GET", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.post(e.issuer+PathAuthorize, url.Values{"response_type": {"code"}, "client_id": {"conf-code"}, "scope": {"calc:read"}, "state": {"xyz"}})
		if !p.isLogin() {
			t.Fatalf("expected the login page, got %d: %s", p.resp.StatusCode, p.body)
		}
		p = b.login(p, azUser, azPassword)
		r := e.redirected(t, b.decide(p, "approve"), azCallback, false)
		if r.query.Get("code") == "" || r.query.Get("state") != "xyz" {
			t.Errorf("want code and state, got %s", r.loc)
		}
	})

	t.Run("deny gives access_denied", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.authorize(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read", "state", "s1"), "deny")
		e.wantError(t, p, false, "access_denied", "s1")
	})

	t.Run("implicit: token in the fragment, never a refresh token", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.authorize(e.authURL("response_type", "token", "client_id", "implicit-client", "scope", "calc:read", "state", "imp"), "approve")
		r := e.redirected(t, p, azCallback, true)
		f := r.fragment
		if f.Get("access_token") == "" || !strings.EqualFold(f.Get("token_type"), "bearer") || f.Get("expires_in") == "" {
			t.Errorf("fragment lacks access_token/token_type/expires_in: %q", r.loc.Fragment)
		}
		if f.Get("state") != "imp" || f.Get("scope") != "calc:read" {
			t.Errorf("state/scope = %q/%q", f.Get("state"), f.Get("scope"))
		}
		if f.Has("refresh_token") || f.Has("code") {
			t.Errorf("implicit response has a refresh token or code: %q", r.loc.Fragment)
		}
	})

	t.Run("implicit deny: access_denied in the fragment", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.authorize(e.authURL("response_type", "token", "client_id", "implicit-client", "scope", "calc:read", "state", "s2"), "deny")
		e.wantError(t, p, true, "access_denied", "s2")
	})

	// Errors that redirect: checked before login, so a fresh browser gets them at once.
	redirectErrors := []struct {
		name       string
		kv         []string
		inFragment bool
		code       string
		state      string
	}{
		{"implicit invalid_scope in the fragment", []string{"response_type", "token", "client_id", "implicit-client", "scope", "admin:all", "state", "a"}, true, "invalid_scope", "a"},
		{"implicit unknown scope in the fragment", []string{"response_type", "token", "client_id", "implicit-client", "scope", "no-such-scope"}, true, "invalid_scope", ""},
		{"implicit repeated parameter in the fragment", []string{"response_type", "token", "client_id", "implicit-client", "scope", "calc:read", "scope", "calc:write"}, true, "invalid_request", ""},
		{"implicit not allowed: unauthorized_client", []string{"response_type", "token", "client_id", "conf-code", "state", "b"}, true, "unauthorized_client", "b"},
		{"code not allowed: unauthorized_client", []string{"response_type", "code", "client_id", "implicit-client", "state", "c"}, false, "unauthorized_client", "c"},
		{"scope not associated with the client", []string{"response_type", "code", "client_id", "conf-code", "scope", "calc:read admin:all"}, false, "invalid_scope", ""},
		{"unknown scope", []string{"response_type", "code", "client_id", "conf-code", "scope", "no-such-scope", "state", "d"}, false, "invalid_scope", "d"},
		{"scope with a forbidden character", []string{"response_type", "code", "client_id", "conf-code", "scope", "calc:read\\x"}, false, "invalid_scope", ""},
		{"missing response_type", []string{"client_id", "conf-code", "state", "e"}, false, "invalid_request", "e"},
		{"empty response_type is omitted", []string{"response_type", "", "client_id", "conf-code"}, false, "invalid_request", ""},
		{"unknown response_type", []string{"response_type", "id_token", "client_id", "conf-code", "state", "f"}, false, "unsupported_response_type", "f"},
		{"hybrid response_type", []string{"response_type", "code token", "client_id", "conf-code"}, false, "unsupported_response_type", ""},
		{"repeated scope", []string{"response_type", "code", "client_id", "conf-code", "scope", "calc:read", "scope", "calc:read", "state", "g"}, false, "invalid_request", "g"},
		{"repeated response_type", []string{"response_type", "code", "response_type", "code", "client_id", "conf-code"}, false, "invalid_request", ""},
		{"repeated state: no state echoed", []string{"response_type", "code", "client_id", "conf-code", "state", "x1", "state", "x2"}, false, "invalid_request", ""},
		{"plain PKCE refused", []string{"response_type", "code", "client_id", "public-pkce", "code_challenge", azVerifier, "code_challenge_method", "plain", "state", "h"}, false, "invalid_request", "h"},
		{"PKCE without a method means plain: refused", []string{"response_type", "code", "client_id", "public-pkce", "code_challenge", azVerifier}, false, "invalid_request", ""},
		{"unknown PKCE method", []string{"response_type", "code", "client_id", "conf-code", "code_challenge", azChallenge, "code_challenge_method", "S512"}, false, "invalid_request", ""},
		{"malformed S256 challenge", []string{"response_type", "code", "client_id", "public-pkce", "code_challenge", "short", "code_challenge_method", "S256"}, false, "invalid_request", ""},
		{"challenge with a forbidden character", []string{"response_type", "code", "client_id", "public-pkce", "code_challenge", strings.Repeat("a", 42) + "=", "code_challenge_method", "S256"}, false, "invalid_request", ""},
		{"method without challenge", []string{"response_type", "code", "client_id", "conf-code", "code_challenge_method", "S256"}, false, "invalid_request", ""},
		{"public client without PKCE", []string{"response_type", "code", "client_id", "public-pkce", "state", "i"}, false, "invalid_request", "i"},
		{"invalid UTF-8 in state, echoed as sent", []string{"response_type", "code", "client_id", "conf-code", "scope", "calc:read", "state", "\xff\xfe"}, false, "invalid_request", "\xff\xfe"},
	}
	for _, tc := range redirectErrors {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := e.signedIn(t).get(e.authURL(tc.kv...))
			e.wantError(t, p, tc.inFragment, tc.code, tc.state)
		})
	}

	// RFC 9700 4.11.2: "The authorization server MUST always authenticate the user first and,
	// with the exception of the silent authentication use case, prompt the user for credentials
	// when needed, before redirecting the user." A browser without a session logs in first; the
	// same error is redirected after the login.
	for _, tc := range redirectErrors {
		t.Run(tc.name+", from a browser without a session", func(t *testing.T) {
			t.Parallel()
			b := e.browser(t)
			p := b.get(e.authURL(tc.kv...))
			if !p.isLogin() {
				t.Fatalf("expected the login page before any redirect, got %d (Location %q)", p.resp.StatusCode, p.resp.Header.Get("Location"))
			}
			e.wantError(t, b.login(p, azUser, azPassword), tc.inFragment, tc.code, tc.state)
		})
	}

	t.Run("malformed percent-encoding: invalid_request", func(t *testing.T) {
		t.Parallel()
		const q = "?response_type=code&client_id=conf-code&scope=%zz"
		p := e.signedIn(t).get(e.issuer + PathAuthorize + q)
		e.wantError(t, p, false, "invalid_request", "")
		// Without a session: a page, since a malformed request cannot be carried through the
		// login as it came, and nobody is redirected before logging in.
		e.wantPage(t, e.browser(t).get(e.issuer+PathAuthorize+q), http.StatusBadRequest)
	})

	// Errors shown to the owner: never a redirect (RFC 6749 3.1.2.4, 4.1.2.1).
	pageErrors := []struct {
		name string
		kv   []string
	}{
		{"missing client_id", []string{"response_type", "code", "redirect_uri", azCallback}},
		{"unknown client_id", []string{"response_type", "code", "client_id", "nope", "redirect_uri", azCallback}},
		{"repeated client_id", []string{"response_type", "code", "client_id", "conf-code", "client_id", "conf-code"}},
		{"invalid UTF-8 client_id", []string{"response_type", "code", "client_id", "conf\xffcode"}},
		{"unregistered redirect_uri", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "https://evil.example/callback"}},
		{"mismatched path", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://127.0.0.1/callback/x"}},
		{"prefix of a registered URI", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://127.0.0.1/call"}},
		{"extra query", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://127.0.0.1/callback?x=1"}},
		{"https on a loopback literal", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "https://127.0.0.1:8443/callback"}},
		{"localhost is not a loopback literal", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://localhost:5000/callback"}},
		{"other loopback address", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://127.0.0.2:5000/callback"}},
		{"userinfo on the loopback", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://x@127.0.0.1:5000/callback"}},
		{"with a fragment", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", "http://127.0.0.1/callback#x"}},
		{"missing with two registered", []string{"response_type", "code", "client_id", "conf-code-2"}},
		{"repeated redirect_uri", []string{"response_type", "code", "client_id", "conf-code", "redirect_uri", azCallback, "redirect_uri", azCallback}},
		{"bad redirect_uri wins over a bad scope", []string{"response_type", "token", "client_id", "implicit-client", "scope", "admin:all", "redirect_uri", "https://evil.example/"}},
	}
	for _, tc := range pageErrors {
		t.Run("error page: "+tc.name, func(t *testing.T) {
			t.Parallel()
			p := e.browser(t).get(e.authURL(tc.kv...))
			e.wantPage(t, p, http.StatusBadRequest)
		})
	}

	t.Run("loopback redirect URI: any port", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		cb := "http://127.0.0.1:54321/callback"
		p := b.authorize(e.authURL("response_type", "code", "client_id", "conf-code", "redirect_uri", cb, "scope", "calc:read", "state", "lp"), "approve")
		r := e.redirected(t, p, cb+"?", false)
		if r.query.Get("code") == "" || r.query.Get("state") != "lp" {
			t.Errorf("want code and state at %s, got %s", cb, r.loc)
		}
		// Errors go to the port the client asked for, too.
		p = b.get(e.authURL("response_type", "code", "client_id", "conf-code", "redirect_uri", cb, "scope", "admin:all"))
		r = e.redirected(t, p, cb+"?", false)
		if r.query.Get("error") != "invalid_scope" {
			t.Errorf("want invalid_scope at %s, got %s", cb, r.loc)
		}
	})

	t.Run("PKCE S256 accepted for a public client", func(t *testing.T) {
		t.Parallel()
		p := e.browser(t).authorize(e.authURL("response_type", "code", "client_id", "public-pkce", "scope", "calc:read",
			"code_challenge", azChallenge, "code_challenge_method", "S256"), "approve")
		if r := e.redirected(t, p, azCallback, false); r.query.Get("code") == "" {
			t.Errorf("no code: %s", r.loc)
		}
	})

	t.Run("state is optional, short state echoed", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.authorize(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read", "state", ""), "approve")
		r := e.redirected(t, p, azCallback, false)
		if r.query.Get("code") == "" || r.query.Has("state") {
			t.Errorf("no state sent: want a code and no state, got %s", r.loc)
		}
		p = b.authorize(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read", "state", "ab"), "approve")
		r = e.redirected(t, p, azCallback, false)
		if r.query.Get("code") == "" || r.query.Get("state") != "ab" {
			t.Errorf("short state: want a code and state=ab, got %s", r.loc)
		}
	})

	t.Run("omitted scope: the client's scopes", func(t *testing.T) {
		t.Parallel()
		p := e.browser(t).authorize(e.authURL("response_type", "token", "client_id", "implicit-client"), "approve")
		r := e.redirected(t, p, azCallback, true)
		if got := r.fragment.Get("scope"); got != "calc:read calc:write" {
			t.Errorf("scope = %q, want the client's scopes", got)
		}
	})

	t.Run("unknown parameters are ignored", func(t *testing.T) {
		t.Parallel()
		p := e.browser(t).authorize(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read",
			"response_mode", "form_post", "audience", "https://x", "request", "x", "foo", "1", "foo", "2"), "approve")
		if r := e.redirected(t, p, azCallback, false); r.query.Get("code") == "" {
			t.Errorf("no code: %s", r.loc)
		}
	})

	t.Run("trusted client skips approval, never login", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.get(e.authURL("response_type", "code", "client_id", "trusted-client", "scope", "calc:read", "state", "tr"))
		if !p.isLogin() {
			t.Fatalf("trusted client: expected the login page, got %d: %s", p.resp.StatusCode, p.body)
		}
		p = b.login(p, azUser, azPassword)
		r := e.redirected(t, p, azCallback, false)
		if r.query.Get("code") == "" || r.query.Get("state") != "tr" {
			t.Errorf("want code and state, got %s", r.loc)
		}
	})

	t.Run("wrong credentials: the same message, no session", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		authURL := e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read")
		var msgs []string
		for _, cred := range [][2]string{{azUser, "wrong"}, {"nobody", "wrong"}, {"", ""}} {
			p := b.login(b.get(authURL), cred[0], cred[1])
			if p.resp.StatusCode != http.StatusOK || !p.isLogin() {
				t.Fatalf("failed login: want the login page again, got %d: %s", p.resp.StatusCode, p.body)
			}
			azCheckPageHeaders(t, p.resp)
			i := strings.Index(p.body, `id="login-error"`)
			if i < 0 {
				t.Fatalf("no error message on the login page: %s", p.body)
			}
			msgs = append(msgs, p.body[i:i+strings.Index(p.body[i:], "</p>")])
		}
		if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
			t.Errorf("messages differ (user enumeration): %q", msgs)
		}
		if p := b.get(authURL); !p.isLogin() {
			t.Errorf("after failed logins the owner is not logged in: want the login page")
		}
		// The form still carries the request: a correct login now continues it.
		p := b.login(b.get(authURL), azUser, azPassword)
		if !p.isApproval() {
			t.Errorf("after a correct login: want the approval page, got %d", p.resp.StatusCode)
		}
	})

	t.Run("login CSRF: missing or wrong token is 403", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.get(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read"))
		action, v := p.form(t)
		v.Set("username", azUser)
		v.Set("password", azPassword)
		for _, tok := range []string{"", "AAAA", strings.Repeat("x", 43)} {
			v.Set("csrf_token", tok)
			p := b.post(e.issuer+action, v)
			e.wantPage(t, p, http.StatusForbidden)
		}
		// A token from another browser does not work with this one's cookie.
		_, other := e.browser(t).get(e.authURL("response_type", "code", "client_id", "conf-code")).form(t)
		v.Set("csrf_token", other.Get("csrf_token"))
		e.wantPage(t, b.post(e.issuer+action, v), http.StatusForbidden)
		if p := b.get(e.authURL("response_type", "code", "client_id", "conf-code")); !p.isLogin() {
			t.Errorf("a refused login must not log the owner in")
		}
	})

	t.Run("approval CSRF: missing, wrong or foreign token is 403, no redirect, no code", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.login(b.get(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read", "state", "c1")), azUser, azPassword)
		action, v := p.form(t)
		v.Set("decision", "approve")
		good := v.Get("csrf_token")
		for _, tok := range []string{"", "AAAA", good + "x"} {
			v.Set("csrf_token", tok)
			e.wantPage(t, b.post(e.issuer+action, v), http.StatusForbidden)
		}
		// The token is bound to the request: another request with this token is refused.
		v.Set("csrf_token", good)
		p2 := b.get(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:write", "state", "c2"))
		_, v2 := p2.form(t)
		v2.Set("csrf_token", good)
		v2.Set("decision", "approve")
		e.wantPage(t, b.post(e.issuer+action, v2), http.StatusForbidden)
		// Another owner's session cannot use this owner's form.
		other := e.browser(t)
		other.login(other.get(e.authURL("response_type", "code", "client_id", "conf-code")), azUser, azPassword)
		e.wantPage(t, other.post(e.issuer+action, v), http.StatusForbidden)
		// No session at all.
		e.wantPage(t, e.browser(t).post(e.issuer+action, v), http.StatusForbidden)
		// The genuine form still works.
		r := e.redirected(t, b.post(e.issuer+action, v), azCallback, false)
		if r.query.Get("code") == "" || r.query.Get("state") != "c1" {
			t.Errorf("genuine approval: want code and state, got %s", r.loc)
		}
	})

	t.Run("approval without a decision is refused", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.login(b.get(e.authURL("response_type", "code", "client_id", "conf-code", "scope", "calc:read")), azUser, azPassword)
		action, v := p.form(t)
		for _, d := range [][]string{nil, {"maybe"}, {"approve", "deny"}} {
			v["decision"] = d
			e.wantPage(t, b.post(e.issuer+action, v), http.StatusBadRequest)
		}
	})

	t.Run("bad methods: 405 page with Allow", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		for _, tc := range []struct{ method, path, allow string }{
			{http.MethodPut, PathAuthorize, "GET, POST"},
			{http.MethodDelete, PathAuthorize, "GET, POST"},
			{"BREW", PathAuthorize, "GET, POST"},
			{http.MethodPut, PathLogin, "GET, POST"},
			{http.MethodGet, PathConsent, "POST"},
		} {
			req, _ := http.NewRequest(tc.method, e.issuer+tc.path, nil)
			p := b.do(req)
			e.wantPage(t, p, http.StatusMethodNotAllowed)
			if got := p.resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
			}
		}
	})

	t.Run("bad input never gives 500", func(t *testing.T) {
		t.Parallel()
		b := e.signedIn(t)
		huge := e.authURL("response_type", "code", "client_id", "conf-code", "state", strings.Repeat("a", 40<<10))
		e.wantPage(t, b.get(huge), http.StatusRequestURITooLong)

		req, _ := http.NewRequest(http.MethodPost, e.issuer+PathAuthorize, strings.NewReader(`{"client_id":"conf-code"}`))
		req.Header.Set("Content-Type", "application/json")
		e.wantPage(t, b.do(req), http.StatusUnsupportedMediaType)

		big := url.Values{"client_id": {"conf-code"}, "response_type": {"code"}, "state": {strings.Repeat("b", 40<<10)}}
		e.wantPage(t, b.post(e.issuer+PathAuthorize, big), http.StatusRequestEntityTooLarge)

		// Query and body both naming a parameter: repeated.
		p := b.post(e.issuer+PathAuthorize+"?client_id=conf-code&scope=calc:read", url.Values{"response_type": {"code"}, "scope": {"calc:read"}})
		e.wantError(t, p, false, "invalid_request", "")

		for _, raw := range []string{"", "%", "client_id=%ff%fe", "client_id=conf-code&redirect_uri=%00", "a;b=c",
			"client_id=conf-code&redirect_uri=http://[::1", "client_id=" + strings.Repeat("c", 1000)} {
			p := b.get(e.issuer + PathAuthorize + "?" + raw)
			if p.resp.StatusCode != http.StatusBadRequest && p.resp.StatusCode != http.StatusSeeOther {
				t.Errorf("?%s: status %d, want 400 or 303", raw, p.resp.StatusCode)
			}
		}
		for _, form := range []url.Values{{}, {"authz": {"garbage"}}, {"authz": {"a.b"}, "csrf_token": {"!!"}}} {
			if p := b.post(e.issuer+PathLogin, form); p.resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST /login %v: status %d, want 403", form, p.resp.StatusCode)
			}
			if p := b.post(e.issuer+PathConsent, form); p.resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST /consent %v: status %d, want 403", form, p.resp.StatusCode)
			}
		}
		if p := b.get(e.issuer + PathLogin + "?authz=%ff.%fe"); p.resp.StatusCode != http.StatusOK || !p.isLogin() {
			t.Errorf("GET /login with a bad authz: want the login page, got %d", p.resp.StatusCode)
		}
	})

	t.Run("a stand-alone login shows the signed-in page", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.get(e.issuer + PathLogin)
		p = b.login(p, azUser, azPassword)
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `id="signedin-user"`) {
			t.Errorf("want the signed-in page, got %d: %s", p.resp.StatusCode, p.body)
		}
		if p := b.get(e.authURL("response_type", "code", "client_id", "conf-code")); !p.isApproval() {
			t.Errorf("after a stand-alone login the session should skip the login page")
		}
	})

	t.Run("session cookie attributes", func(t *testing.T) {
		t.Parallel()
		b := e.browser(t)
		p := b.get(e.issuer + PathLogin)
		action, v := p.form(t)
		v.Set("username", azUser)
		v.Set("password", azPassword)
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		p = b.post(e.issuer+action, v)
		var found bool
		for _, c := range p.resp.Cookies() {
			if c.Name != sessionCookieBase {
				continue
			}
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
				t.Errorf("session cookie: HttpOnly=%v SameSite=%v Path=%q Secure=%v", c.HttpOnly, c.SameSite, c.Path, c.Secure)
			}
		}
		if !found {
			t.Errorf("no session cookie set at login")
		}
	})

	t.Run("a client's own code lifetime applies", func(t *testing.T) {
		t.Parallel()
		before := time.Now()
		p := e.browser(t).authorize(e.authURL("response_type", "code", "client_id", "short-lived", "scope", "calc:read"), "approve")
		if r := e.redirected(t, p, azCallback, false); r.query.Get("code") == "" {
			t.Fatalf("no code: %s", r.loc)
		}
		codes, err := e.srv.db.ListTokens(t.Context(), store.TokenFilter{Kind: store.KindAuthorizeCode, ClientID: "short-lived"})
		if err != nil || len(codes) != 1 {
			t.Fatalf("stored codes of short-lived: %v, %v", codes, err)
		}
		// seed.yaml: auth_code_ttl 2s (the server default is 10 minutes).
		if exp := codes[0].ExpiresAt; exp.Before(before) || exp.After(time.Now().Add(3*time.Second)) {
			t.Errorf("code expires at %v, want within 2s of issue (%v)", exp, before)
		}
	})

	t.Run("code exchange at the token endpoint", func(t *testing.T) { t.Parallel(); azCodeExchange(t, e) })
	t.Run("PKCE optional for public clients when configured", func(t *testing.T) { t.Parallel(); azPKCEOptionalForPublic(t, e) })
	t.Run("login session survives a restart", func(t *testing.T) { t.Parallel(); azSessionSurvivesRestart(t, e) })
	t.Run("secure cookies", func(t *testing.T) {
		t.Parallel()
		s := e.variant(t, func(c *Config) { c.SecureCookies = true })
		req := httptest.NewRequest(http.MethodGet, s.issuer+PathLogin, nil)
		w := httptest.NewRecorder()
		s.srv.ServeHTTP(w, req)
		for _, c := range w.Result().Cookies() {
			if !c.Secure || !c.HttpOnly {
				t.Errorf("cookie %s: Secure=%v HttpOnly=%v, want both with SecureCookies", c.Name, c.Secure, c.HttpOnly)
			}
		}
		if len(w.Result().Cookies()) == 0 {
			t.Errorf("the login page set no CSRF cookie")
		}
	})
}

// azCodeExchange redeems a code from the pages at the real token endpoint.
func azCodeExchange(t *testing.T, e *azEnv) {
	b := e.browser(t)
	p := b.authorize(e.authURL("response_type", "code", "client_id", "public-pkce", "redirect_uri", azCallback,
		"scope", "calc:read offline_access", "code_challenge", azChallenge, "code_challenge_method", "S256", "state", "ex"), "approve")
	r := e.redirected(t, p, azCallback, false)
	code := r.query.Get("code")
	if code == "" {
		t.Fatalf("no code: %s", r.loc)
	}
	resp, err := http.PostForm(e.issuer+PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {azCallback}, "client_id": {"public-pkce"}, "code_verifier": {azVerifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatalf("token response: %v", err)
	}
	if resp.StatusCode != http.StatusOK || tok["access_token"] == nil {
		t.Fatalf("token exchange: status %d, %v", resp.StatusCode, tok)
	}
	if tok["scope"] != "calc:read offline_access" {
		t.Errorf("token scope = %v, want the approved scopes", tok["scope"])
	}
}

// azPKCEOptionalForPublic: with DisablePKCEForPublic a public client may omit PKCE, but
// plain is still refused.
func azPKCEOptionalForPublic(t *testing.T, base *azEnv) {
	e := base.variant(t, func(c *Config) { c.DisablePKCEForPublic = true })
	if p := e.browser(t).get(e.authURL("response_type", "code", "client_id", "public-pkce", "state", "n")); !p.isLogin() {
		t.Errorf("public client without PKCE: want the login page, got %d: %s", p.resp.StatusCode, p.body)
	}
	p := e.signedIn(t).get(e.authURL("response_type", "code", "client_id", "public-pkce", "code_challenge", azVerifier, "code_challenge_method", "plain"))
	e.wantError(t, p, false, "invalid_request", "")
}

// azSessionSurvivesRestart: the session is stateless, so a new server with the same secret
// accepts it, and one with another secret does not.
func azSessionSurvivesRestart(t *testing.T, e *azEnv) {
	b := e.browser(t)
	b.login(b.get(e.issuer+PathLogin), azUser, azPassword)
	cookies := b.c.Jar.Cookies(mustURL(t, e.issuer))

	check := func(secret byte, wantLoggedIn bool) {
		cfg := e.srv.cfg
		cfg.GlobalSecret = []byte(strings.Repeat(string(secret), 32))
		s2, err := newServer(cfg, e.srv.db)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, e.issuer+PathLogin, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		_, ok := s2.currentSession(req, time.Now())
		if ok != wantLoggedIn {
			t.Errorf("secret %q: logged in = %v, want %v", secret, ok, wantLoggedIn)
		}
	}
	check('s', true)
	check('t', false)
}

func TestLoopbackMatch(t *testing.T) {
	for _, tc := range []struct {
		req, reg string
		want     bool
	}{
		{"http://127.0.0.1:5000/cb", "http://127.0.0.1/cb", true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:4000/cb", true},
		{"http://[::1]:5000/cb", "http://[::1]/cb", true},
		{"http://[::1]:5000/cb", "http://127.0.0.1/cb", false},
		{"http://127.0.0.1:5000/cb?a=1", "http://127.0.0.1/cb?a=1", true},
		{"http://127.0.0.1:5000/cb?a=2", "http://127.0.0.1/cb?a=1", false},
		{"http://127.0.0.1:5000/cb", "https://127.0.0.1/cb", false},
		{"https://127.0.0.1:5000/cb", "https://127.0.0.1/cb", false},
		{"http://localhost:5000/cb", "http://localhost/cb", false},
		{"http://127.0.0.1:0/cb", "http://127.0.0.1/cb", false},
		{"http://127.0.0.1:99999/cb", "http://127.0.0.1/cb", false},
		{"http://127.0.0.1:5000/cb/", "http://127.0.0.1/cb", false},
		{"http://127.0.0.1:5000/CB", "http://127.0.0.1/cb", false},
		{"http://a@127.0.0.1:5000/cb", "http://127.0.0.1/cb", false},
		{"http://127.0.0.1:5000/cb#f", "http://127.0.0.1/cb", false},
		{"http://10.0.0.1:5000/cb", "http://10.0.0.1/cb", false},
	} {
		if got := loopbackMatch(tc.req, tc.reg); got != tc.want {
			t.Errorf("loopbackMatch(%q, %q) = %v, want %v", tc.req, tc.reg, got, tc.want)
		}
	}
}

func TestErrorDescriptionCharset(t *testing.T) {
	got := errorDescription("scope \"a\\b\"\x00\n\tü is bad")
	if got != "scope 'ab' is bad" {
		t.Errorf("errorDescription = %q", got)
	}
}

func TestSealedValuesAreBoundToPurpose(t *testing.T) {
	s := &Server{cfg: Config{GlobalSecret: []byte(strings.Repeat("k", 32))}}
	v := s.seal(keyPending, []byte("x"))
	if _, err := s.open(keyPending, v); err != nil {
		t.Fatalf("open: %v", err)
	}
	if _, err := s.open(keySession, v); err == nil {
		t.Errorf("a pending request opened as a session")
	}
	if _, err := s.open(keyPending, v[:len(v)-1]+"A"); err == nil {
		t.Errorf("a tampered value opened")
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestApprovalRevalidatesTheRequest: the decision POST validates the pending request again,
// so a redirect URI removed from the client while the page was open gets an error page, not
// a code.
func TestApprovalRevalidatesTheRequest(t *testing.T) {
	e := newAZEnv(t, func(c *Config) {
		c.ApprovalTitle = "Grant access?"
		c.ApprovalHeading = "Example Corp wants to know"
		c.ApprovalFooter = "Example Corp identity service"
	})
	b := e.browser(t)
	other := "http://127.0.0.1/other-callback"
	p := b.login(b.get(e.authURL("response_type", "code", "client_id", "conf-code-2", "redirect_uri", other, "scope", "calc:read")), azUser, azPassword)
	for _, want := range []string{"<title>Grant access?</title>", "Example Corp wants to know", "Example Corp identity service", "Second confidential code client"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("approval page lacks %q", want)
		}
	}
	ctx := t.Context()
	c, err := e.srv.db.LookupClient(ctx, "conf-code-2")
	if err != nil {
		t.Fatal(err)
	}
	c.RedirectURIs = []string{azCallback}
	if err := e.srv.db.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	e.wantPage(t, b.decide(p, "approve"), http.StatusBadRequest)
}
