package refserver

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// Error codes of RFC 6749 5.2, RFC 7009 2.2.1 and RFC 6750 3.1 that the JSON endpoints use.
const (
	errInvalidRequest       = "invalid_request"
	errInvalidClient        = "invalid_client"
	errInvalidGrant         = "invalid_grant"
	errUnauthorizedClient   = "unauthorized_client"
	errUnsupportedGrantType = "unsupported_grant_type"
	errInvalidScope         = "invalid_scope"
	errUnsupportedTokenType = "unsupported_token_type"
	errServerError          = "server_error"
	// errTemporarilyUnavailable is RFC 6749 4.1.2.1's name for a server that cannot handle
	// the request for the moment; this server uses it, with 503, at every endpoint.
	errTemporarilyUnavailable = "temporarily_unavailable"
)

// basicRealm is the realm named in WWW-Authenticate challenges for client authentication.
const basicRealm = "oauthconf"

// oauthError is an error response of the token, introspection and revocation endpoints:
// RFC 6749 5.2 (and RFC 7009 2.2.1, RFC 7662 2.3, which reuse it).
type oauthError struct {
	Code        string
	Description string
	Status      int
	// Challenge, when set, is sent as WWW-Authenticate (RFC 6749 5.2: a 401 for invalid_client
	// names the authentication scheme).
	Challenge string
	// Allow, when set, is sent as the Allow header of a 405 (RFC 9110 15.5.6).
	Allow string
	// RetryAfter, when set, is sent as Retry-After (RFC 9110 10.2.3): a throttled credential
	// check, or a database that is busy.
	RetryAfter string
	// cause is logged for server errors, never sent.
	cause error
}

func (e *oauthError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

func newOAuthError(code, description string) *oauthError {
	return &oauthError{Code: code, Description: description, Status: http.StatusBadRequest}
}

// invalidClient is RFC 6749 5.2 invalid_client. This server always answers it with 401 and a
// Basic challenge, whichever way the client tried to authenticate: 5.2 requires exactly that
// when the client used the Authorization header, and allows it ("MAY return an HTTP 401 ...
// to indicate which HTTP authentication schemes are supported") otherwise. One behaviour for
// every case also tells a client that sent its credentials in the body which scheme to use.
func invalidClient(description string) *oauthError {
	return &oauthError{
		Code:        errInvalidClient,
		Description: description,
		Status:      http.StatusUnauthorized,
		Challenge:   `Basic realm="` + basicRealm + `", charset="UTF-8"`,
	}
}

func methodNotAllowed(method string) *oauthError {
	return &oauthError{
		Code:        errInvalidRequest,
		Description: "HTTP method " + method + " is not allowed here: use POST",
		Status:      http.StatusMethodNotAllowed,
		Allow:       http.MethodPost,
	}
}

func serverError(cause error) *oauthError {
	if store.IsBusy(cause) {
		// The database stayed locked by another process for the whole busy timeout: the
		// request did nothing and can be repeated, which is what 503 with Retry-After says
		// (RFC 9110 15.6.4), where 500 would say the server is broken.
		return &oauthError{
			Code:        errTemporarilyUnavailable,
			Description: "the server is busy: retry in a moment",
			Status:      http.StatusServiceUnavailable,
			RetryAfter:  "1",
			cause:       cause,
		}
	}
	return &oauthError{
		Code:        errServerError,
		Description: "the server could not complete the request",
		Status:      http.StatusInternalServerError,
		cause:       cause,
	}
}

// fromFosite turns an error returned by fosite into the RFC 6749 5.2 error this server sends.
// fosite uses some codes of its own ("request_unauthorized", "token_inactive", ...) and
// reports a few client mistakes as server_error; those are mapped to the standard code.
func fromFosite(err error) *oauthError {
	var oe *oauthError
	if errors.As(err, &oe) {
		return oe
	}
	var fe *fosite.RFC6749Error
	if !errors.As(err, &fe) {
		return serverError(err)
	}
	desc := fe.GetDescription()
	switch fe.ErrorField {
	case errInvalidRequest, errInvalidGrant, errUnauthorizedClient, errUnsupportedGrantType, errInvalidScope:
		return newOAuthError(fe.ErrorField, desc)
	case errInvalidClient:
		return invalidClient(desc)
	case "scope_not_granted":
		return newOAuthError(errInvalidScope, desc)
	case "request_unauthorized", "token_inactive", "token_expired", "token_signature_mismatch",
		"invalid_token", "not_found", "invalid_state":
		return newOAuthError(errInvalidGrant, desc)
	case "unsupported_response_type", "unsupported_response_mode", "request_forbidden",
		"invalid_request_uri", "invalid_request_object", "request_not_supported",
		"request_uri_not_supported", "insufficient_entropy", "jti_known", "access_denied":
		return newOAuthError(errInvalidRequest, desc)
	}
	// A code redeemed twice at the same moment: the loser of the race finds the code already
	// invalidated inside its transaction. That is RFC 6749 4.1.2's "used more than once".
	if errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) || errors.Is(err, fosite.ErrInactiveToken) {
		return newOAuthError(errInvalidGrant, "the authorization grant has already been used")
	}
	if errors.Is(err, fosite.ErrSerializationFailure) {
		return newOAuthError(errInvalidRequest, "a concurrent request used the same grant: retry")
	}
	return serverError(err)
}

// cleanDescription keeps error_description within the characters RFC 6749 5.2 allows
// (%x20-21 / %x23-5B / %x5D-7E): no double quote, no backslash, nothing outside ASCII.
func cleanDescription(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '\\' || r < 0x20 || r > 0x7e:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// setNoStore sets the headers RFC 6749 5.1 requires on responses carrying tokens or
// credentials; used on every response of the JSON endpoints, errors included.
func setNoStore(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only maps of strings, numbers and booleans are written here.
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeOAuthError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	if e.Status >= 500 {
		slog.Default().ErrorContext(r.Context(), "refserver: server error", "path", r.URL.Path, "error", e.cause)
	}
	if e.Challenge != "" {
		w.Header().Set("WWW-Authenticate", e.Challenge)
	}
	if e.Allow != "" {
		w.Header().Set("Allow", e.Allow)
	}
	if e.RetryAfter != "" {
		w.Header().Set("Retry-After", e.RetryAfter)
	}
	setNoStore(w)
	body := map[string]string{"error": e.Code}
	if d := cleanDescription(e.Description); d != "" {
		body["error_description"] = d
	}
	writeJSON(w, e.Status, body)
}
