package report

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

func record(o verdict.Outcome, reason, by string) cukeAttach {
	return cukeAttach{verdict.MediaType, string(verdict.Record{Outcome: o, Reason: reason, BlockedBy: by, Step: "step"}.Marshal())}
}

const denyQuote = `
      RFC 6749 4.1.2.1: "If the resource owner denies the access request [...] the authorization server informs the client by adding the following parameters to the query component of the redirection URI"
      Some other free text.`

// TestBuildEveryOutcome: Build decides each outcome once, from the verdict record when a step
// carries one, and otherwise from godog's step statuses.
func TestBuildEveryOutcome(t *testing.T) {
	p := testProfile(t, `
waivers:
  - {requirement: RFC6749-5.2, reason: "known bug TICKET-1"}
  - {scenario: "blocked but waived", reason: "a waiver judges nothing it does not see"}
  - {scenario: "passes although waived", reason: "fixed since"}
`)
	exchange := "> POST /token HTTP/1.1\n< HTTP/1.1 200 OK\n< {\"x\":\"]]>\"}"
	data := cuke(t,
		cukeScenario{name: "passes", line: 3, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"passed", "passed"}},
		cukeScenario{name: "not applicable by record", line: 6, tags: []string{"@RFC6749-3.3", "@MUST"}, status: []string{"skipped", "skipped"},
			attach: []cukeAttach{record(verdict.OutcomeNotApplicable, "the profile has no scopes.not_allowed", "")}},
		cukeScenario{name: "inconclusive", line: 9, tags: []string{"@RFC6749-4.1.2.1", "@MUST"}, status: []string{"passed", "skipped", "skipped"},
			attach: []cukeAttach{record(verdict.OutcomeInconclusive, "could not see the redirect", "")}, attachAt: 1},
		cukeScenario{name: "blocked", line: 12, tags: []string{"@RFC6749-4.1.2.1", "@MUST"}, status: []string{"skipped", "skipped"},
			attach: []cukeAttach{record(verdict.OutcomeBlocked, "no code was issued", "RFC6749-4.1.2")}},
		cukeScenario{name: "fails at MUST", line: 15, tags: []string{"@RFC6749-4.1.2.1", "@MUST"}, desc: denyQuote,
			status: []string{"passed", "failed"}, err: "expected error=access_denied, got no error parameter",
			attach: []cukeAttach{{"text/plain", exchange}}, attachAt: 1},
		cukeScenario{name: "fails at SHOULD", line: 18, tags: []string{"@RFC6749-10.12", "@SHOULD"}, status: []string{"failed"}, err: "no anti-CSRF protection"},
		cukeScenario{name: "fails at MAY without a record", line: 21, tags: []string{"@RFC6749-3.1", "@MAY"}, status: []string{"failed"}, err: "expected a query"},
		cukeScenario{name: "undefined", line: 24, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"passed", "undefined", "skipped"}},
		cukeScenario{name: "pending", line: 27, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"pending"}},
		cukeScenario{name: "no steps", line: 30, tags: []string{"@RFC6749-4.4.2", "@MUST"}},
		cukeScenario{name: "waived fail", line: 33, tags: []string{"@RFC6749-5.2", "@MUST"}, status: []string{"failed"}, err: "expected invalid_client"},
		cukeScenario{name: "blocked but waived", line: 36, tags: []string{"@RFC6749-5.2", "@MUST"}, status: []string{"skipped"},
			attach: []cukeAttach{record(verdict.OutcomeBlocked, "setup failed", "")}},
		cukeScenario{name: "passes although waived", line: 39, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"passed"}},
		cukeScenario{name: "skipped without record", line: 42, tags: []string{"@RFC6749-4.3.2", "@MUST", "@grant-password"}, status: []string{"skipped"}},
		cukeScenario{name: "ambiguous", line: 45, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"ambiguous"}},
		cukeScenario{name: "not applicable, then undefined", line: 48, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"skipped", "undefined"},
			attach: []cukeAttach{record(verdict.OutcomeNotApplicable, "no refresh tokens", "")}},
	)
	r, err := Build(Input{Cucumber: data, Profile: p})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Scenario{}
	for _, s := range r.Scenarios {
		got[s.Name] = s
	}
	for name, want := range map[string]Status{
		"passes": Pass, "not applicable by record": NotApplicable, "inconclusive": Inconclusive, "blocked": Blocked,
		"fails at MUST": Fail, "fails at SHOULD": Fail, "fails at MAY without a record": NotApplicable,
		"undefined": HarnessDefect, "pending": HarnessDefect, "no steps": HarnessDefect, "ambiguous": HarnessDefect,
		"waived fail": Waived, "not applicable, then undefined": HarnessDefect, "blocked but waived": Blocked, "passes although waived": Pass, "skipped without record": NotApplicable,
	} {
		if got[name].Outcome != want {
			t.Errorf("%q: outcome %s, want %s (reason %q)", name, got[name].Outcome, want, got[name].Reason)
		}
	}
	if s := got["not applicable by record"]; s.Reason != "the profile has no scopes.not_allowed" {
		t.Errorf("n/a reason = %q", s.Reason)
	}
	if s := got["inconclusive"]; s.Reason != "could not see the redirect" || s.Step != "step 2" {
		t.Errorf("inconclusive = %q at %q", s.Reason, s.Step)
	}
	if s := got["blocked"]; s.BlockedBy != "RFC6749-4.1.2" || s.Reason != "no code was issued" || !strings.Contains(s.Message(), "blocked by RFC6749-4.1.2") {
		t.Errorf("blocked = %+v", s)
	}
	if s := got["blocked but waived"]; s.Waiver != "" || !strings.Contains(s.BlockedBy, "step 1") {
		t.Errorf("a waiver must not cover a blocked scenario, and blocked_by defaults to the step: %+v", s)
	}
	must := got["fails at MUST"]
	if must.Level != "MUST" || len(must.Quotes) != 1 || must.Quotes[0].Requirement != "RFC6749-4.1.2.1" || must.Observed != "expected error=access_denied, got no error parameter" {
		t.Errorf("fail at MUST = %+v", must)
	}
	msg := must.FailureMessage()
	head := `MUST RFC 6749 4.1.2.1: "If the resource owner denies the access request [...] the authorization server`
	iq, io, ix := strings.Index(msg, head), strings.Index(msg, "observed: expected error=access_denied"), strings.Index(msg, exchange)
	if iq != 0 || io < iq || ix < io {
		t.Errorf("the FAIL message must lead with the level, requirement and quote, then the observed behaviour, then the exchange:\n%s", msg)
	}
	if s := got["fails at SHOULD"]; s.Level != "SHOULD" || !strings.HasPrefix(s.FailureMessage(), "SHOULD RFC6749-10.12 (the scenario quotes no RFC sentence)\nobserved: no anti-CSRF protection") {
		t.Errorf("fail at SHOULD: %q", s.FailureMessage())
	}
	if s := got["fails at MAY without a record"]; !strings.Contains(s.Reason, "optional behaviour (MAY)") || s.Failure != "" {
		t.Errorf("failed MAY = %+v", s)
	}
	if s := got["undefined"]; !strings.Contains(s.Reason, `"step 2" is undefined`) {
		t.Errorf("undefined reason = %q", s.Reason)
	}
	if s := got["waived fail"]; s.Waiver != "known bug TICKET-1" || s.WaiverOf != "requirement RFC6749-5.2" || s.Observed != "expected invalid_client" {
		t.Errorf("waived = %+v", s)
	}
	if s := got["passes although waived"]; !s.WaiverUnnecessary {
		t.Errorf("unnecessary waiver not noted: %+v", s)
	}
	if s := got["skipped without record"]; !strings.Contains(s.Reason, "password") {
		t.Errorf("capability reason = %q", s.Reason)
	}

	sum := r.Summary
	if c := sum.Scenarios; c != (Counts{Total: 16, Pass: 2, Fail: 2, Waived: 1, Inconclusive: 1, Blocked: 2, NotApplicable: 3, HarnessDefect: 5}) {
		t.Errorf("scenario counts = %+v", c)
	}
	if m := sum.Level("MUST").Scenarios; m.Fail != 1 || m.Pass != 2 || m.HarnessDefect != 5 {
		t.Errorf("MUST counts = %+v", m)
	}
	if s := sum.Level("SHOULD").Scenarios; s.Fail != 1 || s.Total != 1 {
		t.Errorf("SHOULD counts = %+v", s)
	}
	if m := sum.Level("MAY").Scenarios; m.Fail != 0 || m.NotApplicable != 1 {
		t.Errorf("MAY counts = %+v", m)
	}
	if len(sum.Levels) != 3 || sum.Levels[0].Level != "MUST" || sum.Levels[1].Level != "SHOULD" || sum.Levels[2].Level != "MAY" {
		t.Errorf("levels = %+v", sum.Levels)
	}

	reqs := map[string]Requirement{}
	for _, q := range r.Requirements {
		reqs[q.ID] = q
	}
	if q := reqs["RFC6749-4.1.2.1"]; q.Outcome != Fail || len(q.Quotes) != 1 || len(q.Scenarios) != 3 {
		t.Errorf("RFC6749-4.1.2.1 = %+v", q)
	}
	if q := reqs["RFC6749-4.4.2"]; q.Outcome != HarnessDefect {
		t.Errorf("RFC6749-4.4.2 (pass and harness defects) = %s", q.Outcome)
	}
	if q := reqs["RFC6749-3.3"]; q.Outcome != NotApplicable || q.Scenarios[0].Message != "the profile has no scopes.not_allowed" {
		t.Errorf("RFC6749-3.3 = %+v", q)
	}
	if q := reqs["RFC6749-5.2"]; q.Outcome != Waived {
		t.Errorf("RFC6749-5.2 (waived and blocked) = %s", q.Outcome)
	}

	// junit.xml: one testcase per scenario, each outcome as CI reads it.
	var buf bytes.Buffer
	if err := r.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<![CDATA[MUST RFC 6749 4.1.2.1:") || !strings.Contains(buf.String(), "\n< HTTP/1.1 200 OK\n") {
		t.Errorf("junit.xml does not keep the failure readable as CDATA:\n%s", buf.String())
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml: %v\n%s", err, buf.String())
	}
	if doc.Tests != 16 || doc.Failures != 2 || doc.Errors != 5 || doc.Skipped != 7 || len(doc.Suites) != 1 {
		t.Errorf("junit totals: tests %d failures %d errors %d skipped %d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	cases := map[string]junitCase{}
	for _, c := range doc.Suites[0].Cases {
		cases[c.Name] = c
	}
	if c := cases["fails at MUST"]; c.Failure == nil || c.Failure.Type != "MUST" ||
		!strings.HasPrefix(c.Failure.Message, `MUST RFC 6749 4.1.2.1: "If the resource owner denies`) ||
		!strings.HasSuffix(c.Failure.Message, "| observed: expected error=access_denied, got no error parameter") ||
		!strings.Contains(c.Failure.Text, exchange) {
		t.Errorf("junit failure = %+v", c.Failure)
	}
	for name, want := range map[string]string{
		"not applicable by record":      "not applicable: the profile has no scopes.not_allowed",
		"inconclusive":                  "inconclusive: could not see the redirect",
		"blocked":                       "blocked: blocked by RFC6749-4.1.2: no code was issued",
		"waived fail":                   "waived: known bug TICKET-1",
		"fails at MAY without a record": "not applicable: optional behaviour (MAY)",
	} {
		if c := cases[name]; c.Skipped == nil || !strings.HasPrefix(c.Skipped.Message, want) || c.Failure != nil {
			t.Errorf("junit %q: skipped %+v, want a message starting %q", name, c.Skipped, want)
		}
	}
	if c := cases["undefined"]; c.Error == nil || !strings.HasPrefix(c.Error.Message, "harness defect: ") {
		t.Errorf("junit undefined = %+v", c)
	}
	if c := cases["passes"]; c.Failure != nil || c.Skipped != nil || c.Error != nil {
		t.Errorf("junit pass = %+v", c)
	}
	if c := cases["passes although waived"]; !strings.Contains(c.SystemOut, "the waiver is unnecessary") {
		t.Errorf("junit unnecessary waiver = %+v", c)
	}
}

func TestAggregateOrder(t *testing.T) {
	for _, c := range []struct {
		in   []Status
		want Status
	}{
		{[]Status{Pass, Inconclusive}, Pass},
		{[]Status{Inconclusive, Blocked, NotApplicable}, Inconclusive},
		{[]Status{Blocked, NotApplicable}, Blocked},
		{[]Status{Pass, Waived, Inconclusive}, Waived},
		{[]Status{Fail, HarnessDefect, Waived}, Fail},
		{[]Status{Pass, HarnessDefect}, HarnessDefect},
		{[]Status{NotApplicable}, NotApplicable},
	} {
		if got := Aggregate(c.in); got != c.want {
			t.Errorf("Aggregate(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// A requirement with one pass and one inconclusive scenario passes, and lists both.
func TestRequirementPassWithInconclusiveListed(t *testing.T) {
	data := cuke(t,
		cukeScenario{name: "observed", line: 3, tags: []string{"@RFC6749-4.1.2", "@MUST"}, status: []string{"passed"}},
		cukeScenario{name: "not observed", line: 6, tags: []string{"@RFC6749-4.1.2", "@MUST"}, status: []string{"skipped"},
			attach: []cukeAttach{record(verdict.OutcomeInconclusive, "the browser crashed", "")}},
	)
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	q := r.Requirements[0]
	if q.Outcome != Pass || len(q.Scenarios) != 2 || q.Scenarios[1].Outcome != Inconclusive || q.Scenarios[1].Message != "the browser crashed" {
		t.Errorf("requirement = %+v", q)
	}
}

func TestParseQuotes(t *testing.T) {
	desc := `  RFC 6749 4.1.2.1: "If the resource owner denies the access request [...] informs the client"
  RFC 9700 2.1.1: "Authorization servers MUST support PKCE
  [RFC7636]."
  RFC6749 A.5: "state = 1*VSCHAR"
  This line is not a quote.
  RFC 6749 3.3 without a colon and quote`
	got := ParseQuotes(desc)
	want := []Quote{
		{Requirement: "RFC6749-4.1.2.1", RFC: "RFC6749", Section: "4.1.2.1", Text: "If the resource owner denies the access request [...] informs the client"},
		{Requirement: "RFC9700-2.1.1", RFC: "RFC9700", Section: "2.1.1", Text: "Authorization servers MUST support PKCE [RFC7636]."},
		{Requirement: "RFC6749-A.5", RFC: "RFC6749", Section: "A.5", Text: "state = 1*VSCHAR"},
	}
	if len(got) != len(want) {
		t.Fatalf("ParseQuotes = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("quote %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := want[0].String(); s != `RFC 6749 4.1.2.1: "If the resource owner denies the access request [...] informs the client"` {
		t.Errorf("String = %s", s)
	}
	if s := want[0].Short(22); s != `RFC 6749 4.1.2.1: "If the resource owner…"` {
		t.Errorf("Short = %s", s)
	}
}

// One deviation that shows in several scenarios (the same requirement, the same first line
// once URLs, ports and random values are set aside) is one cause.
func TestCausesGroupOneDeviation(t *testing.T) {
	data := cuke(t,
		cukeScenario{name: "a", line: 3, tags: []string{"@RFC6749-4.1.2.1", "@MUST"}, status: []string{"failed"},
			err: "expected a redirect to http://127.0.0.1:40001/cb?state=Zx81kQ2pLw9sT3vB, got 200"},
		cukeScenario{name: "b", line: 6, tags: []string{"@RFC6749-4.1.2.1", "@MUST"}, status: []string{"failed"},
			err: "expected a redirect to http://127.0.0.1:40777/cb?state=Ab12Cd34Ef56Gh78, got 200\nexchange"},
		cukeScenario{name: "c", line: 9, tags: []string{"@RFC6749-4.1.2.1", "@MUST"}, status: []string{"failed"}, err: "expected 400, got 500"},
		cukeScenario{name: "d", line: 12, tags: []string{"@RFC6750-3", "@SHOULD"}, status: []string{"failed"}, err: "no WWW-Authenticate"},
		cukeScenario{name: "e", line: 15, tags: []string{"@RFC6750-3", "@SHOULD"}, status: []string{"passed"}},
	)
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	causes := r.Causes()
	if len(causes) != 3 {
		t.Fatalf("causes = %+v", causes)
	}
	if c := causes[0]; c.Requirement != "RFC6749-4.1.2.1" || len(c.Scenarios) != 2 || c.Level != "MUST" {
		t.Errorf("first cause = %+v", c)
	}
	if c := causes[2]; c.Level != "SHOULD" || c.Scenarios[0].Name != "d" {
		t.Errorf("the SHOULD cause comes last: %+v", c)
	}
}

// A cause met by a MUST and a SHOULD scenario names both levels, and each scenario shows its
// own: a SHOULD is never listed as a MUST (issue 14 item 9).
func TestCauseShowsEachScenariosLevel(t *testing.T) {
	data := cuke(t,
		cukeScenario{name: "must one", line: 3, tags: []string{"@RFC6749-5.2", "@MUST"}, status: []string{"failed"}, err: "expected error, got 500"},
		cukeScenario{name: "should one", line: 6, tags: []string{"@RFC6749-5.2", "@SHOULD"}, status: []string{"failed"}, err: "expected error, got 500"},
	)
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	causes := r.Causes()
	if len(causes) != 1 || !slices.Equal(causes[0].Levels(), []string{"MUST", "SHOULD"}) {
		t.Fatalf("causes = %+v", causes)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<span class="badge fail">MUST</span> <span class="badge fail">SHOULD</span> RFC6749-5.2`,
		`<span class="badge fail scenario-level">SHOULD</span> <a href=`,
		`<span class="badge fail scenario-level">MUST</span> <a href=`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
