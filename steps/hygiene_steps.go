package steps

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// Authorization endpoint hygiene and consent (issue 17 items 4 and 7): CORS at the
// authorization endpoint, authentication before any redirect, the status of the login POST's
// redirect, the pages' Referrer Policy, a long state, repeated requests of a public client, and
// the stated lifetime of a browser client's access token.

func (w *World) registerHygiene(sc stepAdder) {
	sc.Step(`^a script on another site requests the authorization endpoint, with a CORS preflight$`, w.crossOriginAuthorize)
	sc.Step(`^no answer let the other site read it$`, w.noCORSAllowed)
	sc.Step(`^the browser was not sent to the client before the resource owner logged in$`, w.noRedirectBeforeLogin)
	sc.Step(`^every redirect answering the login form was an HTTP 303$`, w.loginRedirectsAre303)
	sc.Step(`^no page the server showed lets other sites read its URL in the Referer$`, w.referrerPolicyKeepsURL)
	sc.Step(`^the authorization request has a state of (\d+) characters$`, w.longState)
	sc.Step(`^the long state came back exactly, unless the server refused the request$`, w.longStateEchoed)
	sc.Step(`^the resource owner has approved an authorization request of the `+roleRe+` client$`, w.approvedOnce)
	sc.Step(`^the resource owner was asked again: the login or approval page was shown$`, w.askedAgain)
	sc.Step(`^the access token's stated lifetime is one hour or less$`, w.statedLifetimeShort)
}

// attackerOrigin is the origin of the other site in the CORS check (RFC 2606 reserves the name).
const attackerOrigin = "https://attacker.example"

// crossOriginAuthorize sends the scenario's authorization request as a script of another origin
// would: a GET with that Origin (a "simple" request, which a browser sends at once and whose
// answer it lets the script read only if Access-Control-Allow-Origin allows it), and the
// preflight a browser sends before a request it may not send at once (a POST with a custom
// header).
func (w *World) crossOriginAuthorize(ctx context.Context) error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	authURL := w.authReq.String()
	if _, err := w.http.Get(ctx, authURL, "Origin", attackerOrigin); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, authURL, nil)
	if err != nil {
		return fmt.Errorf("bad authorization URL: %w", err)
	}
	req.Header.Set("Origin", attackerOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "x-requested-with")
	_, err = w.http.Do(req)
	return err
}

// noCORSAllowed judges RFC 9700 2.6: "CORS MUST NOT be supported at the authorization endpoint,
// as the client does not access this endpoint directly; instead, the client redirects the user
// agent to it." An Access-Control-Allow-Origin on an answer to a cross-origin request is CORS
// support, whatever its value: the other site's origin, "*" or "null" let that site's scripts
// (or a sandboxed frame's) read the answer; another origin shows CORS supported for that
// origin, which the sentence forbids as well.
func (w *World) noCORSAllowed() error {
	exchanges := w.http.Exchanges()
	judged := 0
	for _, ex := range exchanges {
		if ex.RequestHeader.Get("Origin") != attackerOrigin || ex.Err != nil {
			continue
		}
		judged++
		for _, acao := range ex.ResponseHeader.Values("Access-Control-Allow-Origin") {
			v := strings.TrimSpace(acao)
			consequence := "scripts of that site may read the endpoint's answers"
			switch {
			case strings.EqualFold(v, "null"):
				consequence = "a sandboxed frame of any site (origin null) may read the endpoint's answers"
			case v != "*" && !strings.EqualFold(v, attackerOrigin):
				consequence = "the endpoint supports CORS for that origin, though not for the one that asked"
			}
			return oauthclient.Failf(oauthclient.NewResponse(ex), "expected no CORS at the authorization endpoint, got Access-Control-Allow-Origin %q answering %s from origin %s (RFC 9700 2.6: \"CORS MUST NOT be supported at the authorization endpoint\"): %s", v, ex.Method, attackerOrigin, consequence)
		}
	}
	if judged < 2 {
		return fmt.Errorf("expected the GET and the preflight from another origin to be answered, got %d answers", judged)
	}
	return nil
}

