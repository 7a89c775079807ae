package profile

// What a profile says about how the target is really deployed: the other origins its pages are
// served from, the extra authorization request parameters it needs, which grants each client is
// registered for, how many parallel requests the race scenarios send, and the ports the browser
// must be allowed to reach.

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// AuthorizationParams are extra authorization request parameters, for every flow (All) or one
// flow (Code: response_type=code; Implicit: response_type=token). A server may need them to act
// as the suite expects, e.g. an OpenID provider issues a refresh token only with prompt=consent.
type AuthorizationParams struct {
	All      map[string]string `yaml:"all"`
	Code     map[string]string `yaml:"code"`
	Implicit map[string]string `yaml:"implicit"`
}

// DefaultRaceRequests is how many parallel requests the race scenarios send by default.
const DefaultRaceRequests = 8

// maxRaceRequests bounds race_requests: more would test the machine, not the server.
const maxRaceRequests = 64

// DefaultRaceRounds is how many rounds the race scenarios repeat by default. A race that a
// server loses now and then shows only over many rounds: one server double-redeemed 3 of 100
// codes under 8 parallel requests, and a single round passed it. Rounds of the refresh race
// are cheap (each round's winner carries the next); each round of the code race needs a code
// from the browser, which is what bounds this default (see races.feature).
const DefaultRaceRounds = 50

// maxRaceRounds bounds race_rounds.
const maxRaceRounds = 1000

// reservedAuthorizationParams are set by the scenarios themselves; a profile that fixed them
// would change what a scenario tests.
var reservedAuthorizationParams = []string{"response_type", "client_id", "redirect_uri", "scope",
	"state", "code_challenge", "code_challenge_method"}

// roleGrant is the grant each client role is used for: a client of that role whose grants are
// declared must list it.
var roleGrant = map[string]string{
	RoleConfidential:       GrantAuthorizationCode,
	RoleSecondConfidential: GrantAuthorizationCode,
	RolePublic:             GrantAuthorizationCode,
	RoleImplicit:           GrantImplicit,
	RoleClientCredentials:  GrantClientCredentials,
	RolePassword:           GrantPassword,
	RoleTrusted:            GrantAuthorizationCode,
	RoleShortLived:         GrantAuthorizationCode,
}

// RoleGrant is the grant the client of role is used for ("" for an unknown role).
func RoleGrant(role string) string { return roleGrant[role] }

// RegisteredFor reports whether the client is registered for grant (a capabilities.grants
// value: authorization_code, implicit, client_credentials, password, refresh_token).
// declared is false when the profile does not list the client's grants: a scenario that
// depends on the answer is then not applicable, never a guess.
func (c Client) RegisteredFor(grant string) (registered, declared bool) {
	if c.Grants == nil {
		return false, false
	}
	return slices.Contains(c.Grants, grant), true
}

// ClientsWhere lists the roles, in Roles() order, whose client the profile has and match
// accepts: a scenario picks the client that fits it (an auth method, a grant) instead of
// assuming one.
func (p *Profile) ClientsWhere(match func(role string, c Client) bool) []string {
	var roles []string
	for _, role := range Roles() {
		if c, ok := p.Clients[role]; ok && match(role, c) {
			roles = append(roles, role)
		}
	}
	return roles
}

// ClientWithAuthMethod returns the first client (in Roles() order) that may authenticate at the
// token endpoint with method (Accepts) (client_secret_basic, client_secret_post, none) and is registered
// for grant, or whose grants are not declared when they are not. ok is false when the profile
// has none: the scenario is then not applicable, with a reason naming clients.<role>.auth_method.
func (p *Profile) ClientWithAuthMethod(method, grant string) (role string, c Client, ok bool) {
	roles := p.ClientsWhere(func(r string, c Client) bool {
		if !c.Accepts(method) {
			return false
		}
		if grant == "" {
			return true
		}
		reg, declared := c.RegisteredFor(grant)
		return reg || !declared && roleGrant[r] == grant
	})
	if len(roles) == 0 {
		return "", Client{}, false
	}
	return roles[0], p.Clients[roles[0]], true
}

// ExtraAuthorizationParams are the parameters every authorization request of the client of
// role with responseType carries besides the scenario's own: authorization_params.all, then
// .code (response_type code) or .implicit (response_type token), then the client's own
// authorization_params; a later one wins over an earlier one with the same name.
func (p *Profile) ExtraAuthorizationParams(role, responseType string) url.Values {
	v := url.Values{}
	add := func(m map[string]string) {
		for k, val := range m {
			v.Set(k, val)
		}
	}
	add(p.AuthorizationParams.All)
	types := strings.Fields(responseType)
	if slices.Contains(types, "code") {
		add(p.AuthorizationParams.Code)
	}
	if slices.Contains(types, "token") {
		add(p.AuthorizationParams.Implicit)
	}
	if c, ok := p.Clients[role]; ok {
		add(c.AuthorizationParams)
	}
	return v
}

// RaceRequests is how many parallel requests the race scenarios send (race_requests, default 8).
func (p *Profile) RaceRequests() int {
	if p.RaceRequestCount == nil {
		return DefaultRaceRequests
	}
	return *p.RaceRequestCount
}

