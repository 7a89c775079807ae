// Package profile describes a conformance target: where the authorization server is, which
// clients, user and scopes the suite may use, how to drive its login and approval pages, what it
// supports, and how long to wait for it. A profile is YAML (see fixtures/targets/refserver.yaml),
// decoded strictly and validated as a whole before any scenario runs, so that a user sees every
// problem of a profile at once, each naming the field to fix.
//
// The fields, all optional unless marked:
//
//	name                      shown in reports (default: the issuer)
//	issuer                    required; the RFC 8414 issuer identifier
//	endpoints                 authorization, token, introspection, revocation: override or complete
//	                          the metadata; metadata: where the metadata is, when not at the
//	                          RFC 8414 well-known URL (OpenID discovery is tried as well)
//	clients.<role>            id, secret, redirect_uri, auth_method (client_secret_basic,
//	                          client_secret_post, none); roles: confidential, second_confidential,
//	                          public, implicit, client_credentials, password, trusted, short_lived.
//	                          The declared grants need a client that can use them (see
//	                          validateClients); a scenario needing a role the profile lacks is
//	                          not applicable and names the role.
//	users.valid               username, password of a resource owner who can log in
//	scopes                    allowed (required, at least one), refresh, not_allowed, unknown
//	browser                   login, approve, deny: lists of actions, each one of
//	                          {fill: SELECTOR, with: TEXT}, {click: SELECTOR}, {wait_for: SELECTOR},
//	                          {wait_url: GLOB}, optionally with optional: true; TEXT may hold
//	                          {{user.username}} and {{user.password}}; selectors are Playwright's
//	capabilities              grants (authorization_code, implicit, client_credentials, password,
//	                          refresh_token), pkce (required, required_for_public, optional;
//	                          never unsupported), code_challenge_methods, token_endpoint_auth_methods,
//	                          and the switches introspection, revocation, metadata, iss_parameter,
//	                          loopback_any_port, trusted_client, short_lifetimes;
//	                          redirect_uri_registration (uri, origin). What is not
//	                          declared is read from the metadata (see Supports).
//	timeouts                  request, browser_step, expiry_wait as durations ("10s")
//	resource                  url, method, required_scope of a protected resource (RFC 6750 checks)
//	admin                     username, password of an administrator of the reference server's
//	                          admin console and API (the @refserver scenarios)
//	waivers                   accepted failures: {requirement: RFC6749-4.1.2.1 | scenario: NAME,
//	                          reason: TEXT}; the reason is required
//	origins                   other origins of the server (its login, consent and error pages)
//	authorization_params      all, code, implicit: extra authorization request parameters per
//	                          flow; clients.<role>.authorization_params per client
//	clients.<role>.grants     the grants the client is registered for
//	race_requests             parallel requests of the race scenarios (1..64, default 8)
//	race_rounds               rounds of the race scenarios, each a fresh code or refresh token
//	                          (1..1000, default 50)
//	tls.ca_file               PEM certificates of the CA that issued the target's certificate,
//	                          trusted besides the system's roots (a private or test CA)
//
// fixtures/targets/README.md documents every field with a complete, commented example.
package profile

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Profile is one conformance target.
type Profile struct {
	Name         string            `yaml:"name"`
	Issuer       string            `yaml:"issuer"`
	Endpoints    Endpoints         `yaml:"endpoints"`
	Clients      map[string]Client `yaml:"clients"`
	Users        map[string]User   `yaml:"users"`
	Scopes       Scopes            `yaml:"scopes"`
	Browser      BrowserActions    `yaml:"browser"`
	Capabilities Capabilities      `yaml:"capabilities"`
	Timeouts     Timeouts          `yaml:"timeouts"`
	Resource     *Resource         `yaml:"resource"`
	// TokenEndpointsCaller names the client role (a confidential one) whose tokens the
	// introspection and revocation scenarios use, obtained through that role's own grant, and
	// which calls those endpoints: for a server that lets only some clients call them (RFC 7662
	// 2.1 and RFC 7009 leave who may call to the server). Empty: whichever client and grant
	// the target offers (client credentials first).
	TokenEndpointsCaller string `yaml:"token_endpoints_caller"`
	// Admin is an administrator of the target's admin console and API, when it has them (the
	// reference server's; used by the @refserver scenarios only).
	Admin *Admin `yaml:"admin"`
	// Waivers accept known failures of the target, each with a written reason: a waived
	// failure is reported as waived, never as passed, and does not fail the run.
	Waivers []Waiver `yaml:"waivers"`
	// Origins belong to the server besides the issuer's and its endpoints' (a login app on
	// another host or port): a redirect there is not a redirect away from the server. See
	// IsServerOrigin.
	Origins []string `yaml:"origins"`
	// AuthorizationParams are extra parameters every authorization request carries (e.g.
	// prompt=consent, which OpenID providers need to issue a refresh token). See
	// ExtraAuthorizationParams.
	AuthorizationParams AuthorizationParams `yaml:"authorization_params"`
	// RaceRequestCount is how many parallel requests the race scenarios send (1..64; nil: 8).
	// See RaceRequests.
	RaceRequestCount *int `yaml:"race_requests"`
	// RaceRoundCount is how many rounds the race scenarios repeat (1..1000; nil: the default).
	// See RaceRounds.
	RaceRoundCount *int `yaml:"race_rounds"`
	// TLS says how the suite trusts a target served over https (tls.ca_file). See tls.go.
	TLS TLSSettings `yaml:"tls"`

	// Metadata is the target's RFC 8414 (or OpenID discovery) document, filled by Resolve;
	// nil when the target publishes none.
	Metadata map[string]any `yaml:"-"`
	// MetadataURL is where Metadata was read from.
	MetadataURL string `yaml:"-"`
	// Embedded is set by the runner when the target is the in-process reference server; the
	// scenarios tagged @refserver (which rely on its seed data or configuration) run only then.
	Embedded bool `yaml:"-"`
}

