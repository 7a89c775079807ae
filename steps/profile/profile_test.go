package profile

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/fixtures"
)

// refserverProfile is the shipped reference-server profile with its issuer filled in, as the
// runner does for the embedded server.
func refserverProfile(t *testing.T, issuer string) *Profile {
	t.Helper()
	p, err := Decode(fixtures.RefserverProfileYAML())
	if err != nil {
		t.Fatalf("Decode(refserver.yaml): %v", err)
	}
	p.Issuer = issuer
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate(refserver.yaml): %v", err)
	}
	return p
}

func TestShippedRefserverProfileIsValid(t *testing.T) {
	p := refserverProfile(t, "http://127.0.0.1:8080")
	if got := p.Clients[RoleConfidential]; got.ID != "conf-code" || got.AuthMethod != "client_secret_basic" || got.RedirectURI != "http://127.0.0.1/callback" {
		t.Errorf("confidential client = %+v", got)
	}
	if got := p.Clients[RolePublic]; got.Secret != "" || got.AuthMethod != "none" {
		t.Errorf("public client = %+v, want no secret and auth_method none (the default)", got)
	}
	if p.ValidUser().Username != "alice" {
		t.Errorf("valid user = %+v", p.ValidUser())
	}
	if len(p.Browser.Login) != 3 || p.Browser.Login[0].Fill != "#username" || p.Browser.Login[0].With != "{{user.username}}" {
		t.Errorf("login actions = %+v", p.Browser.Login)
	}
	if p.Timeouts.Request != 10*time.Second || p.Timeouts.ExpiryWait != 15*time.Second {
		t.Errorf("timeouts = %+v", p.Timeouts)
	}
	if !isTrue(p.Capabilities.Introspection) || p.Capabilities.PKCE != PKCERequiredForPublic {
		t.Errorf("capabilities = %+v", p.Capabilities)
	}
	if p.Name != "oauthconf reference server" {
		t.Errorf("name = %q", p.Name)
	}
}

func TestShippedRefserverProfileNeedsIssuer(t *testing.T) {
	_, err := Parse(fixtures.RefserverProfileYAML())
	if err == nil || !strings.Contains(err.Error(), "issuer: is required") {
		t.Fatalf("Parse without issuer: err = %v, want issuer: is required", err)
	}
}

const minimal = `
issuer: https://as.example.com
clients:
  client_credentials: {id: cc, secret: s}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
`

func TestMinimalProfileAndDefaults(t *testing.T) {
	p, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "https://as.example.com" {
		t.Errorf("name defaults to the issuer, got %q", p.Name)
	}
	if p.Timeouts != (Timeouts{DefaultRequestTimeout, DefaultBrowserStepTimeout, DefaultExpiryWait}) {
		t.Errorf("timeouts = %+v, want the defaults", p.Timeouts)
	}
	if p.Clients[RoleClientCredentials].AuthMethod != "client_secret_basic" {
		t.Errorf("auth method default = %q", p.Clients[RoleClientCredentials].AuthMethod)
	}
}

