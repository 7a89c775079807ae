package steps

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// pickToken resolves "the access token", "the first access token", "the refresh token" and
// "an unknown token", with the token_type_hint that names it.
func (w *World) pickToken(which string) (token, hint string, err error) {
	switch which {
	case "the access token", "access token":
		if len(w.accessTokens) == 0 {
			return "", "", fmt.Errorf("no access token was issued in this scenario")
		}
		return w.accessTokens[len(w.accessTokens)-1], "access_token", nil
	case "the first access token", "first access token":
		if len(w.accessTokens) == 0 {
			return "", "", fmt.Errorf("no access token was issued in this scenario")
		}
		return w.accessTokens[0], "access_token", nil
	case "the refresh token", "refresh token":
		if len(w.refreshTokens) == 0 {
			return "", "", fmt.Errorf("no refresh token was issued in this scenario")
		}
		return w.refreshTokens[len(w.refreshTokens)-1], "refresh_token", nil
	case "an unknown token":
		return "unknown-" + oauthclient.RandomString(40), "", nil
	}
	return "", "", fmt.Errorf("unknown token %q", which)
}

// tokenOp sends an introspection or revocation request for the client of role.
func (w *World) tokenOp(ctx context.Context, role, op, which, tail string) error {
	creds, auth, err := w.creds(role)
	if err != nil {
		return err
	}
	token, _, err := w.pickToken(which)
	if err != nil {
		return err
	}
	endpoint := w.p.Endpoints.Introspection
	if op == "revokes" {
		endpoint = w.p.Endpoints.Revocation
	}
	req := oauthclient.TokenOpRequest{Endpoint: endpoint, Token: token, Client: creds, AuthMethod: auth}
	r := &request{auth: &req.AuthMethod, creds: &req.Client, method: &req.Method, extra: url.Values{}, query: url.Values{}, op: &req}
	for _, m := range splitMods(tail) {
		if err := w.apply(r, m); err != nil {
			return err
		}
	}
	if len(r.query) > 0 {
		return fmt.Errorf("credentials in the URL query are only checked at the token endpoint")
	}
	req.Extra = r.extra
	var resp *oauthclient.Response
	if op == "revokes" {
		resp, err = req.Revoke(ctx, w.http)
	} else {
		resp, err = req.Introspect(ctx, w.http)
	}
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

func (w *World) reportedActive(state string) error {
	if err := oauthclient.ExpectStatus(w.last, 200); err != nil {
		return err
	}
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	active, ok := w.last.Bool("active")
	if !ok {
		return oauthclient.Failf(w.last, "expected the REQUIRED boolean member \"active\" (RFC 7662 2.2), got %v", w.last.JSON["active"])
	}
	if want := state == "active"; active != want {
		return oauthclient.Failf(w.last, "expected active %v, got %v", want, active)
	}
	return nil
}

// refusesCaller checks RFC 7662 2.1/2.3: the endpoint requires authorization; a caller without
// valid credentials gets an error, never an answer about the token.
func (w *World) refusesCaller() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status != 400 && r.Status != 401 {
		return oauthclient.Failf(r, "expected HTTP 401 (or 400) for an unauthorized caller, got %d", r.Status)
	}
	if r.Has("active") {
		return oauthclient.Failf(r, "expected no answer about the token to an unauthorized caller, got \"active\"")
	}
	return nil
}

func (w *World) okOrError(code string) error {
	if w.last != nil && w.last.Status == 200 {
		return nil
	}
	return oauthclient.ExpectOAuthError(w.last, code)
}

// introspectAsOwner asks the introspection endpoint about a token with the credentials of the
// client it was issued to, or of the confidential client when that one is public.
func (w *World) introspectAsOwner(ctx context.Context, token, hint string) (*oauthclient.Response, error) {
	if w.p.Endpoints.Introspection == "" {
		return nil, fmt.Errorf("%w: the target has no introspection endpoint", godog.ErrSkip)
	}
	role := w.tokenOwner
	if c, err := w.client(role); err != nil || c.Secret == "" {
		role = "confidential"
	}
	creds, auth, err := w.creds(role)
	if err != nil {
		return nil, err
	}
	return oauthclient.TokenOpRequest{Endpoint: w.p.Endpoints.Introspection, Token: token, TokenTypeHint: hint,
		Client: creds, AuthMethod: auth}.Introspect(ctx, w.http)
}

