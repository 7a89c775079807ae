package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	entry := func(name string) ExpectedFail {
		return ExpectedFail{Scenario: name, RFC: "q", Evidence: "e", Step: "the step", Observed: "expected A"}
	}
	race := func(name string) ExpectedFail { f := entry(name); f.TimingDependent = true; return f }
	exp := &Expected{Fails: []ExpectedFail{
		entry("still fails"), entry("now passes"), entry("now blocked"), entry("renamed"), entry("waived"),
		race("race not hit"), race("race blocked"), entry("other step"), entry("other observation"),
	}}
	got := []Outcome{
		{Name: "still fails", Status: "fail", Step: "the step", Observed: "expected A, got B"},
		{Name: "now passes", Status: "pass"},
		{Name: "now blocked", Status: "blocked", Message: "RFC6749-4.1.2 failed"},
		{Name: "waived", Status: "waived", Step: "the step", Observed: "expected A"},
		{Name: "race not hit", Status: "pass"},
		{Name: "race blocked", Status: "blocked"},
		{Name: "other step", Status: "fail", Location: "z.feature:1", Step: "a later step", Observed: "expected A, got B"},
		{Name: "other observation", Status: "fail", Location: "z.feature:2", Step: "the step", Observed: "expected C, got D"},
		{Name: "new failure", Status: "fail", Location: "x.feature:3", Message: "expected A, got B\nmore"},
		{Name: "v2 failure", Status: "fail", Location: "y.feature:4", Message: "MUST RFC 6749 5.1: \"quote\"\nobserved: no Cache-Control\n--- HTTP"},
		{Name: "not applicable", Status: "not_applicable"},
	}
	d := Compare(exp, got)
	if len(d.Unexpected) != 2 || d.Unexpected[0].Name != "new failure" || d.Unexpected[1].Name != "v2 failure" {
		t.Errorf("unexpected = %+v, want \"new failure\" and \"v2 failure\"", d.Unexpected)
	}
	var no []string
	for _, c := range d.NoLonger {
		no = append(no, c.Expected.Scenario+"="+c.Got.Status)
	}
	if want := "now passes=pass,now blocked=blocked,renamed=,race blocked=blocked"; strings.Join(no, ",") != want {
		t.Errorf("no longer failing = %v, want %s", no, want)
	}
	var changed []string
	for _, c := range d.Reason {
		changed = append(changed, c.Expected.Scenario)
	}
	if want := "other step,other observation"; strings.Join(changed, ",") != want {
		t.Errorf("reason changed = %v, want %s: a FAIL at another step or for another reason is not the listed one", changed, want)
	}
	msg := d.Explain("fixtures/interop/x.expected.yaml")
	for _, want := range []string{`UNEXPECTED FAIL x.feature:3 "new failure"`, "expected A, got B",
		`NO LONGER FAILS "now passes"`, "    observed: no Cache-Control\n", "blocked: RFC6749-4.1.2 failed", "did not run (renamed or removed?)",
		`REASON CHANGED z.feature:1 "other step"`, `now:    step "a later step"`, `observed "expected C, got D"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("Explain lacks %q:\n%s", want, msg)
		}
	}
	if !Compare(&Expected{Fails: exp.Fails[:1]}, got[:1]).Empty() {
		t.Error("a run that matches the file is not Empty")
	}
}

// TestMatchesObserved: the entry's observed text is the start of the run's, with the run's
// ports written PORT and "[...]" for any text; the step must be the same.
func TestMatchesObserved(t *testing.T) {
	o := Outcome{Step: "every page the server showed forbids framing",
		Observed: "http://localhost:20652/login/username?authRequestID=ed2297cf-4480-436c-9c81-356c597286fa: expected X-Frame-Options DENY, got \"\""}
	for _, c := range []struct {
		observed string
		want     bool
	}{
		{"http://localhost:PORT/login/username?authRequestID=[...]: expected X-Frame-Options DENY", true},
		{"http://localhost:PORT/login/username?authRequestID=[...]: expected X-Frame-Options", true},
		{"http://localhost:PORT/login/[...]DENY, got", true},
		{"http://localhost:20652/login", false}, // ports are compared as PORT
		{"http://localhost:PORT/login/username?authRequestID=[...]: expected a Content-Security-Policy", false},
		{"expected X-Frame-Options", false}, // a prefix, not a substring
	} {
		f := ExpectedFail{Step: o.Step, Observed: c.observed}
		if got := f.Matches(o); got != c.want {
			t.Errorf("Matches(%q) = %v, want %v", c.observed, got, c.want)
		}
	}
	if (ExpectedFail{Step: "another step", Observed: "http"}).Matches(o) {
		t.Error("an entry of another step matches")
	}
	if got, want := draftObserved(o.Observed), "http://localhost:PORT/login/username?authRequestID=[...]: expected X-Frame-Options DENY, got \"\""; got != want {
		t.Errorf("draftObserved = %q, want %q", got, want)
	}
	if f := (ExpectedFail{Step: o.Step, Observed: draftObserved(o.Observed)}); !f.Matches(o) {
		t.Error("a draft's observed text does not match the observation it was written from")
	}
	if got := draftObserved("the server granted \"client_credentials\" for RFC6749-4.1.2 and scope no-such-scope"); strings.Contains(got, wildcard) {
		t.Errorf("draftObserved replaced a word that is not random: %q", got)
	}
}

func TestDraftRoundTrip(t *testing.T) {
	got := []Outcome{
		{Name: "a fail", Status: "fail", Location: "a.feature:1", Requirements: []string{"RFC6749-4.1.2"}, Level: "MUST",
			Description: `RFC 6749 4.1.2: "text"`, Message: "expected X, got Y\n< Date: today\n< {\"error\":\"e\"}",
			Step: "the step", Observed: "expected X, got Y"},
		{Name: "a pass", Status: "pass"},
	}
	path := filepath.Join(t.TempDir(), "draft.yaml")
	if err := Draft("server 1.0", got, nil).Write(path, "a header\nof two lines"); err != nil {
		t.Fatal(err)
	}
	e, err := LoadExpected(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Fails) != 1 || e.Fails[0].Scenario != "a fail" || e.Fails[0].RFC != `RFC 6749 4.1.2: "text"` {
		t.Fatalf("draft read back as %+v", e)
	}
	if strings.Contains(e.Fails[0].Evidence, "Date:") || !strings.Contains(e.Fails[0].Evidence, `{"error":"e"}`) {
		t.Errorf("evidence not shortened as expected: %q", e.Fails[0].Evidence)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# a header\n# of two lines\n") {
		t.Errorf("header missing:\n%s", data)
	}
	if !Compare(e, got).Empty() {
		t.Error("a draft does not match the run it was written from")
	}
}

func TestLoadExpectedRefusesEntriesWithoutEvidence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.yaml")
	if err := os.WriteFile(path, []byte("server: s\nfails:\n  - scenario: x\n    rfc: q\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadExpected(path); err == nil || !strings.Contains(err.Error(), "evidence") {
		t.Errorf("LoadExpected = %v, want an error naming evidence", err)
	}
	for _, entry := range []string{"    evidence: e\n", "    evidence: e\n    step: s\n", "    evidence: e\n    step: s\n    observed: \"[...]\"\n"} {
		if err := os.WriteFile(path, []byte("server: s\nfails:\n  - scenario: x\n    rfc: q\n"+entry), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadExpected(path); err == nil || !strings.Contains(err.Error(), "step and observed are required") {
			t.Errorf("an entry without its step or observed text: LoadExpected = %v, want an error naming them", err)
		}
		if _, err := loadUnchecked(path); err != nil {
			t.Errorf("loadUnchecked (for -update) = %v", err)
		}
	}
	if e, err := LoadExpected(filepath.Join(t.TempDir(), "missing.yaml")); err != nil || len(e.Fails) != 0 {
		t.Errorf("a missing file: %+v, %v; want an empty list", e, err)
	}
}

func TestRewriteProfile(t *testing.T) {
	for _, s := range Servers {
		data, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "targets", s.Name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		ports := make([]int, s.Ports)
		for i := range ports {
			ports[i] = 40001 + i
		}
		pairs := s.Rewrite(ports)
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(string(data), pairs[i]) {
				t.Errorf("%s: the profile does not contain %q, which the run rewrites", s.Name, pairs[i])
			}
		}
		out := string(RewriteProfile(data, pairs))
		if !strings.Contains(out, "localhost:40001") {
			t.Errorf("%s: the rewritten profile has no localhost:40001", s.Name)
		}
	}
}

func TestShortenWritesPortsAsPORT(t *testing.T) {
	got := shorten("> POST http://localhost:43221/token\n> redirect_uri=http%3A%2F%2F127.0.0.1%3A46359%2Fcallback\n< Location: http://127.0.0.1:46359/cb")
	want := "> POST http://localhost:PORT/token\n> redirect_uri=http%3A%2F%2F127.0.0.1%3APORT%2Fcallback\n< Location: http://127.0.0.1:PORT/cb"
	if got != want {
		t.Errorf("shorten =\n%s\nwant\n%s", got, want)
	}
}

// TestOutcomesReadsBothReportLayouts: conformance.json v1 ("status") and v2 ("outcome",
// "quotes") give the same outcomes; without quotes the cucumber description is the quote.
func TestOutcomesReadsBothReportLayouts(t *testing.T) {
	cucumber := []byte(`[{"elements":[{"name":"a","description":"  RFC 6749 4.1.2: \"quoted\"\n"}]}]`)
	v1 := []byte(`{"scenarios":[{"name":"a","location":"x.feature:3","status":"fail","failure":"expected A, got B"},
		{"name":"b","status":"not_applicable","reason":"no scopes.not_allowed"}]}`)
	v2 := []byte(`{"scenarios":[{"name":"a","location":"x.feature:3","outcome":"fail","failure":"expected A, got B",
		"quotes":[{"rfc":"RFC6749","section":"4.1.2","text":"quoted"}]},
		{"name":"b","outcome":"not_applicable","reason":"no scopes.not_allowed"}]}`)
	for name, data := range map[string][]byte{"v1": v1, "v2": v2} {
		got, err := Outcomes(data, cucumber)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Status != "fail" || got[0].Message != "expected A, got B" ||
			got[0].Description != `RFC 6749 4.1.2: "quoted"` || got[1].Status != "not_applicable" || got[1].Message != "no scopes.not_allowed" {
			t.Errorf("%s: %+v", name, got)
		}
	}
	if _, err := Outcomes([]byte("{"), nil); err == nil {
		t.Error("a broken conformance.json is not an error")
	}
}

// TestDraftKeepsReadings: -update keeps a listed entry the run still fails as it is, marks one
// that fails another way REASON CHANGED (keeping its reading, taking the run's step and
// observation), and drops one the run no longer fails.
func TestDraftKeepsReadings(t *testing.T) {
	prev := &Expected{Fails: []ExpectedFail{
		{Scenario: "same", RFC: "q1", Evidence: "e1", Step: "s", Observed: "expected A", Reading: "read 1"},
		{Scenario: "moved", RFC: "q2", Evidence: "e2", Step: "s", Observed: "expected A", Reading: "read 2"},
		{Scenario: "gone", RFC: "q3", Evidence: "e3", Step: "s", Observed: "expected A", Reading: "read 3"},
	}}
	got := []Outcome{
		{Name: "same", Status: "fail", Step: "s", Observed: "expected A, got B"},
		{Name: "moved", Status: "fail", Location: "m.feature:2", Step: "t", Observed: "expected C", Message: "expected C"},
		{Name: "gone", Status: "pass"},
	}
	d := Draft("s", got, prev)
	if len(d.Fails) != 2 || d.Fails[0] != prev.Fails[0] {
		t.Fatalf("draft = %+v, want the unchanged entry first, as it was", d.Fails)
	}
	m := d.Fails[1]
	if m.Step != "t" || m.Observed != "expected C" || m.RFC != "q2" || !strings.HasPrefix(m.Reading, "REASON CHANGED (m.feature:2") || !strings.HasSuffix(m.Reading, "read 2") {
		t.Errorf("changed entry = %+v", m)
	}
	if !Compare(d, got).Empty() {
		t.Errorf("the draft does not match its run: %+v", Compare(d, got))
	}
}

// TestSuiteMistakeEntries: an entry marked as the suite's mistake matches like any other, is
// named while it still fails, and its disappearance says to remove it.
func TestSuiteMistakeEntries(t *testing.T) {
	exp := &Expected{Fails: []ExpectedFail{
		{Scenario: "cascade", RFC: "q", Evidence: "e", Step: "s", Observed: "x", SuiteMistake: "issue 14 item 3: the grant step"},
		{Scenario: "fixed", RFC: "q", Evidence: "e", Step: "s", Observed: "x", SuiteMistake: "issue 14 item 1"},
	}}
	got := []Outcome{{Name: "cascade", Status: "fail", Step: "s", Observed: "x"}, {Name: "fixed", Status: "pass"}}
	if m := exp.SuiteMistakes(got); len(m) != 1 || m[0].Scenario != "cascade" {
		t.Errorf("SuiteMistakes = %+v, want the one still failing", m)
	}
	d := Compare(exp, got)
	if len(d.Unexpected) != 0 || len(d.NoLonger) != 1 {
		t.Fatalf("diff = %+v", d)
	}
	if msg := d.Explain("f.yaml"); !strings.Contains(msg, `"fixed" (listed in f.yaml as the suite's mistake: issue 14 item 1): fixed, remove the entry`) {
		t.Errorf("Explain = %s", msg)
	}
}
