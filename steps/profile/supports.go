package profile

import (
	"fmt"
	"slices"
	"strings"
)

// Supports reports whether the target has the capability a scenario tag names, and, when it
// has not, a reason for the report ("not applicable: ..."). A capability the profile declares
// wins; an undeclared one is read from the metadata, with the RFC 8414 2 defaults for omitted
// fields. Markers, levels and requirement tags are supported; a tag in none of the tables of
// vocab.go is not, with a reason naming it (the suite refuses such tags when it loads, so this
// is the last guard, never a silent "supported"). The leading '@' is optional.
func (p *Profile) Supports(tag string) (ok bool, reason string) {
	tag = strings.TrimPrefix(tag, "@")
	c := p.Capabilities
	switch tag {
	case "grant-authorization-code":
		return p.grantSupported(GrantAuthorizationCode)
	case "grant-implicit":
		return p.grantSupported(GrantImplicit)
	case "grant-client-credentials":
		return p.grantSupported(GrantClientCredentials)
	case "grant-password":
		return p.grantSupported(GrantPassword)
	case "grant-refresh-token":
		return p.grantSupported(GrantRefreshToken)
	case "pkce":
		// RFC 9700 2.1.1: "Authorization servers MUST support PKCE [RFC7636]." Neither the
		// metadata (code_challenge_methods_supported absent, or plain alone) nor the profile
		// can excuse it: every server that offers the code grant gets the PKCE checks, so a
		// server that ignores code_challenge fails them instead of being skipped.
		if ok, why := p.grantSupported(GrantAuthorizationCode); !ok {
			return false, "PKCE is checked on every server that offers the authorization code grant (RFC 9700 2.1.1), and this one does not: " + why
		}
		return true, ""
	case "introspection":
		return p.endpointCapability(c.Introspection, "introspection", p.Endpoints.Introspection)
	case "revocation":
		return p.endpointCapability(c.Revocation, "revocation", p.Endpoints.Revocation)
	case "metadata":
		if c.Metadata != nil {
			return declared(*c.Metadata, "metadata")
		}
		if p.Metadata == nil {
			return false, "the target publishes no metadata document (RFC 8414)"
		}
		return true, ""
	case "iss":
		if c.IssParameter != nil {
			return declared(*c.IssParameter, "iss_parameter")
		}
		// RFC 9207 3: "If omitted, the default value is false."
		if b, _ := p.Metadata["authorization_response_iss_parameter_supported"].(bool); b {
			return true, ""
		}
		return false, "the target does not declare authorization_response_iss_parameter_supported (RFC 9207 3)"
	case "resource":
		if p.Resource == nil {
			return false, "the profile names no protected resource (resource.url)"
		}
		return true, ""
	case "trusted-client":
		if _, ok := p.Clients[RoleTrusted]; !ok || !isTrue(c.TrustedClient) {
			return false, "the profile has no trusted client that skips approval (capabilities.trusted_client, clients.trusted)"
		}
		return true, ""
	case "short-lifetimes":
		if _, ok := p.Clients[RoleShortLived]; !ok || !isTrue(c.ShortLifetimes) {
			return false, "the profile has no client with short code and token lifetimes (capabilities.short_lifetimes, clients.short_lived)"
		}
		return true, ""
	case "loopback-any-port":
		if !isTrue(c.LoopbackAnyPort) {
			return false, "the profile does not say loopback redirect URIs may use any port (capabilities.loopback_any_port)"
		}
		return true, ""
	case "client-secret-basic":
		// RFC 6749 2.3.1: "The authorization server MUST support the HTTP Basic authentication
		// scheme for authenticating clients that were issued a client password." Checked on
		// every target the profile gives a client with a secret, whatever
		// token_endpoint_auth_methods_supported or capabilities.token_endpoint_auth_methods say.
		if !p.hasClientWithSecret() {
			return false, "the profile has no client with a secret (clients.<role>.secret): RFC 6749 2.3.1 asks for HTTP Basic for clients that were issued a client password"
		}
		return true, ""
	case "client-secret-post":
		return p.authMethodSupported("client_secret_post")
	case "browser":
		if len(p.Browser.Login) == 0 {
			return false, "the profile has no browser.login actions"
		}
		return true, ""
	case "tls":
		return p.ServedOverHTTPS()
	case "refserver":
		if !p.Embedded {
			return false, "checks a setting of the reference server; runs only against the embedded one (oauthconf run without --target)"
		}
		return true, ""
	}
	if IsCapability(tag) {
		// A capability added to the table without a rule here must not run as supported.
		return false, fmt.Sprintf("the capability @%s has no rule in Profile.Supports", tag)
	}
	if err := CheckTag(tag); err != nil {
		return false, err.Error()
	}
	return true, ""
}

