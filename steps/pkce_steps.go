package steps

// Issue 17 items 5 and 6: support that metadata cannot excuse (PKCE, HTTP Basic client
// authentication, the characters of Bearer challenges) and the PKCE edge cases (a short
// code_verifier, the challenge sent as the verifier).

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// pkceSupportSentence is RFC 9700 2.1.1, the sentence a server that ignores PKCE breaks: it
// binds every authorization server, whatever its metadata says, where RFC 7636's own MUSTs
// bind "the server supporting PKCE".
const pkceSupportSentence = `RFC 9700 2.1.1: "Authorization servers MUST support PKCE [RFC7636]." and "If a client sends a valid PKCE ` + "`code_challenge`" + ` parameter in the authorization request, the authorization server MUST enforce the correct usage of ` + "`code_verifier`" + ` at the token endpoint."`

// basicSentence is RFC 6749 2.3.1's, for a server that refuses HTTP Basic.
const basicSentence = `RFC 6749 2.3.1: "The authorization server MUST support the HTTP Basic authentication scheme for authenticating clients that were issued a client password."`

func (w *World) registerPKCE(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client has an authorization code issued for a code_verifier of (\d+) characters$`, w.hasCodeForVerifierOfLength)
	sc.Step(`^PKCE is enforced: the token endpoint refuses the request with error "([a-z_]+)"(?: or "([a-z_]+)")?$`, w.pkceEnforced)
	sc.Step(`^the token endpoint issues an access token to the client authenticating with HTTP Basic$`, w.issuesTokenToBasic)
	sc.Step(`^every Bearer challenge the resource sent uses only the characters RFC 6750 allows$`, w.bearerChallengeChars)
}

// hasCodeForVerifierOfLength obtains a code for the S256 challenge of a verifier of n
// unreserved characters, n outside RFC 7636 4.1's 43 to 128 included: the client's side of
// the sentence is broken on purpose, the challenge itself (a SHA-256 hash) is well formed.
func (w *World) hasCodeForVerifierOfLength(ctx context.Context, role string, n int) (context.Context, error) {
	if n < 1 || n > 1000 {
		return ctx, fmt.Errorf("a code_verifier of %d characters: give 1 to 1000", n)
	}
	if err := w.startAuthorization(role); err != nil {
		return ctx, err
	}
	if !w.authReq.Has("code_challenge") {
		return ctx, fmt.Errorf("the %s client's authorization request carries no code_challenge", role)
	}
	v := oauthclient.RandomString(128)
	for len(v) < n {
		v += oauthclient.RandomString(128)
	}
	w.verifier = v[:n]
	w.authReq.Set("code_challenge", oauthclient.S256(w.verifier))
	ctx, err := w.authorizeInBrowser(ctx, "approve")
	if err != nil {
		return ctx, err
	}
	return ctx, w.receivesCode()
}

// pkceEnforced judges a redemption of a code issued for an S256 challenge without the right
// code_verifier. The refusal is judged as refusesWith judges it (the code where RFC 7636 4.6
// requires invalid_grant); a redemption that yields tokens is reported under RFC 9700 2.1.1,
// which holds every server whatever its metadata says: a server that ignores PKCE does the
// same as one that checks it wrongly, and only 2.1.1 binds both.
func (w *World) pkceEnforced(ctx context.Context, code, other string) (context.Context, error) {
	r := w.last
	if r != nil && r.Status >= 200 && r.Status < 300 && r.AccessToken() != "" {
		return ctx, oauthclient.Failf(r, "the token endpoint issued an access token (HTTP %d) for a code issued for an S256 code_challenge, redeemed %s: the server does not enforce PKCE. %s",
			r.Status, w.verifierSent(), pkceSupportSentence)
	}
	return w.judgeRefusal(ctx, r, w.expectRefusal(oauthclient.TokenEndpoint, code, other))
}

// verifierSent says what the last code redemption sent as code_verifier, read from the
// request as sent, for a failure message.
func (w *World) verifierSent() string {
	var form url.Values
	if r := w.last; r != nil && r.Exchange != nil {
		form, _ = url.ParseQuery(string(r.Exchange.RequestBody))
	}
	switch v := form.Get("code_verifier"); {
	case !form.Has("code_verifier"):
		return "without a code_verifier"
	case w.codeVerifier != "" && v == oauthclient.S256(w.codeVerifier):
		return "with the code_challenge itself as the code_verifier"
	}
	return "with a code_verifier that does not match it"
}

// issuesTokenToBasic is the Then step of "A client authenticates with HTTP Basic". A token
// passes. A refusal fails under RFC 6749 2.3.1 when the client the suite used is declared for
// HTTP Basic, or when the target does not list client_secret_basic at all (its profile's
// capabilities.token_endpoint_auth_methods, else its metadata): a server that supports Basic
// for no client breaks the MUST whatever it publishes. A target that lists Basic but refused
// it from a client the profile declares for another method may accept Basic only from clients
// registered for it (RFC 7591 2 token_endpoint_auth_method): inconclusive.
func (w *World) issuesTokenToBasic(ctx context.Context) error {
	err := w.issuesToken("")
	if err == nil {
		return nil
	}
	r := w.last
	refused := r != nil && (r.Status == 401 || r.Error() == "invalid_client")
	if !refused {
		return err
	}
	declared, _ := w.p.DeclaresAuthMethod("client_secret_basic")
	if w.basicUnregistered != "" && declared {
		return verdict.Inconclusive("the target lists client_secret_basic but refused HTTP Basic from a client the profile registers for another method (%s): it may accept Basic only from clients registered for it; declare a client with client_secret_basic in clients.<role>.auth_method or auth_methods to judge RFC 6749 2.3.1", w.basicUnregistered)
	}
	why := "the client is registered for client_secret_basic"
	if !declared {
		why = "the target does not list client_secret_basic (capabilities.token_endpoint_auth_methods, else token_endpoint_auth_methods_supported), so it supports HTTP Basic for no client"
	}
	return oauthclient.Failf(r, "expected an access token for a client authenticating with HTTP Basic, got HTTP %d error %q: %s. %s", r.Status, r.Error(), why, basicSentence)
}

// bearerChallengeChars checks the attribute values of every Bearer challenge the resource
// sent in this scenario against RFC 6750 3:
//
//	scope:                     %x21 / %x23-5B / %x5D-7E, and %x20 between scope values
//	error, error_description:  %x20-21 / %x23-5B / %x5D-7E
//	error_uri:                 %x21 / %x23-5B / %x5D-7E
//
// A '"' or '\' inside a quoted-string is legal HTTP (it is escaped), but the value it stands
// for is outside the set; so is every non-ASCII octet.
func (w *World) bearerChallengeChars() error {
	seen := 0
	for _, ex := range w.http.Exchanges() {
		if ex.Err != nil || w.p.Resource == nil || !strings.HasPrefix(ex.URL, w.p.Resource.URL) {
			continue
		}
		var cs []oauthclient.Challenge
		for _, field := range ex.ResponseHeader.Values("WWW-Authenticate") {
			got, err := oauthclient.ParseChallenges([]string{field})
			if err != nil && strings.Contains(strings.ToLower(field), "bearer") {
				// An unescaped '"' inside a value ends its quoted-string early: the value the
				// server meant has a character outside RFC 6750 3's sets, and the field is not
				// even a challenge (RFC 9110 11.6.1).
				return oauthclient.Failf(oauthclient.NewResponse(ex), "the WWW-Authenticate field %q of HTTP %d %s does not follow the challenge syntax (%v): an attribute value with an unescaped '\"' or '\\' has a character RFC 6750 3 excludes", field, ex.Status, ex.Method, err)
			}
			cs = append(cs, got...)
		}
		for _, c := range cs {
			if !strings.EqualFold(c.Scheme, "Bearer") {
				continue
			}
			seen++
			if bad := BearerChallengeProblem(c.Params); bad != "" {
				return oauthclient.Failf(oauthclient.NewResponse(ex), "the Bearer challenge of HTTP %d %s: %s (RFC 6750 3)", ex.Status, ex.Method, bad)
			}
		}
	}
	if seen == 0 {
		// The missing challenge itself is the deviation of "A request without a token gets a
		// Bearer challenge" and "An invalid token gets a Bearer challenge" (RFC 6750 3).
		return verdict.Blocked("a Bearer challenge from the resource", "the resource sent no Bearer challenge to a request without a token nor to an unknown token, so there were no attribute values to check (the missing challenge is reported by \"A request without a token gets a Bearer challenge\")")
	}
	return nil
}

// BearerChallengeProblem names the first attribute of a Bearer challenge whose value has a
// character RFC 6750 3 excludes, or returns "".
func BearerChallengeProblem(params map[string]string) string {
	for _, name := range []string{"error", "error_description", "error_uri", "scope"} {
		v, ok := params[name]
		if !ok {
			continue
		}
		for i := 0; i < len(v); i++ {
			if !challengeCharOK(name, v[i]) {
				return fmt.Sprintf("%s %q has the character %s at byte %d, outside the set RFC 6750 3 allows for it (%s)", name, v, describeOctet(v[i]), i, challengeSet(name))
			}
		}
	}
	return ""
}

func challengeCharOK(name string, c byte) bool {
	inner := c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)
	switch name {
	case "error", "error_description", "scope":
		// scope: %x20 delimits its values; error and error_description: %x20-21.
		return inner || c == 0x20
	}
	return inner // error_uri
}

func challengeSet(name string) string {
	switch name {
	case "scope":
		return "%x21 / %x23-5B / %x5D-7E, and %x20 between values"
	case "error_uri":
		return "%x21 / %x23-5B / %x5D-7E"
	}
	return "%x20-21 / %x23-5B / %x5D-7E"
}

func describeOctet(c byte) string {
	switch {
	case c == '"':
		return `'"' (%x22)`
	case c == '\\':
		return `'\' (%x5C)`
	case c >= 0x80:
		return fmt.Sprintf("%%x%02X (not ASCII)", c)
	case c < 0x20 || c == 0x7F:
		return fmt.Sprintf("%%x%02X (a control character)", c)
	}
	return fmt.Sprintf("%q (%%x%02X)", string(c), c)
}
