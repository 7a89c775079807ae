package refserver

// The resource server's bearer-token handling (RFC 6750). Every protected resource goes
// through bearerCaller (which token, is it valid, who does it act as) and then decideAccess
// (acl.go: does a scope of the token open this method and path, and does the ACL guarding it
// allow the acting principal).

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// bearerRealm is the realm of every Bearer challenge (RFC 6750 3: "the "realm" attribute MAY
// be included to indicate the scope of protection").
const bearerRealm = "oauthconf"

// RFC 6750 3.1 error codes, and the one this server adds for an ACL refusal.
const (
	errInvalidToken      = "invalid_token"
	errInsufficientScope = "insufficient_scope"
	// errAccessDenied answers a token that is valid and has the scope, but whose acting
	// principal the resource's ACL does not allow. RFC 6750 3.1 has no code for that:
	// insufficient_scope would tell the client to ask for a scope it already has. The answer
	// is 403 with a bare Bearer challenge (RFC 6750 3: the challenge is required when the
	// token "does not enable access"; no RFC 6750 code fits, so none is put in it) and
	// {"error":"access_denied"} in the JSON body, the RFC 6749 code for a refusal by policy.
	errAccessDenied = "access_denied"
)

// maxResourceBody bounds a request body at the resource server.
const maxResourceBody = 64 << 10

// caller is who a request at the resource server acts as, once its token has been checked.
type caller struct {
	ClientID string
	// Principal is the acting user: the resource owner's username for a code, implicit or
	// password token (the token's subject), or the client's service user
	// ("client:<client_id>", store.ServiceUserPrincipal) for a client-credentials token.
	// Empty when the token acts as nobody (it is then refused by every ACL).
	Principal string
	Scopes    []string
	GrantType string
}

// bearerError is an RFC 6750 3 error response.
type bearerError struct {
	Status      int
	Code        string // "" for a request without credentials (RFC 6750 3.1)
	Description string
	// Scope, for insufficient_scope, names the scopes that would open the resource.
	Scope string
	// Allow, for a 405, lists the methods the resource serves.
	Allow string
	// bare is QuirkBareBearerChallenge: the challenge is the scheme alone.
	bare bool
	// unchallenged is QuirkFormTokenUnchallenged: no WWW-Authenticate at all.
	unchallenged bool
	// unsafeChars is QuirkBearerChallengeUnsafeChars: error_description with '"' and non-ASCII.
	unsafeChars bool
	cause       error
}

func bearerNoCredentials(desc string) *bearerError {
	return &bearerError{Status: http.StatusUnauthorized, Description: desc}
}

func bearerInvalidRequest(desc string) *bearerError {
	return &bearerError{Status: http.StatusBadRequest, Code: errInvalidRequest, Description: desc}
}

func bearerInvalidToken(desc string) *bearerError {
	return &bearerError{Status: http.StatusUnauthorized, Code: errInvalidToken, Description: desc}
}

// writeBearerError writes e with its WWW-Authenticate challenge. RFC 6750 3: "If the protected
// resource request does not include authentication credentials or does not contain an access
// token that enables access to the protected resource, the resource server MUST include the
// HTTP "WWW-Authenticate" response header field". RFC 6750 3.1: "If the request lacks any
// authentication information [...], the resource server SHOULD NOT include an error code or
// other error information."
func writeBearerError(w http.ResponseWriter, r *http.Request, e *bearerError) {
	if e.Status >= 500 {
		writeOAuthError(w, r, serverError(e.cause))
		return
	}
	if e.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", e.Allow)
		setNoStore(w)
		writeJSON(w, e.Status, map[string]string{"error": errInvalidRequest, "error_description": cleanDescription(e.Description)})
		return
	}
	challenge := `Bearer realm="` + bearerRealm + `"`
	body := map[string]string{}
	if d := cleanDescription(e.Description); d != "" {
		body["error_description"] = d
	}
	if e.Code != "" {
		body["error"] = e.Code
	}
	// access_denied is not an RFC 6750 code: it stays out of the challenge.
	if e.Code != "" && e.Code != errAccessDenied {
		challenge += `, error="` + e.Code + `"`
		if d := body["error_description"]; d != "" {
			if e.unsafeChars {
				// QuirkBearerChallengeUnsafeChars: a legal quoted-string whose value breaks
				// RFC 6750 3's character set.
				d = `the token \"` + "presented" + `\" is not active – ask for a new one`
			}
			challenge += `, error_description="` + d + `"`
		}
	}
	if e.Scope != "" {
		// RFC 6750 3: scope-token characters exclude '"' and '\', so quoting is safe;
		// cleanDescription keeps it so for scopes named by an administrator.
		sc := cleanDescription(e.Scope)
		challenge += `, scope="` + sc + `"`
		body["scope"] = sc
	}
	if e.bare {
		challenge = "Bearer"
	}
	if !e.unchallenged {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	setNoStore(w)
	writeJSON(w, e.Status, body)
}

