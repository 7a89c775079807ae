package refserver

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxFormBytes caps the body of the token, introspection and revocation endpoints. A real
// request is well under 4 KiB; a bigger body is refused with 400 invalid_request (not 413):
// RFC 6749 5.2 answers every malformed token request with 400, and a client library reads
// the error code from a 400 but may not from a 413.
const maxFormBytes = 64 << 10

// readForm reads and checks the body of a POST to a JSON endpoint and returns its parameters.
// It enforces what RFC 6749 3.2 and 2.3.1 ask of the token endpoint, and applies the same rules
// to introspection and revocation (RFC 7662 2.1, RFC 7009 2.1: form-encoded POST bodies):
//   - POST only (405 with Allow otherwise),
//   - Content-Type application/x-www-form-urlencoded, UTF-8 (RFC 6749 Appendix B),
//   - "Request and response parameters MUST NOT be included more than once" (3.2),
//   - "Parameters sent without a value MUST be treated as if they were omitted" (3.2),
//   - client credentials "MUST NOT be included in the request URI" (2.3.1).
//
// Unknown parameters are kept, and ignored by the handlers ("The authorization server MUST
// ignore unrecognized request parameters", 3.2). On success r.PostForm and r.Form are set to
// the checked parameters, so fosite, which parses the request again, sees exactly these.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if r.Method != http.MethodPost {
		return nil, methodNotAllowed(r.Method)
	}
	if q := r.URL.Query(); q.Has("client_secret") || q.Has("client_id") {
		return nil, newOAuthError(errInvalidRequest, "client credentials must not be sent in the request URI (RFC 6749 2.3.1): send them in the Authorization header")
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, newOAuthError(errInvalidRequest, "missing Content-Type: send the parameters as application/x-www-form-urlencoded")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, newOAuthError(errInvalidRequest, "Content-Type must be application/x-www-form-urlencoded")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, newOAuthError(errInvalidRequest, "the body must be UTF-8 (RFC 6749 Appendix B)")
	}
	if r.Body == nil {
		return nil, newOAuthError(errInvalidRequest, "the request body is empty")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newOAuthError(errInvalidRequest, "the request body is larger than 64 KiB")
		}
		return nil, newOAuthError(errInvalidRequest, "the request body could not be read")
	}
	raw, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, newOAuthError(errInvalidRequest, "the body is not valid application/x-www-form-urlencoded")
	}
	form := make(url.Values, len(raw))
	for k, vs := range raw {
		if !utf8.ValidString(k) {
			return nil, newOAuthError(errInvalidRequest, "a parameter name is not valid UTF-8")
		}
		if len(vs) > 1 {
			return nil, newOAuthError(errInvalidRequest, "parameter "+safeName(k)+" is included more than once (RFC 6749 3.2)")
		}
		if !utf8.ValidString(vs[0]) {
			return nil, newOAuthError(errInvalidRequest, "parameter "+safeName(k)+" is not valid UTF-8")
		}
		if vs[0] == "" || k == "" {
			continue
		}
		form[k] = []string{vs[0]}
	}
	r.PostForm = form
	r.Form = form
	return form, nil
}

// safeName quotes a parameter name for an error description, shortened and limited to
// printable ASCII (RFC 6749 5.2 error_description charset).
func safeName(k string) string {
	if len(k) > 40 {
		k = k[:40] + "..."
	}
	return "'" + cleanDescription(k) + "'"
}