// Endpoints override or complete what the metadata publishes. Empty ones are filled by Resolve.
type Endpoints struct {
	Authorization string `yaml:"authorization"`
	Token         string `yaml:"token"`
	Introspection string `yaml:"introspection"`
	Revocation    string `yaml:"revocation"`
	// Metadata is the URL of the metadata document when it is not at the RFC 8414 well-known place.
	Metadata string `yaml:"metadata"`
	// Logout is the resource owner's sign-out page (OpenID's end_session_endpoint when the
	// metadata has one), optional: the open-redirector check of the sign-out needs it. It may
	// start with {issuer}, as resource.url may.
	Logout string `yaml:"logout"`
}

// Client is a client registered at the target for one role.
type Client struct {
	ID          string `yaml:"id"`
	Secret      string `yaml:"secret"`
	RedirectURI string `yaml:"redirect_uri"`
	// AuthMethod is how the client authenticates at the token endpoint (RFC 8414 2
	// token_endpoint_auth_methods_supported values): client_secret_basic, client_secret_post or
	// none. Defaults to client_secret_basic when a secret is given, none otherwise.
	AuthMethod string `yaml:"auth_method"`
	// AuthMethods are all the methods the server accepts from this client, auth_method among
	// them (servers such as Spring Authorization Server register a set per client); nil means
	// just auth_method. See Accepts.
	AuthMethods []string `yaml:"auth_methods"`
	// Grants the client is registered for (capabilities.grants values); nil when the profile
	// does not say. See RegisteredFor.
	Grants []string `yaml:"grants"`
	// AuthorizationParams are extra parameters this client's authorization requests carry,
	// over those of the profile's authorization_params.
	AuthorizationParams map[string]string `yaml:"authorization_params"`
}

// Confidential reports whether the client has a secret.
func (c Client) Confidential() bool { return c.Secret != "" }

// Accepts reports whether the server accepts method from this client: its auth_method, or one
// of its auth_methods.
func (c Client) Accepts(method string) bool {
	return c.AuthMethod == method || slices.Contains(c.AuthMethods, method)
}

// User is a resource owner account at the target.
type User struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Admin is an administrator account of the target's admin console and API.
type Admin struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Scopes the suite may request.
type Scopes struct {
	// Allowed are granted to the suite's clients; at least one.
	Allowed []string `yaml:"allowed"`
	// Refresh is a scope that makes the server issue a refresh token (e.g. offline_access);
	// empty when the server issues one without it.
	Refresh string `yaml:"refresh"`
	// NotAllowed exist at the server but are not granted to the suite's clients.
	NotAllowed []string `yaml:"not_allowed"`
	// Unknown do not exist at the server.
	Unknown []string `yaml:"unknown"`
}

