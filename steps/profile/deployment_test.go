package profile

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// deployed is a profile using every deployment field.
const deployed = `
issuer: https://as.example.com/realms/x
endpoints:
  authorization: https://login.example.com:8443/authorize
  token: https://api.example.com/token
origins: ["http://127.0.0.1:6666", "https://consent.example.com/"]
authorization_params:
  all: {ui_locales: en}
  code: {prompt: consent, access_type: offline}
  implicit: {response_mode: fragment}
race_requests: 16
clients:
  confidential: {id: a, secret: s, redirect_uri: "http://127.0.0.1:5060/cb", grants: [authorization_code, refresh_token], authorization_params: {prompt: login}}
  second_confidential: {id: b, secret: s, auth_method: client_secret_post, redirect_uri: "http://127.0.0.1/cb"}
  public: {id: c, redirect_uri: "http://127.0.0.1/cb", grants: [authorization_code, implicit]}
  implicit: {id: i, redirect_uri: "http://127.0.0.1/cb", grants: [implicit]}
  client_credentials: {id: d, secret: s, auth_method: client_secret_post, grants: [client_credentials]}
users: {valid: {username: u, password: p}}
scopes: {allowed: [read]}
browser:
  login: [{click: "#go"}]
  approve: [{click: "#ok"}]
  deny: [{click: "#no"}]
capabilities:
  grants: [authorization_code, implicit, client_credentials, refresh_token]
  pkce: optional
`

