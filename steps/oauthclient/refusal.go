package oauthclient

import (
	"fmt"
	"slices"
	"strings"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

// A refusal is judged in two parts (issue 14, design.md "How a verdict is reached"):
//
//  1. The protection: the request was refused and nothing was issued. A 2xx with a token is a
//     FAIL at the scenario's level; an OAuth error body is a refusal whatever its status (an
//     error answered with HTTP 200 is described as that, never as a success).
//  2. The wording: the error code. A code other than the one the scenario names is a FAIL only
//     where the RFC's own text excludes it (a definition that carves the case out, a sentence
//     that requires the named code with MUST), or where the code is one no RFC or IANA
//     registration defines; otherwise the scenario passes with a WARNING that names both codes
//     and both definitions.
//
// The HTTP status is not judged here: RFC 6749 5.2's "responds with an HTTP 400 (Bad Request)
// status code (unless specified otherwise)" has no keyword, and the one scenario about the
// status (token_response.feature "A token error response is JSON with HTTP 400", and the
// invalid_client scenarios that quote 5.2's MUST about 401) judges it with its own step, so a
// deviation is reported once, by the scenario whose sentence it breaks.

// Endpoint is where an error was answered: it selects the definitions that apply.
type Endpoint string

const (
	AuthorizationEndpoint Endpoint = "authorization endpoint"
	TokenEndpoint         Endpoint = "token endpoint"
	RevocationEndpoint    Endpoint = "revocation endpoint"
	IntrospectionEndpoint Endpoint = "introspection endpoint"
	ResourceServer        Endpoint = "resource server"
	RegistrationEndpoint  Endpoint = "registration endpoint"
)

// Definition is one source's definition of an error code.
type Definition struct {
	Source string     // "RFC 6749 5.2"
	Where  []Endpoint // where the source defines the code for
	Text   string     // the definition, verbatim
}

// errorCodes are the definitions of every error code the suite knows: RFC 6749 4.1.2.1 (and
// 4.2.2.1, whose definitions are the same with "access token" for "authorization code"), 5.2;
// RFC 6750 3.1; RFC 7009 2.2.1; RFC 7636 4.4.1 and 4.6 (which require codes RFC 6749 defines);
// and the codes of the IANA "OAuth Extensions Error" registry.
var errorCodes = map[string][]Definition{
	"invalid_request": {
		{"RFC 6749 5.2", []Endpoint{TokenEndpoint, RevocationEndpoint, IntrospectionEndpoint}, "The request is missing a required parameter, includes an unsupported parameter value (other than grant type), repeats a parameter, includes multiple credentials, utilizes more than one mechanism for authenticating the client, or is otherwise malformed."},
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed."},
		{"RFC 6750 3.1", []Endpoint{ResourceServer}, "The request is missing a required parameter, includes an unsupported parameter or parameter value, repeats the same parameter, uses more than one method for including an access token, or is otherwise malformed."},
	},
	"invalid_client": {
		{"RFC 6749 5.2", []Endpoint{TokenEndpoint, RevocationEndpoint, IntrospectionEndpoint}, "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."},
	},
	"invalid_grant": {
		{"RFC 6749 5.2", []Endpoint{TokenEndpoint}, "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."},
	},
	"unauthorized_client": {
		{"RFC 6749 5.2", []Endpoint{TokenEndpoint}, "The authenticated client is not authorized to use this authorization grant type."},
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The client is not authorized to request an authorization code using this method."},
	},
	"unsupported_grant_type": {
		{"RFC 6749 5.2", []Endpoint{TokenEndpoint}, "The authorization grant type is not supported by the authorization server."},
	},
	"invalid_scope": {
		{"RFC 6749 5.2", []Endpoint{TokenEndpoint}, "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."},
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The requested scope is invalid, unknown, or malformed."},
	},
	"access_denied": {
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The resource owner or authorization server denied the request."},
		{"RFC 8628 3.5", []Endpoint{TokenEndpoint}, "The authorization request was denied."},
	},
	"unsupported_response_type": {
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The authorization server does not support obtaining an authorization code using this method."},
	},
	"server_error": {
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The authorization server encountered an unexpected condition that prevented it from fulfilling the request."},
	},
	"temporarily_unavailable": {
		{"RFC 6749 4.1.2.1", []Endpoint{AuthorizationEndpoint}, "The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server."},
	},
	"invalid_token": {
		{"RFC 6750 3.1", []Endpoint{ResourceServer}, "The access token provided is expired, revoked, malformed, or invalid for other reasons."},
	},
	"insufficient_scope": {
		{"RFC 6750 3.1", []Endpoint{ResourceServer}, "The request requires higher privileges than provided by the access token."},
	},
	"unsupported_token_type": {
		{"RFC 7009 2.2.1", []Endpoint{RevocationEndpoint}, "The authorization server does not support the revocation of the presented token type.  That is, the client tried to revoke an access token on a server not supporting this feature."},
	},
	// OpenID Connect Core 1.0 3.1.2.6, registered in the IANA OAuth Extensions Error registry.
	"interaction_required": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The Authorization Server requires End-User interaction of some form to proceed."},
	},
	"login_required": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The Authorization Server requires End-User authentication."},
	},
	"account_selection_required": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The End-User is REQUIRED to select a session at the Authorization Server."},
	},
	"consent_required": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The Authorization Server requires End-User consent."},
	},
	"invalid_request_uri": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The request_uri in the Authorization Request returns an error or contains invalid data."},
	},
	"invalid_request_object": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The request parameter contains an invalid Request Object."},
	},
	"request_not_supported": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The OP does not support use of the request parameter."},
	},
	"request_uri_not_supported": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The OP does not support use of the request_uri parameter."},
	},
	"registration_not_supported": {
		{"OpenID Connect Core 3.1.2.6", []Endpoint{AuthorizationEndpoint}, "The OP does not support use of the registration parameter."},
	},
	// RFC 8628 3.5 (device authorization grant).
	"authorization_pending": {
		{"RFC 8628 3.5", []Endpoint{TokenEndpoint}, "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps."},
	},
	"slow_down": {
		{"RFC 8628 3.5", []Endpoint{TokenEndpoint}, "A variant of \"authorization_pending\", the authorization request is still pending and polling should continue, but the interval MUST be increased by 5 seconds for this and all subsequent requests."},
	},
	"expired_token": {
		{"RFC 8628 3.5", []Endpoint{TokenEndpoint}, "The \"device_code\" has expired, and the device authorization session has concluded."},
	},
	// RFC 8707 2 (resource indicators).
	"invalid_target": {
		{"RFC 8707 2", []Endpoint{AuthorizationEndpoint, TokenEndpoint}, "The requested resource is invalid, missing, unknown, or malformed."},
	},
	// RFC 9396 5 (rich authorization requests).
	"invalid_authorization_details": {
		{"RFC 9396 5", []Endpoint{AuthorizationEndpoint, TokenEndpoint}, "The authorization details are invalid, unknown, or malformed."},
	},
	// RFC 9449 (DPoP); the text is the IANA registration's description.
	"invalid_dpop_proof": {
		{"RFC 9449 5, 7.1", []Endpoint{TokenEndpoint, ResourceServer}, "The DPoP proof is invalid."},
	},
	"use_dpop_nonce": {
		{"RFC 9449 8, 9", []Endpoint{TokenEndpoint, ResourceServer}, "The authorization server or resource server requires a nonce in the DPoP proof."},
	},
	// RFC 9470 3 (step-up authentication).
	"insufficient_user_authentication": {
		{"RFC 9470 3", []Endpoint{ResourceServer}, "The authentication event associated with the access token presented with the request does not meet the authentication requirements of the protected resource."},
	},
	// RFC 7591 3.2.2 (dynamic client registration).
	"invalid_redirect_uri": {
		{"RFC 7591 3.2.2", []Endpoint{RegistrationEndpoint}, "The value of one or more redirection URIs is invalid."},
	},
	"invalid_client_metadata": {
		{"RFC 7591 3.2.2", []Endpoint{RegistrationEndpoint}, "The value of one of the client metadata fields is invalid and the server has rejected this request."},
	},
	"invalid_software_statement": {
		{"RFC 7591 3.2.2", []Endpoint{RegistrationEndpoint}, "The software statement presented is invalid."},
	},
	"unapproved_software_statement": {
		{"RFC 7591 3.2.2", []Endpoint{RegistrationEndpoint}, "The software statement presented is not approved for use by this authorization server."},
	},
	// OpenID CIBA Core 13.
	"expired_login_hint_token": {
		{"OpenID CIBA Core 13", []Endpoint{TokenEndpoint}, "The login_hint_token provided in the authentication request is not valid because it has expired."},
	},
	"unknown_user_id": {
		{"OpenID CIBA Core 13", []Endpoint{TokenEndpoint}, "The OpenID Provider is not able to identify which end-user the Client wishes to be authenticated by means of the hint provided in the request."},
	},
	"transaction_failed": {
		{"OpenID CIBA Core 13", []Endpoint{TokenEndpoint}, "The OpenID Provider encountered an unexpected condition that prevented it from successfully completing the transaction."},
	},
	"invalid_binding_message": {
		{"OpenID CIBA Core 13", []Endpoint{TokenEndpoint}, "The binding message is invalid or unacceptable for use in the context of the given request."},
	},
	// UMA 2.0 Grant 3.3.6.
	"need_info":         {{"UMA 2.0 Grant 3.3.6", []Endpoint{TokenEndpoint}, "The authorization server needs additional information in order for a request to succeed."}},
	"request_denied":    {{"UMA 2.0 Grant 3.3.6", []Endpoint{TokenEndpoint}, "The client is not authorized to have these permissions."}},
	"request_submitted": {{"UMA 2.0 Grant 3.3.6", []Endpoint{TokenEndpoint}, "The authorization server requires intervention by the resource owner to determine whether the client is authorized to have these permissions."}},
}

