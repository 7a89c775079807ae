package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

func (w *World) lastResp() (*oauthclient.Response, error) {
	if w.last == nil {
		return nil, fmt.Errorf("no response yet: an earlier step must send a request")
	}
	return w.last, nil
}

// statusIs checks the HTTP status. "400" is RFC 6749 5.2's status of an error response, whose
// sentence has no keyword ("responds with an HTTP 400 (Bad Request) status code (unless
// specified otherwise)"): another status on an OAuth error is a warning (oauthclient.Status400),
// but invalid_client's 401 after Basic authentication, which 5.2 requires with MUST.
func (w *World) statusIs(ctx context.Context, not string, code int) (context.Context, error) {
	r, err := w.lastResp()
	if err != nil {
		return ctx, err
	}
	if not != "" {
		if r.Status == code {
			return ctx, oauthclient.Failf(r, "expected a status other than HTTP %d, got it", code)
		}
		return ctx, nil
	}
	if code == 400 {
		warning, fail := oauthclient.Status400(r)
		if fail != nil {
			return ctx, fail
		}
		if warning != "" {
			ctx = warnAttach(ctx, warning)
		}
		return ctx, nil
	}
	return ctx, oauthclient.ExpectStatus(r, code)
}

func (w *World) isJSON() error { return oauthclient.ExpectJSON(w.last) }

// statusOrWarns is statusIs for a status a sentence names without a keyword (RFC 7662 2.3
// "responds with an HTTP 401 (Unauthorized)"): another status is a warning, the refusal itself
// being judged by the step before.
func (w *World) statusOrWarns(ctx context.Context, code int) (context.Context, error) {
	r, err := w.lastResp()
	if err != nil {
		return ctx, err
	}
	if r.Status != code {
		text := fmt.Sprintf("HTTP %d", r.Status)
		if e := r.Error(); e != "" {
			text += fmt.Sprintf(" with error %q", e)
		}
		return warnAttach(ctx, fmt.Sprintf("the answer was %s, not the HTTP %d the scenario's sentence names (without a keyword)", text, code)), nil
	}
	return ctx, nil
}

// isJSONOrWarns is isJSON for a sentence without a keyword (RFC 6749 5.2: "The parameters are
// included in the entity-body of the HTTP response using the "application/json" media type"): a
// body the suite could read as JSON under another Content-Type is a warning; one it cannot read
// at all fails, since its REQUIRED error member cannot be read either.
func (w *World) isJSONOrWarns(ctx context.Context) (context.Context, error) {
	r := w.last
	if r == nil || r.JSON == nil {
		return ctx, oauthclient.ExpectJSON(r)
	}
	if err := oauthclient.ExpectJSON(r); err != nil {
		var ae *oauthclient.AssertionError
		if errors.As(err, &ae) {
			return warnAttach(ctx, "the error response is JSON, but "+ae.Msg+" (RFC 6749 5.2 names the application/json media type, without a keyword)"), nil
		}
		return ctx, err
	}
	return ctx, nil
}

func (w *World) hasMember(no, name string) error {
	if no != "" {
		return oauthclient.ExpectNoMember(w.last, name)
	}
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	if !w.last.Has(name) {
		return oauthclient.Failf(w.last, "expected member %q in the response, got none", name)
	}
	return nil
}

func (w *World) onlyMember(name string) error {
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	for k := range w.last.JSON {
		if k != name {
			return oauthclient.Failf(w.last, "expected only %q in the response, got %q too", name, k)
		}
	}
	return nil
}

func (w *World) memberIs(name, want string) error {
	v, err := w.expand(want)
	if err != nil {
		return err
	}
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	raw, ok := w.last.JSON[name]
	if !ok {
		return oauthclient.Failf(w.last, "expected %s %q, got no %s", name, v, name)
	}
	got := fmt.Sprint(raw)
	if name == "scope" {
		if !sameScopes(got, v) {
			return oauthclient.Failf(w.last, "expected scope %q, got %q", v, got)
		}
		return nil
	}
	if got != v {
		return oauthclient.Failf(w.last, "expected %s %q, got %q", name, v, got)
	}
	return nil
}

