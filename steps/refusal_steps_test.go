package steps

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/report"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// warningsOf are the warning attachments a step added to ctx.
func warningsOf(ctx context.Context) []string {
	var out []string
	for _, a := range godog.Attachments(ctx) {
		if s := string(a.Body); strings.HasPrefix(s, report.WarningPrefix) {
			out = append(out, s)
		}
	}
	return out
}

// authWorld is a World whose authorization request had responseType and reached the client
// with query and fragment.
func authWorld(responseType, query, fragment string) *World {
	q, _ := url.ParseQuery(query)
	f, _ := url.ParseQuery(fragment)
	params := q
	if responseType == "token" {
		params = f
	}
	w := &World{p: &profile.Profile{}}
	w.authReq = oauthclient.NewAuthorizeURL("http://as/authorize").Set("response_type", responseType)
	w.authResp = &authResponse{via: "http", reached: true, params: params, query: q, fragment: f}
	return w
}

// TestCarriesErrorJudgesTheProtectionThenTheWording: issue 14 item 1 at the authorization
// endpoint, and item 9's message for an implicit error delivered in the query.
func TestCarriesErrorJudgesTheProtectionThenTheWording(t *testing.T) {
	for _, c := range []struct {
		name            string
		w               *World
		code            string
		want            verdict.Outcome
		warns           int
		say             string
		requirementTags []string
	}{
		{"the named code", authWorld("code", "error=access_denied&state=s", ""), "access_denied", verdict.OutcomePass, 0, "", nil},
		{"a client not registered for a response type answered unsupported_response_type", authWorld("code", "error=unsupported_response_type", ""), "unauthorized_client",
			verdict.OutcomePass, 1, "does not support obtaining an authorization code", nil},
		{"a code issued", authWorld("code", "code=abc", ""), "access_denied", verdict.OutcomeFail, 0, "got code at the client's redirect URI: the server issued it", nil},
		{"an undefined code", authWorld("code", "error=nope", ""), "access_denied", verdict.OutcomeFail, 0, "defined by no RFC", nil},
		{"an implicit error in the query", authWorld("token", "error=access_denied", ""), "access_denied", verdict.OutcomePass, 1, "came in the query of the redirect, not in the fragment", nil},
		{"no error at all", authWorld("code", "state=s", ""), "access_denied", verdict.OutcomeFail, 0, "got no error", nil},
		{"RFC 7636 4.4.1 holds the code", authWorld("code", "error=invalid_scope", ""), "invalid_request", verdict.OutcomeFail, 0, "RFC 7636 4.4.1", []string{"RFC7636-4.4.1"}},
	} {
		c.w.requirements = c.requirementTags
		ctx, err := c.w.carriesError(context.Background(), c.code, "")
		if got := outcome(err); got != c.want {
			t.Errorf("%s: %s (%v), want %s", c.name, got, err, c.want)
			continue
		}
		warns := warningsOf(ctx)
		if len(warns) != c.warns {
			t.Errorf("%s: %d warnings %q, want %d", c.name, len(warns), warns, c.warns)
		}
		text := strings.Join(warns, "\n")
		if err != nil {
			text = err.Error()
		}
		if !strings.Contains(text, c.say) {
			t.Errorf("%s: %q does not say %q", c.name, text, c.say)
		}
	}
}

