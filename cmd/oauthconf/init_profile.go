package main

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// changeMe marks every value only the server's operator knows; the suite's placeholders are
// unique per role, so a reader (or a test) can fill them in one by one.
const changeMe = "CHANGE-ME"

var (
	initGrants      = []string{profile.GrantAuthorizationCode, profile.GrantImplicit, profile.GrantClientCredentials, profile.GrantPassword, profile.GrantRefreshToken}
	initAuthMethods = []string{"client_secret_basic", "client_secret_post", "none"}
	initChallenges  = []string{"S256", "plain"}
)

// starterProfile writes the profile's YAML, commented for the reader who completes it.
func starterProfile(o initOptions, doc map[string]any, from string, login *loginGuess, loginErr error) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	// Without metadata (RFC 8414 is optional), the profile declares what the metadata would
	// have said: the endpoints given, and capabilities the reader must check.
	noMeta := doc == nil
	if noMeta {
		doc = map[string]any{"authorization_endpoint": o.AuthorizationEndpoint, "token_endpoint": o.TokenEndpoint}
	}

	// Capabilities, with the RFC 8414 2 defaults for omitted members.
	grants := knownOf(doc, "grant_types_supported", initGrants)
	if _, present := doc["grant_types_supported"]; !present {
		grants = []string{profile.GrantAuthorizationCode, profile.GrantImplicit}
	}
	if noMeta {
		// No default applies without metadata: the grants the suite can drive from the
		// endpoints given, for the reader to correct.
		grants = []string{profile.GrantClientCredentials, profile.GrantRefreshToken}
		if o.AuthorizationEndpoint != "" {
			grants = []string{profile.GrantAuthorizationCode, profile.GrantClientCredentials, profile.GrantRefreshToken}
		}
	}
	has := func(g string) bool { return slices.Contains(grants, g) }
	if has(profile.GrantRefreshToken) && !has(profile.GrantAuthorizationCode) && !has(profile.GrantPassword) {
		grants = slices.DeleteFunc(grants, func(g string) bool { return g == profile.GrantRefreshToken })
	}
	methods := knownOf(doc, "token_endpoint_auth_methods_supported", initAuthMethods)
	if _, present := doc["token_endpoint_auth_methods_supported"]; !present {
		methods = []string{"client_secret_basic"}
	}
	secretMethod := "client_secret_basic"
	if !slices.Contains(methods, secretMethod) && slices.Contains(methods, "client_secret_post") {
		secretMethod = "client_secret_post"
	}
	challenges := knownOf(doc, "code_challenge_methods_supported", initChallenges)
	// RFC 9700 2.1.1: "Authorization servers MUST support PKCE": whatever the metadata says,
	// the PKCE checks run on a server that offers the code grant, and the starter profile
	// always says pkce: optional (the owner may tighten it).
	scopes := allStrings(doc, "scopes_supported")
	refresh := ""
	if slices.Contains(scopes, "offline_access") {
		refresh = "offline_access"
		scopes = slices.DeleteFunc(scopes, func(s string) bool { return s == "offline_access" })
	}
	scopes = slices.DeleteFunc(scopes, func(s string) bool { return !validScopeToken(s) })

	host := o.Issuer
	if u, err := url.Parse(o.Issuer); err == nil {
		host = u.Host
	}
	redirect := "http://127.0.0.1/callback"
	if o.LoginRedirectURI != "" {
		redirect = o.LoginRedirectURI
	}

	w("# Target profile for %s, written by `oauthconf init` on %s", host, time.Now().UTC().Format("2006-01-02"))
	if noMeta {
		w("# from the endpoints given on the command line: the server publishes no metadata (RFC 8414")
		w("# is optional), so every capability below is a guess marked CHECK.")
	} else {
		w("# from the metadata at %s.", from)
	}
	w("# Replace every %s with what is registered at the server, then run", changeMe)
	w("#   oauthconf run --target THIS-FILE --list")
	w("# to see which scenarios will run and why the others will not. Every field is described in")
	w("# fixtures/targets/README.md.")
	w("name: %s", yamlString(host))
	w("issuer: %s", yamlString(o.Issuer))
	w("")

	// Endpoints: the metadata's are read at every run; only the missing ones are worth a line.
	if noMeta {
		w("# endpoints: the server publishes no metadata, so the profile names them.")
		w("endpoints:")
		if o.AuthorizationEndpoint != "" {
			w("  authorization: %s", yamlString(o.AuthorizationEndpoint))
		}
		w("  token: %s", yamlString(o.TokenEndpoint))
	} else {
		w("# endpoints: read from the metadata at every run. Set one only to override it or, as")
		w("# below, when the metadata does not name it.")
	}
	var missing []string
	for _, e := range []struct{ name, field string }{
		{"introspection", "introspection_endpoint"}, {"revocation", "revocation_endpoint"},
	} {
		if metaString(doc, e.field) == "" {
			missing = append(missing, fmt.Sprintf("#   %s: https://...   # the metadata has no %s", e.name, e.field))
		}
	}
	if len(missing) > 0 {
		if !noMeta {
			w("# endpoints:")
		}
		for _, m := range missing {
			w("%s", m)
		}
	}
	w("")

	w("# clients: one per role the suite uses, as registered at the server. Register them (or")
	w("# reuse existing ones) and fill in their ids and secrets. A redirect_uri without a port")
	w("# works only when the server allows any port on loopback (RFC 8252 7.3; then set")
	w("# capabilities.loopback_any_port: true); with a fixed port, run with --concurrency 1.")
	w("# grants: the grants each client is registered for; correct them if they differ.")
	w("clients:")
	client := func(role, note string, secret, withRedirect bool, clientGrants ...string) {
		id := fmt.Sprintf("%s-%s-id", changeMe, strings.ReplaceAll(role, "_", "-"))
		if role == profile.RoleConfidential && o.LoginClientID != "" {
			id = o.LoginClientID
			note += " (--login-client-id: move it to public: if it has no secret)"
		}
		fields := []string{"id: " + yamlString(id)}
		if secret {
			fields = append(fields, fmt.Sprintf("secret: %q", fmt.Sprintf("%s-%s-secret", changeMe, strings.ReplaceAll(role, "_", "-"))),
				"auth_method: "+secretMethod)
		}
		if withRedirect {
			fields = append(fields, "redirect_uri: "+yamlString(redirect))
		}
		if len(clientGrants) > 0 {
			fields = append(fields, "grants: ["+strings.Join(clientGrants, ", ")+"]")
		}
		w("  %-20s {%s}   # %s", role+":", strings.Join(fields, ", "), note)
	}
	codeGrants := []string{profile.GrantAuthorizationCode}
	if has(profile.GrantRefreshToken) {
		codeGrants = append(codeGrants, profile.GrantRefreshToken)
	}
	if has(profile.GrantAuthorizationCode) {
		client(profile.RoleConfidential, "the code flow", true, true, codeGrants...)
		client(profile.RoleSecondConfidential, "optional: another confidential client, for the checks that codes and tokens are bound to their client", true, true, codeGrants...)
		client(profile.RolePublic, "optional: a public client (no secret); without it the PKCE checks use the confidential client", false, true, codeGrants...)
	}
	if has(profile.GrantImplicit) {
		client(profile.RoleImplicit, "the implicit grant", false, true, profile.GrantImplicit)
	}
	if has(profile.GrantClientCredentials) {
		client(profile.RoleClientCredentials, "the client credentials grant", true, false, profile.GrantClientCredentials)
	}
	if has(profile.GrantPassword) {
		pw := []string{profile.GrantPassword}
		if has(profile.GrantRefreshToken) {
			pw = append(pw, profile.GrantRefreshToken)
		}
		client(profile.RolePassword, "the resource owner password grant", true, false, pw...)
	}
	w("")

	w("# users.valid: a resource owner who can log in at the server.")
	w("users:")
	w("  valid: {username: %q, password: %q}", changeMe+"-username", changeMe+"-password")
	w("")

	w("# scopes.allowed: scopes the clients above may request; the first that is not")
	w("# resource.required_scope is requested by default (from the metadata's scopes_supported:")
	w("# keep those granted to the clients).")
	w("scopes:")
	switch {
	case len(scopes) > 0:
		w("  allowed: [%s]", strings.Join(quoteAll(scopes), ", "))
	case noMeta:
		w("  allowed: [%q]   # no metadata: a scope the clients may request", changeMe+"-scope")
	default:
		w("  allowed: [%q]   # the metadata has no scopes_supported", changeMe+"-scope")
	}
	if refresh != "" {
		w("  refresh: %s   # the scope that makes the server issue a refresh token", refresh)
	}
	w("  # not_allowed: [...]   # scopes that exist but are not granted to the clients (invalid_scope checks)")
	w("  unknown: [oauthconf-no-such-scope]")
	w("")

	w("# browser: how to drive the server's login and approval pages (Playwright selectors).")
	w("browser:")
	w("  login:")
	switch {
	case login != nil:
		w("    # GUESSED by oauthconf init from the first page of an authorization request:")
		w("    #   %s (title %q)", withoutQuery(login.URL), login.Title)
		w("    # Check them against the page.")
		if login.User != "" {
			w("    - {fill: %s, with: \"{{user.username}}\"}", yamlString(login.User))
		} else {
			w("    - {fill: %q, with: \"{{user.username}}\"}   # no text or e-mail field before the password field", changeMe+"-username-field")
		}
		w("    - {fill: %s, with: \"{{user.password}}\"}", yamlString(login.Password))
		if login.Submit != "" {
			note := ""
			if login.SubmitByText {
				note = "   # by its text: the button has no id or name"
			}
			w("    - {click: %s}%s", yamlString(login.Submit), note)
		} else {
			w("    - {click: %q}   # no submit button found", changeMe+"-login-button")
		}
	default:
		if loginErr != nil {
			w("    # oauthconf init could not guess the form: %s", oneLine(loginErr.Error()))
		} else {
			w("    # run oauthconf init with --login-client-id and --login-redirect-uri to guess these")
		}
		w("    - {fill: %q, with: \"{{user.username}}\"}", changeMe+"-username-field")
		w("    - {fill: %q, with: \"{{user.password}}\"}", changeMe+"-password-field")
		w("    - {click: %q}", changeMe+"-login-button")
	}
	w("  approve:")
	w("    - {click: %q}   # the approval page's allow button; remove the page's actions if there is none", changeMe+"-approve-button")
	w("  deny:")
	w("    - {click: %q}", changeMe+"-deny-button")
	w("")

	if noMeta {
		w("# capabilities: without metadata the suite knows only what is declared here. CHECK each.")
	} else {
		w("# capabilities: read from the metadata now; a declared value wins over the metadata at run time.")
	}
	w("capabilities:")
	if noMeta {
		w("  grants: [%s]   # CHECK: the grants the server offers (add password or implicit if it does)", strings.Join(grants, ", "))
	} else {
		w("  grants: [%s]", strings.Join(grants, ", "))
	}
	switch {
	case noMeta:
		w("  pkce: optional   # CHECK: or required / required_for_public (RFC 9700 2.1.1 asks every server to support it)")
	case len(challenges) == 0:
		w("  pkce: optional   # the metadata has no code_challenge_methods_supported; PKCE is checked anyway (RFC 9700 2.1.1)")
	default:
		w("  pkce: optional   # or required / required_for_public: the metadata cannot say")
		// Left to the metadata, not declared: a declared list is the profile author's claim,
		// which lets the suite fail a server that accepts a method outside it.
		w("  # code_challenge_methods: [%s]   # the metadata's list, read at run time; declare it only if you know it is complete", strings.Join(challenges, ", "))
	}
	w("  token_endpoint_auth_methods: [%s]", strings.Join(methods, ", "))
	w("  introspection: %t", metaString(doc, "introspection_endpoint") != "")
	w("  revocation: %t", metaString(doc, "revocation_endpoint") != "")
	w("  metadata: %t", !noMeta)
	iss, _ := doc["authorization_response_iss_parameter_supported"].(bool)
	w("  iss_parameter: %t", iss)
	w("  # loopback_any_port: true   # when the server allows any port on a loopback redirect URI")
	w("")
	w("# origins: other origins of the server (a login app on another host or port), e.g.")
	w("# origins: [\"https://login.example.com\"]")
	w("# authorization_params: extra authorization request parameters, e.g. for an OpenID provider")
	w("# to issue refresh tokens: {code: {prompt: consent}}")
	return b.String()
}

// validScopeToken: RFC 6749 3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r <= 0x20 || r == '"' || r == '\\' || r > 0x7e })
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = yamlString(s)
	}
	return out
}

// yamlString quotes s for YAML (a JSON string is a YAML double-quoted scalar).
func yamlString(s string) string { return strconv.Quote(s) }

// withoutQuery drops a URL's query and fragment (a login URL's one-time interaction id says
// nothing to the reader).
func withoutQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