func (w *World) memberBool(name, want string) error {
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	b, ok := w.last.Bool(name)
	if !ok {
		return oauthclient.Failf(w.last, "expected %s to be the JSON boolean %s, got %v", name, want, w.last.JSON[name])
	}
	if fmt.Sprint(b) != want {
		return oauthclient.Failf(w.last, "expected %s %s, got %v", name, want, b)
	}
	return nil
}

// tokenTypeBearer checks RFC 6749 7.1 / RFC 6750 4: the type is "Bearer", compared
// case-insensitively (RFC 6749 5.1: "The value is case insensitive").
func (w *World) tokenTypeBearer() error {
	if err := oauthclient.ExpectMember(w.last, "token_type"); err != nil {
		return err
	}
	if got := w.last.String("token_type"); !strings.EqualFold(got, "bearer") {
		return oauthclient.Failf(w.last, "expected token_type Bearer, got %q", got)
	}
	return nil
}

func (w *World) positiveNumber(name string) error {
	if err := oauthclient.ExpectMember(w.last, name); err != nil {
		return err
	}
	n, ok := w.last.Number(name)
	if !ok || n <= 0 {
		return oauthclient.Failf(w.last, "expected %s to be a positive JSON number, got %v", name, w.last.JSON[name])
	}
	return nil
}