// noRedirectBeforeLogin judges RFC 9700 4.11.2: "The authorization server MUST always
// authenticate the user first and, with the exception of the silent authentication use case,
// prompt the user for credentials when needed, before redirecting the user." The request is
// not silent (no prompt=none), and the browser has no session: a redirect to the client's
// registered URI before the login page showed is attack 1 of that section (an erroneous
// request makes the server forward a logged-out browser to the client's site, an attacker's
// if the attacker registered the client). An error page, or the login page, passes.
func (w *World) noRedirectBeforeLogin() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if a.outcome == nil {
		return fmt.Errorf("the authorization request was not loaded in the browser")
	}
	if !a.reached {
		if u := w.reachedRequested(append(a.outcome.Navigations, a.outcome.Redirects...), a.hits); u != nil {
			a.reached = true
			w.fill(a, u)
		}
	} else if a.outcome.FinalURL != nil {
		w.fill(a, a.outcome.FinalURL)
	}
	if !a.reached || a.outcome.LoginShown {
		return nil
	}
	what := "a redirect"
	if e := a.params.Get("error"); e != "" {
		what = fmt.Sprintf("an error redirect (error %q)", e)
	} else if a.params.Get("code") != "" || a.fragment.Get("access_token") != "" {
		what = "a code or token"
	}
	return w.authFail("expected a login page before any redirect to the client, got %s to %s in a browser without a session, with no login page shown (RFC 9700 4.11.2: \"The authorization server MUST always authenticate the user first and, with the exception of the silent authentication use case, prompt the user for credentials when needed, before redirecting the user.\"): a link to this request forwards anyone to the client's site", what, redactedURL(w.requestedRedirect()))
}

// loginRedirectsAre303 judges RFC 9700 4.12: "If an HTTP redirection (and not, for example,
// JavaScript) is used for such a request, the authorization server SHOULD use HTTP status code
// 303 (See Other)." Such a request is one carrying the user's credentials: the login form's
// POST. 303 alone makes every user agent switch to GET and drop the form (RFC 9110 15.4.4); a
// 302 or 301 lets it keep the POST ("user agents can opt not to rewrite POST to GET").
func (w *World) loginRedirectsAre303() error {
	if w.pages == nil {
		return verdict.Inconclusive("the browser was not used in this scenario")
	}
	password := w.p.ValidUser().Password
	_, responses := w.pages.snapshot()
	judged := 0
	for _, r := range responses {
		if r.method != "POST" || r.status < 300 || r.status > 399 || !carriesSecret(r, password) {
			continue
		}
		judged++
		if r.status != http.StatusSeeOther {
			return fmt.Errorf("expected HTTP 303 answering the login form's POST, got %d from POST %s (RFC 9700 4.12: \"the authorization server SHOULD use HTTP status code 303 (See Other)\"): only 303 makes every user agent drop the form with the password", r.status, redactedURL(r.url))
		}
	}
	if judged == 0 {
		return verdict.NotApplicable("no request carrying the user's credentials was answered by an HTTP redirect (the rule is about such redirects; a page or JavaScript may continue the flow)")
	}
	return nil
}

// leakingReferrerPolicies are the Referrer Policy values that send a page's full URL (its query:
// client_id, state, the pending request) to other origins: unsafe-url always, and
// no-referrer-when-downgrade to every origin reached over the same or a stronger scheme. Every
// other value sends at most the origin across origins (W3C Referrer Policy 3).
var leakingReferrerPolicies = map[string]bool{"unsafe-url": true, "no-referrer-when-downgrade": true}

// knownReferrerPolicies are the values a browser understands; it ignores the others and takes
// the last one it understands (W3C Referrer Policy 4.1, 11.1).
var knownReferrerPolicies = map[string]bool{
	"no-referrer": true, "no-referrer-when-downgrade": true, "same-origin": true, "origin": true,
	"strict-origin": true, "origin-when-cross-origin": true, "strict-origin-when-cross-origin": true, "unsafe-url": true,
}

var metaReferrer = regexp.MustCompile(`(?is)<meta\s[^>]*name\s*=\s*["']?referrer["']?[^>]*>`)
var metaContent = regexp.MustCompile(`(?is)content\s*=\s*["']([^"']*)["']`)

// effectivePolicy is the policy a browser applies from a Referrer-Policy header value (a
// comma-separated list: the last known token wins) or a meta referrer content.
func effectivePolicy(values ...string) string {
	policy := ""
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			if t := strings.ToLower(strings.TrimSpace(tok)); knownReferrerPolicies[t] {
				policy = t
			}
		}
	}
	return policy
}

