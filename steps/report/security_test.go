package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/features"
	"github.com/oauthconf/oauthconf/steps/profile"
)

func sc(name, level string, outcome Status, reqs ...string) Scenario {
	return Scenario{ID: name, Name: name, Location: name + ".feature:1", Level: level, Outcome: outcome, Requirements: reqs}
}

func attackBySection(t *testing.T, s *Security, section string) Attack {
	t.Helper()
	for _, a := range s.Attacks {
		if a.Section == section {
			return a
		}
	}
	t.Fatalf("no attack %s in the security view", section)
	return Attack{}
}

func secProfile(t *testing.T, capabilities string) *profile.Profile {
	t.Helper()
	p, err := profile.Parse([]byte(`
issuer: http://127.0.0.1:9
clients: {client_credentials: {id: cc, secret: s}}
scopes: {allowed: [read]}
capabilities: ` + capabilities + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Each mark, from the outcomes of the scenarios that bear on an attack.
func TestSecurityMarks(t *testing.T) {
	scenarios := []Scenario{
		// 4.16 (by its RFC 9700 tag): a MUST passes, a SHOULD fails -> partly mitigated.
		sc("framing forbidden", "MUST", Pass, "RFC9700-4.16"),
		sc("CSP frame-ancestors", "SHOULD", Fail, "RFC9700-4.16"),
		// 4.12: only a pass -> mitigated.
		sc("no 307 after login", "MUST", Pass, "RFC9700-4.12"),
		// 4.5: PKCE and code binding fail at MUST, one waived -> not mitigated, although a
		// third passes.
		sc("A code issued with a challenge is refused with a wrong code_verifier", "MUST", Fail, "RFC7636-4.6"),
		sc("An authorization code issued to one client is refused for another client", "MUST", Waived, "RFC6749-4.1.3", "RFC6749-10.5"),
		sc("A code redeemed without the redirect_uri of the authorization request is refused", "MUST", Pass, "RFC6749-4.1.3"),
		// 4.4: iss scenarios not applicable -> not applicable, with the reason.
		{ID: "iss", Name: "iss", Location: "iss.feature:3", Level: "MUST", Outcome: NotApplicable, Requirements: []string{"RFC9207-2"},
			Reason: "the target does not return iss"},
		// 4.14: only inconclusive -> undetermined, never mitigated.
		sc("A refresh token issued to one client is refused for another client", "MUST", Inconclusive, "RFC6749-6", "RFC6749-10.4"),
		// 4.7: a pass beside an inconclusive one -> undetermined, not mitigated.
		sc("The state is echoed exactly (short)", "MUST", Pass, "RFC6749-4.1.2"),
		sc("A forged <form> submission (replayed) yields no authorization code", "MUST", Inconclusive, "RFC6749-10.12"),
		// RFC 6749 6 without a matching name bears on nothing.
		sc("A client refreshes its access token", "MUST", Fail, "RFC6749-6", "RFC6749-5.1"),
	}
	s := BuildSecurity(scenarios, secProfile(t, "{grants: [client_credentials]}"))
	want := map[string]string{"4.16": PartlyMitigated, "4.12": Mitigated, "4.5": NotMitigated, "4.4": NotApplicable_,
		"4.14": Undetermined, "4.7": Undetermined, "4.6": NotApplicable_, "4.13": Undetermined, "4.1": Undetermined}
	for section, mark := range want {
		if a := attackBySection(t, s, section); a.Mark != mark {
			t.Errorf("attack %s: %s (%s), want %s", section, a.Mark, a.Why, mark)
		}
	}
	if a := attackBySection(t, s, "4.4"); !strings.Contains(a.Why, "does not return iss") {
		t.Errorf("a not applicable attack should say why: %q", a.Why)
	}
	if a := attackBySection(t, s, "4.14"); len(a.Scenarios) != 1 {
		t.Errorf("4.14 bears on %d scenarios, want 1 (a plain refresh is not a countermeasure): %+v", len(a.Scenarios), a.Scenarios)
	}
	if a := attackBySection(t, s, "4.1"); !strings.Contains(a.Why, "no scenario") {
		t.Errorf("an attack nothing bears on is undetermined and says so: %q", a.Why)
	}
	if len(s.Attacks) != 17 {
		t.Errorf("%d attacks, want the 17 of RFC 9700 section 4", len(s.Attacks))
	}
	total := 0
	for _, c := range s.Counts {
		total += c.N
	}
	if total != len(s.Attacks) {
		t.Errorf("counts %+v do not add up to %d attacks", s.Counts, len(s.Attacks))
	}

	// Fixes: RFC9700-4.16's failure alone keeps 4.16 open (closes it); 4.5 has two failing
	// requirements, so neither closes it alone. Ranked: the one that closes an attack first.
	if len(s.Fixes) != 3 {
		t.Fatalf("fixes = %+v, want 3 (RFC9700-4.16, RFC7636-4.6, RFC6749-4.1.3)", s.Fixes)
	}
	if f := s.Fixes[0]; f.Requirement != "RFC9700-4.16" || strings.Join(f.Closes, ",") != "4.16" || f.Level != "SHOULD" {
		t.Errorf("first fix = %+v, want RFC9700-4.16 closing 4.16", f)
	}
	for _, f := range s.Fixes[1:] {
		if len(f.Closes) != 0 || strings.Join(f.Bears, ",") != "4.5" {
			t.Errorf("fix %+v: a second failing requirement keeps 4.5 open, so it closes nothing alone", f)
		}
	}
}

// The deprecated features: from the capabilities, the challenge methods and the scenarios that
// warn when the server accepted.
func TestSecurityDeprecatedFeatures(t *testing.T) {
	// Parsed with one grant (a profile with the browser grants needs clients, users and a login
	// page), then given the grants the check reads.
	p := secProfile(t, "{grants: [client_credentials], code_challenge_methods: [S256, plain]}")
	p.Capabilities.Grants = []string{"client_credentials", "implicit", "authorization_code"}
	query := sc("A token in the URL query is accepted or refused, with a warning when accepted", "MAY", Pass, "RFC6750-2.3")
	query.Warnings = []string{"the resource accepted a token in the URL query"}
	creds := sc("Client credentials in the URL query are refused, or accepted with a warning", "MUST", Pass, "RFC6749-2.3.1", "RFC6749-3.2")
	s := BuildSecurity([]Scenario{query, creds}, p)
	got := map[string]bool{}
	for _, d := range s.Deprecated {
		got[d.Feature] = d.Offered
		if d.Ground == "" || d.Evidence == "" {
			t.Errorf("%s: no ground or evidence: %+v", d.Feature, d)
		}
	}
	want := map[string]bool{"the implicit grant": true, "the resource owner password credentials grant": false,
		"the plain PKCE method": true, "access tokens in the URI query at the resource": true, "client credentials in the URI query": false}
	for f, w := range want {
		if o, ok := got[f]; !ok || o != w {
			t.Errorf("%s: offered=%v (listed %v), want %v", f, o, ok, w)
		}
	}
	h := s.Headline()
	for _, f := range []string{"the implicit grant", "the plain PKCE method", "access tokens in the URI query"} {
		if !strings.Contains(h, f) {
			t.Errorf("headline %q does not name %s", h, f)
		}
	}
	if strings.Contains(h, "password") {
		t.Errorf("headline %q names a grant the target does not offer", h)
	}
	none := BuildSecurity(nil, secProfile(t, "{grants: [client_credentials], code_challenge_methods: [S256]}"))
	if h := none.Headline(); !strings.HasPrefix(h, "deprecated features offered: none") {
		t.Errorf("headline without deprecated features = %q", h)
	}
}

// Build fills the view and both writers show it.
func TestSecurityInReports(t *testing.T) {
	data := cuke(t,
		cukeScenario{name: "The login page forbids framing", line: 3, tags: []string{"@RFC9700-4.16", "@MUST"}, status: []string{"passed"}},
		cukeScenario{name: "CSP", line: 6, tags: []string{"@RFC9700-4.16", "@SHOULD"}, status: []string{"failed"}, err: "no frame-ancestors"},
	)
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	var js, html bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Security struct {
			Attacks []struct{ Section, Mark string }
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range doc.Security.Attacks {
		if a.Section == "4.16" {
			found = a.Mark == PartlyMitigated
		}
	}
	if !found {
		t.Errorf("conformance.json has no security view with 4.16 partly mitigated:\n%s", js.String())
	}
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="security"`, `data-section="4.16" data-mark="partly_mitigated"`, `id="deprecated"`, `id="fixes"`} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
}

// Every evidence pattern of the security view still finds a scenario in the features, and every
// attack with neither evidence nor a reason for having none has a scenario tagged with its
// section: a renamed scenario must not silently drop out of the view.
func TestSecurityEvidenceMatchesScenarios(t *testing.T) {
	scs, err := features.Walk()
	if err != nil {
		t.Fatal(err)
	}
	var all []Scenario
	for _, g := range scs {
		s := Scenario{Name: g.Scenario.Name}
		for _, tg := range g.Tags {
			if id := strings.TrimPrefix(tg, "@"); requirementTag.MatchString(id) {
				s.Requirements = append(s.Requirements, id)
			}
		}
		all = append(all, s)
	}
	if len(all) < 100 {
		t.Fatalf("read %d scenarios from the features; expected the whole suite", len(all))
	}
	for _, d := range attackDefs {
		for i, e := range d.Evidence {
			hit := 0
			for j := range all {
				if e.matches(&all[j]) {
					hit++
				}
			}
			if hit == 0 {
				t.Errorf("attack %s, evidence %d (%v %v): matches no scenario of the features", d.Section, i, e.Tags, e.Name)
			}
		}
		if len(d.Evidence) == 0 && d.Outside == "" {
			hit := 0
			for j := range all {
				if d.bears(&all[j]) {
					hit++
				}
			}
			if hit == 0 {
				t.Errorf("attack %s has no evidence, no reason for none, and no scenario tagged @RFC9700-%s", d.Section, d.Section)
			}
		}
	}
}