func TestParseReportsEveryProblemWithItsPath(t *testing.T) {
	bad := `
name: bad
issuer: "https://as.example.com/?x=1"
endpoints: {token: "/token", authorization: "https://as.example.com/auth#frag"}
clients:
  confidential: {id: c1, secret: s, redirect_uri: "x", auth_method: client_secret_jwt}
  second_confidential: {id: c1, secret: s, redirect_uri: "http://127.0.0.1/cb"}
  public: {id: p, secret: oops, redirect_uri: "http://127.0.0.1/cb"}
  client_credentials: {id: cc}
  robot: {id: r}
users:
  valid: {username: alice}
  second: {username: alice, password: y}
  admin: {username: root, password: x}
scopes: {allowed: ["read write"], not_allowed: [read write], unknown: []}
browser:
  login:
    - {fill: "#user"}
    - {fill: "#password", with: "{{user.pasword}}"}
    - {}
    - {click: "#a", wait_for: "#b"}
  approve:
    - {click: "#ok", optional: true}
capabilities:
  grants: [authorization_code, device_code, client_credentials, client_credentials]
  pkce: sometimes
  token_endpoint_auth_methods: [private_key_jwt]
  trusted_client: true
  redirect_uri_registration: path
timeouts: {request: -1s, browser_step: 2h}
resource: {url: "ftp://files", method: FETCH, required_scope: admin}
`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("Parse accepted a bad profile")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, want Problems", err)
	}
	want := []string{
		`issuer: "https://as.example.com/?x=1" has a query`,
		`endpoints.token: "/token" is not an absolute URL`,
		`endpoints.authorization: "https://as.example.com/auth#frag" has a fragment`,
		`clients.confidential.redirect_uri: "x" is not an absolute URL`,
		`clients.confidential.auth_method: "client_secret_jwt" is not one of`,
		`clients.second_confidential.id: must differ from clients.confidential.id`,
		`clients.public.secret: must be empty: a public client has no secret`,
		`clients.client_credentials.secret: is required: the client credentials grant is for confidential clients only`,
		`clients.robot: unknown client role`,
		`clients.trusted: is required because capabilities.trusted_client is true`,
		`users.valid.password: is required`,
		`users.admin: unknown user role`,
		`users.second.username: must name another account than users.valid`,
		`capabilities.redirect_uri_registration: "path" is not one of uri, origin`,
		`scopes.allowed[0]: "read write" is not a valid scope token`,
		`scopes.not_allowed[0]: "read write" is also in scopes.allowed`,
		`browser.login[0].with: is required with fill`,
		`browser.login[1].with: unknown placeholder {{user.pasword}}`,
		`browser.login[2]: has none of fill, click, wait_for, wait_url`,
		`browser.login[3]: has more than one of`,
		`browser.approve: has only optional actions`,
		`capabilities.grants[1]: "device_code" is not one of`,
		`capabilities.grants[3]: "client_credentials" is listed twice`,
		`capabilities.pkce: "sometimes" is not one of`,
		`capabilities.token_endpoint_auth_methods[0]: "private_key_jwt" is not one of`,
		`timeouts.request: must be positive`,
		`timeouts.browser_step: 2h0m0s is longer than the maximum`,
		`resource.url: "ftp://files" is not an absolute URL`,
		`resource.method: "FETCH" is not one of`,
		`resource.required_scope: "admin" is not in scopes.allowed`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing problem %q", w)
		}
	}
	if t.Failed() {
		t.Logf("got:\n%s", msg)
	}
}

