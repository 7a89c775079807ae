package profile

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Values the profile accepts, listed in error messages.
var (
	knownGrants      = []string{GrantAuthorizationCode, GrantImplicit, GrantClientCredentials, GrantPassword, GrantRefreshToken}
	knownPKCE        = []string{PKCERequired, PKCERequiredForPublic, PKCEOptional}
	knownChallenges  = []string{"S256", "plain"}
	knownAuthMethods = []string{"client_secret_basic", "client_secret_post", "none"}
	knownUserRoles   = []string{UserValid, UserSecond}
	knownMethods     = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	templateVar      = regexp.MustCompile(`{{\s*([^}]*?)\s*}}`)
	knownTemplateVar = []string{"user.username", "user.password"}
)

// maxTimeout keeps a typo ("10m" for "10s") from turning a hung target into a hung run.
const maxTimeout = 10 * time.Minute

// Validate fills the defaults (timeouts, client auth methods, the resource method) and checks
// the whole profile, returning every problem at once (a Problems error).
func (p *Profile) Validate() error {
	var ps problems
	p.applyDefaults()

	p.validateIssuer(&ps)
	p.validateEndpoints(&ps)
	p.validateClients(&ps)
	p.validateUsers(&ps)
	p.validateScopes(&ps)
	p.validateCapabilities(&ps)
	p.validateBrowser(&ps)
	p.validateTimeouts(&ps)
	p.validateResource(&ps)
	p.validateTokenEndpointsCaller(&ps)
	p.validateWaivers(&ps)
	p.validateDeployment(&ps)
	p.validateTLS(&ps) // tls.go (issue 17, TLS)
	return ps.err()
}

func (p *Profile) applyDefaults() {
	if p.Name == "" {
		p.Name = p.Issuer
	}
	if p.Timeouts.Request == 0 {
		p.Timeouts.Request = DefaultRequestTimeout
	}
	if p.Timeouts.BrowserStep == 0 {
		p.Timeouts.BrowserStep = DefaultBrowserStepTimeout
	}
	if p.Timeouts.ExpiryWait == 0 {
		p.Timeouts.ExpiryWait = DefaultExpiryWait
	}
	for role, c := range p.Clients {
		if c.AuthMethod == "" {
			if c.Secret != "" {
				c.AuthMethod = "client_secret_basic" // RFC 8414 2: the default when none is listed
			} else {
				c.AuthMethod = "none"
			}
			p.Clients[role] = c
		}
	}
	if p.Resource != nil && p.Resource.Method == "" {
		p.Resource.Method = "GET"
	}
	if p.Resource != nil && p.Issuer != "" {
		// resource.url may start with {issuer}: the embedded reference server's issuer (and so
		// its resource's URL) is known only at run time.
		p.Resource.URL = strings.ReplaceAll(p.Resource.URL, "{issuer}", strings.TrimSuffix(p.Issuer, "/"))
	}
	if p.Issuer != "" {
		// endpoints.logout likewise (the reference server's sign-out page is {issuer}/logout).
		p.Endpoints.Logout = strings.ReplaceAll(p.Endpoints.Logout, "{issuer}", strings.TrimSuffix(p.Issuer, "/"))
	}
}

func (p *Profile) validateIssuer(ps *problems) {
	if p.Issuer == "" {
		ps.add("issuer", "is required (the authorization server's issuer identifier, e.g. https://as.example.com)")
		return
	}
	// RFC 8414 2: "The authorization server's issuer identifier, which is a URL that uses the
	// "https" scheme and has no query or fragment components." http is accepted for loopback
	// and test targets.
	u, ok := checkURL(ps, "issuer", p.Issuer)
	if !ok {
		return
	}
	if u.RawQuery != "" || u.ForceQuery {
		ps.add("issuer", "%q has a query; RFC 8414 2 says an issuer has no query or fragment", p.Issuer)
	}
}