// timeMember checks a NumericDate (seconds since the epoch, RFC 7662 2.2).
func (w *World) timeMember(name, when string) error {
	if err := oauthclient.ExpectMember(w.last, name); err != nil {
		return err
	}
	n, ok := w.last.Number(name)
	if !ok {
		return oauthclient.Failf(w.last, "expected %s to be a number of seconds since 1970, got %v", name, w.last.JSON[name])
	}
	t := time.Unix(int64(n), 0)
	const skew = 5 * time.Second
	now := time.Now()
	if when == "in the future" && !t.After(now) {
		return oauthclient.Failf(w.last, "expected %s in the future, got %s (now %s)", name, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if when == "not in the future" && t.After(now.Add(skew)) {
		return oauthclient.Failf(w.last, "expected %s not in the future, got %s (now %s)", name, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// metadataDefaults are the values RFC 8414 2 gives members that are omitted.
var metadataDefaults = map[string][]string{
	"grant_types_supported":                 {"authorization_code", "implicit"},
	"token_endpoint_auth_methods_supported": {"client_secret_basic"},
}

// memberListsOrWarn is memberLists for the OPTIONAL metadata lists (RFC 8414 2): no keyword
// requires them to be complete, so a capability the target has but does not list is reported as
// a warning, never a failure. A response that is not a JSON object still fails.
func (w *World) memberListsOrWarn(ctx context.Context, name, want string) (context.Context, error) {
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return ctx, err
	}
	if err := w.memberLists(name, want); err != nil {
		var ae *oauthclient.AssertionError
		if errors.As(err, &ae) {
			return warnAttach(ctx, fmt.Sprintf("the metadata does not list what the target supports: %s", ae.Msg)), nil
		}
		return ctx, err
	}
	return ctx, nil
}

func (w *World) memberLists(name, want string) error {
	v, err := w.expand(want)
	if err != nil {
		return err
	}
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	raw, ok := w.last.JSON[name]
	var list []string
	if !ok {
		def, hasDefault := metadataDefaults[name]
		if !hasDefault {
			return oauthclient.Failf(w.last, "expected %s listing %q, got no %s", name, v, name)
		}
		list = def
	} else {
		arr, isArr := raw.([]any)
		if !isArr {
			return oauthclient.Failf(w.last, "expected %s to be a JSON array, got %v", name, raw)
		}
		for _, e := range arr {
			list = append(list, fmt.Sprint(e))
		}
	}
	if !slices.Contains(list, v) {
		return oauthclient.Failf(w.last, "expected %s to list %q, got %q", name, v, list)
	}
	return nil
}

func (w *World) headerWith(name, directive string) error {
	return oauthclient.ExpectDirective(w.last, name, directive)
}

func (w *World) hasChallenge(scheme string) error { return oauthclient.ExpectChallenge(w.last, scheme) }

// rfc8414URL is where RFC 8414 3.1 puts the document: "/.well-known/oauth-authorization-server"
// inserted between the host and the path of the issuer.
func (w *World) rfc8414URL() (string, error) {
	iss, err := url.Parse(w.p.Issuer)
	if err != nil || iss.Host == "" {
		return "", fmt.Errorf("the profile's issuer %q is not an absolute URL", w.p.Issuer)
	}
	u := *iss
	u.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(iss.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// fetchMetadata fetches the metadata document the run resolved: the RFC 8414 one, or the
// OpenID discovery document (or the profile's endpoints.metadata) when that is what the target
// publishes. Every member check judges the document that was found (review C); whether the RFC
// 8414 location itself is served is one scenario of its own.
func (w *World) fetchMetadata(ctx context.Context) error {
	u := w.p.MetadataURL
	if u == "" {
		u = w.p.Endpoints.Metadata
	}
	if u == "" {
		var err error
		if u, err = w.rfc8414URL(); err != nil {
			return err
		}
	}
	resp, err := w.http.Metadata(ctx, u)
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

func (w *World) fetchRFC8414Metadata(ctx context.Context) error {
	u, err := w.rfc8414URL()
	if err != nil {
		return err
	}
	resp, err := w.http.Metadata(ctx, u)
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

// requiredEndpointMember checks RFC 8414 2: authorization_endpoint is "REQUIRED unless no grant
// types are supported that use the authorization endpoint"; token_endpoint is "REQUIRED unless
// only the implicit grant type is supported".
func (w *World) requiredEndpointMember(name string) error {
	needs := false
	switch name {
	case "authorization_endpoint":
		needs = w.p.HasGrant(profile.GrantAuthorizationCode) || w.p.HasGrant(profile.GrantImplicit)
	case "token_endpoint":
		for _, g := range []string{profile.GrantAuthorizationCode, profile.GrantClientCredentials, profile.GrantPassword, profile.GrantRefreshToken} {
			needs = needs || w.p.HasGrant(g)
		}
	}
	if !needs {
		return verdict.NotApplicable("no grant the target offers uses the endpoint, so RFC 8414 2 does not require %s", name)
	}
	return w.hasMember("", name)
}

// endpointMatches checks a published endpoint against the one the suite uses. An endpoint the
// metadata does not publish is not judged here (introspection and revocation endpoints are
// OPTIONAL members).
func (w *World) endpointMatches(name, want string) error {
	return w.ifPresent(name, verdict.NotApplicable("the metadata does not publish %s", name),
		func() error { return w.memberIs(name, want) })
}

// endpointMatchesOrWarns compares a published endpoint with the one the suite uses after
// normalisation (sameEndpointURL). RFC 8414 2 defines the member as the "URL of the
// authorization server's token endpoint" and says nothing of the URL a client was configured
// with: a proxy, a profile override or a host alias (localhost, 127.0.0.1) differs legitimately,
// so a difference is a warning (review row metadata:101).
func (w *World) endpointMatchesOrWarns(ctx context.Context, name, want string) (context.Context, error) {
	v, err := w.expand(want)
	if err != nil {
		return ctx, err
	}
	if err := w.ifPresent(name, verdict.NotApplicable("the metadata does not publish %s", name), func() error { return nil }); err != nil {
		return ctx, err
	}
	got, isString := w.last.JSON[name].(string)
	if !isString {
		return ctx, oauthclient.Failf(w.last, "expected %s to be a URL string, got %v", name, w.last.JSON[name])
	}
	if !sameEndpointURL(got, v) {
		return warnAttach(ctx, fmt.Sprintf("the metadata publishes %s %q, not the URL the suite uses (%q), even after normalising case, default ports, loopback names and a trailing slash", name, got, v)), nil
	}
	return ctx, nil
}

// sameEndpointURL compares two URLs as the same endpoint: scheme and host case-insensitively,
// a default port as none, the loopback names (localhost, 127.0.0.1, ::1) as one host, and a
// trailing slash as none. The query and the rest of the path must be equal.
func sameEndpointURL(a, b string) bool {
	norm := func(s string) (string, bool) {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "", false
		}
		scheme := strings.ToLower(u.Scheme)
		host, port := strings.ToLower(u.Hostname()), u.Port()
		if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
			port = ""
		}
		switch host {
		case "localhost", "127.0.0.1", "::1":
			host = "loopback"
		}
		return scheme + "://" + host + ":" + port + strings.TrimSuffix(u.EscapedPath(), "/") + "?" + u.RawQuery, true
	}
	na, okA := norm(a)
	nb, okB := norm(b)
	if !okA || !okB {
		return a == b
	}
	return na == nb
}

// memberIfPresent checks an OPTIONAL member only when the response has it.
func (w *World) memberIfPresent(name, want string) error {
	return w.ifPresent(name, nil, func() error { return w.memberIs(name, want) })
}

func (w *World) timeIfPresent(name, when string) error {
	return w.ifPresent(name, nil, func() error { return w.timeMember(name, when) })
}

// ifPresent runs check when the JSON response has the member name, and answers absent (nil
// for an OPTIONAL member) when it has not.
func (w *World) ifPresent(name string, absent error, check func() error) error {
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	if !w.last.Has(name) {
		return absent
	}
	return check()
}

// clientIDIfPresent checks an introspection response's client_id, when present, names the client
// the token was issued to.
func (w *World) clientIDIfPresent() error {
	c, err := w.client(w.tokenOwner)
	if err != nil {
		return err
	}
	return w.memberIfPresent("client_id", c.ID)
}

// scopeIfPresent checks an introspection response's scope, when present, is the scope granted.
func (w *World) scopeIfPresent() error {
	if w.originalScope == "" {
		return fmt.Errorf("the scope granted in this scenario is unknown")
	}
	return w.memberIfPresent("scope", w.originalScope)
}

func (w *World) issuerClean() error {
	if err := oauthclient.ExpectMember(w.last, "issuer"); err != nil {
		return err
	}
	u, err := url.Parse(w.last.String("issuer"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return oauthclient.Failf(w.last, "expected the issuer to be an absolute URL, got %q", w.last.String("issuer"))
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(w.last.String("issuer"), "#") {
		return oauthclient.Failf(w.last, "expected an issuer without query or fragment (RFC 8414 2), got %q", w.last.String("issuer"))
	}
	return nil
}

// Preconditions that depend on the target's declared behaviour: a scenario that does not apply
// is skipped (not passed).
func (w *World) requiresPKCEForPublic() error {
	switch w.p.Capabilities.PKCE {
	case profile.PKCERequired, profile.PKCERequiredForPublic:
		return nil
	}
	return fmt.Errorf("%w: the profile does not say PKCE is required for public clients (capabilities.pkce)", godog.ErrSkip)
}

func (w *World) doesNotSupportMethod(method string) error {
	methods := w.p.Capabilities.CodeChallengeMethods
	if methods == nil && w.p.Metadata != nil {
		if arr, ok := w.p.Metadata["code_challenge_methods_supported"].([]any); ok {
			for _, m := range arr {
				methods = append(methods, fmt.Sprint(m))
			}
		}
	}
	if methods == nil {
		return fmt.Errorf("%w: neither the profile nor the metadata says which code challenge methods the target supports", godog.ErrSkip)
	}
	if slices.Contains(methods, method) {
		return fmt.Errorf("%w: the target supports the %s method", godog.ErrSkip, method)
	}
	w.unsupportedMethod = method
	w.methodsFromMetadata = w.p.Capabilities.CodeChallengeMethods == nil
	return nil
}

// refusesUnsupportedMethod is the Then step of the "method not supported" scenarios. RFC 7636
// 4.4.1 binds a server that does not support the method. When only the metadata said so and the
// server went on, it may support the method without listing it (RFC 8414 2 does not require
// code_challenge_methods_supported to be complete): the suite cannot tell which, so the scenario
// is inconclusive. A profile that declares capabilities.code_challenge_methods makes it judge.
func (w *World) refusesUnsupportedMethod(ctx context.Context, code string) (context.Context, error) {
	ctx, err := w.carriesError(ctx, code, "")
	if err == nil || !w.methodsFromMetadata || w.authResp == nil || w.authResp.params.Get("error") != "" {
		return ctx, err
	}
	return ctx, verdict.Inconclusive("the server accepted the %s method, which its metadata does not list (code_challenge_methods_supported): it may support %s without listing it; declare capabilities.code_challenge_methods to judge", w.unsupportedMethod, w.unsupportedMethod)
}

// warns attaches a warning about the target to the report. The scenario passes: RFC 9700 2.4
// and 2.1.2 judge the target's configuration, not its protocol behaviour. The warning is
// only given when the preceding steps saw the warned-about behaviour.
func (w *World) warns(ctx context.Context, text string) (context.Context, error) {
	evidence := (w.last != nil && w.last.Status == 200 && w.last.AccessToken() != "") ||
		(w.authResp != nil && w.authResp.fragment.Get("access_token") != "")
	if !evidence {
		return ctx, fmt.Errorf("no evidence for the warning: the preceding steps issued no token")
	}
	msg := "WARNING: " + text
	ctx = godog.Attach(ctx, godog.Attachment{Body: []byte(msg), FileName: "warning.txt", MediaType: "text/plain"})
	return ctx, nil
}

func (w *World) registerResponse(sc stepAdder) {
	sc.Step(`^the response status is (not )?(\d+)$`, w.statusIs)
	sc.Step(`^the response is JSON$`, w.isJSON)
	sc.Step(`^the response status is (\d+), or the report warns$`, w.statusOrWarns)
	sc.Step(`^the response is JSON, or the report warns$`, w.isJSONOrWarns)
	sc.Step(`^the response has (no )?"([A-Za-z0-9_]+)"$`, w.hasMember)
	sc.Step(`^the response has only the member "([A-Za-z0-9_]+)"$`, w.onlyMember)
	sc.Step(`^the response's "([A-Za-z0-9_]+)" is "([^"]*)"$`, w.memberIs)
	sc.Step(`^the response's "([A-Za-z0-9_]+)" is (true|false)$`, w.memberBool)
	sc.Step(`^the response's token_type is Bearer$`, w.tokenTypeBearer)
	sc.Step(`^the response's "([A-Za-z0-9_]+)" is a positive number$`, w.positiveNumber)
	sc.Step(`^the response's "([A-Za-z0-9_]+)" is a time (in the future|not in the future)$`, w.timeMember)
	sc.Step(`^the response's "([A-Za-z0-9_]+)" lists "([^"]*)"$`, w.memberLists)
	sc.Step(`^the response's "([A-Za-z0-9_]+)" lists "([^"]*)", or the report warns$`, w.memberListsOrWarn)
	sc.Step(`^the response has header "([^"]+)" with "([^"]+)"$`, w.headerWith)
	sc.Step(`^the response has a "([A-Za-z]+)" challenge$`, w.hasChallenge)
	sc.Step(`^the client fetches the authorization server metadata$`, w.fetchMetadata)
	sc.Step(`^the client fetches the metadata at the RFC 8414 well-known URL$`, w.fetchRFC8414Metadata)
	sc.Step(`^the response has "(authorization_endpoint|token_endpoint)" unless no grant the target offers uses it$`, w.requiredEndpointMember)
	sc.Step(`^the response's "([A-Za-z0-9_]+)", if published, is "([^"]*)"$`, w.endpointMatches)
	sc.Step(`^the response's "([A-Za-z0-9_]+)", if published, is "([^"]*)", or the report warns$`, w.endpointMatchesOrWarns)
	sc.Step(`^the response's "([A-Za-z0-9_]+)", if present, is "([^"]*)"$`, w.memberIfPresent)
	sc.Step(`^the response's "([A-Za-z0-9_]+)", if present, is a time (in the future|not in the future)$`, w.timeIfPresent)
	sc.Step(`^the response's "client_id", if present, is the token's client$`, w.clientIDIfPresent)
	sc.Step(`^the response's "scope", if present, is the granted scope$`, w.scopeIfPresent)
	sc.Step(`^the issuer has no query or fragment$`, w.issuerClean)
	sc.Step(`^the target requires PKCE for public clients$`, w.requiresPKCEForPublic)
	sc.Step(`^the target does not support the "([^"]+)" code challenge method$`, w.doesNotSupportMethod)
	sc.Step(`^the authorization response carries error "([a-z_]+)" unless the target supports the method without listing it$`, w.refusesUnsupportedMethod)
	sc.Step(`^the report warns that (.+)$`, w.warns)
}
