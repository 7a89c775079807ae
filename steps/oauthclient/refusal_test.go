package oauthclient

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

func refusal(status int, body string, basic bool) *Response {
	req := http.Header{}
	if basic {
		req.Set("Authorization", "Basic eDp5")
	}
	return NewResponse(&Exchange{Method: "POST", URL: "http://as/token", RequestHeader: req, Status: status,
		ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: []byte(body)})
}

// TestJudgeRefusal holds the two-part judgement to issue 14: the protection at the scenario's
// level, the wording a FAIL only where the RFC text excludes it, otherwise a warning naming
// both codes and both definitions.
func TestJudgeRefusal(t *testing.T) {
	token := Expectation{Endpoint: TokenEndpoint}
	with := func(codes ...string) Expectation { e := token; e.Codes = codes; return e }
	cases := []struct {
		name string
		r    *Response
		e    Expectation
		want string // "pass", "warn", "fail", "inconclusive"
		say  []string
	}{
		// The cases seen on real servers that are warnings, not FAILs.
		{"no client identification answered invalid_request", refusal(400, `{"error":"invalid_request"}`, false), with("invalid_client"),
			"warn", []string{`"invalid_request"`, `"invalid_client"`, "missing a required parameter", "Client authentication failed"}},
		{"a public client's missing code_verifier answered invalid_client", refusal(401, `{"error":"invalid_client"}`, false), with("invalid_grant", "invalid_request"),
			"warn", []string{`"invalid_client"`, `"invalid_grant"`, "Client authentication failed", "The provided authorization grant"}},
		// What passes.
		{"the named code", refusal(400, `{"error":"invalid_grant"}`, false), with("invalid_grant"), "pass", nil},
		{"the second code allowed", refusal(400, `{"error":"invalid_request"}`, false), with("invalid_grant", "invalid_request"), "pass", nil},
		{"invalid_grant with 401 (the status is another scenario's)", refusal(401, `{"error":"invalid_grant"}`, false), with("invalid_grant"), "pass", nil},
		{"unsupported_grant_type with 501", refusal(501, `{"error":"unsupported_grant_type"}`, false), with("unsupported_grant_type"), "pass", nil},
		{"an error answered with HTTP 200 is a refusal", refusal(200, `{"error":"invalid_grant"}`, false), with("invalid_grant"), "pass", nil},
		{"any defined code where none is named", refusal(400, `{"error":"invalid_scope"}`, false), token, "pass", nil},
		{"an undefined code where none is named", refusal(400, `{"error":"bad_things"}`, false), token, "warn", []string{"defined by no RFC"}},
		// The protection.
		{"a token issued", refusal(200, `{"access_token":"a","token_type":"Bearer"}`, false), with("invalid_grant"),
			"fail", []string{"expected the request to be refused", "HTTP 200 with access_token: the server issued it"}},
		{"HTTP 200 with neither", refusal(200, `{}`, false), with("invalid_grant"), "fail", []string{"neither an error nor a token"}},
		{"a server failure", refusal(500, `{"error":"server_error"}`, false), with("invalid_grant"), "fail", []string{"a server failure, not a refusal"}},
		{"a 500 page", refusal(500, `oops`, false), with("invalid_grant"), "fail", []string{"without an OAuth error"}},
		{"a 400 without error", refusal(400, `{"error_description":"no"}`, false), with("invalid_grant"), "fail", []string{`"error REQUIRED"`}},
		{"temporarily unavailable", refusal(503, `{"error":"temporarily_unavailable"}`, false), with("invalid_grant"), "inconclusive", nil},
		// The wording the RFC text excludes.
		{"unsupported grant type answered invalid_request", refusal(400, `{"error":"invalid_request"}`, false), with("unsupported_grant_type"),
			"fail", []string{"other than grant type"}},
		{"a code no RFC or registry defines", refusal(400, `{"error":"invalid_code"}`, false), with("invalid_grant"),
			"fail", []string{`"invalid_code" (defined by no RFC`, `where "invalid_grant"`}},
		{"a wrong verifier answered invalid_request where RFC 7636 4.6 requires invalid_grant",
			refusal(400, `{"error":"invalid_request"}`, false), Expectation{Endpoint: TokenEndpoint, Codes: []string{"invalid_grant"}, Mandate: MandateFor([]string{"RFC7636-4.6"}, "invalid_grant")},
			"fail", []string{"RFC 7636 4.6", "MUST be returned"}},
		{"a wrong code answered with HTTP 200 says so", refusal(200, `{"error":"invalid_code"}`, false), with("invalid_grant"),
			"fail", []string{"an error answered with HTTP 200"}},
	}
	for _, c := range cases {
		j := JudgeRefusal(c.r, c.e)
		got, text := "pass", strings.Join(j.Warnings, "\n")
		var v *verdict.Error
		switch {
		case errors.As(j.Fail, &v):
			got, text = string(v.Outcome), v.Reason
		case j.Fail != nil:
			got, text = "fail", j.Fail.Error()
		case len(j.Warnings) > 0:
			got = "warn"
		}
		if got != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, got, text, c.want)
			continue
		}
		for _, s := range c.say {
			if !strings.Contains(text, s) {
				t.Errorf("%s: %q does not say %q", c.name, text, s)
			}
		}
		if strings.Contains(text, "success") {
			t.Errorf("%s: %q calls a refusal a success", c.name, text)
		}
	}
}