func (p *Profile) validateEndpoints(ps *problems) {
	for _, e := range []struct{ name, value string }{
		{"authorization", p.Endpoints.Authorization},
		{"token", p.Endpoints.Token},
		{"introspection", p.Endpoints.Introspection},
		{"revocation", p.Endpoints.Revocation},
		{"metadata", p.Endpoints.Metadata},
		{"logout", p.Endpoints.Logout},
	} {
		if e.value != "" && !strings.HasPrefix(e.value, "{issuer}") {
			checkURL(ps, "endpoints."+e.name, e.value)
		}
	}
}

func (p *Profile) validateClients(ps *problems) {
	for _, role := range sortedKeys(p.Clients) {
		c := p.Clients[role]
		path := "clients." + role
		if !slices.Contains(Roles(), role) {
			ps.add(path, "unknown client role (known roles: %s)", strings.Join(Roles(), ", "))
			continue
		}
		if c.ID == "" {
			ps.add(path+".id", "is required")
		}
		if c.RedirectURI != "" {
			checkURL(ps, path+".redirect_uri", c.RedirectURI)
		}
		if !slices.Contains(knownAuthMethods, c.AuthMethod) {
			ps.add(path+".auth_method", "%q is not one of %s", c.AuthMethod, strings.Join(knownAuthMethods, ", "))
		} else if c.AuthMethod != "none" && c.Secret == "" {
			ps.add(path+".secret", "is required with auth_method %s", c.AuthMethod)
		} else if c.AuthMethod == "none" && c.Secret != "" {
			ps.add(path+".auth_method", "is none but a secret is given: set auth_method to client_secret_basic or client_secret_post, or remove the secret")
		}
		if c.AuthMethods != nil {
			for i, m := range c.AuthMethods {
				switch {
				case m == "none":
					ps.add(fmt.Sprintf("%s.auth_methods[%d]", path, i), "none is not a method of a client with a secret: a public client has auth_method none and no auth_methods")
				case !slices.Contains(knownAuthMethods, m):
					ps.add(fmt.Sprintf("%s.auth_methods[%d]", path, i), "%q is not one of client_secret_basic, client_secret_post", m)
				}
			}
			if c.Secret == "" {
				ps.add(path+".auth_methods", "is for a client with a secret")
			} else if !slices.Contains(c.AuthMethods, c.AuthMethod) {
				ps.add(path+".auth_methods", "does not list auth_method %s: list every method the server accepts from this client", c.AuthMethod)
			}
		}
	}
	// Which roles the declared capabilities need, and whether each needs a redirect URI.
	need := func(role string, redirect bool, why string) {
		c, ok := p.Clients[role]
		if !ok {
			ps.add("clients."+role, "is required because %s", why)
			return
		}
		if redirect && c.RedirectURI == "" {
			ps.add("clients."+role+".redirect_uri", "is required because %s", why)
		}
	}
	// A server with one confidential client, or without a public client, can be profiled
	// (issue 14, item 8): the code grant needs one client that can use it; the scenarios that
	// need another (second_confidential for "a code is bound to its client", public for the
	// public-client checks) are not applicable without it, and say which client.
	if p.declaresGrant(GrantAuthorizationCode) {
		_, conf := p.Clients[RoleConfidential]
		_, pub := p.Clients[RolePublic]
		if !conf && !pub {
			ps.add("clients.confidential", "is required because capabilities.grants has authorization_code (or give clients.public)")
		}
		for _, role := range []string{RoleConfidential, RoleSecondConfidential, RolePublic} {
			if c, ok := p.Clients[role]; ok && c.RedirectURI == "" {
				ps.add("clients."+role+".redirect_uri", "is required because capabilities.grants has authorization_code")
			}
		}
		if c := p.Clients[RoleSecondConfidential]; c.ID != "" && c.ID == p.Clients[RoleConfidential].ID {
			ps.add("clients.second_confidential.id", "must differ from clients.confidential.id")
		}
	}
	if c, ok := p.Clients[RolePublic]; ok && c.Secret != "" {
		ps.add("clients.public.secret", "must be empty: a public client has no secret (RFC 6749 2.1)")
	}
	if p.declaresGrant(GrantImplicit) {
		need(RoleImplicit, true, "capabilities.grants has implicit")
	}
	if p.declaresGrant(GrantClientCredentials) {
		if _, ok := p.Client(RoleClientCredentials); !ok {
			ps.add("clients.client_credentials", "is required because capabilities.grants has client_credentials (or list client_credentials in clients.confidential.grants)")
		}
		if c, ok := p.Clients[RoleClientCredentials]; ok && c.Secret == "" {
			// RFC 6749 4.4: "The client credentials grant type MUST only be used by confidential clients."
			ps.add("clients.client_credentials.secret", "is required: the client credentials grant is for confidential clients only (RFC 6749 4.4)")
		}
	}
	if p.declaresGrant(GrantPassword) {
		if _, ok := p.Client(RolePassword); !ok {
			ps.add("clients.password", "is required because capabilities.grants has password (or list password in clients.confidential.grants)")
		}
	}
	if isTrue(p.Capabilities.TrustedClient) {
		need(RoleTrusted, true, "capabilities.trusted_client is true")
	}
	if isTrue(p.Capabilities.ShortLifetimes) {
		need(RoleShortLived, false, "capabilities.short_lifetimes is true")
	}
}