func (w *World) tokenActivity(ctx context.Context, which, state string) error {
	token, hint, err := w.pickToken(which)
	if err != nil {
		return err
	}
	resp, err := w.introspectAsOwner(ctx, token, hint)
	if err != nil {
		return err
	}
	saved := w.last
	w.last = resp
	defer func() { w.last = saved }()
	if state == "still active" {
		return w.reportedActive("active")
	}
	return w.reportedActive("inactive")
}

// refreshNoLongerWorks tries the refresh token as its owner: it must be refused.
func (w *World) refreshNoLongerWorks(ctx context.Context) error {
	if err := w.tokenRequest(ctx, w.tokenOwner, "refreshes the access token", ""); err != nil {
		return err
	}
	return oauthclient.ExpectOAuthError(w.last, "invalid_grant")
}

// waitInactive polls the introspection endpoint until the token is inactive, up to the
// profile's expiry wait. It waits on the condition, never for a fixed time.
func (w *World) waitInactive(ctx context.Context, token, hint string) error {
	wait := w.expiryWait()
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := w.introspectAsOwner(ctx, token, hint)
		if err != nil {
			return err
		}
		if resp.Status == 200 {
			if active, ok := resp.Bool("active"); ok && !active {
				return nil
			}
		} else {
			return oauthclient.Failf(resp, "expected the introspection endpoint to answer while waiting for expiry, got HTTP %d", resp.Status)
		}
		if time.Now().After(deadline) {
			return oauthclient.Failf(resp, "the token was still active after %s (timeouts.expiry_wait): a short-lived token must expire", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (w *World) expiresWithinWait(ctx context.Context, which string) error {
	token, hint, err := w.pickToken(which)
	if err != nil {
		return err
	}
	return w.waitInactive(ctx, token, hint)
}

// codeOutlived waits until the code has expired without touching it (redeeming it would use
// it up): a marker access token issued to the same short-lived client after the code expires
// no earlier than the code did, as long as the client's access token lifetime is at least its
// code lifetime (the profile's short_lived client is set up so).
func (w *World) codeOutlived(ctx context.Context) error {
	if w.code == "" {
		return fmt.Errorf("no authorization code to let expire")
	}
	creds, auth, err := w.creds(w.codeRole)
	if err != nil {
		return err
	}
	resp, err := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "client_credentials",
		Client: creds, AuthMethod: auth}.Send(ctx, w.http)
	if err != nil {
		return err
	}
	if err := oauthclient.ExpectTokenResponse(resp); err != nil {
		return fmt.Errorf("the %s client must get a client credentials token to time the code's expiry: %w", w.codeRole, err)
	}
	owner := w.tokenOwner
	w.tokenOwner = w.codeRole
	defer func() { w.tokenOwner = owner }()
	return w.waitInactive(ctx, resp.AccessToken(), "access_token")
}

// Resource server calls (RFC 6750).
func (w *World) callResource(ctx context.Context, what, where, scheme string) error {
	if w.p.Resource == nil {
		return fmt.Errorf("%w: the profile names no protected resource", godog.ErrSkip)
	}
	req := oauthclient.ResourceRequest{URL: w.p.Resource.URL, Method: w.p.Resource.Method, Scheme: scheme}
	switch what {
	case "with the access token":
		t, _, err := w.pickToken("the access token")
		if err != nil {
			return err
		}
		req.Token = t
	case "with an unknown token":
		req.Token = "unknown-" + oauthclient.RandomString(40)
	case "without a token":
		req.Placement = oauthclient.NoToken
	}
	switch where {
	case "Authorization header", "":
		if req.Placement == "" {
			req.Placement = oauthclient.InHeader
		}
	case "URL query":
		req.Placement = oauthclient.InQuery
	case "form body":
		req.Placement = oauthclient.InForm
		req.Method = "POST"
	}
	resp, err := req.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

func (w *World) resourceAccepts() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status < 200 || r.Status > 299 {
		return oauthclient.Failf(r, "expected the resource to accept the token (HTTP 2xx), got %d", r.Status)
	}
	return nil
}

func (w *World) resourceRefuses() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status < 400 || r.Status > 499 {
		return oauthclient.Failf(r, "expected the resource to refuse the request (HTTP 4xx), got %d", r.Status)
	}
	return nil
}

func (w *World) acceptsOrChallenges() error {
	if w.last != nil && w.last.Status >= 200 && w.last.Status < 300 {
		return nil
	}
	return oauthclient.ExpectChallenge(w.last, "Bearer")
}

// bearerParams parses the Bearer challenge's auth-params (RFC 6750 3).
func bearerParams(values []string) (map[string]string, bool) {
	for _, v := range values {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		params := map[string]string{}
		for rest != "" {
			var k, val string
			k, rest, _ = strings.Cut(strings.TrimLeft(rest, " ,"), "=")
			rest = strings.TrimLeft(rest, " ")
			if strings.HasPrefix(rest, `"`) {
				end := strings.Index(rest[1:], `"`)
				if end < 0 {
					val, rest = rest[1:], ""
				} else {
					val, rest = rest[1:end+1], rest[end+2:]
				}
			} else {
				val, rest, _ = strings.Cut(rest, ",")
			}
			if k = strings.TrimSpace(k); k != "" {
				params[strings.ToLower(k)] = strings.TrimSpace(val)
			}
		}
		return params, true
	}
	return nil, false
}

func (w *World) challengeError(code string) error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	params, ok := bearerParams(r.Header.Values("WWW-Authenticate"))
	if !ok {
		return oauthclient.Failf(r, "expected a WWW-Authenticate: Bearer challenge, got %q", r.Header.Values("WWW-Authenticate"))
	}
	if code == "" {
		// RFC 6750 3.1: with no authentication information, the resource SHOULD NOT include an
		// error code.
		if e, has := params["error"]; has {
			return oauthclient.Failf(r, "expected no error code in the challenge, got %q", e)
		}
		return nil
	}
	if params["error"] != code {
		return oauthclient.Failf(r, "expected the challenge's error %q, got %q", code, params["error"])
	}
	return nil
}