// RaceRounds is how many rounds the race scenarios repeat (race_rounds, default DefaultRaceRounds).
func (p *Profile) RaceRounds() int {
	if p.RaceRoundCount == nil {
		return DefaultRaceRounds
	}
	return *p.RaceRoundCount
}

// IsServerOrigin reports whether u is served by the target: the issuer's origin, an endpoint's
// (authorization, token, introspection, revocation, metadata), or one listed in origins. Origins
// compare scheme, host and port (RFC 6454 4), with the scheme's default port filled in.
func (p *Profile) IsServerOrigin(u *url.URL) bool {
	if u == nil {
		return false
	}
	want, ok := origin(u)
	if !ok {
		return false
	}
	for _, s := range p.serverURLs() {
		if o, ok := parseOrigin(s); ok && o == want {
			return true
		}
	}
	return false
}

// serverURLs are the URLs whose origins belong to the server.
func (p *Profile) serverURLs() []string {
	e := p.Endpoints
	return append([]string{p.Issuer, e.Authorization, e.Token, e.Introspection, e.Revocation, e.Metadata}, p.Origins...)
}

// BrowserPorts lists the ports the browser must be allowed to reach for this target, sorted:
// those of the issuer, the endpoints, origins and the clients' redirect URIs (those with a
// port). Chromium refuses some ports (6000, 5060, 6665-6669, ...: net::ERR_UNSAFE_PORT) unless
// named in --explicitly-allowed-ports; the browser is launched with this list, so only the
// target's own ports are unblocked. The schemes' default ports (80, 443) are never blocked and
// are left out. Call it after Resolve, so that the endpoints from the metadata count too.
func BrowserPorts(p *Profile) []int {
	urls := p.serverURLs()
	for _, role := range sortedKeys(p.Clients) {
		urls = append(urls, p.Clients[role].RedirectURI)
	}
	var ports []int
	for _, s := range urls {
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Port() == "" {
			continue
		}
		n, err := strconv.Atoi(u.Port())
		if err != nil || n <= 0 || n > 65535 || n == defaultPort(u.Scheme) {
			continue
		}
		if !slices.Contains(ports, n) {
			ports = append(ports, n)
		}
	}
	slices.Sort(ports)
	return ports
}

func defaultPort(scheme string) int {
	switch strings.ToLower(scheme) {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

func parseOrigin(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	return origin(u)
}

// origin is scheme://host:port in lower case with the default port made explicit.
func origin(u *url.URL) (string, bool) {
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Hostname() == "" {
		return "", false
	}
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(defaultPort(scheme))
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port), true
}

func (p *Profile) validateDeployment(ps *problems) {
	for i, s := range p.Origins {
		path := fmt.Sprintf("origins[%d]", i)
		u, ok := checkURL(ps, path, s)
		if !ok {
			continue
		}
		switch {
		case u.User != nil:
			ps.add(path, "%q has user information; write only scheme://host[:port]", s)
		case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.ForceQuery:
			ps.add(path, "%q has a path or query; an origin is only scheme://host[:port] (RFC 6454)", s)
		}
	}

	checkParams := func(path string, m map[string]string) {
		for _, k := range sortedKeys(m) {
			switch {
			case strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\r\n&=#"):
				ps.add(path, "%q is not a usable parameter name", k)
			case slices.Contains(reservedAuthorizationParams, k):
				ps.add(path+"."+k, "is set by the scenarios themselves and cannot be fixed by the profile (reserved: %s)", strings.Join(reservedAuthorizationParams, ", "))
			}
		}
	}
	checkParams("authorization_params.all", p.AuthorizationParams.All)
	checkParams("authorization_params.code", p.AuthorizationParams.Code)
	checkParams("authorization_params.implicit", p.AuthorizationParams.Implicit)

	for _, role := range sortedKeys(p.Clients) {
		c := p.Clients[role]
		path := "clients." + role
		checkParams(path+".authorization_params", c.AuthorizationParams)
		if c.Grants == nil {
			continue
		}
		checkList(ps, path+".grants", c.Grants, knownGrants)
		if role == RoleShortLived {
			// Its scenarios take a code, or tokens from client credentials, the password grant
			// or a code.
			if !slices.ContainsFunc(c.Grants, func(g string) bool {
				return g == GrantAuthorizationCode || g == GrantClientCredentials || g == GrantPassword
			}) {
				ps.add(path+".grants", "lists none of authorization_code, client_credentials and password, the grants the short_lived client is used for")
			}
		} else if g := roleGrant[role]; g != "" && !slices.Contains(c.Grants, g) {
			ps.add(path+".grants", "does not list %s, the grant the %s client is used for: list it, or leave the role out", g, role)
		}
		if p.Capabilities.Grants != nil {
			for i, g := range c.Grants {
				if slices.Contains(knownGrants, g) && !slices.Contains(p.Capabilities.Grants, g) {
					ps.add(fmt.Sprintf("%s.grants[%d]", path, i), "%q is not in capabilities.grants", g)
				}
			}
		}
	}

	if n := p.RaceRequestCount; n != nil && (*n < 1 || *n > maxRaceRequests) {
		ps.add("race_requests", "must be between 1 and %d, got %d", maxRaceRequests, *n)
	}
	if n := p.RaceRoundCount; n != nil && (*n < 1 || *n > maxRaceRounds) {
		ps.add("race_rounds", "must be between 1 and %d, got %d", maxRaceRounds, *n)
	}
}