func parseDeployed(t *testing.T, yaml string) *Profile {
	t.Helper()
	p, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestRegisteredFor(t *testing.T) {
	p := parseDeployed(t, deployed)
	for _, c := range []struct {
		role, grant          string
		registered, declared bool
	}{
		{RolePublic, GrantImplicit, true, true},
		{RolePublic, GrantClientCredentials, false, true},
		{RoleConfidential, GrantImplicit, false, true},
		{RoleConfidential, GrantRefreshToken, true, true},
		// Not declared: a scenario that depends on it is not applicable, never a guess.
		{RoleSecondConfidential, GrantImplicit, false, false},
		{RoleSecondConfidential, GrantAuthorizationCode, false, false},
	} {
		reg, decl := p.Clients[c.role].RegisteredFor(c.grant)
		if reg != c.registered || decl != c.declared {
			t.Errorf("clients.%s.RegisteredFor(%s) = %v, %v; want %v, %v", c.role, c.grant, reg, decl, c.registered, c.declared)
		}
	}
}

func TestClientWithAuthMethod(t *testing.T) {
	p := parseDeployed(t, deployed)
	if role, c, ok := p.ClientWithAuthMethod("client_secret_post", GrantAuthorizationCode); !ok || role != RoleSecondConfidential || c.ID != "b" {
		t.Errorf("post + code: %q %+v %v, want second_confidential (undeclared grants: its role's grant)", role, c, ok)
	}
	if role, _, ok := p.ClientWithAuthMethod("client_secret_post", GrantClientCredentials); !ok || role != RoleClientCredentials {
		t.Errorf("post + client_credentials: %q %v", role, ok)
	}
	if role, _, ok := p.ClientWithAuthMethod("client_secret_basic", GrantClientCredentials); ok {
		t.Errorf("basic + client_credentials: got %q, want none (the basic client is not registered for it)", role)
	}
	if role, _, ok := p.ClientWithAuthMethod("client_secret_basic", ""); !ok || role != RoleConfidential {
		t.Errorf("basic, any grant: %q %v", role, ok)
	}
	if got := p.ClientsWhere(func(_ string, c Client) bool { return !c.Confidential() }); !slices.Equal(got, []string{RolePublic, RoleImplicit}) {
		t.Errorf("public clients = %v", got)
	}
}

func TestExtraAuthorizationParams(t *testing.T) {
	p := parseDeployed(t, deployed)
	for _, c := range []struct {
		role, responseType string
		want               url.Values
	}{
		{RoleConfidential, "code", url.Values{"ui_locales": {"en"}, "prompt": {"login"}, "access_type": {"offline"}}},
		{RoleSecondConfidential, "code", url.Values{"ui_locales": {"en"}, "prompt": {"consent"}, "access_type": {"offline"}}},
		{RoleImplicit, "token", url.Values{"ui_locales": {"en"}, "response_mode": {"fragment"}}},
		{RolePublic, "code token", url.Values{"ui_locales": {"en"}, "prompt": {"consent"}, "access_type": {"offline"}, "response_mode": {"fragment"}}},
		{"nobody", "none", url.Values{"ui_locales": {"en"}}},
	} {
		if got := p.ExtraAuthorizationParams(c.role, c.responseType); got.Encode() != c.want.Encode() {
			t.Errorf("ExtraAuthorizationParams(%s, %s) = %s, want %s", c.role, c.responseType, got.Encode(), c.want.Encode())
		}
	}
	if got := parseDeployed(t, minimal).ExtraAuthorizationParams(RoleClientCredentials, "code"); len(got) != 0 {
		t.Errorf("a profile without authorization_params adds %v", got)
	}
}

func TestRaceRequests(t *testing.T) {
	if n := parseDeployed(t, minimal).RaceRequests(); n != DefaultRaceRequests {
		t.Errorf("default = %d, want %d", n, DefaultRaceRequests)
	}
	if n := parseDeployed(t, deployed).RaceRequests(); n != 16 {
		t.Errorf("race_requests: 16 gave %d", n)
	}
}

func TestRaceRounds(t *testing.T) {
	if n := parseDeployed(t, minimal).RaceRounds(); n != DefaultRaceRounds {
		t.Errorf("default = %d, want %d", n, DefaultRaceRounds)
	}
	p, err := Parse([]byte(minimal + "race_rounds: 100\n"))
	if err != nil || p.RaceRounds() != 100 {
		t.Fatalf("race_rounds: 100 gave %v (%v)", p, err)
	}
	for _, y := range []string{"race_rounds: 0", "race_rounds: 1001", "race_rounds: often"} {
		if _, err := Parse([]byte(minimal + y + "\n")); err == nil || !strings.Contains(err.Error(), "race_rounds") {
			t.Errorf("%s: expected an error naming race_rounds, got %v", y, err)
		}
	}
}

func TestIsServerOrigin(t *testing.T) {
	p := parseDeployed(t, deployed)
	for raw, want := range map[string]bool{
		"https://as.example.com/login":               true,  // the issuer's origin
		"HTTPS://AS.EXAMPLE.COM:443/x":               true,  // case and default port
		"https://login.example.com:8443/authorize?x": true,  // an endpoint's
		"https://login.example.com/authorize":        false, // other port
		"https://api.example.com/anything":           true,
		"http://127.0.0.1:6666/login":                true, // origins
		"https://consent.example.com/consent":        true,
		"http://consent.example.com/consent":         false, // other scheme
		"http://127.0.0.1:5060/cb":                   false, // the client's redirect URI is not the server
		"https://evil.example.com/":                  false,
	} {
		u, _ := url.Parse(raw)
		if got := p.IsServerOrigin(u); got != want {
			t.Errorf("IsServerOrigin(%s) = %v, want %v", raw, got, want)
		}
	}
	if p.IsServerOrigin(nil) || p.IsServerOrigin(&url.URL{Scheme: "about", Opaque: "blank"}) {
		t.Error("nil or about:blank is not a server origin")
	}
}

func TestBrowserPorts(t *testing.T) {
	p := parseDeployed(t, deployed)
	p.Endpoints.Revocation = "http://127.0.0.1:6000/revoke" // as Resolve would fill it from the metadata
	if got, want := BrowserPorts(p), []int{5060, 6000, 6666, 8443}; !slices.Equal(got, want) {
		t.Errorf("BrowserPorts = %v, want %v (no 80/443, no redirect URI without a port)", got, want)
	}
	if got := BrowserPorts(parseDeployed(t, minimal)); len(got) != 0 {
		t.Errorf("BrowserPorts(minimal) = %v, want none", got)
	}
}

func TestDeploymentProblems(t *testing.T) {
	bad := `
issuer: https://as.example.com
origins: ["https://login.example.com/path", "ftp://x.example.com", "https://u:p@x.example.com", "https://ok.example.com"]
authorization_params:
  all: {state: fixed, "bad name": x}
  code: {redirect_uri: "http://x"}
race_requests: 0
clients:
  client_credentials: {id: cc, secret: s, grants: [password, magic], authorization_params: {client_id: x}}
  password: {id: p, secret: s, grants: [password]}
  short_lived: {id: sl, secret: s, grants: [refresh_token]}
users: {valid: {username: u, password: p}}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`origins[0]: "https://login.example.com/path" has a path or query`,
		`origins[1]: "ftp://x.example.com" is not an absolute URL`,
		`origins[2]: "https://u:p@x.example.com" has user information`,
		`authorization_params.all: "bad name" is not a usable parameter name`,
		`authorization_params.all.state: is set by the scenarios themselves`,
		`authorization_params.code.redirect_uri: is set by the scenarios themselves`,
		`clients.client_credentials.authorization_params.client_id: is set by the scenarios`,
		`clients.client_credentials.grants[1]: "magic" is not one of authorization_code, implicit`,
		`clients.client_credentials.grants: does not list client_credentials, the grant the client_credentials client is used for`,
		`clients.client_credentials.grants[0]: "password" is not in capabilities.grants`,
		`clients.password.grants[0]: "password" is not in capabilities.grants`,
		`race_requests: must be between 1 and 64, got 0`,
		`clients.short_lived.grants: lists none of authorization_code, client_credentials and password`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "origins[3]") {
		t.Errorf("a good origin was reported: %v", err)
	}
	for _, y := range []string{"race_requests: 65", "race_requests: many", "origins: https://x.example.com", "authorization_params: {code: [a]}", "authorization_params: {hybrid: {a: b}}"} {
		if _, err := Parse([]byte(minimal + y + "\n")); err == nil {
			t.Errorf("%s: accepted", y)
		} else if name := strings.SplitN(y, ":", 2)[0]; !strings.Contains(err.Error(), name) {
			t.Errorf("%s: the error does not name the field: %v", y, err)
		}
	}
	if _, err := Parse([]byte(minimal + "race_requests: 64\n")); err != nil {
		t.Errorf("race_requests: 64 refused: %v", err)
	}
}

// auth_methods lists what the server accepts from a client with a secret, auth_method among
// them; Accepts and ClientWithAuthMethod honour it.
func TestAuthMethods(t *testing.T) {
	p, err := Parse([]byte(`
issuer: https://as.example.com
clients:
  client_credentials: {id: cc, secret: s, auth_methods: [client_secret_basic, client_secret_post]}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := p.Clients["client_credentials"]
	if !c.Accepts("client_secret_post") || !c.Accepts("client_secret_basic") || c.Accepts("none") {
		t.Errorf("Accepts: %+v", c)
	}
	if role, _, ok := p.ClientWithAuthMethod("client_secret_post", "client_credentials"); !ok || role != "client_credentials" {
		t.Errorf("ClientWithAuthMethod(post): %q %v", role, ok)
	}
	for y, want := range map[string]string{
		`{id: cc, secret: s, auth_methods: [client_secret_post]}`:                    "does not list auth_method client_secret_basic",
		`{id: cc, secret: s, auth_methods: [client_secret_basic, private_key_jwt]}`:  `auth_methods[1]: "private_key_jwt" is not one of`,
		`{id: cc, secret: s, auth_methods: [client_secret_basic, none]}`:             "auth_methods[1]: none is not a method of a client with a secret",
		`{id: cc, auth_methods: [client_secret_basic], redirect_uri: "http://x/cb"}`: "auth_methods: is for a client with a secret",
	} {
		doc := strings.Replace(minimal, "{id: cc, secret: s}", y, 1)
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want a problem %q, got %v", y, want, err)
		}
	}
}