// exclusion is a pair the RFC's own definitions rule out: the returned code's definition
// carves out the situation the expected code names.
type exclusion struct {
	expected, returned string
	why                string
}

var exclusions = []exclusion{
	{"unsupported_grant_type", "invalid_request", `RFC 6749 5.2 defines invalid_request as an "unsupported parameter value (other than grant type)": an unsupported grant type is unsupported_grant_type`},
}

// Mandate is a sentence that requires one code with MUST: a different code breaks it, whatever
// the definitions say (RFC 7636 4.4.1 and 4.6).
type Mandate struct {
	Requirement string // the requirement tag without "@", "RFC7636-4.6"
	Code        string
	Sentence    string // RFC 7636 4.6: "..."
}

// Mandates are the sentences that require a code with MUST. A scenario tagged with the
// requirement that expects the code holds the server to it.
var Mandates = []Mandate{
	{"RFC7636-4.4.1", "invalid_request", `RFC 7636 4.4.1: "the authorization endpoint MUST return the authorization error response with the "error" value set to "invalid_request""`},
	{"RFC7636-4.6", "invalid_grant", `RFC 7636 4.6: "If the values are not equal, an error response indicating "invalid_grant" as described in Section 5.2 of [RFC6749] MUST be returned."`},
}

// MandateFor is the sentence among requirements (tags without "@") that requires code with
// MUST, "" when none does.
func MandateFor(requirements []string, code string) string {
	for _, m := range Mandates {
		if m.Code == code && slices.Contains(requirements, m.Requirement) {
			return m.Sentence
		}
	}
	return ""
}