// TestJudgeCodeAtTheAuthorizationEndpoint: the authorization error response's codes (RFC 6749
// 4.1.2.1) are judged by the same table.
func TestJudgeCodeAtTheAuthorizationEndpoint(t *testing.T) {
	at := func(codes ...string) Expectation {
		return Expectation{Endpoint: AuthorizationEndpoint, Codes: codes}
	}
	for _, c := range []struct {
		name, got string
		e         Expectation
		want      string
		say       []string
	}{
		{"an unknown or not-allowed scope answered access_denied after the approval", "access_denied", at("invalid_scope"),
			"warn", []string{"The resource owner or authorization server denied the request", "The requested scope is invalid, unknown, or malformed"}},
		{"a client not registered for a response type answered unsupported_response_type", "unsupported_response_type", at("unauthorized_client"),
			"warn", []string{"does not support obtaining an authorization code", "The client is not authorized to request an authorization code"}},
		{"an OpenID code", "consent_required", at("access_denied"), "warn", []string{"OpenID Connect Core 3.1.2.6"}},
		{"a token endpoint code at the authorization endpoint", "invalid_grant", at("access_denied"), "warn", []string{"not defined for the authorization endpoint"}},
		{"the named code", "access_denied", at("access_denied"), "pass", nil},
		{"no code", "", at("access_denied"), "fail", []string{"error REQUIRED"}},
		{"an undefined code", "denied", at("access_denied"), "fail", []string{"defined by no RFC"}},
		{"RFC 7636 4.4.1's MUST", "invalid_scope", Expectation{Endpoint: AuthorizationEndpoint, Codes: []string{"invalid_request"}, Mandate: MandateFor([]string{"RFC7636-4.4.1"}, "invalid_request")},
			"fail", []string{"RFC 7636 4.4.1"}},
		{"no mandate for another requirement", "invalid_scope", Expectation{Endpoint: AuthorizationEndpoint, Codes: []string{"invalid_request"}, Mandate: MandateFor([]string{"RFC8252-8.1"}, "invalid_request")},
			"warn", nil},
	} {
		fail, warning := JudgeCode(c.got, c.e)
		got, text := "pass", ""
		switch {
		case fail != "":
			got, text = "fail", fail
		case warning != "":
			got, text = "warn", warning
		}
		if got != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, got, text, c.want)
			continue
		}
		for _, s := range c.say {
			if !strings.Contains(text, s) {
				t.Errorf("%s: %q does not say %q", c.name, text, s)
			}
		}
	}
}

// TestStatus400 holds the status scenario to RFC 6749 5.2: 400 has no keyword (a warning),
// invalid_client's 401 after Basic authentication is a MUST.
func TestStatus400(t *testing.T) {
	for _, c := range []struct {
		name   string
		r      *Response
		want   string
		saying string
	}{
		{"400", refusal(400, `{"error":"invalid_request"}`, false), "pass", ""},
		{"403 with the right code", refusal(403, `{"error":"unauthorized_client"}`, false), "warn", "without a keyword"},
		{"501 with the right code", refusal(501, `{"error":"unsupported_grant_type"}`, false), "warn", "HTTP 501"},
		{"an error answered with 200", refusal(200, `{"error":"invalid_request"}`, false), "warn", "an error answered with HTTP 200"},
		{"invalid_client 401 in the body", refusal(401, `{"error":"invalid_client"}`, false), "pass", ""},
		{"invalid_client 400 in the body", refusal(400, `{"error":"invalid_client"}`, false), "pass", ""},
		{"invalid_client 401 after Basic", refusal(401, `{"error":"invalid_client"}`, true), "pass", ""},
		{"invalid_client 400 after Basic", refusal(400, `{"error":"invalid_client"}`, true), "fail", "MUST respond with an HTTP 401"},
		{"no error", refusal(403, `{}`, false), "fail", "without one"},
	} {
		warning, fail := Status400(c.r)
		got, text := "pass", ""
		switch {
		case fail != nil:
			got, text = "fail", fail.Error()
		case warning != "":
			got, text = "warn", warning
		}
		if got != c.want || !strings.Contains(text, c.saying) {
			t.Errorf("%s: %s %q, want %s saying %q", c.name, got, text, c.want, c.saying)
		}
	}
}

// TestEveryCodeIsDefined: every entry quotes a definition and says where it applies.
func TestEveryCodeIsDefined(t *testing.T) {
	for code, defs := range errorCodes {
		if len(defs) == 0 {
			t.Errorf("%s: no definition", code)
		}
		for _, d := range defs {
			if d.Source == "" || d.Text == "" || len(d.Where) == 0 {
				t.Errorf("%s: incomplete definition %+v", code, d)
			}
		}
	}
	for _, x := range exclusions {
		if !Defined(x.expected) || !Defined(x.returned) {
			t.Errorf("exclusion %+v names an undefined code", x)
		}
	}
	for _, m := range Mandates {
		if !Defined(m.Code) || !strings.Contains(m.Sentence, "MUST") {
			t.Errorf("mandate %+v: its code must be defined and its sentence a MUST", m)
		}
	}
}
