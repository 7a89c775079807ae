package oauthclient

import (
	"fmt"
	"mime"
	"strings"
)

// AssertionError is a failed expectation about a response, with the exchange that shows it.
type AssertionError struct {
	Msg      string
	Exchange *Exchange
}

func (e *AssertionError) Error() string {
	if e.Exchange == nil {
		return e.Msg
	}
	return e.Msg + "\n--- HTTP exchange (secrets redacted) ---\n" + e.Exchange.String()
}

// Failf builds an AssertionError about r.
func Failf(r *Response, format string, args ...any) error {
	var ex *Exchange
	if r != nil {
		ex = r.Exchange
	}
	return &AssertionError{Msg: fmt.Sprintf(format, args...), Exchange: ex}
}

func noResponse() error {
	return &AssertionError{Msg: "expected a response, but no request was sent (an earlier step failed to send it)"}
}

// ExpectStatus checks the HTTP status is one of codes.
func ExpectStatus(r *Response, codes ...int) error {
	if r == nil {
		return noResponse()
	}
	for _, c := range codes {
		if r.Status == c {
			return nil
		}
	}
	want := make([]string, len(codes))
	for i, c := range codes {
		want[i] = fmt.Sprint(c)
	}
	return Failf(r, "expected HTTP %s, got %d", strings.Join(want, " or "), r.Status)
}

// ExpectJSON checks that the response is a JSON object with Content-Type application/json
// (RFC 6749 5.1).
func ExpectJSON(r *Response) error {
	if r == nil {
		return noResponse()
	}
	if r.JSONErr != nil {
		return Failf(r, "%v", r.JSONErr)
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return Failf(r, "expected Content-Type application/json, got %q", ct)
	}
	return nil
}

// ExpectMember checks that the JSON response has member name with a non-empty value.
func ExpectMember(r *Response, name string) error {
	if err := ExpectJSON(r); err != nil {
		return err
	}
	v, ok := r.JSON[name]
	if !ok {
		return Failf(r, "expected member %q in the response, got none", name)
	}
	if s, isString := v.(string); isString && s == "" {
		return Failf(r, "expected a non-empty %q, got an empty string", name)
	}
	return nil
}

// ExpectNoMember checks that the JSON response does not have member name.
func ExpectNoMember(r *Response, name string) error {
	if err := ExpectJSON(r); err != nil {
		return err
	}
	if _, ok := r.JSON[name]; ok {
		return Failf(r, "expected no member %q in the response, got one", name)
	}
	return nil
}

// ExpectTokenResponse checks a successful access token response (RFC 6749 5.1): HTTP 200,
// JSON, access_token and token_type present.
func ExpectTokenResponse(r *Response) error {
	if err := ExpectStatus(r, 200); err != nil {
		if r.JSON != nil && r.Error() != "" {
			return Failf(r, "expected HTTP 200 with an access token, got %d with error %q", r.Status, r.Error())
		}
		return err
	}
	for _, m := range []string{"access_token", "token_type"} {
		if err := ExpectMember(r, m); err != nil {
			return err
		}
	}
	return nil
}

// ExpectOAuthError checks an error response of the token, introspection or revocation
// endpoint (RFC 6749 5.2): JSON with error = code and HTTP 400, except invalid_client, which
// may be 401 and MUST be 401 with a WWW-Authenticate header when the client used the
// Authorization header. It is the strict form, for callers that cannot attach a warning; a step
// that judges a refusal uses JudgeRefusal (refusal.go), which judges the protection and the
// wording apart.
func ExpectOAuthError(r *Response, code string) error {
	if r == nil {
		return noResponse()
	}
	if r.Status >= 200 && r.Status < 300 {
		if got := r.Error(); got != "" && r.AccessToken() == "" {
			return Failf(r, "expected error %q with HTTP 400, got an error answered with HTTP %d (error %q)", code, r.Status, got)
		}
		return Failf(r, "expected error %q, got HTTP %d without an error: the request was not refused", code, r.Status)
	}
	if err := ExpectJSON(r); err != nil {
		return Failf(r, "expected a JSON error %q: %v", code, r.JSONErr)
	}
	if got := r.Error(); got != code {
		return Failf(r, "expected error %q, got %q", code, got)
	}
	var scheme string
	if r.Exchange != nil {
		if f := strings.Fields(r.Exchange.RequestHeader.Get("Authorization")); len(f) > 0 {
			scheme = f[0]
		}
	}
	switch {
	case code == "invalid_client" && scheme != "":
		if err := ExpectStatus(r, 401); err != nil {
			return err
		}
		return ExpectChallenge(r, scheme)
	case code == "invalid_client":
		return ExpectStatus(r, 400, 401)
	default:
		return ExpectStatus(r, 400)
	}
}

// ExpectDirective checks that header name carries directive among its comma-separated values
// (case-insensitive), e.g. Cache-Control: no-store.
func ExpectDirective(r *Response, name, directive string) error {
	if r == nil {
		return noResponse()
	}
	vals := r.Header.Values(name)
	for _, v := range vals {
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			if k, _, _ := strings.Cut(d, "="); strings.EqualFold(d, directive) || strings.EqualFold(k, directive) {
				return nil
			}
		}
	}
	if len(vals) == 0 {
		return Failf(r, "expected header %s with %q, got no %s header", name, directive, name)
	}
	return Failf(r, "expected header %s with %q, got %q", name, directive, strings.Join(vals, ", "))
}