func (p *Profile) validateUsers(ps *problems) {
	for _, role := range sortedKeys(p.Users) {
		u := p.Users[role]
		path := "users." + role
		if !slices.Contains(knownUserRoles, role) {
			ps.add(path, "unknown user role (known roles: %s)", strings.Join(knownUserRoles, ", "))
			continue
		}
		if u.Username == "" {
			ps.add(path+".username", "is required")
		}
		if u.Password == "" {
			ps.add(path+".password", "is required")
		}
	}
	if _, ok := p.Users[UserValid]; !ok && (p.needsBrowser() || p.declaresGrant(GrantPassword)) {
		ps.add("users.valid", "is required because capabilities.grants has a grant where a resource owner logs in")
	}
	if v, ok := p.Users[UserValid]; ok {
		if s, ok := p.Users[UserSecond]; ok && s.Username != "" && s.Username == v.Username {
			ps.add("users.second.username", "must name another account than users.valid (it plays the attacker in the cross-site forgery checks)")
		}
	}
}

func (p *Profile) validateScopes(ps *problems) {
	if len(p.Scopes.Allowed) == 0 {
		ps.add("scopes.allowed", "needs at least one scope the suite's clients may request")
	}
	// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
	check := func(path, s string) {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= 0x20 || r == '"' || r == '\\' || r > 0x7e }) {
			ps.add(path, "%q is not a valid scope token (RFC 6749 3.3: printable ASCII without space, quote or backslash)", s)
		}
	}
	for i, s := range p.Scopes.Allowed {
		check(fmt.Sprintf("scopes.allowed[%d]", i), s)
	}
	for i, s := range p.Scopes.NotAllowed {
		check(fmt.Sprintf("scopes.not_allowed[%d]", i), s)
		if slices.Contains(p.Scopes.Allowed, s) {
			ps.add(fmt.Sprintf("scopes.not_allowed[%d]", i), "%q is also in scopes.allowed", s)
		}
	}
	for i, s := range p.Scopes.Unknown {
		check(fmt.Sprintf("scopes.unknown[%d]", i), s)
		if slices.Contains(p.Scopes.Allowed, s) {
			ps.add(fmt.Sprintf("scopes.unknown[%d]", i), "%q is also in scopes.allowed", s)
		}
	}
	if p.Scopes.Refresh != "" {
		check("scopes.refresh", p.Scopes.Refresh)
	}
}