// referrerPolicyKeepsURL judges RFC 9700 4.2.4 on every page of the authorization server the
// browser loaded: the measure "Suppress the Referer header by applying an appropriate Referrer
// Policy [...] to the document (either as part of the "referrer" meta attribute or by setting a
// Referrer-Policy header)" has no keyword; it serves 4.2.4's SHOULD NOT (no third-party
// resources or links), since the Referer is how the request's URL leaks to them. A policy that
// sends the full URL to other sites fails at SHOULD. A page with no policy at all leaks only its
// origin in the browsers of today (their default, strict-origin-when-cross-origin), so it passes
// with a warning: older browsers sent the full URL by default.
func (w *World) referrerPolicyKeepsURL(ctx context.Context) (context.Context, error) {
	pages, err := w.serverPages()
	if err != nil {
		return ctx, err
	}
	var unset []string
	for _, p := range pages {
		h, err := p.resp.AllHeaders()
		if err != nil {
			return ctx, verdict.SuiteTrouble(fmt.Errorf("reading the headers of %s: %w", redactedURL(p.url), err))
		}
		header := h["referrer-policy"]
		policy, where := effectivePolicy(header), "Referrer-Policy header"
		if meta := pageMetaReferrer(p); meta != "" {
			// A meta element applies after the header, when the document is parsed.
			if mp := effectivePolicy(meta); mp != "" {
				policy, where = mp, "meta referrer element"
			}
		}
		if leakingReferrerPolicies[policy] {
			return ctx, fmt.Errorf("%s: expected a Referrer Policy that keeps the page's URL from other sites (RFC 9700 4.2.4: \"Suppress the Referer header by applying an appropriate Referrer Policy\"), got %q in its %s: every link or resource of another site on this page receives its full URL, with the request's state", redactedURL(p.url), policy, where)
		}
		if policy == "" {
			unset = append(unset, redactedURL(p.url))
		}
	}
	if len(unset) > 0 {
		ctx = warnAttach(ctx, fmt.Sprintf("no Referrer Policy on %s: today's browsers then send other sites only the origin (their default strict-origin-when-cross-origin), older ones the full URL with the request's state; RFC 9700 4.2.4 suggests \"Referrer-Policy: no-referrer\"", strings.Join(unset, ", ")))
	}
	return ctx, nil
}

// pageMetaReferrer is the content of the page's meta referrer element, "" when it has none or
// its body cannot be read.
func pageMetaReferrer(p pageResponse) string {
	resp, ok := p.resp.(playwright.Response)
	if !ok {
		return ""
	}
	body, err := resp.Body()
	if err != nil {
		return ""
	}
	var out []string
	for _, tag := range metaReferrer.FindAll(body, -1) {
		if m := metaContent.FindSubmatch(tag); m != nil {
			out = append(out, string(m[1]))
		}
	}
	return strings.Join(out, ",")
}

// longState sets a state of n characters, random letters and digits (VSCHAR, RFC 6749 A.5).
func (w *World) longState(n int) error {
	if err := w.requireAuthReq(); err != nil {
		return err
	}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(oauthclient.RandomString(100))
	}
	w.state = b.String()[:n]
	w.authReq.Set("state", w.state)
	return nil
}

// longStateEchoed judges RFC 6749 4.1.2 / 4.1.2.1 for a long state: "REQUIRED if the "state"
// parameter was present in the client authorization request. The exact value received from the
// client." A server may refuse a request it finds too long (no redirect, an error page, a 414);
// a response that reaches the client, an error response included, carries the state whole. A cut or altered state is the
// FAIL: the client then rejects the server's own response, or matches it to the wrong request.
func (w *World) longStateEchoed() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if !a.reached {
		return nil // refused before reaching the client: allowed
	}
	want := w.state
	if !a.params.Has("state") {
		if e := a.params.Get("error"); e != "" {
			return w.authFail("expected the %d-character state in the error response (error %q), got none (RFC 6749 4.1.2.1: \"REQUIRED if a \"state\" parameter was present in the client authorization request\"): a server may refuse a long state, but its refusal carries it", len(want), e)
		}
		return w.authFail("expected the %d-character state in the authorization response, got none (RFC 6749 4.1.2: \"REQUIRED if the \"state\" parameter was present in the client authorization request\")", len(want))
	}
	got := a.params.Get("state")
	if got == want {
		return nil
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return w.authFail("expected the state exactly as sent (RFC 6749 4.1.2: \"The exact value received from the client\"), got %d characters for the %d sent, differing from character %d on", len(got), len(want), i+1)
}