// bearerCaller finds the access token of r (RFC 6750 2), checks it by introspecting it in
// process (so expiry and revocation count at once) and says who the request acts as. methods
// are the methods the resource serves. It returns the form body when it read one (an
// application/x-www-form-urlencoded POST, PUT, PATCH or DELETE), for the handler to use.
func (s *Server) bearerCaller(r *http.Request, methods ...string) (*caller, url.Values, *bearerError) {
	if !slices.Contains(methods, r.Method) {
		return nil, nil, &bearerError{Status: http.StatusMethodNotAllowed, Allow: strings.Join(methods, ", "),
			Description: "HTTP method " + safeName(r.Method) + " is not served here: use " + strings.Join(methods, " or ")}
	}
	token, form, be := extractBearer(r)
	if be == nil && token != "" && s.quirks.Has(QuirkFormTokenUnchallenged) && form.Has("access_token") {
		be = &bearerError{Status: http.StatusBadRequest, Code: errInvalidRequest, Description: "an access token in the body is not accepted here", unchallenged: true}
	}
	if be != nil {
		be.bare = be.Code == "" && s.quirks.Has(QuirkBareBearerChallenge)
		s.auditBearerRefused(r, be)
		return nil, form, be
	}
	c, be := s.checkAccessToken(r, token)
	if be != nil && be.Code == errInvalidToken && s.quirks.Has(QuirkBearerChallengeUnsafeChars) {
		be.unsafeChars = true
	}
	s.auditBearerRefused(r, be)
	return c, form, be
}

// extractBearer applies RFC 6750 2: the token in the Authorization header (2.1), or in a
// form-encoded body under the conditions of 2.2, never in the URI query (2.3, refused here:
// RFC 9700 2.4 "access tokens [...] MUST NOT be sent in the query", it would end up in logs),
// and in one place only: RFC 6750 2: "Clients MUST NOT use more than one method to transmit
// the token in each request."
func extractBearer(r *http.Request) (token string, form url.Values, be *bearerError) {
	if _, ok := r.URL.Query()["access_token"]; ok {
		return "", nil, bearerInvalidRequest("the access token was sent in the URI query, which this resource refuses: send it in the Authorization header (RFC 6750 2.1)")
	}

	var headerToken string
	hasHeader := false
	switch auths := r.Header.Values("Authorization"); len(auths) {
	case 0:
	case 1:
		// RFC 6750 2.1: credentials = "Bearer" 1*SP b64token; the scheme is
		// case-insensitive (RFC 9110 11.1). Another scheme is not a bearer credential: the
		// request then carries no authentication this resource understands (3.1).
		scheme, rest, _ := strings.Cut(auths[0], " ")
		if strings.EqualFold(scheme, "Bearer") {
			hasHeader = true
			headerToken = strings.TrimLeft(rest, " ")
			if !validB64Token(headerToken) {
				return "", nil, bearerInvalidRequest("the Authorization header must be \"Bearer\", one or more spaces and a token (RFC 6750 2.1 b64token)")
			}
		}
	default:
		return "", nil, bearerInvalidRequest("more than one Authorization header")
	}

	form, be = readBearerForm(r)
	if be != nil {
		return "", nil, be
	}
	bodyTokens, inBody := form["access_token"]
	switch {
	case hasHeader && inBody:
		return "", form, bearerInvalidRequest("the access token was sent both in the Authorization header and in the body: use one method (RFC 6750 2)")
	case hasHeader:
		return headerToken, form, nil
	case inBody && len(bodyTokens) != 1:
		return "", form, bearerInvalidRequest("access_token is repeated in the body")
	case inBody:
		if bodyTokens[0] == "" || !validB64Token(bodyTokens[0]) {
			return "", form, bearerInvalidRequest("access_token in the body is empty or not a token (RFC 6750 2.1 b64token)")
		}
		return bodyTokens[0], form, nil
	}
	return "", form, bearerNoCredentials("this resource needs an access token in the Authorization header: Bearer <token>")
}