// Expectation is what a scenario expects of a refusal.
type Expectation struct {
	Endpoint Endpoint
	// Codes are the codes the scenario accepts, the first the one it names; none: any code.
	Codes []string
	// Mandate is the sentence that requires Codes[0] with MUST (MandateFor), "" when none.
	Mandate string
}

func (e Expectation) want() string {
	if len(e.Codes) == 0 {
		return "an error"
	}
	q := make([]string, len(e.Codes))
	for i, c := range e.Codes {
		q[i] = fmt.Sprintf("%q", c)
	}
	return "error " + strings.Join(q, " or ")
}

// Judgement is the verdict on a refusal: Fail is nil when the protection held and the wording
// is not excluded; Warnings name a wording the RFCs allow but do not name.
type Judgement struct {
	Fail     error
	Warnings []string
}

// Defined reports whether an RFC or the IANA OAuth Extensions Error registry defines code.
func Defined(code string) bool { _, ok := errorCodes[code]; return ok }

// Definitions describes code's definitions, those for at first: `"x" (RFC 6749 5.2: "...")`.
func Definitions(code string, at Endpoint) string {
	defs := errorCodes[code]
	if len(defs) == 0 {
		return fmt.Sprintf("%q (defined by no RFC or IANA OAuth Extensions Error registration)", code)
	}
	var own, other []string
	for _, d := range defs {
		s := fmt.Sprintf("%s: %q", d.Source, d.Text)
		if slices.Contains(d.Where, at) {
			own = append(own, s)
		} else {
			other = append(other, s+" at the "+string(d.Where[0]))
		}
	}
	if len(own) > 0 {
		return fmt.Sprintf("%q (%s)", code, strings.Join(own, "; "))
	}
	return fmt.Sprintf("%q (not defined for the %s; %s)", code, at, strings.Join(other, "; "))
}