func (w *World) challengeNoError() error { return w.challengeError("") }

func (w *World) registerTokenOps(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client (introspects|revokes) (the access token|the refresh token|an unknown token)`+modsRe+`$`, w.tokenOp)
	sc.Step(`^the token is reported (active|inactive)$`, w.reportedActive)
	sc.Step(`^the introspection endpoint refuses the caller$`, w.refusesCaller)
	sc.Step(`^the response is 200 or the error "([a-z_]+)"$`, w.okOrError)
	sc.Step(`^the (first access token|access token|refresh token) is (still active|no longer active)$`, w.tokenActivity)
	sc.Step(`^the refresh token no longer works$`, w.refreshNoLongerWorks)
	sc.Step(`^the (access token|refresh token) (?:expires within the expiry wait|has expired)$`, w.expiresWithinWait)
	sc.Step(`^the authorization code has outlived its lifetime$`, w.codeOutlived)
	sc.Step(`^the client calls the resource (with the access token|with an unknown token|without a token)(?: in the (Authorization header|URL query|form body))?(?: with the scheme "([^"]+)")?$`, w.callResource)
	sc.Step(`^the resource accepts the request$`, w.resourceAccepts)
	sc.Step(`^the resource refuses the request$`, w.resourceRefuses)
	sc.Step(`^the resource accepts the request or answers with a Bearer challenge$`, w.acceptsOrChallenges)
	sc.Step(`^the Bearer challenge carries no error code$`, w.challengeNoError)
	sc.Step(`^the Bearer challenge carries the error "([a-z_]+)"$`, w.challengeError)
}

// register adds every step of the suite.
func (w *World) register(sc stepAdder) {
	w.registerAuthorize(sc)
	w.registerToken(sc)
	w.registerResponse(sc)
	w.registerTokenOps(sc)
	w.registerAdmin(sc) // admin_steps.go: the @refserver scenarios
}