func (p *Profile) validateCapabilities(ps *problems) {
	c := p.Capabilities
	checkList(ps, "capabilities.grants", c.Grants, knownGrants)
	checkList(ps, "capabilities.code_challenge_methods", c.CodeChallengeMethods, knownChallenges)
	checkList(ps, "capabilities.token_endpoint_auth_methods", c.TokenEndpointAuthMethods, knownAuthMethods)
	if r := c.RedirectURIRegistration; r != "" && r != RegistrationURI && r != RegistrationOrigin {
		ps.add("capabilities.redirect_uri_registration", "%q is not one of %s, %s", r, RegistrationURI, RegistrationOrigin)
	}
	switch {
	case c.PKCE == "unsupported":
		// RFC 9700 2.1.1: "Authorization servers MUST support PKCE [RFC7636]." A profile
		// cannot switch the PKCE checks off for a server that offers the code grant.
		ps.add("capabilities.pkce", "unsupported is no longer accepted: RFC 9700 2.1.1 says \"Authorization servers MUST support PKCE\", so the PKCE checks run on every server that offers the code grant; remove the field or say optional")
	case c.PKCE != "" && !slices.Contains(knownPKCE, c.PKCE):
		ps.add("capabilities.pkce", "%q is not one of %s", c.PKCE, strings.Join(knownPKCE, ", "))
	}
	if c.Grants != nil && slices.Contains(c.Grants, GrantRefreshToken) &&
		!slices.ContainsFunc(c.Grants, func(g string) bool {
			return g != GrantRefreshToken && g != GrantClientCredentials && g != GrantImplicit
		}) {
		ps.add("capabilities.grants", "has refresh_token but no grant that issues one (authorization_code or password)")
	}
}

func (p *Profile) validateBrowser(ps *problems) {
	sets := []struct {
		name    string
		actions []Action
	}{{"login", p.Browser.Login}, {"approve", p.Browser.Approve}, {"deny", p.Browser.Deny}, {"logout", p.Browser.Logout}}
	for _, set := range sets {
		path := "browser." + set.name
		// A server without an approval page (it redirects after the login) has no approve or
		// deny actions: the scenarios that press Deny are then not applicable.
		if len(set.actions) == 0 && set.name == "login" && p.needsBrowser() {
			ps.add(path, "needs at least one action because capabilities.grants has a grant that uses the browser (authorization_code or implicit)")
		}
		for i, a := range set.actions {
			validateAction(ps, fmt.Sprintf("%s[%d]", path, i), a)
		}
		if len(set.actions) > 0 && !slices.ContainsFunc(set.actions, func(a Action) bool { return !a.Optional }) {
			ps.add(path, "has only optional actions: at least one must be required so that a broken page is noticed")
		}
	}
}

func validateAction(ps *problems, path string, a Action) {
	set := 0
	for _, s := range []string{a.Fill, a.Click, a.WaitFor, a.WaitURL} {
		if strings.TrimSpace(s) != "" {
			set++
		}
	}
	switch {
	case set == 0:
		ps.add(path, "has none of fill, click, wait_for, wait_url: say what the step does")
	case set > 1:
		ps.add(path, "has more than one of fill, click, wait_for, wait_url: write one action per step")
	case a.With != "" && a.Fill == "":
		ps.add(path+".with", "is only used with fill")
	case a.Fill != "" && a.With == "":
		ps.add(path+".with", "is required with fill (the text to type)")
	}
	for _, m := range templateVar.FindAllStringSubmatch(a.With, -1) {
		if !slices.Contains(knownTemplateVar, m[1]) {
			ps.add(path+".with", "unknown placeholder {{%s}} (known: {{user.username}}, {{user.password}})", m[1])
		}
	}
}

func (p *Profile) validateTimeouts(ps *problems) {
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"request", p.Timeouts.Request}, {"browser_step", p.Timeouts.BrowserStep}, {"expiry_wait", p.Timeouts.ExpiryWait}} {
		switch {
		case t.d < 0:
			ps.add("timeouts."+t.name, "must be positive, got %s", t.d)
		case t.d > maxTimeout:
			ps.add("timeouts."+t.name, "%s is longer than the maximum of %s", t.d, maxTimeout)
		}
	}
}

