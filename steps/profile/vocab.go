package profile

import (
	"fmt"
	"regexp"
	"strings"
)

// Word is one entry of the suite's vocabulary: a tag (without '@') and what it means.
type Word struct {
	Name    string
	Meaning string
}

// CapabilityTable holds the tags that restrict a scenario to targets that have the capability;
// Supports answers each one. A tag in none of the tables below is refused when the suite
// loads, so that a misspelt capability never runs as "supported".
var CapabilityTable = []Word{
	{"grant-authorization-code", "the target offers the authorization code grant (RFC 6749 4.1)"},
	{"grant-implicit", "the target offers the implicit grant (RFC 6749 4.2)"},
	{"grant-client-credentials", "the target offers the client credentials grant (RFC 6749 4.4)"},
	{"grant-password", "the target offers the resource owner password credentials grant (RFC 6749 4.3)"},
	{"grant-refresh-token", "the target issues and accepts refresh tokens (RFC 6749 6)"},
	{"pkce", "the target offers the authorization code grant, so it must support PKCE whatever its metadata says (RFC 9700 2.1.1)"},
	{"introspection", "the target has an introspection endpoint (RFC 7662)"},
	{"revocation", "the target has a revocation endpoint (RFC 7009)"},
	{"metadata", "the target publishes authorization server metadata (RFC 8414)"},
	{"iss", "the target returns iss in authorization responses (RFC 9207)"},
	{"resource", "the profile names a protected resource to call with tokens (RFC 6750)"},
	{"trusted-client", "the profile has a trusted client that skips the approval page"},
	{"short-lifetimes", "the profile has a client with short code and token lifetimes"},
	{"loopback-any-port", "loopback redirect URIs may use any port (RFC 8252 7.3)"},
	{"client-secret-basic", "the profile has a client with a secret, so the target must accept HTTP Basic whatever its metadata says (RFC 6749 2.3.1)"},
	{"client-secret-post", "the target accepts client_secret_post (RFC 6749 2.3.1)"},
	{"browser", "the scenario drives a browser through the profile's login and approval pages"},
	{"refserver", "the scenario checks a setting of the embedded reference server only"},
	// issue 17, TLS (features/tls.feature)
	{"tls", "the target is served over https (its issuer's scheme); http loopback targets are not applicable"},
}

// MarkerTable holds tags that say something about a scenario without restricting where it runs.
var MarkerTable = []Word{
	{"warning", "the scenario may end in a warning (a wording the RFC does not exclude) instead of a failure"},
	{"user-token", "the scenario obtains an end-user token through the code grant, so it needs the browser"},
	{"product", "a check of the reference server as a product, not of an RFC requirement"},
}

// LevelTable holds the BCP 14 keywords a scenario is judged at.
var LevelTable = []Word{
	{"MUST", "an absolute requirement (RFC 2119 1, 2): a deviation fails"},
	{"SHOULD", "a recommendation (RFC 2119 3): a deviation fails at the SHOULD level"},
	{"MAY", "an option (RFC 2119 5): checked only where the target takes it"},
}

// requirementTag is the pattern of requirement tags: @RFC6749-4.1.2.1, @RFC9700-2.1.
var requirementTag = regexp.MustCompile(`^RFC\d+-[0-9A-Z][0-9.]*$`)

// CapabilityTags lists the capability tags (without '@'), in table order.
func CapabilityTags() []string {
	out := make([]string, len(CapabilityTable))
	for i, w := range CapabilityTable {
		out[i] = w.Name
	}
	return out
}

func inTable(table []Word, name string) bool {
	for _, w := range table {
		if w.Name == name {
			return true
		}
	}
	return false
}

// IsCapability reports whether tag (with or without '@') is in the capability table.
func IsCapability(tag string) bool { return inTable(CapabilityTable, strings.TrimPrefix(tag, "@")) }

// CheckTag returns an error naming the tag when it is in none of the vocabulary's tables and is
// not a requirement tag. The leading '@' is optional.
func CheckTag(tag string) error {
	name := strings.TrimPrefix(tag, "@")
	if inTable(CapabilityTable, name) || inTable(MarkerTable, name) || inTable(LevelTable, name) || IsRequirementTag(name) {
		return nil
	}
	return fmt.Errorf("unknown tag @%s: not a capability, marker or level (steps/profile/vocab.go) nor a requirement such as @RFC6749-4.1.2", name)
}

// IsRequirementTag reports whether tag (with or without '@') names a requirement: @RFC6749-4.1.2.1.
func IsRequirementTag(tag string) bool {
	return requirementTag.MatchString(strings.TrimPrefix(tag, "@"))
}
