package refserver

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// The approval page: the owner sees the client and each requested scope with its
// description, and approves or denies. The form carries the pending request (signed) and a
// CSRF token bound to the login session and to that request; the POST validates the request
// again against the client and its redirect URI before anything is issued.

type consentView struct {
	Action            string
	CSRF              string
	Pending           string
	Username          string
	ClientName        string
	ClientDescription string
	Scopes            []*store.Scope
	RedirectHost      string
	Logout            string
}

func (s *Server) renderConsent(w http.ResponseWriter, p *pendingAuthz, ls loginSession, now time.Time) {
	sealed := s.sealPending(p.params, now)
	name := p.client.Name
	if name == "" {
		name = p.client.ID
	}
	set := s.current(context.Background()) // the run-time settings (settings.go)
	heading := set.ApprovalHeading
	if heading == "" {
		heading = set.ApprovalTitle
	}
	// The approval POST redirects to the client's redirect URI (either decision).
	s.renderPageTo(w, http.StatusOK, "consent", set.ApprovalTitle, heading, consentView{
		Action:            s.issuer.Path + PathConsent,
		CSRF:              s.consentCSRFToken(ls, sealed),
		Pending:           sealed,
		Username:          ls.Username,
		ClientName:        name,
		ClientDescription: p.client.Description,
		Scopes:            p.scopes,
		RedirectHost:      p.redirect.Host,
		Logout:            s.issuer.Path + PathLogout,
	}, p.redirect)
}

func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, "POST")
		return
	}
	body, fail := readFormBody(w, r, maxLoginFormBytes)
	if fail != nil {
		s.renderError(w, fail.status, errorPage{Message: fail.desc})
		return
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		s.renderError(w, http.StatusBadRequest, errorPage{Message: "The approval form is malformed."})
		return
	}
	now := time.Now()
	sealed := form.Get("authz")
	ls, ok := s.currentSession(r, now)
	// Without a valid token nothing is redirected and nothing is issued (RFC 6749 10.12).
	if !ok || (!s.checkConsentCSRF(ls, sealed, form.Get("csrf_token")) && !s.quirks.Has(QuirkConsentCSRFUnchecked)) {
		s.renderError(w, http.StatusForbidden, errorPage{
			Message: "The approval form is missing its security token, or your sign-in has ended.",
			Detail:  "Go back to the application and start again.",
		})
		return
	}
	params, ok := s.openPending(sealed, now)
	if !ok {
		s.renderError(w, http.StatusBadRequest, errorPage{
			Message: "This authorization request has expired. Go back to the application and start again.",
		})
		return
	}
	p, f := s.checkAuthorize(r.Context(), params, "")
	if f != nil {
		s.writeAuthzFailure(w, r, f)
		return
	}
	switch d := form["decision"]; {
	case len(d) == 1 && d[0] == "approve":
		s.auditApproval(r, p, ls.Username, auditApproved)
		s.approve(w, r, p, ls)
	case len(d) == 1 && d[0] == "deny":
		s.auditApproval(r, p, ls.Username, auditDenied)
		s.deny(w, r, p)
	default:
		s.renderError(w, http.StatusBadRequest, errorPage{Message: "Choose Approve or Deny."})
	}
}
