package refserver

// The security audit log's hooks (refserver/audit): each endpoint calls one of these at its
// decision point. They take the objects the decision was made on and pick the fields to log
// themselves, so no endpoint ever hands a secret, a password, a code or a whole token over.

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/ory/fosite"

	"github.com/oauthconf/oauthconf/refserver/admin"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// RequestIDHeader carries the id of each request in its response; the audit log's request_id
// is the same id, so an answer can be matched to its log lines.
const RequestIDHeader = "X-Request-Id"

// withRequestID gives r a fresh request id (never one the caller sent: the log must be able
// to trust it), echoes it in the response and puts it, with the remote address, into the
// context for the audit log.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := audit.NewRequestID()
	w.Header().Set(RequestIDHeader, id)
	return r.WithContext(audit.WithRequest(r.Context(), id, r.RemoteAddr))
}

func (s *Server) audit(ctx context.Context, rec audit.Record) { s.cfg.Audit.Log(ctx, rec) }

// claimedClientID is the client id a request claims, from HTTP Basic (the part before the
// colon only) or the body, for logging a failed authentication.
func claimedClientID(r *http.Request, form url.Values) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return ""
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return ""
		}
		u, _, _ := strings.Cut(string(raw), ":")
		if id, err := url.QueryUnescape(u); err == nil {
			return id
		}
		return ""
	}
	return form.Get("client_id")
}

// auditClientAuth records the outcome of clientAuthenticator.authenticate.
func (s *Server) auditClientAuth(r *http.Request, form url.Values, client *store.Client, oe *oauthError) {
	if !s.cfg.Audit.Enabled() {
		return
	}
	if oe != nil && oe.Code == errInvalidClient && oe.RetryAfter != "" {
		return // throttled, unchecked: the throttled event (auditThrottled) is its one line
	}
	rec := audit.Record{Event: audit.ClientAuthentication, Outcome: audit.OK}
	method := authMethodPost
	if r.Header.Get("Authorization") != "" {
		method = authMethodBasic
	}
	if oe != nil {
		rec.Outcome, rec.ClientID = audit.Failed, s.auditClientID(r.Context(), claimedClientID(r, form))
		rec.Reason = method + ": " + oe.Code + ": " + oe.Description
	} else {
		rec.ClientID, rec.Reason = client.ID, method
		if client.Public {
			rec.Reason = "none: a public client identified by client_id"
		}
	}
	s.audit(r.Context(), rec)
}

// auditLogin records a resource owner's login: at the login page (clientID from the pending
// request, if any) or with the password grant.
//
// A failed login as a username that is no user's is not logged as typed: people type their
// password into the username field, and the log must never hold a password. It shows
// "unknown:" and a keyed fingerprint (HMAC under a key derived from the global secret, first
// 12 hex digits), so repeated guesses of one name can be correlated, but nobody reading the
// log can recover the name or test a dictionary against it. An existing username is logged
// as it is: it names an account, it is not a secret.
func (s *Server) auditLogin(r *http.Request, clientID, username string, ok bool, reason string) {
	if !s.cfg.Audit.Enabled() {
		return
	}
	rec := audit.Record{Event: audit.Login, Outcome: audit.OK, ClientID: clientID, User: username, Reason: reason}
	if !ok {
		rec.Outcome = audit.Failed
		rec.User = s.auditUsername(r.Context(), username)
	}
	s.audit(r.Context(), rec)
}

// auditUsername is username as the audit log shows a failed or throttled attempt: as typed
// when it names a user, else "unknown:" and its keyed fingerprint (see auditLogin).
func (s *Server) auditUsername(ctx context.Context, username string) string {
	if u, err := s.store.GetUser(ctx, username); err != nil || u == nil {
		return "unknown:" + hex.EncodeToString(s.mac("audit-unknown-username", username))[:12]
	}
	return username
}

// auditAdminName is auditUsername for administrators.
func (s *Server) auditAdminName(ctx context.Context, name string) string {
	if _, err := s.store.AdminPasswordHash(ctx, name); err != nil {
		return "unknown:" + hex.EncodeToString(s.mac("audit-unknown-admin", name))[:12]
	}
	return name
}

