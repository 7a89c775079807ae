package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// startRefserver serves the reference server with the fixtures' seed on a loopback port,
// through the launcher every caller uses, and returns its issuer.
func startRefserver(t *testing.T) string {
	t.Helper()
	srv, err := launch.Start(context.Background(), launch.DBOptions{Seed: fixtures.SeedYAML()},
		launch.Options{Config: refserver.Config{Audit: audit.New(io.Discard)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Issuer
}

// fillIn replaces init's CHANGE-ME places with the reference server's values from
// fixtures/targets/refserver.yaml, as a user would with their own server's.
func fillIn(t *testing.T, text string) string {
	t.Helper()
	ref, err := profile.Decode(fixtures.RefserverProfileYAML())
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for role, c := range ref.Clients {
		r := strings.ReplaceAll(role, "_", "-")
		pairs = append(pairs, changeMe+"-"+r+"-id", c.ID, changeMe+"-"+r+"-secret", c.Secret)
	}
	u := ref.ValidUser()
	pairs = append(pairs, changeMe+"-username", u.Username, changeMe+"-password", u.Password,
		changeMe+"-approve-button", "#approve", changeMe+"-deny-button", "#deny")
	return strings.NewReplacer(pairs...).Replace(text)
}

// init against the reference server writes a profile that, with the CHANGE-ME places filled
// in, validates and lists the scenarios; the login form is guessed from the real login page.
func TestInitAgainstTheReferenceServer(t *testing.T) {
	issuer := startRefserver(t)
	out := filepath.Join(t.TempDir(), "target.yaml")
	var stdout, stderr bytes.Buffer
	code := initWith(context.Background(), []string{"--issuer", issuer, "--out", out,
		"--login-client-id", "conf-code", "--login-redirect-uri", "http://127.0.0.1/callback"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "oauthconf run --target "+out+" --list") {
		t.Errorf("stdout does not say what to do next: %s", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	t.Logf("generated profile:\n%s", text)
	for _, want := range []string{
		`issuer: "` + issuer + `"`,
		"GUESSED",
		`- {fill: "#username", with: "{{user.username}}"}`,
		`- {fill: "#password", with: "{{user.password}}"}`,
		`- {click: "#login"}`,
		"grants: [authorization_code, implicit, client_credentials, password, refresh_token]",
		"# code_challenge_methods: [S256]",
		"iss_parameter: true",
		"refresh: offline_access",
		"CHANGE-ME-confidential-", // the login client is conf-code; its secret is still to fill in
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the profile lacks %q", want)
		}
	}
	// As written, it parses (the CHANGE-ME places are syntactically valid).
	if _, err := profile.Parse(b); err != nil {
		t.Errorf("the profile as written does not validate: %v", err)
	}

	filled := fillIn(t, text)
	if left := regexp.MustCompile(`CHANGE-ME-[\w-]+`).FindAllString(filled, -1); len(left) > 0 {
		t.Errorf("CHANGE-ME places left after filling in: %v", left)
	}
	if err := os.WriteFile(out, []byte(filled), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.Load(out); err != nil {
		t.Fatalf("the filled-in profile does not validate: %v", err)
	}
	var listing bytes.Buffer
	res, err := runner.Run(context.Background(), runner.Options{TargetPath: out, List: true, Output: &listing})
	if err != nil || res.ExitCode != runner.ExitPassed {
		t.Fatalf("run --list: %v (exit %v)\n%s", err, res, listing.String())
	}
	m := regexp.MustCompile(`(\d+) scenarios selected: (\d+) would run`).FindStringSubmatch(listing.String())
	if m == nil || m[2] == "0" {
		t.Fatalf("run --list shows nothing that would run:\n%s", listing.String())
	}
	t.Logf("run --list: %s", m[0])
}

func TestInitErrors(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>hello</html>")
	}))
	defer html.Close()
	badJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"issuer": `)
	}))
	defer badJSON.Close()
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	downURL := "http://" + down.Addr().String()
	down.Close()

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--issuer is required"},
		{[]string{"--issuer", "as.example.com"}, `--issuer "as.example.com" is not an absolute http(s) URL`},
		{[]string{"--issuer", "https://as.example.com?x=1"}, "has a query or fragment"},
		{[]string{"--issuer", "https://as.example.com", "--login-client-id", "c"}, "go together"},
		{[]string{"--issuer", notFound.URL}, "publishes no metadata document"},
		{[]string{"--issuer", notFound.URL}, "/.well-known/openid-configuration: answered 404"},
		{[]string{"--issuer", html.URL}, `not application/json`},
		{[]string{"--issuer", badJSON.URL}, "is not a JSON object"},
		{[]string{"--issuer", downURL}, "connection refused"},
	} {
		var stdout, stderr bytes.Buffer
		if code := initWith(context.Background(), c.args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", c.args, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: stderr = %q, want %q", c.args, stderr.String(), c.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("%v: wrote %q", c.args, stdout.String())
		}
	}
}

// Without a login client the form is left to fill in, and metadata without optional members
// gets the RFC 8414 defaults.
func TestStarterProfileFromSparseMetadata(t *testing.T) {
	doc := map[string]any{"issuer": "https://as.example.com", "authorization_endpoint": "https://as.example.com/a",
		"token_endpoint": "https://as.example.com/t"}
	text := starterProfile(initOptions{Issuer: "https://as.example.com"}, doc, "https://as.example.com/.well-known/openid-configuration", nil, nil)
	for _, want := range []string{
		"grants: [authorization_code, implicit]", // RFC 8414 2 default
		"token_endpoint_auth_methods: [client_secret_basic]",
		"pkce: optional   # the metadata has no code_challenge_methods_supported", // RFC 9700 2.1.1
		"#   introspection: https://...   # the metadata has no introspection_endpoint",
		`allowed: ["CHANGE-ME-scope"]`,
		`{fill: "CHANGE-ME-username-field"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "client_credentials:") {
		t.Errorf("roles for capabilities the server lacks:\n%s", text)
	}
	if _, err := profile.Parse([]byte(text)); err != nil {
		t.Errorf("does not validate: %v\n%s", err, text)
	}
}

// TestInitWithoutMetadata: against a server that publishes no metadata, init says how to go on,
// and with the endpoints given writes a profile that validates and resolves (issue 14, item 8:
// not "capabilities.metadata is true but no metadata document was found").
func TestInitWithoutMetadata(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	if code := initWith(context.Background(), []string{"--issuer", srv.URL}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("exit %d", code)
	}
	if want := "--authorization-endpoint URL --token-endpoint URL"; !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr %q does not say how to go on (%q)", stderr.String(), want)
	}
	stdout.Reset()
	stderr.Reset()
	args := []string{"--issuer", srv.URL, "--authorization-endpoint", srv.URL + "/authorize", "--token-endpoint", srv.URL + "/token"}
	if code := initWith(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{
		"the server publishes no metadata",
		`authorization: "` + srv.URL + `/authorize"`,
		`token: "` + srv.URL + `/token"`,
		"metadata: false",
		"grants: [authorization_code, client_credentials, refresh_token]   # CHECK",
		"pkce: optional   # CHECK",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	p, err := profile.Parse([]byte(fillIn(t, text)))
	if err != nil {
		t.Fatalf("does not validate: %v\n%s", err, text)
	}
	if err := p.Resolve(context.Background(), &http.Client{}); err != nil {
		t.Fatalf("does not resolve without metadata: %v", err)
	}
	if code := initWith(context.Background(), []string{"--issuer", srv.URL, "--token-endpoint", "token"}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("a relative --token-endpoint was accepted")
	}
}