func (p *Profile) validateResource(ps *problems) {
	if p.Resource == nil {
		return
	}
	if p.Resource.URL == "" {
		ps.add("resource.url", "is required when resource is given")
	} else {
		checkURL(ps, "resource.url", p.Resource.URL)
	}
	p.Resource.Method = strings.ToUpper(p.Resource.Method)
	if !slices.Contains(knownMethods, p.Resource.Method) {
		ps.add("resource.method", "%q is not one of %s", p.Resource.Method, strings.Join(knownMethods, ", "))
	}
	if p.Resource.RequiredScope != "" && !slices.Contains(p.Scopes.Allowed, p.Resource.RequiredScope) {
		ps.add("resource.required_scope", "%q is not in scopes.allowed, so the suite cannot obtain a token for the resource", p.Resource.RequiredScope)
	}
	switch p.Resource.TokenGrant {
	case "", GrantClientCredentials, GrantAuthorizationCode:
	default:
		ps.add("resource.token_grant", "%q is not one of %s, %s", p.Resource.TokenGrant, GrantClientCredentials, GrantAuthorizationCode)
	}
}

func (p *Profile) validateTokenEndpointsCaller(ps *problems) {
	role := p.TokenEndpointsCaller
	if role == "" {
		return
	}
	c, ok := p.Client(role) // a role the confidential client stands in for counts
	switch {
	case !ok:
		ps.add("token_endpoints_caller", "%q is not a client role of the profile (clients.%s)", role, role)
	case !c.Confidential():
		ps.add("token_endpoints_caller", "the %s client has no secret: the introspection and revocation endpoints need an authenticated caller", role)
	}
}

// requirementID is the shape of the features' requirement tags: RFC number, '-', section.
var requirementID = regexp.MustCompile(`^RFC[0-9]+-[0-9A-Za-z.]+$`)

func (p *Profile) validateWaivers(ps *problems) {
	seen := map[string]int{}
	for i, w := range p.Waivers {
		path := fmt.Sprintf("waivers[%d]", i)
		switch {
		case w.Requirement == "" && w.Scenario == "":
			ps.add(path, "names neither a requirement nor a scenario: say what is waived")
		case w.Requirement != "" && w.Scenario != "":
			ps.add(path, "names both a requirement and a scenario: write one waiver for each")
		case w.Requirement != "" && !requirementID.MatchString(strings.TrimPrefix(w.Requirement, "@")):
			ps.add(path+".requirement", "%q is not a requirement id such as RFC6749-4.1.2.1 (as the features tag it)", w.Requirement)
		}
		p.Waivers[i].Requirement = strings.TrimPrefix(w.Requirement, "@")
		if strings.TrimSpace(w.Reason) == "" {
			ps.add(path+".reason", "is required: a waiver must say why the failure is accepted")
		}
		key := p.Waivers[i].Describe()
		if j, dup := seen[key]; dup && (w.Requirement != "" || w.Scenario != "") {
			ps.add(path, "waives the same %s as waivers[%d]", key, j)
		}
		seen[key] = i
	}
}

// declaresGrant reports whether the profile itself lists grant (metadata is not consulted: the
// checks above must not depend on whether the target is reachable).
func (p *Profile) declaresGrant(grant string) bool {
	return slices.Contains(p.Capabilities.Grants, grant)
}

// needsBrowser reports whether the declared grants drive the target's login pages.
func (p *Profile) needsBrowser() bool {
	return p.declaresGrant(GrantAuthorizationCode) || p.declaresGrant(GrantImplicit)
}

// checkURL reports a problem unless s is an absolute http(s) URL without a fragment
// (RFC 6749 3.1 and 3.1.2: endpoint and redirection URIs MUST NOT include a fragment).
func checkURL(ps *problems, path, s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		ps.add(path, "%q is not a URL: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		ps.add(path, "%q is not an absolute URL (want http:// or https:// and a host)", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		ps.add(path, "%q has a fragment; RFC 6749 3.1 forbids fragments in endpoint and redirection URIs", s)
	default:
		return u, true
	}
	return nil, false
}

func checkList(ps *problems, path string, values, known []string) {
	seen := map[string]bool{}
	for i, v := range values {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !slices.Contains(known, v):
			ps.add(p, "%q is not one of %s", v, strings.Join(known, ", "))
		case seen[v]:
			ps.add(p, "%q is listed twice", v)
		}
		seen[v] = true
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