// approvedOnce runs a conforming authorization request of the client as the resource owner,
// who approves it on the approval page. A server that shows no approval page for this client
// (a trusted client, or a server that asks no one) has nothing to repeat without the resource
// owner: not applicable.
func (w *World) approvedOnce(ctx context.Context, role string) (context.Context, error) {
	ctx, err := w.hasAuthorizationCode(ctx, role)
	if err != nil {
		return ctx, err
	}
	if o := w.authResp.outcome; o == nil || !o.ApprovalShown {
		return ctx, verdict.NotApplicable("the server showed no approval page for the %s client's first request (a trusted client, or no consent step): RFC 6749 10.2's repeated requests are those a resource owner was asked about", role)
	}
	return ctx, nil
}

// askedAgain judges RFC 6749 10.2 on a repeated request of a public client: "The authorization
// server SHOULD NOT process repeated authorization requests automatically (without active
// resource owner interaction) without authenticating the client or relying on other measures to
// ensure that the repeated request comes from the original client and not an impersonator." A
// public client cannot be authenticated, and the suite cannot see other measures; the login or
// the approval page is the resource owner's active interaction. A code issued with neither
// fails at SHOULD (see the scenario's description for why).
func (w *World) askedAgain() error {
	if err := w.requireAuthResp(); err != nil {
		return err
	}
	a := w.authResp
	if o := a.outcome; o != nil && (o.LoginShown || o.ApprovalShown) {
		return nil
	}
	if !a.reached {
		if err := w.unrecognisedPage("the login or approval page"); err != nil {
			return err
		}
		return verdict.Inconclusive("the repeated request reached neither the client nor the login or approval page: %s", verdict.FirstLine(a.describe()))
	}
	if a.params.Get("code") == "" && a.fragment.Get("access_token") == "" {
		return verdict.Inconclusive("the repeated request was answered without a code or token and without asking the resource owner (error %q): nothing was processed automatically", a.params.Get("error"))
	}
	return w.authFail("expected the resource owner to be asked again (the login or approval page) for the %s client's repeated request, since a public client cannot be authenticated (RFC 6749 10.2: \"SHOULD NOT process repeated authorization requests automatically (without active resource owner interaction) without authenticating the client\"), got a code at once: any application that uses this client_id and its redirect URI gets the resource owner's authorization without the resource owner's knowledge", w.authRole)
}

// statedLifetimeShort judges RFC 6750 5.3: "Token servers SHOULD issue short-lived (one hour or
// less) bearer tokens, particularly when issuing tokens to clients that run within a web browser
// or other environments where information leakage may occur." The lifetime is the one the token
// response states (RFC 6749 5.1 expires_in); without one the suite cannot see it.
func (w *World) statedLifetimeShort() error {
	r := w.last
	if r == nil {
		return fmt.Errorf("no token response to read")
	}
	if !r.Has("expires_in") {
		return verdict.Inconclusive("the token response states no expires_in (RFC 6749 5.1: RECOMMENDED), so the token's lifetime cannot be read")
	}
	n, ok := r.Number("expires_in")
	if !ok {
		return oauthclient.Failf(r, "expected expires_in to be a number of seconds (RFC 6749 5.1), got %v", r.JSON["expires_in"])
	}
	if n > 3600 {
		return oauthclient.Failf(r, "expected an access token of this browser client to live one hour or less (RFC 6750 5.3: \"Token servers SHOULD issue short-lived (one hour or less) bearer tokens, particularly when issuing tokens to clients that run within a web browser\"), got expires_in %v (%s)", n, lifetimeWords(n))
	}
	return nil
}

func lifetimeWords(seconds float64) string {
	switch {
	case seconds >= 86400:
		return fmt.Sprintf("%.1f days", seconds/86400)
	default:
		return fmt.Sprintf("%.1f hours", seconds/3600)
	}
}