// TestScopeRefusedOrLeftOut: an unknown or not-allowed scope answered access_denied after the
// approval is a warning (review row authorization_code:91), and an implicit error delivered in
// the query says so instead of "got neither" (issue 14 item 9).
func TestScopeRefusedOrLeftOut(t *testing.T) {
	w := authWorld("code", "error=access_denied&state=s", "")
	ctx, err := w.scopeRefusedOrLeftOut(context.Background(), "admin")
	if err != nil || len(warningsOf(ctx)) != 1 || !strings.Contains(warningsOf(ctx)[0], "The resource owner or authorization server denied the request") {
		t.Errorf("access_denied for a not-allowed scope: %v, warnings %q", err, warningsOf(ctx))
	}
	w = authWorld("token", "error=invalid_scope", "")
	ctx, err = w.scopeRefusedOrLeftOut(context.Background(), "admin")
	if err != nil || len(warningsOf(ctx)) != 1 || !strings.Contains(warningsOf(ctx)[0], "came in the query") {
		t.Errorf("an implicit invalid_scope in the query: %v, warnings %q", err, warningsOf(ctx))
	}
	w = authWorld("code", "error=invalid_scope", "")
	if ctx, err = w.scopeRefusedOrLeftOut(context.Background(), "admin"); err != nil || len(warningsOf(ctx)) != 0 {
		t.Errorf("invalid_scope: %v, warnings %q", err, warningsOf(ctx))
	}
}

// TestRefusalStepsWarnInsteadOfFailing: the token endpoint cases of issue 14 item 1, through the
// steps.
func TestRefusalStepsWarnInsteadOfFailing(t *testing.T) {
	w := &World{}
	for _, c := range []struct {
		name string
		r    *oauthclient.Response
		step func(context.Context) (context.Context, error)
		want verdict.Outcome
		warn bool
	}{
		{"no client identification answered invalid_request", resp(400, `{"error":"invalid_request"}`, false),
			func(ctx context.Context) (context.Context, error) {
				return w.refusesWith(ctx, "token", "invalid_client")
			}, verdict.OutcomePass, true},
		{"a public client's missing code_verifier answered invalid_client", resp(401, `{"error":"invalid_client"}`, false),
			func(ctx context.Context) (context.Context, error) {
				return w.refusesWithEither(ctx, "invalid_grant", "invalid_request")
			}, verdict.OutcomePass, true},
		{"a reused code refused with invalid_grant and 401", resp(401, `{"error":"invalid_grant"}`, false),
			func(ctx context.Context) (context.Context, error) {
				return w.refusesWith(ctx, "token", "invalid_grant")
			}, verdict.OutcomePass, false},
		{"an unsupported grant type answered invalid_request", resp(400, `{"error":"invalid_request"}`, false),
			func(ctx context.Context) (context.Context, error) {
				return w.refusesWith(ctx, "token", "unsupported_grant_type")
			}, verdict.OutcomeFail, false},
		{"an error answered with HTTP 200, or a token", resp(200, `{"error":"invalid_scope"}`, false),
			func(ctx context.Context) (context.Context, error) { return w.issuesOrRefuses(ctx, "invalid_scope") }, verdict.OutcomePass, false},
		{"the status scenario: 403 with the right code", resp(403, `{"error":"unsupported_grant_type"}`, false),
			func(ctx context.Context) (context.Context, error) { return w.statusIs(ctx, "", 400) }, verdict.OutcomePass, true},
		{"the status scenario: invalid_client 400 after Basic", resp(400, `{"error":"invalid_client"}`, true),
			func(ctx context.Context) (context.Context, error) { return w.statusIs(ctx, "", 400) }, verdict.OutcomeFail, false},
	} {
		w.last = c.r
		ctx, err := c.step(context.Background())
		if got := outcome(err); got != c.want || (len(warningsOf(ctx)) > 0) != c.warn {
			t.Errorf("%s: %s (%v), warnings %q; want %s, warning %v", c.name, got, err, warningsOf(ctx), c.want, c.warn)
		}
	}
}

func TestSameEndpointURL(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://as.example.com/token", "https://as.example.com/token", true},
		{"https://AS.example.com:443/token/", "https://as.example.com/token", true},
		{"http://localhost:8080/token", "http://127.0.0.1:8080/token", true},
		{"http://127.0.0.1:8080/token", "http://127.0.0.1:8081/token", false},
		{"https://as.example.com/oauth/token", "https://as.example.com/token", false},
		{"https://proxy.example.com/token", "https://as.example.com/token", false},
		{"not a url", "not a url", true},
	} {
		if got := sameEndpointURL(c.a, c.b); got != c.want {
			t.Errorf("sameEndpointURL(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