// JudgeCode judges the error code got of a refusal against e (part 2). It returns the reason of
// a FAIL, or the text of a warning, or neither when got is what the scenario names.
func JudgeCode(got string, e Expectation) (fail, warning string) {
	if slices.Contains(e.Codes, got) {
		return "", ""
	}
	if got == "" {
		return fmt.Sprintf("expected %s, got a refusal without an error code (RFC 6749 4.1.2.1 and 5.2: \"error REQUIRED\")", e.want()), ""
	}
	if len(e.Codes) == 0 {
		if !Defined(got) {
			return "", fmt.Sprintf("the %s refused with %s", e.Endpoint, Definitions(got, e.Endpoint))
		}
		return "", ""
	}
	named := e.Codes[0]
	if e.Mandate != "" {
		return fmt.Sprintf("expected %s, which %s requires, got %s", e.want(), e.Mandate, Definitions(got, e.Endpoint)), ""
	}
	for _, x := range exclusions {
		if x.expected == named && x.returned == got {
			return fmt.Sprintf("expected %s, got %q: %s", e.want(), got, x.why), ""
		}
	}
	if !Defined(got) {
		return fmt.Sprintf("expected %s, got %s, where %s fits", e.want(), Definitions(got, e.Endpoint), Definitions(named, e.Endpoint)), ""
	}
	return "", fmt.Sprintf("the %s refused the request with %s where the scenario names %s; the request was refused, so the protection holds, but the code differs",
		e.Endpoint, Definitions(got, e.Endpoint), Definitions(named, e.Endpoint))
}

// tokenMembers are the members whose presence means something was issued.
var tokenMembers = []string{"access_token", "refresh_token", "id_token", "code"}

