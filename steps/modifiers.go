package steps

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// modifier is one request modifier of the features' vocabulary: the words a step adds to a
// token, introspection or revocation request ("with a wrong client secret"), what they mean,
// and the one change they make. A phrase in no entry is refused when the suite loads
// (vocabularyProblems), so that a misspelt modifier never sends an unintended request.
type modifier struct {
	// phrase as the features write it; "…" stands for a quoted argument ("with scope \"…\"").
	phrase  string
	meaning string
	// tokenOnly: the modifier changes a token request field and makes no sense elsewhere.
	tokenOnly bool
	apply     func(w *World, r *request, arg string) error
}

// modifiers is the table of request modifiers.
var modifiers = []modifier{
	{phrase: "without client authentication", meaning: "send the client_id but no client secret in any form",
		apply: func(_ *World, r *request, _ string) error { *r.auth = oauthclient.AuthNone; return nil }},
	{phrase: "without a client_id", meaning: "send neither the client_id nor any client authentication",
		apply: func(_ *World, r *request, _ string) error { *r.auth = oauthclient.AuthOmit; return nil }},
	{phrase: "with HTTP Basic client authentication", meaning: "authenticate with client_secret_basic (RFC 6749 2.3.1)",
		apply: func(_ *World, r *request, _ string) error { *r.auth = oauthclient.AuthBasic; return nil }},
	{phrase: "with client authentication in the request body", meaning: "authenticate with client_secret_post (RFC 6749 2.3.1)",
		apply: func(_ *World, r *request, _ string) error { *r.auth = oauthclient.AuthPost; return nil }},
	{phrase: "with a wrong client secret", meaning: "authenticate with a secret that is not the client's",
		apply: func(_ *World, r *request, _ string) error { r.creds.Secret = "wrong-" + r.creds.Secret; return nil }},
	{phrase: "with an unknown client_id", meaning: "identify as a client the target never registered",
		apply: func(_ *World, r *request, _ string) error {
			r.creds.ID = "no-such-client-" + oauthclient.RandomString(8)
			return nil
		}},
	{phrase: "with the client credentials in the URL query", meaning: "send client_id and client_secret in the request URI",
		apply: func(_ *World, r *request, _ string) error {
			// RFC 6749 2.3.1: client credentials "MUST NOT be included in the request URI".
			r.query.Set("client_id", r.creds.ID)
			r.query.Set("client_secret", r.creds.Secret)
			*r.auth = oauthclient.AuthOmit
			return nil
		}},
	{phrase: "using the GET method", meaning: "send the request with GET instead of POST",
		apply: func(_ *World, r *request, _ string) error { *r.method = "GET"; return nil }},
	{phrase: `with token_type_hint "…"`, meaning: "add token_type_hint to an introspection or revocation (RFC 7009 2.1)",
		apply: func(_ *World, r *request, arg string) error {
			if r.op == nil {
				return fmt.Errorf("token_type_hint applies to introspection and revocation")
			}
			r.op.TokenTypeHint = arg
			return nil
		}},
	{phrase: `with scope "…"`, meaning: "request this scope (placeholders expanded)", tokenOnly: true,
		apply: func(_ *World, r *request, arg string) error {
			// One scope value as RFC 6749 3.3 writes it, whatever placeholders were empty.
			r.tr.Scope = joinScopes(arg)
			return nil
		}},
	{phrase: "without a scope", meaning: "leave the scope parameter out", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error { r.tr.Scope = ""; return nil }},
	{phrase: `with grant_type "…"`, meaning: "send this grant_type instead of the grant's own", tokenOnly: true,
		apply: func(_ *World, r *request, arg string) error { r.tr.GrantType = arg; return nil }},
	{phrase: "with the grant_type repeated", meaning: "send the grant_type parameter twice (RFC 6749 3.2)", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error { r.extra.Add("grant_type", r.tr.GrantType); return nil }},
	{phrase: "with an unknown parameter", meaning: "add a parameter no RFC defines, which the server must ignore",
		apply: func(_ *World, r *request, _ string) error { r.extra.Set("x_oauthconf_unknown", "ignored"); return nil }},
	{phrase: "without the code_verifier", meaning: "redeem the code without its PKCE code_verifier", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error { r.tr.CodeVerifier = ""; return nil }},
	{phrase: "with a wrong code_verifier", meaning: "redeem the code with a fresh verifier that does not match its challenge", tokenOnly: true,
		apply: freshVerifier},
	{phrase: "with a code_verifier", meaning: "send a code_verifier for a code issued without a challenge (the PKCE downgrade check)", tokenOnly: true,
		apply: freshVerifier},
	// pkce (issue 17): RFC 7636 4.6 hashes an S256 verifier before comparing, so the challenge
	// itself must not pass as the verifier.
	{phrase: "with the code_challenge as the code_verifier", meaning: "redeem a code issued for an S256 challenge with that challenge as the verifier", tokenOnly: true,
		apply: func(w *World, r *request, _ string) error {
			if w.codeVerifier == "" {
				return fmt.Errorf("the code was issued without a code_challenge, so there is no challenge to send as the code_verifier")
			}
			r.tr.CodeVerifier = oauthclient.S256(w.codeVerifier)
			return nil
		}},
	{phrase: "without the redirect_uri", meaning: "leave out the redirect_uri the authorization request carried", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error {
			if r.tr.RedirectURI == "" {
				return fmt.Errorf("the authorization request had no redirect_uri to leave out")
			}
			r.tr.RedirectURI = ""
			return nil
		}},
	{phrase: "with a different redirect_uri", meaning: "send a redirect_uri other than the authorization request's", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error {
			u, err := url.Parse(r.tr.RedirectURI)
			if err != nil || r.tr.RedirectURI == "" {
				return fmt.Errorf("the authorization request had no redirect_uri to change")
			}
			u.Path = strings.TrimSuffix(u.Path, "/") + "-other"
			r.tr.RedirectURI = u.String()
			return nil
		}},
	{phrase: "with the redirect_uri of the authorization request", meaning: "send the authorization request's redirect_uri (checked, not changed)", tokenOnly: true,
		apply: func(w *World, r *request, _ string) error {
			if r.tr.RedirectURI != w.codeRedirectURI {
				return fmt.Errorf("the redirect_uri differs from the authorization request's")
			}
			return nil
		}},
	{phrase: "with a wrong password", meaning: "send the resource owner's username with a wrong password", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error { r.tr.Password = "wrong-" + r.tr.Password; return nil }},
	{phrase: "with an unknown username", meaning: "send a username the target does not know", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error {
			r.tr.Username = "no-such-user-" + oauthclient.RandomString(8)
			return nil
		}},
	{phrase: "without the username", meaning: "leave the username parameter out", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error { r.tr.Username = ""; return nil }},
	{phrase: "without the password", meaning: "leave the password parameter out", tokenOnly: true,
		apply: func(_ *World, r *request, _ string) error { r.tr.Password = ""; return nil }},
	{phrase: "with the previous refresh token", meaning: "refresh with the refresh token before the latest one (rotation checks)", tokenOnly: true,
		apply: func(w *World, r *request, _ string) error {
			if len(w.refreshTokens) < 2 {
				return fmt.Errorf("there is no previous refresh token: the scenario obtained %d", len(w.refreshTokens))
			}
			r.tr.RefreshToken = w.refreshTokens[len(w.refreshTokens)-2]
			return nil
		}},
}