// BrowserActions say how to drive the target's own pages.
type BrowserActions struct {
	Login   []Action `yaml:"login"`
	Approve []Action `yaml:"approve"`
	Deny    []Action `yaml:"deny"`
	// Logout, optional, signs the resource owner out on the page at endpoints.logout (a
	// confirmation button); none when loading that page signs out.
	Logout []Action `yaml:"logout"`
}

// Action is one browser step. Exactly one of Fill, Click, WaitFor and WaitURL is set.
// Selectors are Playwright selectors: CSS ("#id", "[name=x]"), "text=Sign in", "xpath=...".
type Action struct {
	// Fill types With into the element Fill selects. With may hold {{user.username}} and
	// {{user.password}}.
	Fill string `yaml:"fill"`
	With string `yaml:"with"`
	// Click clicks the element it selects.
	Click string `yaml:"click"`
	// WaitFor waits until the element it selects is visible.
	WaitFor string `yaml:"wait_for"`
	// WaitURL waits until the page URL matches it (a Playwright glob, e.g. "**/consent*").
	WaitURL string `yaml:"wait_url"`
	// Optional actions are skipped when their element does not appear quickly (a "remember
	// me" box shown only sometimes).
	Optional bool `yaml:"optional"`
}

// PageSelector is the selector whose visibility identifies the page a list of actions is for
// (browser.login, approve, deny): its first required element action. A wait_url says nothing
// about the page's content, and an optional element may be missing.
func PageSelector(actions []Action) string {
	for _, a := range actions {
		if a.Optional {
			continue
		}
		if sel := a.Fill + a.Click + a.WaitFor; sel != "" {
			return sel
		}
	}
	return ""
}

// Describe is a short human form of the action for logs and errors.
func (a Action) Describe() string {
	switch {
	case a.Fill != "":
		return "fill " + a.Fill
	case a.Click != "":
		return "click " + a.Click
	case a.WaitFor != "":
		return "wait for " + a.WaitFor
	case a.WaitURL != "":
		return "wait for URL " + a.WaitURL
	}
	return "empty action"
}

// Waiver accepts the failure of a requirement (every scenario tagged with it) or of one
// scenario (by its name), with the reason the target's owner gives. Exactly one of Requirement
// and Scenario is set; Reason is required.
type Waiver struct {
	// Requirement is a requirement id as the features tag it, without '@' ("RFC6749-4.1.2.1").
	Requirement string `yaml:"requirement"`
	// Scenario is a scenario's name as the features write it (an outline row's name included).
	Scenario string `yaml:"scenario"`
	// Reason says why the failure is accepted; it is printed in every report.
	Reason string `yaml:"reason"`
}

// Matches reports whether the waiver covers a scenario with this name and these tags (with or
// without their leading '@').
func (w Waiver) Matches(scenario string, tags []string) bool {
	if w.Scenario != "" {
		return w.Scenario == scenario
	}
	for _, t := range tags {
		if strings.TrimPrefix(t, "@") == w.Requirement {
			return true
		}
	}
	return false
}

// Describe names what the waiver covers ("requirement RFC6749-4.1.2.1", "scenario \"...\"").
func (w Waiver) Describe() string {
	if w.Scenario != "" {
		return fmt.Sprintf("scenario %q", w.Scenario)
	}
	return "requirement " + w.Requirement
}

// Waiver returns the first waiver covering the scenario, if any.
func (p *Profile) Waiver(scenario string, tags []string) (Waiver, bool) {
	for _, w := range p.Waivers {
		if w.Matches(scenario, tags) {
			return w, true
		}
	}
	return Waiver{}, false
}

// Grant type names (RFC 8414 2 grant_types_supported values, "implicit" included).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantImplicit          = "implicit"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
)

// PKCE support levels.
const (
	PKCERequired          = "required"            // every client must use PKCE
	PKCERequiredForPublic = "required_for_public" // public clients must, confidential may
	PKCEOptional          = "optional"            // supported, never required
	// There is no "unsupported": RFC 9700 2.1.1 "Authorization servers MUST support PKCE".
)