// JudgeRefusal judges the answer r of the token, revocation or introspection endpoint to a
// request the scenario expects refused with e (both parts, see the package comment above).
// Outcomes other than pass and fail come back as a verdict error in Fail: a server that says
// it is temporarily unavailable has not been observed refusing anything.
func JudgeRefusal(r *Response, e Expectation) Judgement {
	if r == nil {
		return Judgement{Fail: noResponse()}
	}
	want := e.want()
	if r.Exchange != nil && r.Exchange.Err != nil {
		return Judgement{Fail: verdict.Inconclusive("expected %s, but no answer came: %v", want, r.Exchange.Err)}
	}
	got := r.Error()
	if r.Status >= 200 && r.Status < 300 {
		for _, m := range tokenMembers {
			if r.String(m) != "" {
				return Judgement{Fail: Failf(r, "expected the request to be refused with %s, got HTTP %d with %s: the server issued it", want, r.Status, m)}
			}
		}
		if got == "" {
			return Judgement{Fail: Failf(r, "expected the request to be refused with %s, got HTTP %d with neither an error nor a token", want, r.Status)}
		}
	}
	if got == "" {
		switch {
		case r.Status >= 500:
			return Judgement{Fail: Failf(r, "expected the request to be refused with %s, got HTTP %d without an OAuth error: a server failure, not a refusal", want, r.Status)}
		case r.IsRedirect():
			return Judgement{Fail: Failf(r, "expected the request to be refused with %s, got an HTTP %d redirect to %q", want, r.Status, r.Location())}
		case r.JSON == nil:
			return Judgement{Fail: Failf(r, "expected %s (RFC 6749 5.2: \"error REQUIRED\"), got HTTP %d without an OAuth error: %v", want, r.Status, r.JSONErr)}
		default:
			return Judgement{Fail: Failf(r, "expected %s (RFC 6749 5.2: \"error REQUIRED\"), got HTTP %d with a JSON body that has no \"error\"", want, r.Status)}
		}
	}
	if got == "temporarily_unavailable" {
		return Judgement{Fail: verdict.Inconclusive("the %s answered HTTP %d temporarily_unavailable, so whether it refuses the request was not observed", e.Endpoint, r.Status)}
	}
	// A 5xx carrying the named code is a refusal in the wrong status (a warning of the status
	// scenario); any other 5xx is the server failing, not refusing.
	if r.Status >= 500 && !slices.Contains(e.Codes, got) {
		return Judgement{Fail: Failf(r, "expected the request to be refused with %s, got HTTP %d with error %q: a server failure, not a refusal", want, r.Status, got)}
	}
	seen := describeError(r)
	fail, warning := JudgeCode(got, e)
	if fail != "" {
		return Judgement{Fail: Failf(r, "%s (%s)", fail, seen)}
	}
	var j Judgement
	if warning != "" {
		j.Warnings = append(j.Warnings, warning+" ("+seen+")")
	}
	return j
}

// describeError says what came back, honestly: an error answered with HTTP 200 is called that.
func describeError(r *Response) string {
	if r.Status >= 200 && r.Status < 300 {
		return fmt.Sprintf("an error answered with HTTP %d, error %q", r.Status, r.Error())
	}
	return fmt.Sprintf("HTTP %d, error %q", r.Status, r.Error())
}

// Status400 judges RFC 6749 5.2's status of an error response: "The authorization server
// responds with an HTTP 400 (Bad Request) status code (unless specified otherwise)". The
// sentence has no keyword, so another status is a warning; the one status a sentence requires
// with MUST is invalid_client's 401 when the client used the Authorization header ("the
// authorization server MUST respond with an HTTP 401 (Unauthorized) status code"), and
// invalid_client may be 401 otherwise ("MAY return an HTTP 401"). It returns the warning, or a
// FAIL when a MUST is broken.
func Status400(r *Response) (warning string, fail error) {
	if r == nil {
		return "", noResponse()
	}
	code := r.Error()
	if code == "" {
		if r.Status == 400 {
			return "", nil
		}
		return "", Failf(r, "expected HTTP 400 with an OAuth error, got HTTP %d without one", r.Status)
	}
	if code == "invalid_client" {
		if scheme := authScheme(r); scheme != "" {
			if r.Status != 401 {
				return "", Failf(r, "expected HTTP 401 for invalid_client after the client authenticated with the Authorization header (RFC 6749 5.2: \"the authorization server MUST respond with an HTTP 401 (Unauthorized) status code\"), got %s", describeError(r))
			}
			return "", nil
		}
		if r.Status == 401 {
			return "", nil
		}
	}
	if r.Status == 400 {
		return "", nil
	}
	return fmt.Sprintf("the token endpoint answered %s; RFC 6749 5.2 says it \"responds with an HTTP 400 (Bad Request) status code (unless specified otherwise)\", a sentence without a keyword", describeError(r)), nil
}

// authScheme is the scheme of the request's Authorization header, "" when it had none.
func authScheme(r *Response) string {
	if r.Exchange == nil {
		return ""
	}
	if f := strings.Fields(r.Exchange.RequestHeader.Get("Authorization")); len(f) > 0 {
		return f[0]
	}
	return ""
}