func TestScopeTokenRules(t *testing.T) {
	p, err := Decode([]byte(minimal + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.Scopes.NotAllowed = []string{"ok:scope", "bad\"quote"}
	err = p.Validate()
	if err == nil || !strings.Contains(err.Error(), `scopes.not_allowed[1]: "bad\"quote" is not a valid scope token`) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "not_allowed[0]") {
		t.Errorf("a valid scope was reported: %v", err)
	}
}

func TestDecodeIsStrictAndNamesPaths(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown top-level field", minimal + "colour: blue\n", "colour: unknown field (known fields here: "},
		{"unknown nested field", strings.Replace(minimal, "{id: cc, secret: s}", "{id: cc, secret: s, scope: x}", 1), "clients.client_credentials.scope: unknown field"},
		{"bad duration", minimal + "timeouts: {request: ten}\n", `timeouts.request: "ten" is not a duration`},
		{"number without unit", minimal + "timeouts: {request: 10}\n", `timeouts.request: "10" is not a duration`},
		{"bool expected", strings.Replace(minimal, "grants: [client_credentials]", "introspection: maybe", 1), `capabilities.introspection: expected true or false, got "maybe"`},
		{"list expected", strings.Replace(minimal, "allowed: [read]", "allowed: read", 1), `scopes.allowed: expected a list, got "read"`},
		{"mapping expected", minimal + "users: [alice]\n", "users: expected a mapping of names to values, got a list"},
		{"string expected", strings.Replace(minimal, "id: cc", "id: [cc]", 1), "clients.client_credentials.id: expected a string, got a list"},
		{"action field", minimal + "browser: {login: [{press: Enter}]}\n", "browser.login[0].press: unknown field"},
		{"not yaml", "issuer: [", "not valid YAML"},
		{"empty", "", "the profile is empty"},
		{"top level list", "- a\n", "expected a mapping, got a list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestDecodeReportsSeveralStructuralProblems(t *testing.T) {
	_, err := Parse([]byte(minimal + "colour: blue\ntimeouts: {request: soon, browser_step: later}\n"))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 3 {
		t.Fatalf("err = %v, want 3 problems", err)
	}
}

func TestCapabilityRolesAreRequired(t *testing.T) {
	y := `
issuer: https://as.example.com
scopes: {allowed: [read]}
capabilities:
  grants: [authorization_code, implicit, password, client_credentials]
  pkce: required
  short_lifetimes: true
`
	_, err := Parse([]byte(y))
	if err == nil {
		t.Fatal("accepted a profile without clients")
	}
	for _, w := range []string{
		"clients.confidential: is required because capabilities.grants has authorization_code",
		"clients.implicit: is required",
		"clients.password: is required",
		"clients.client_credentials: is required",
		"clients.short_lived: is required",
		"users.valid: is required",
		"browser.login: needs at least one action",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

// TestOneConfidentialClientIsAProfile: a server with a single confidential client, registered
// for every grant it offers, and no public client can be profiled (issue 14, item 8); the
// client credentials, password and PKCE roles stand in for it, the others are absent.
func TestOneConfidentialClientIsAProfile(t *testing.T) {
	y := `
issuer: https://as.example.com
clients:
  confidential: {id: app, secret: s3cret, redirect_uri: "http://127.0.0.1/cb", grants: [authorization_code, client_credentials, password, refresh_token]}
users: {valid: {username: u, password: p}}
scopes: {allowed: [read]}
browser: {login: [{click: "#go"}]}
capabilities:
  grants: [authorization_code, client_credentials, password, refresh_token]
  pkce: required
`
	p, err := Parse([]byte(y))
	if err != nil {
		t.Fatalf("a one-client profile was refused: %v", err)
	}
	for _, role := range []string{RoleClientCredentials, RolePassword, RolePKCE} {
		if c, ok := p.Client(role); !ok || c.ID != "app" {
			t.Errorf("role %s: %v %v, want the confidential client", role, c, ok)
		}
		if got := p.StandsIn(role); got != RoleConfidential {
			t.Errorf("StandsIn(%s) = %q", role, got)
		}
	}
	for _, role := range []string{RolePublic, RoleSecondConfidential, RoleTrusted} {
		if _, ok := p.Client(role); ok {
			t.Errorf("role %s has a client", role)
		}
	}
	// Without the grant listed, the confidential client does not stand in: a guess would turn
	// the grant's scenarios into failures if the client is not registered for it.
	y2 := strings.Replace(y, "grants: [authorization_code, client_credentials, password, refresh_token]}", "grants: [authorization_code]}", 1)
	_, err = Parse([]byte(y2))
	if err == nil || !strings.Contains(err.Error(), "clients.client_credentials: is required") || !strings.Contains(err.Error(), "clients.password: is required") {
		t.Fatalf("got %v", err)
	}
	// A public client alone serves the code grant and PKCE.
	y3 := `
issuer: https://as.example.com
clients: {public: {id: spa, redirect_uri: "http://127.0.0.1/cb"}}
users: {valid: {username: u, password: p}}
scopes: {allowed: [read]}
browser: {login: [{click: "#go"}]}
capabilities: {grants: [authorization_code], pkce: required}
`
	p, err = Parse([]byte(y3))
	if err != nil {
		t.Fatalf("a public-client-only profile was refused: %v", err)
	}
	if c, _ := p.Client(RolePKCE); c.ID != "spa" {
		t.Fatalf("pkce role: %v", c)
	}
}

func TestDefaultScopeLeavesTheResourceScopeOut(t *testing.T) {
	p := &Profile{Scopes: Scopes{Allowed: []string{"openid", "profile", "email"}}, Resource: &Resource{RequiredScope: "openid"}}
	if p.DefaultScope() != "profile" || p.OtherAllowedScope() != "openid" || p.ResourceScope() != "profile openid" {
		t.Fatalf("default %q, other %q, resource %q", p.DefaultScope(), p.OtherAllowedScope(), p.ResourceScope())
	}
	p.Scopes.Allowed = []string{"openid"}
	if p.DefaultScope() != "openid" || p.OtherAllowedScope() != "" || p.ResourceScope() != "openid" {
		t.Fatalf("only openid: default %q, other %q, resource %q", p.DefaultScope(), p.OtherAllowedScope(), p.ResourceScope())
	}
	p.Resource = nil
	p.Scopes.Allowed = []string{"a", "b"}
	if p.DefaultScope() != "a" || p.OtherAllowedScope() != "b" || p.ResourceScope() != "a" {
		t.Fatal("without a resource the first allowed scope is the default")
	}
}

func TestSupportsDeclaredCapabilities(t *testing.T) {
	p := refserverProfile(t, "http://127.0.0.1:8080")
	for _, tag := range []string{"grant-authorization-code", "grant-implicit", "grant-client-credentials",
		"grant-password", "grant-refresh-token", "pkce", "metadata", "iss", "trusted-client",
		"short-lifetimes", "loopback-any-port", "client-secret-basic", "@client-secret-post", "browser",
		"RFC6749-4.1.2.1", "MUST"} {
		if ok, reason := p.Supports(tag); !ok {
			t.Errorf("Supports(%q) = false (%s), want true", tag, reason)
		}
	}
	// Declared true, but the endpoint is only known after Resolve.
	if ok, reason := p.Supports("introspection"); ok || !strings.Contains(reason, "endpoint is unknown") {
		t.Errorf("Supports(introspection) before Resolve = %v, %q", ok, reason)
	}
	p.Endpoints.Introspection = "http://127.0.0.1:8080/oauth2/introspect"
	if ok, _ := p.Supports("introspection"); !ok {
		t.Error("Supports(introspection) with an endpoint = false")
	}
	p.Resource = nil // the shipped profile names one (resource_issuer_test.go); check the reason without
	if ok, reason := p.Supports("resource"); ok || !strings.Contains(reason, "resource.url") {
		t.Errorf("Supports(resource) = %v, %q", ok, reason)
	}
	if ok, reason := p.Supports("refserver"); ok || reason == "" {
		t.Errorf("Supports(refserver) on a non-embedded target = %v, %q", ok, reason)
	}
	p.Embedded = true
	if ok, _ := p.Supports("refserver"); !ok {
		t.Error("Supports(refserver) on the embedded target = false")
	}
	p.Capabilities.Grants = []string{GrantAuthorizationCode}
	if ok, reason := p.Supports("grant-password"); ok || !strings.Contains(reason, "capabilities.grants") {
		t.Errorf("Supports(grant-password) = %v, %q", ok, reason)
	}
	f := false
	p.Capabilities.Revocation = &f
	if ok, reason := p.Supports("revocation"); ok || !strings.Contains(reason, "capabilities.revocation: false") {
		t.Errorf("Supports(revocation) = %v, %q", ok, reason)
	}
}

func TestSupportsFromMetadata(t *testing.T) {
	p, err := Parse([]byte(`
issuer: https://as.example.com
scopes: {allowed: [read]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if ok, reason := p.Supports("grant-client-credentials"); ok || !strings.Contains(reason, "no metadata") {
		t.Errorf("without metadata: %v, %q", ok, reason)
	}
	p.Metadata = map[string]any{
		"issuer":                                         "https://as.example.com",
		"grant_types_supported":                          []any{"authorization_code", "client_credentials"},
		"code_challenge_methods_supported":               []any{"S256"},
		"token_endpoint_auth_methods_supported":          []any{"client_secret_post"},
		"authorization_response_iss_parameter_supported": true,
	}
	p.Endpoints.Revocation = "https://as.example.com/revoke"
	check := func(tag string, want bool) {
		t.Helper()
		if ok, reason := p.Supports(tag); ok != want {
			t.Errorf("Supports(%q) = %v (%s), want %v", tag, ok, reason, want)
		}
	}
	check("grant-client-credentials", true)
	check("grant-password", false)
	check("grant-implicit", false)
	check("pkce", true)
	check("client-secret-post", true)
	check("client-secret-basic", false) // no client with a secret: nothing for 2.3.1 to bind
	check("iss", true)
	check("metadata", true)
	check("revocation", true)
	check("introspection", false)
	check("loopback-any-port", false)

	// RFC 8414 2 defaults for omitted fields.
	p.Metadata = map[string]any{"issuer": "https://as.example.com"}
	check("grant-authorization-code", true)
	check("grant-implicit", true)
	check("grant-refresh-token", false)
	check("client-secret-basic", false) // still no client with a secret
	check("client-secret-post", false)
	check("pkce", true) // the code grant is offered (the default): RFC 9700 2.1.1
	check("iss", false)
}

// What metadata cannot excuse (issue 17 item 5): PKCE on every server that offers the code
// grant (RFC 9700 2.1.1 "Authorization servers MUST support PKCE"), HTTP Basic for every
// client with a secret (RFC 6749 2.3.1), whatever code_challenge_methods_supported,
// token_endpoint_auth_methods_supported or the profile's lists say; and a profile cannot
// declare PKCE unsupported.
func TestSupportsWhatMetadataCannotExcuse(t *testing.T) {
	p, err := Parse([]byte(`
issuer: https://as.example.com
clients:
  confidential: {id: app, secret: s3cret, redirect_uri: "http://127.0.0.1/callback", auth_method: client_secret_post}
scopes: {allowed: [read]}
capabilities:
  token_endpoint_auth_methods: [client_secret_post]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, meta := range []map[string]any{
		{"issuer": "https://as.example.com", "grant_types_supported": []any{"authorization_code"}},
		{"issuer": "https://as.example.com", "grant_types_supported": []any{"authorization_code"}, "code_challenge_methods_supported": []any{"plain"}},
		{"issuer": "https://as.example.com", "grant_types_supported": []any{"authorization_code"}, "code_challenge_methods_supported": []any{}},
	} {
		p.Metadata = meta
		for _, tag := range []string{"pkce", "client-secret-basic"} {
			if ok, why := p.Supports(tag); !ok {
				t.Errorf("metadata %v: Supports(%s) = false (%s), want true", meta, tag, why)
			}
		}
		if declared, _ := p.DeclaresAuthMethod("client_secret_basic"); declared {
			t.Error("DeclaresAuthMethod(client_secret_basic) = true for a profile that lists client_secret_post only")
		}
	}
	p.Metadata = map[string]any{"issuer": "https://as.example.com", "grant_types_supported": []any{"client_credentials"}}
	if ok, why := p.Supports("pkce"); ok || !strings.Contains(why, "RFC 9700 2.1.1") {
		t.Errorf("without the code grant: Supports(pkce) = %v, %q", ok, why)
	}

	_, err = Parse([]byte(`
issuer: https://as.example.com
clients: {confidential: {id: app, secret: s3cret, redirect_uri: "http://127.0.0.1/callback"}}
users: {valid: {username: u, password: p}}
browser: {login: [{click: "#go"}]}
scopes: {allowed: [read]}
capabilities: {grants: [authorization_code], pkce: unsupported}
`))
	if err == nil || !strings.Contains(err.Error(), "capabilities.pkce: unsupported is no longer accepted") {
		t.Errorf("pkce: unsupported: err = %v", err)
	}
}

func TestResourceTokenGrant(t *testing.T) {
	for _, tc := range []struct {
		grant string
		ok    bool
	}{{"", true}, {GrantClientCredentials, true}, {GrantAuthorizationCode, true}, {"password", false}} {
		p := &Profile{Resource: &Resource{URL: "https://rs.example/me", Method: "GET", TokenGrant: tc.grant}}
		var ps problems
		p.validateResource(&ps)
		err := ps.err()
		if tc.ok != (err == nil) || (!tc.ok && !strings.Contains(err.Error(), "resource.token_grant")) {
			t.Errorf("token_grant %q: got %v", tc.grant, err)
		}
	}
}

// A page is known by its first required element: not by a URL wait, not by an optional element.
func TestPageSelector(t *testing.T) {
	acts := []Action{{WaitURL: "**/login*"}, {Click: "#remember", Optional: true}, {Fill: "#user"}, {Click: "#go"}}
	if got := PageSelector(acts); got != "#user" {
		t.Errorf("PageSelector = %q, want #user", got)
	}
	if got := PageSelector([]Action{{WaitURL: "**/x"}}); got != "" {
		t.Errorf("PageSelector of a URL wait alone = %q, want none", got)
	}
}