// Capabilities say what the target supports. A nil (absent) field is read from the metadata by
// Supports; a declared one wins over the metadata.
type Capabilities struct {
	Grants                   []string `yaml:"grants"`
	PKCE                     string   `yaml:"pkce"`
	CodeChallengeMethods     []string `yaml:"code_challenge_methods"`
	TokenEndpointAuthMethods []string `yaml:"token_endpoint_auth_methods"`
	Introspection            *bool    `yaml:"introspection"`
	Revocation               *bool    `yaml:"revocation"`
	Metadata                 *bool    `yaml:"metadata"`
	// IssParameter: the authorization response carries iss (RFC 9207).
	IssParameter *bool `yaml:"iss_parameter"`
	// LoopbackAnyPort: a loopback redirect URI matches on any port (RFC 8252 7.3).
	LoopbackAnyPort *bool `yaml:"loopback_any_port"`
	// TrustedClient: the trusted client skips the approval page.
	TrustedClient *bool `yaml:"trusted_client"`
	// ShortLifetimes: the short_lived client's codes and tokens expire within Timeouts.ExpiryWait.
	ShortLifetimes *bool `yaml:"short_lifetimes"`
	// RedirectURIRegistration is what the server registers of a client's redirect URI:
	// RegistrationURI (the whole URI, the default) or RegistrationOrigin (scheme, host and port
	// only, any path under it accepted). RFC 6749 3.1.2.2 allows the latter ("SHOULD require
	// ... the complete redirection URI"); RFC 9700 2.1 does not ("MUST utilize exact string
	// matching"), so the exact-match scenarios then fail under RFC 9700 2.1 alone.
	RedirectURIRegistration string `yaml:"redirect_uri_registration"`
}

// What a server registers of a redirect URI (Capabilities.RedirectURIRegistration).
const (
	RegistrationURI    = "uri"
	RegistrationOrigin = "origin"
)

// RegistersOrigins reports whether the profile says the server registers redirect URIs by
// origin only.
func (c Capabilities) RegistersOrigins() bool {
	return c.RedirectURIRegistration == RegistrationOrigin
}

// Timeouts bound every wait of the suite. Zero values take the defaults below.
type Timeouts struct {
	// Request bounds one HTTP exchange with the target (default 10s).
	Request time.Duration `yaml:"request"`
	// BrowserStep bounds one browser action or navigation (default 10s).
	BrowserStep time.Duration `yaml:"browser_step"`
	// ExpiryWait bounds how long a scenario waits for a short-lived code or token to expire
	// (default 15s).
	ExpiryWait time.Duration `yaml:"expiry_wait"`
}

// Default timeouts.
const (
	DefaultRequestTimeout     = 10 * time.Second
	DefaultBrowserStepTimeout = 10 * time.Second
	DefaultExpiryWait         = 15 * time.Second
)

// Resource is a protected resource at the target for RFC 6750 checks.
type Resource struct {
	URL    string `yaml:"url"`
	Method string `yaml:"method"` // default GET
	// RequiredScope is the scope a token needs for the resource; empty when any token works.
	RequiredScope string `yaml:"required_scope"`
	// TokenGrant is the grant whose tokens the resource serves: client_credentials or
	// authorization_code (an end-user resource such as OpenID's userinfo). Empty: whichever
	// grant the target offers, client credentials first.
	TokenGrant string `yaml:"token_grant"`
}

// Client roles the suite uses.
const (
	RoleConfidential       = "confidential"
	RoleSecondConfidential = "second_confidential"
	RolePublic             = "public"
	RoleImplicit           = "implicit"
	RoleClientCredentials  = "client_credentials"
	RolePassword           = "password"
	RoleTrusted            = "trusted"
	RoleShortLived         = "short_lived"
	// RoleQueryRedirect is a client whose registered redirect URI has a query component
	// (RFC 6749 3.1.2: "MAY include ... query component"), optional: the redirect URI checks
	// of issue 17 need one, and are not applicable without it.
	RoleQueryRedirect = "query_redirect"
	// RolePKCE is not a profile role but the client the PKCE checks use (see Client).
	RolePKCE = "pkce"
)

// Roles lists every client role, in documentation order.
func Roles() []string {
	return []string{RoleConfidential, RoleSecondConfidential, RolePublic, RoleImplicit,
		RoleClientCredentials, RolePassword, RoleTrusted, RoleShortLived, RoleQueryRedirect}
}

// UserValid is the user role of a resource owner who can log in.
const UserValid = "valid"

// UserSecond is the user role of another resource owner who can log in, optional: the
// cross-site forgery checks (RFC 6749 10.12) take the attacker's form values from a session of
// this account, values an attacker could have, never the victim's.
const UserSecond = "second"

