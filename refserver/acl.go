package refserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// accessDecision is the resource server's verdict on one request, and why (for the answer and
// the audit log).
type accessDecision struct {
	Allowed bool
	// Check is what refused the request: "scope", "principal" or "acl" ("" when allowed).
	Check  string
	Reason string
	// Needed lists the scopes that would open the resource (for insufficient_scope).
	Needed []string
	// ACLs are the ACLs that were consulted.
	ACLs []string
}

// decideAccess applies the model to a request whose token is valid. A request is allowed only
// if one of the token's scopes opens the method and path (or the service the request invokes),
// and every ACL guarding the resource allows the acting principal. A resource no ACL guards
// is closed: access is granted by naming an ACL, never by forgetting to.
func (s *Server) decideAccess(ctx context.Context, c *caller, req store.ResourceRequest) (accessDecision, error) {
	what := req.Method + " " + req.Path
	if req.Service != "" {
		what += " (service " + req.Service + ")"
	}
	opening, err := s.store.ScopesOpening(ctx, req)
	if err != nil {
		return accessDecision{}, err
	}
	granted := false
	for _, sc := range c.Scopes {
		if slices.Contains(opening, sc) {
			granted = true
			break
		}
	}
	if !granted {
		reason := "no scope of the access token opens " + what
		if len(opening) > 0 {
			reason += ": it needs " + strings.Join(opening, " or ")
		} else {
			reason += ", and no scope opens it"
		}
		return accessDecision{Check: "scope", Reason: reason, Needed: s.preferClientScopes(ctx, c.ClientID, opening)}, nil
	}
	if c.Principal == "" {
		return accessDecision{Check: "principal", Reason: "the access token acts as no user, so no ACL can allow it"}, nil
	}
	acls, err := s.store.ACLsGuarding(ctx, req)
	if err != nil {
		return accessDecision{}, err
	}
	if len(acls) == 0 {
		return accessDecision{Check: "acl", Reason: "no ACL guards " + what + ", so it is closed"}, nil
	}
	groups, err := s.store.GroupsOf(ctx, c.Principal)
	if err != nil {
		return accessDecision{}, err
	}
	reasons := make([]string, 0, len(acls))
	for _, name := range acls {
		acl, err := s.store.GetACL(ctx, name)
		if err != nil {
			return accessDecision{}, err
		}
		ok, why := acl.Decide(groups)
		if !ok {
			return accessDecision{Check: "acl", Reason: why, ACLs: acls}, nil
		}
		reasons = append(reasons, why)
	}
	return accessDecision{Allowed: true, Reason: strings.Join(reasons, "; "), ACLs: acls}, nil
}

// preferClientScopes orders the scopes that would open a resource with those the client may
// ask for first: the insufficient_scope challenge names the first, the one the client can
// actually obtain when there is one.
func (s *Server) preferClientScopes(ctx context.Context, clientID string, opening []string) []string {
	cl, err := s.store.LookupClient(ctx, clientID)
	if err != nil {
		return opening
	}
	out := make([]string, 0, len(opening))
	for _, sc := range opening {
		if slices.Contains(cl.Scopes, sc) {
			out = append(out, sc)
		}
	}
	for _, sc := range opening {
		if !slices.Contains(cl.Scopes, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// allowAccess runs decideAccess and answers a refusal. RFC 6750 3.1 insufficient_scope: "The
// request requires higher privileges than provided by the access token. The resource server
// SHOULD respond with the HTTP 403 (Forbidden) status code and MAY include the "scope"
// attribute with the scope necessary to access the protected resource." An ACL refusal is 403
// access_denied (see errAccessDenied).
func (s *Server) allowAccess(w http.ResponseWriter, r *http.Request, c *caller, req store.ResourceRequest) bool {
	d, err := s.decideAccess(r.Context(), c, req)
	if err == nil {
		s.auditAccess(r, c, req, d)
	}
	if err != nil {
		writeBearerError(w, r, &bearerError{Status: http.StatusInternalServerError, cause: fmt.Errorf("access decision: %w", err)})
		return false
	}
	if d.Allowed {
		return true
	}
	if d.Check == "scope" {
		// RFC 6750 3: scope is "a space-delimited list of [...] scope values indicating the
		// required scope": listing alternatives there would read as "all of these". One scope
		// that opens the resource is named; the description lists every alternative.
		needed := ""
		if len(d.Needed) > 0 {
			needed = d.Needed[0]
		}
		writeBearerError(w, r, &bearerError{Status: http.StatusForbidden, Code: errInsufficientScope,
			Description: d.Reason, Scope: needed})
		return false
	}
	writeBearerError(w, r, &bearerError{Status: http.StatusForbidden, Code: errAccessDenied, Description: d.Reason})
	return false
}

// aclStore is what the ACL check reads: the scopes and ACLs guarding a resource, the
// principal's groups, the client.
type aclStore interface {
	ACLsGuarding(ctx context.Context, req store.ResourceRequest) ([]string, error)
	GetACL(ctx context.Context, name string) (*store.ACL, error)
	GroupsOf(ctx context.Context, principal string) ([]string, error)
	LookupClient(ctx context.Context, id string) (*store.Client, error)
	ScopesOpening(ctx context.Context, req store.ResourceRequest) ([]string, error)
}

var _ aclStore = (*store.Store)(nil)
