package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/fixtures"
)

const waiverBase = `
issuer: https://as.example.com
clients: {client_credentials: {id: cc, secret: s}}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
`

func TestWaivers(t *testing.T) {
	p, err := Parse([]byte(waiverBase + `
waivers:
  - {requirement: "@RFC6749-4.1.2.1", reason: "known bug TICKET-1"}
  - {scenario: "A reused code is refused", reason: "fixed in 10.15"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Waivers[0].Requirement != "RFC6749-4.1.2.1" {
		t.Errorf("the '@' of a requirement is not dropped: %q", p.Waivers[0].Requirement)
	}
	if w, ok := p.Waiver("Anything", []string{"@MUST", "@RFC6749-4.1.2.1"}); !ok || w.Reason != "known bug TICKET-1" {
		t.Errorf("requirement waiver not found: %+v %v", w, ok)
	}
	if w, ok := p.Waiver("A reused code is refused", nil); !ok || w.Reason != "fixed in 10.15" {
		t.Errorf("scenario waiver not found: %+v %v", w, ok)
	}
	if _, ok := p.Waiver("A reused code is refused twice", []string{"@RFC6749-4.1.2"}); ok {
		t.Error("a waiver matched another scenario or a requirement that only shares a prefix")
	}
}

func TestWaiverProblems(t *testing.T) {
	_, err := Parse([]byte(waiverBase + `
waivers:
  - {requirement: RFC6749-4.1.2.1}
  - {reason: "no target"}
  - {requirement: RFC6749-5.2, scenario: x, reason: r}
  - {requirement: "section 5.2", reason: r}
  - {requirement: RFC6749-4.1.2.1, reason: "again"}
  - {requirement: RFC6749-3.1, reason: "  ", extra: 1}
`))
	if err == nil {
		t.Fatal("bad waivers accepted")
	}
	// Decoding stops at the unknown field; check it first, then the rest without it.
	if !strings.Contains(err.Error(), "waivers[5].extra: unknown field") {
		t.Errorf("unknown field not named: %v", err)
	}
	_, err = Parse([]byte(waiverBase + `
waivers:
  - {requirement: RFC6749-4.1.2.1}
  - {reason: "no target"}
  - {requirement: RFC6749-5.2, scenario: x, reason: r}
  - {requirement: "section 5.2", reason: r}
  - {requirement: RFC6749-4.1.2.1, reason: "again"}
  - {requirement: RFC6749-3.1, reason: "  "}
`))
	if err == nil {
		t.Fatal("bad waivers accepted")
	}
	for _, want := range []string{
		"waivers[0].reason: is required",
		"waivers[1]: names neither a requirement nor a scenario",
		"waivers[2]: names both",
		`waivers[3].requirement: "section 5.2" is not a requirement id`,
		"waivers[4]: waives the same requirement RFC6749-4.1.2.1 as waivers[0]",
		"waivers[5].reason: is required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
}

// The shipped example profiles parse and validate as they are.
func TestShippedExampleProfiles(t *testing.T) {
	data, err := fixtures.FS.ReadFile("targets/webmethods-is.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "NOT YET TRIED AGAINST A LIVE SERVER") {
		t.Error("the webMethods example must say it was not tried against a live server")
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("webmethods-is.example.yaml: %v", err)
	}
	if !strings.HasSuffix(p.Endpoints.Token, "/invoke/pub.oauth/getToken") ||
		!strings.HasSuffix(p.Endpoints.Authorization, "/invoke/pub.oauth/authorize") ||
		!strings.HasSuffix(p.Endpoints.Introspection, "/invoke/pub.oauth/introspectToken") ||
		!strings.HasSuffix(p.Endpoints.Revocation, "/invoke/pub.oauth/revokeToken") {
		t.Errorf("endpoints = %+v", p.Endpoints)
	}
	// No metadata: every capability the features ask about is declared, so Supports answers
	// without a metadata document.
	for tag, want := range map[string]bool{"grant-password": true, "introspection": true, "revocation": true,
		"metadata": false, "iss": false, "loopback-any-port": false, "client-secret-post": false, "pkce": true} {
		if ok, why := p.Supports(tag); ok != want {
			t.Errorf("Supports(%s) = %v (%s), want %v", tag, ok, why, want)
		}
	}

	strict, err := fixtures.FS.ReadFile("targets/refserver-strict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := Decode(strict)
	if err != nil {
		t.Fatal(err)
	}
	sp.Issuer = "http://127.0.0.1:8080"
	if err := sp.Validate(); err != nil {
		t.Fatalf("refserver-strict.yaml: %v", err)
	}
	// It lists client_secret_post only, yet HTTP Basic is checked: RFC 6749 2.3.1 "MUST
	// support the HTTP Basic authentication scheme" cannot be declared away.
	if ok, why := sp.Supports("client-secret-basic"); !ok {
		t.Errorf("the strict profile has clients with secrets, so client_secret_basic is checked: %s", why)
	}
	if declared, _ := sp.DeclaresAuthMethod("client_secret_basic"); declared {
		t.Error("the strict profile declares client_secret_post only")
	}
	if ok, _ := sp.Supports("grant-password"); ok {
		t.Error("the strict profile must not support the password grant")
	}
}

// The commented example of fixtures/targets/README.md is a valid profile: the documentation
// cannot drift from the schema.
func TestDocumentedExampleProfile(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "targets", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("fixtures/targets/README.md has no ```yaml example")
	}
	p, err := Parse([]byte(example))
	if err != nil {
		t.Fatalf("the documented example does not validate: %v", err)
	}
	if len(p.Waivers) != 2 || len(p.Browser.Login) != 4 || !p.Browser.Login[2].Optional || p.Resource == nil {
		t.Errorf("the documented example lost fields: %+v", p)
	}
	if len(p.Origins) == 0 || p.AuthorizationParams.Code["prompt"] != "consent" || p.RaceRequestCount == nil ||
		p.Clients[RoleConfidential].Grants == nil || p.Clients[RolePublic].AuthorizationParams == nil {
		t.Errorf("the documented example lost the deployment fields: %+v", p)
	}
}