func (p *Profile) grantSupported(grant string) (bool, string) {
	if p.Capabilities.Grants != nil {
		if slices.Contains(p.Capabilities.Grants, grant) {
			return true, ""
		}
		return false, fmt.Sprintf("the profile does not list the %s grant (capabilities.grants)", grant)
	}
	if p.Metadata == nil {
		return false, "capabilities.grants is not declared and the target publishes no metadata"
	}
	grants := metaStrings(p.Metadata, "grant_types_supported")
	if _, present := p.Metadata["grant_types_supported"]; !present {
		// RFC 8414 2: "If omitted, the default value is ["authorization_code", "implicit"]."
		grants = []string{GrantAuthorizationCode, GrantImplicit}
	}
	if slices.Contains(grants, grant) {
		return true, ""
	}
	return false, fmt.Sprintf("the metadata's grant_types_supported does not list %s", grant)
}

func (p *Profile) endpointCapability(decl *bool, name, endpoint string) (bool, string) {
	if decl != nil {
		if !*decl {
			return declared(false, name)
		}
		if endpoint == "" {
			return false, fmt.Sprintf("capabilities.%s is true but the %s endpoint is unknown (endpoints.%s, metadata %s_endpoint)", name, name, name, name)
		}
		return true, ""
	}
	if endpoint == "" {
		return false, fmt.Sprintf("the target publishes no %s_endpoint and the profile sets no endpoints.%s", name, name)
	}
	return true, ""
}

// hasClientWithSecret reports whether any client of the profile was issued a password.
func (p *Profile) hasClientWithSecret() bool {
	for _, c := range p.Clients {
		if c.Secret != "" {
			return true
		}
	}
	return false
}

// DeclaresAuthMethod reports whether the target says it supports method at its token endpoint:
// capabilities.token_endpoint_auth_methods when declared, else the metadata's
// token_endpoint_auth_methods_supported, else RFC 8414 2's default (client_secret_basic).
func (p *Profile) DeclaresAuthMethod(method string) (bool, string) {
	return p.authMethodSupported(method)
}

func (p *Profile) authMethodSupported(method string) (bool, string) {
	if p.Capabilities.TokenEndpointAuthMethods != nil {
		if slices.Contains(p.Capabilities.TokenEndpointAuthMethods, method) {
			return true, ""
		}
		return false, fmt.Sprintf("the profile does not list %s (capabilities.token_endpoint_auth_methods)", method)
	}
	methods := []string{"client_secret_basic"} // RFC 8414 2: the default when omitted
	if _, present := p.Metadata["token_endpoint_auth_methods_supported"]; present {
		methods = metaStrings(p.Metadata, "token_endpoint_auth_methods_supported")
	}
	if slices.Contains(methods, method) {
		return true, ""
	}
	return false, fmt.Sprintf("the metadata's token_endpoint_auth_methods_supported does not list %s", method)
}

func declared(v bool, field string) (bool, string) {
	if v {
		return true, ""
	}
	return false, fmt.Sprintf("the profile says the target does not support it (capabilities.%s: false)", field)
}

// metaStrings reads a metadata field holding a JSON array of strings; other values read as empty.
func metaStrings(doc map[string]any, field string) []string {
	raw, _ := doc[field].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
