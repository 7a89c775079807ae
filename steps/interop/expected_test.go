package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	exp := &Expected{Fails: []ExpectedFail{
		{Scenario: "still fails", RFC: "q", Evidence: "e"},
		{Scenario: "now passes", RFC: "q", Evidence: "e"},
		{Scenario: "now blocked", RFC: "q", Evidence: "e"},
		{Scenario: "renamed", RFC: "q", Evidence: "e"},
		{Scenario: "waived", RFC: "q", Evidence: "e"},
		{Scenario: "race not hit", RFC: "q", Evidence: "e", TimingDependent: true},
		{Scenario: "race blocked", RFC: "q", Evidence: "e", TimingDependent: true},
	}}
	got := []Outcome{
		{Name: "still fails", Status: "fail"},
		{Name: "now passes", Status: "pass"},
		{Name: "now blocked", Status: "blocked", Message: "RFC6749-4.1.2 failed"},
		{Name: "waived", Status: "waived"},
		{Name: "race not hit", Status: "pass"},
		{Name: "race blocked", Status: "blocked"},
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
	msg := d.Explain("fixtures/interop/x.expected.yaml")
	for _, want := range []string{`UNEXPECTED FAIL x.feature:3 "new failure"`, "expected A, got B",
		`NO LONGER FAILS "now passes"`, "    observed: no Cache-Control\n", "blocked: RFC6749-4.1.2 failed", "did not run (renamed or removed?)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Explain lacks %q:\n%s", want, msg)
		}
	}
	if !Compare(&Expected{Fails: exp.Fails[:1]}, got[:1]).Empty() {
		t.Error("a run that matches the file is not Empty")
	}
}

func TestDraftRoundTrip(t *testing.T) {
	got := []Outcome{
		{Name: "a fail", Status: "fail", Location: "a.feature:1", Requirements: []string{"RFC6749-4.1.2"}, Level: "MUST",
			Description: `RFC 6749 4.1.2: "text"`, Message: "expected X, got Y\n< Date: today\n< {\"error\":\"e\"}"},
		{Name: "a pass", Status: "pass"},
	}
	path := filepath.Join(t.TempDir(), "draft.yaml")
	if err := Draft("server 1.0", got).Write(path, "a header\nof two lines"); err != nil {
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