// auditClientID is a client id as the audit log shows a failed or throttled authentication:
// as sent when a client has it, else "unknown:" and its keyed fingerprint. A script with its
// fields swapped sends a secret as the client id (issue 16 item 7); an existing id is no
// secret (RFC 6749 2.2).
func (s *Server) auditClientID(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if c, err := s.store.LookupClient(ctx, id); err != nil || c == nil {
		return "unknown:" + hex.EncodeToString(s.mac("audit-unknown-client", id))[:12]
	}
	return id
}

// auditLogout records a sign-out: every login session of the user ended.
func (s *Server) auditLogout(r *http.Request, username string) {
	s.audit(r.Context(), audit.Record{Event: audit.SessionEnded, Outcome: audit.OK, User: username, Reason: "sign-out: every login session of the user ended"})
}

// auditPasswordGrant records the owner's login of a password grant, once fosite has checked
// the credentials (err is NewAccessRequest's).
func (s *Server) auditPasswordGrant(r *http.Request, client *store.Client, username string, err error) {
	if err == nil {
		s.auditLogin(r, client.ID, username, true, "password grant")
		return
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.ErrorField == fosite.ErrInvalidGrant.ErrorField || rfc.ErrorField == fosite.ErrRequestForbidden.ErrorField {
		s.auditLogin(r, client.ID, username, false, "password grant: the username or password is not correct")
	}
}

// The approval outcomes, named here so the endpoints need no import of their own.
const (
	auditApproved       = audit.Approved
	auditDenied         = audit.Denied
	auditSkippedTrusted = audit.SkippedTrusted
)

// tokenKindName names a token type as RFC 7009 token_type_hint does.
func tokenKindName(t fosite.TokenType) string {
	if t == fosite.RefreshToken {
		return "refresh_token"
	}
	return "access_token"
}

// auditApproval records the owner's decision on the approval page, or its skipping for a
// trusted client.
func (s *Server) auditApproval(r *http.Request, p *pendingAuthz, username string, outcome audit.Outcome) {
	rec := audit.Record{Event: audit.Approval, Outcome: outcome, ClientID: p.client.ID, User: username,
		Reason: "response_type " + p.responseType}
	for _, sc := range p.scopes {
		rec.Scopes = append(rec.Scopes, sc.Name)
	}
	s.audit(r.Context(), rec)
}

// auditImplicitIssued records an access token issued by the authorization endpoint
// (response_type=token, RFC 6749 4.2.2).
func (s *Server) auditImplicitIssued(r *http.Request, p *pendingAuthz, username string, resp fosite.AuthorizeResponder) {
	if p.responseType != "token" {
		return
	}
	s.audit(r.Context(), audit.Record{Event: audit.TokenIssued, Outcome: audit.OK, ClientID: p.client.ID, User: username,
		Scopes: p.ar.GetGrantedScopes(), GrantType: "implicit", Token: audit.FingerprintOf(resp.GetParameters().Get("access_token"))})
}

// auditTokenIssued records a successful token response; a refresh is token_refreshed.
func (s *Server) auditTokenIssued(r *http.Request, gt string, client *store.Client, ar fosite.AccessRequester, accessToken string) {
	rec := audit.Record{Event: audit.TokenIssued, Outcome: audit.OK, ClientID: client.ID, GrantType: gt,
		Scopes: ar.GetGrantedScopes(), Token: audit.FingerprintOf(accessToken)}
	if gt == store.GrantRefreshToken {
		rec.Event = audit.TokenRefreshed
	}
	rec.User = principalOf(gt, client.ID, ar.GetSession())
	s.audit(r.Context(), rec)
}

// principalOf is who a token acts as: the owner, or a client-credentials client's service user.
func principalOf(gt, clientID string, sess fosite.Session) string {
	if gt == store.GrantClientCredentials {
		return store.ServiceUserPrincipal(clientID)
	}
	if sess != nil {
		return sess.GetSubject()
	}
	return ""
}

// auditRevoked records a revocation request's outcome: kind is the kind of token revoked
// ("" when the token was unknown, which RFC 7009 2.2 answers with 200 all the same).
func (s *Server) auditRevoked(r *http.Request, client *store.Client, kind string, req fosite.Requester, token string, refused bool) {
	rec := audit.Record{Event: audit.TokenRevoked, Outcome: audit.OK, ClientID: client.ID, Token: audit.FingerprintOf(token)}
	switch {
	case refused:
		rec.Outcome, rec.Reason = audit.Failed, "the token was issued to another client"
	case kind == "":
		rec.Reason = "unknown, expired or already revoked token: nothing to revoke"
	default:
		rec.Reason = kind
		if kind == "refresh_token" {
			rec.Reason += " and the tokens of its grant"
		}
	}
	if req != nil {
		rec.Scopes = req.GetGrantedScopes()
		if sess := req.GetSession(); sess != nil {
			rec.User = sess.GetSubject()
		}
	}
	s.audit(r.Context(), rec)
}

// auditIntrospected records an introspection answer.
func (s *Server) auditIntrospected(r *http.Request, client *store.Client, token string, ar fosite.AccessRequester, active bool) {
	rec := audit.Record{Event: audit.TokenIntrospected, Outcome: audit.Inactive, ClientID: client.ID, Token: audit.FingerprintOf(token)}
	if active && ar != nil {
		rec.Outcome, rec.Scopes = audit.Active, ar.GetGrantedScopes()
		if sess := ar.GetSession(); sess != nil {
			rec.User = sess.GetSubject()
		}
	}
	s.audit(r.Context(), rec)
}

// auditAccess records the resource server's decision (acl.go accessDecision).
func (s *Server) auditAccess(r *http.Request, c *caller, req store.ResourceRequest, d accessDecision) {
	rec := audit.Record{Event: audit.ResourceAccess, Outcome: audit.Allowed, ClientID: c.ClientID, User: c.Principal,
		Scopes: c.Scopes, GrantType: c.GrantType}
	what := req.Method + " " + req.Path
	if req.Service != "" {
		what += " (service " + req.Service + ")"
	}
	if d.Allowed {
		rec.Reason = what + ": " + d.Reason
	} else {
		rec.Outcome, rec.Reason = audit.Denied, d.Check+": "+d.Reason
	}
	s.audit(r.Context(), rec)
}

// auditBearerRefused records a request the resource server refused before any access decision
// (no token, an invalid or revoked one): resource_access denied for reason "token".
func (s *Server) auditBearerRefused(r *http.Request, be *bearerError) {
	if be == nil || be.Status == http.StatusMethodNotAllowed || be.Status >= 500 {
		return
	}
	reason := "token: no access token"
	if be.Code != "" {
		reason = "token: " + be.Code + ": " + be.Description
	}
	s.audit(r.Context(), audit.Record{Event: audit.ResourceAccess, Outcome: audit.Denied,
		Reason: r.Method + " " + r.URL.Path + ": " + reason})
}

// auditAdminChange is the admin handler's OnChange: every change an administrator makes or
// attempts, and every console sign-in.
func (s *Server) auditAdminChange(ctx context.Context, c admin.Change) {
	rec := audit.Record{Event: audit.AdminChange, Outcome: audit.OK, Admin: c.Admin, Via: c.Via, Operation: c.Operation}
	if !c.OK {
		rec.Outcome = audit.Failed
	}
	rec.Reason = "HTTP " + http.StatusText(c.Status)
	if c.Operation == "POST /admin/login" {
		// A console sign-in changes nothing: it is a login, of an administrator.
		rec.Event, rec.Operation, rec.Reason = audit.Login, "", "admin console sign-in"
	}
	keys := make([]string, 0, len(c.Target))
	for k := range c.Target {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := c.Target[k]
		if k == "id" && c.Target["kind"] != "" {
			// A token's id is its store signature: only a prefix is logged.
			v = audit.SignaturePrefix(v).String()
		}
		parts = append(parts, k+"="+v)
		if k == "client_id" {
			rec.ClientID = v
		}
		if k == "username" {
			rec.User = v
		}
	}
	if id := c.Target["id"]; id != "" && c.Target["kind"] == "" && strings.Contains(c.Operation, "/clients/") {
		rec.ClientID = id
	}
	rec.Target = strings.Join(parts, " ")
	if c.Remote != "" && audit.RequestID(ctx) == "" {
		ctx = audit.WithRequest(ctx, "", c.Remote)
	}
	s.audit(ctx, rec)
}

// auditStore is what the audit hooks read to name who acted.
type auditStore interface {
	AdminPasswordHash(ctx context.Context, username string) ([]byte, error)
	GetUser(ctx context.Context, username string) (*store.User, error)
	LookupClient(ctx context.Context, id string) (*store.Client, error)
}

var _ auditStore = (*store.Store)(nil)
