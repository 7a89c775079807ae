package steps

// Temporary stand-ins for the profile additions of issue 9 (origins, authorization_params,
// clients.<role>.grants) that the deployments helper adds to steps/profile. When they are
// merged, each function below becomes a one-line call of the real method:
//
//	isServerOrigin(p, u)                       -> p.IsServerOrigin(u)
//	extraAuthorizationParams(p, role, rt)      -> p.ExtraAuthorizationParams(role, rt)
//	registeredFor(c, grant)                    -> c.RegisteredFor(grant)

import (
	"net/url"
	"strings"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// isServerOrigin reports whether u is on an origin of the authorization server: the issuer's
// or one of its endpoints'. (profile.IsServerOrigin adds the profile's `origins`.)
func isServerOrigin(p *profile.Profile, u *url.URL) bool {
	if u == nil || u.Host == "" {
		return false
	}
	for _, s := range []string{p.Issuer, p.Endpoints.Authorization, p.Endpoints.Token,
		p.Endpoints.Introspection, p.Endpoints.Revocation, p.Endpoints.Metadata} {
		o, err := url.Parse(s)
		if err != nil || o.Host == "" {
			continue
		}
		if strings.EqualFold(o.Scheme, u.Scheme) && strings.EqualFold(hostPort(o), hostPort(u)) {
			return true
		}
	}
	return false
}

// hostPort is the host with its port, the scheme's default port made explicit.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() + ":443"
	case "http":
		return u.Hostname() + ":80"
	}
	return u.Host
}

// extraAuthorizationParams are the parameters the profile adds to every authorization request of
// a role and response type. None until profile.ExtraAuthorizationParams is merged.
func extraAuthorizationParams(_ *profile.Profile, _, _ string) url.Values { return nil }