// readBearerForm reads the body when RFC 6750 2.2 lets it carry a token: "The HTTP request
// entity-header includes the "Content-Type" header field set to
// "application/x-www-form-urlencoded"", "The entity-body follows the encoding requirements
// defined by the "application/x-www-form-urlencoded" content-type", is single-part, consists
// "entirely of ASCII characters", and "The HTTP request method is one for which the
// request-body has defined semantics. In particular, this means that the "GET" method MUST
// NOT be used." Any other body is left unread for the handler. A nil form means none was read.
func readBearerForm(r *http.Request) (url.Values, *bearerError) {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxResourceBody+1))
	if err != nil {
		return nil, bearerInvalidRequest("the request body could not be read")
	}
	if len(raw) > maxResourceBody {
		return nil, &bearerError{Status: http.StatusRequestEntityTooLarge, Code: errInvalidRequest, Description: "the request body is larger than 64 KiB"}
	}
	for _, b := range raw {
		if b > 0x7e || (b < 0x20 && b != '\t' && b != '\r' && b != '\n') {
			return nil, bearerInvalidRequest("a form-encoded body must consist entirely of ASCII characters (RFC 6750 2.2)")
		}
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, bearerInvalidRequest("the form-encoded body is malformed")
	}
	return form, nil
}

// validB64Token checks RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"=".
func validB64Token(t string) bool {
	body := strings.TrimRight(t, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// checkAccessToken validates token with fosite's introspection (the stored token: active,
// not expired, its client still enabled) and works out who it acts as.
func (s *Server) checkAccessToken(r *http.Request, token string) (*caller, *bearerError) {
	if s.quirks.Has(QuirkJWTSignatureUnchecked) {
		if c, _, ok := s.unverifiedJWTCaller(r.Context(), token); ok {
			return c, nil
		}
	}
	use, ar, err := s.provider.IntrospectToken(r.Context(), token, fosite.AccessToken, NewSession(""))
	if err != nil {
		if storageFailure(err) {
			return nil, &bearerError{Status: http.StatusInternalServerError, cause: err}
		}
		// RFC 6750 3.1 invalid_token: "The access token provided is expired, revoked,
		// malformed, or invalid for other reasons."
		return nil, bearerInvalidToken("the access token is invalid, expired or revoked")
	}
	if use != fosite.AccessToken || ar == nil || ar.GetClient() == nil {
		// fosite also accepts a refresh token here; a refresh token is no access token.
		return nil, bearerInvalidToken("the token is not an access token")
	}
	c := &caller{
		ClientID:  ar.GetClient().GetID(),
		Scopes:    append([]string(nil), ar.GetGrantedScopes()...),
		GrantType: ar.GetRequestForm().Get("grant_type"),
	}
	if c.GrantType == store.GrantClientCredentials {
		// RFC 6749 4.4: the client acts "on its own behalf"; here as its service user, whose
		// principal can never equal a username (store.ServiceUserPrincipal, RFC 9700 4.15).
		c.Principal = store.ServiceUserPrincipal(c.ClientID)
	} else if sess := ar.GetSession(); sess != nil {
		// The code, implicit, password and refresh grants act as the resource owner. A subject
		// that could be mistaken for a service user is never trusted.
		if sub := sess.GetSubject(); store.ValidateUsername(sub) == nil {
			c.Principal = sub
		}
	}
	return c, nil
}

// storageFailure reports whether err is a failure of the store rather than a bad token:
// fosite wraps every storage error in request_unauthorized, so the innermost error decides.
func storageFailure(err error) bool {
	inner := err
	for {
		next := errors.Unwrap(inner)
		if next == nil {
			break
		}
		inner = next
	}
	var fe *fosite.RFC6749Error
	if errors.As(inner, &fe) {
		return false
	}
	var fv fosite.RFC6749Error
	if errors.As(inner, &fv) {
		return false
	}
	// A JWT access token that fails its signature or claims check (jwt.go) ends in the JWT
	// library's validation error, wrapped in fosite's: a bad token, not a broken store.
	var ve *jwt.ValidationError
	return !errors.As(inner, &ve)
}