// freshVerifier sends a fresh verifier: wrong for a code issued with a challenge, and one the
// server never asked for when the code was issued without (the PKCE downgrade check).
func freshVerifier(_ *World, r *request, _ string) error {
	v, err := oauthclient.NewVerifier(64)
	if err != nil {
		return err
	}
	r.tr.CodeVerifier = v
	return nil
}

// modifierPhrase turns a modifier as written into its table phrase and its quoted argument
// (`with scope "a b"` -> `with scope "…"`, "a b").
func modifierPhrase(mod string) (phrase, arg string, quotedArg bool) {
	if m := quoted.FindStringSubmatch(mod); m != nil {
		return quoted.ReplaceAllString(mod, `"…"`), m[1], true
	}
	return mod, "", false
}

// lookupModifier finds a modifier as written in a step, or says it is unknown.
func lookupModifier(mod string) (*modifier, string, bool, error) {
	phrase, arg, hasArg := modifierPhrase(mod)
	for i := range modifiers {
		if modifiers[i].phrase == phrase {
			return &modifiers[i], arg, hasArg, nil
		}
	}
	return nil, "", false, fmt.Errorf("unknown request modifier %q (the modifiers are listed in steps/modifiers.go)", mod)
}

// apply applies one modifier.
func (w *World) apply(r *request, mod string) error {
	m, arg, hasArg, err := lookupModifier(mod)
	if err != nil {
		return err
	}
	if hasArg {
		if arg, err = w.expand(arg); err != nil {
			return err
		}
	}
	if m.tokenOnly && r.tr == nil {
		return fmt.Errorf("%q applies only to token requests", m.phrase)
	}
	return m.apply(w, r, arg)
}