// Parse decodes and validates a profile. The error lists every problem found, one per line,
// each starting with the field path.
func Parse(data []byte) (*Profile, error) {
	p, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Load reads and parses the profile file at path.
func Load(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("target profile: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("target profile %s: %w", path, err)
	}
	return p, nil
}

// Client returns the client of role, and whether the profile has one. Two roles stand in for
// others, so that a server with a single confidential client can be profiled:
//
//   - client_credentials and password are the confidential client when the profile has no
//     client of that role and clients.confidential.grants lists the grant (never a guess:
//     a client not registered for the grant would make its scenarios fail);
//   - pkce (RolePKCE) is the client the PKCE checks use: the public client, or the
//     confidential one when there is no public client (RFC 9700 2.1.1: "Authorization servers
//     MUST support PKCE", for every client).
func (p *Profile) Client(role string) (Client, bool) {
	if c, ok := p.Clients[role]; ok {
		return c, true
	}
	switch role {
	case RoleClientCredentials, RolePassword:
		c, ok := p.Clients[RoleConfidential]
		if registered, _ := c.RegisteredFor(role); ok && c.Confidential() && registered {
			return c, true
		}
	case RolePKCE:
		if c, ok := p.Clients[RolePublic]; ok {
			return c, true
		}
		c, ok := p.Clients[RoleConfidential]
		return c, ok
	}
	return Client{}, false
}

// StandsIn says which declared role Client(role) answers with, when it is not role itself
// ("" when it answers with none), for messages that name the profile field.
func (p *Profile) StandsIn(role string) string {
	if _, ok := p.Clients[role]; ok {
		return role
	}
	c, ok := p.Client(role)
	if !ok {
		return ""
	}
	for _, r := range []string{RolePublic, RoleConfidential} {
		if d, ok := p.Clients[r]; ok && d.ID == c.ID {
			return r
		}
	}
	return ""
}

// DefaultScope is the scope every token request of the suite asks for unless its scenario says
// otherwise ({allowed-scope}): the first of scopes.allowed that is not the resource's
// required_scope, so that a scope only the resource needs (OpenID's openid for userinfo) is
// asked for only by the requests for a resource token (ResourceScope). "" when scopes.allowed is
// empty.
func (p *Profile) DefaultScope() string {
	req := ""
	if p.Resource != nil {
		req = p.Resource.RequiredScope
	}
	for _, s := range p.Scopes.Allowed {
		if s != req {
			return s
		}
	}
	if len(p.Scopes.Allowed) > 0 {
		return p.Scopes.Allowed[0]
	}
	return ""
}

// OtherAllowedScope is an allowed scope besides DefaultScope ({other-allowed-scope}): the first
// other one of scopes.allowed; "" when there is none.
func (p *Profile) OtherAllowedScope() string {
	def := p.DefaultScope()
	for _, s := range p.Scopes.Allowed {
		if s != def {
			return s
		}
	}
	return ""
}

// ResourceScope is the scope of a request for a token the protected resource accepts: the
// default scope and resource.required_scope.
func (p *Profile) ResourceScope() string {
	scope := p.DefaultScope()
	if p.Resource != nil && p.Resource.RequiredScope != "" && p.Resource.RequiredScope != scope {
		scope += " " + p.Resource.RequiredScope
	}
	return scope
}

// ValidUser returns the user who can log in.
func (p *Profile) ValidUser() User { return p.Users[UserValid] }

// SecondUser returns another user who can log in, and whether the profile names one.
func (p *Profile) SecondUser() (User, bool) {
	u, ok := p.Users[UserSecond]
	return u, ok
}

// HasGrant reports whether the profile declares grant, or, when it declares no grants, whether
// the metadata lists it.
func (p *Profile) HasGrant(grant string) bool {
	ok, _ := p.grantSupported(grant)
	return ok
}

// Problems is a list of profile problems, each naming its field. It is the error Parse returns.
type Problems []error

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, e := range ps {
		lines[i] = e.Error()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// Unwrap lets errors.Is and errors.As see each problem.
func (ps Problems) Unwrap() []error { return ps }

// problems collects Problems with their field paths.
type problems struct{ list Problems }

func (ps *problems) add(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	ps.list = append(ps.list, errors.New(msg))
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return ps.list
}
