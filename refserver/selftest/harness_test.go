package selftest

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/features"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/steps/report"
)

// TestTableNamesExistingScenarios: every scenario the table declares exists in the feature
// files (and tag selection) its case runs, so a renamed scenario shows here at once, not only
// after a full self-test.
func TestTableNamesExistingScenarios(t *testing.T) {
	for _, c := range cases {
		fsys, err := Subset(features.FS, c.Features)
		if err != nil {
			t.Errorf("quirk %s: %v", c.Quirk, err)
			continue
		}
		suite := godog.TestSuite{Options: &godog.Options{Paths: []string{"."}, FS: fsys, Tags: c.Tags}}
		feats, err := suite.RetrieveFeatures()
		if err != nil {
			t.Fatalf("quirk %s: reading the features: %v", c.Quirk, err)
		}
		names := map[string]bool{}
		for _, f := range feats {
			for _, p := range f.Pickles {
				names[p.Name] = true
			}
		}
		for _, n := range c.Catch {
			if !names[n] {
				t.Errorf("quirk %s: no scenario %q in %s (tags %q)", c.Quirk, n, strings.Join(c.Features, ", "), c.Tags)
			}
		}
		if len(names) <= len(c.Catch) {
			t.Errorf("quirk %s: the run has no scenario that must pass besides the %d that must fail", c.Quirk, len(c.Catch))
		}
	}
}

func TestFromReport(t *testing.T) {
	rep := &report.Report{Scenarios: []report.Scenario{
		{Name: "ok", Outcome: report.Pass},
		{Name: "broken", Outcome: report.Fail, Observed: "expected X, got Y\nmore"},
		{Name: "n/a", Outcome: report.NotApplicable, Reason: "the profile has no scopes.unknown"},
		{Name: "unsure", Outcome: report.Inconclusive, Reason: "could not see"},
	}}
	rs := FromReport(rep)
	if len(rs) != 4 {
		t.Fatalf("expected 4 scenarios, got %v", rs)
	}
	if rs[1].Outcome != report.Fail || rs[1].Reason != "expected X, got Y" {
		t.Errorf("the failure's first line: got %+v", rs[1])
	}
	if rs[3].Outcome != report.Inconclusive || rs[3].Reason != "could not see" {
		t.Errorf("the inconclusive reason: got %+v", rs[3])
	}
}

func TestCompare(t *testing.T) {
	c := Case{Quirk: refserver.QuirkCodeReusable, Catch: []string{"caught", "declared but passed"}}
	o := Compare(c, []ScenarioResult{
		{Name: "caught", Outcome: report.Fail},
		{Name: "declared but passed", Outcome: report.Pass},
		{Name: "collateral", Outcome: report.Fail, Reason: "boom"},
		{Name: "fine", Outcome: report.Pass},
		{Name: "n/a", Outcome: report.NotApplicable},
		{Name: "undefined", Outcome: report.HarnessDefect},
	})
	if o.OK() {
		t.Fatal("an outcome with missed and unexpected scenarios must not be OK")
	}
	if strings.Join(o.Missed, "|") != "declared but passed" {
		t.Errorf("Missed: got %v", o.Missed)
	}
	if len(o.Unexpected) != 2 || !strings.HasPrefix(o.Unexpected[0], "collateral (fail: boom)") || !strings.HasPrefix(o.Unexpected[1], "undefined") {
		t.Errorf("Unexpected: got %v", o.Unexpected)
	}
	if o.Passed != 2 || o.Skipped != 1 || len(o.Failed) != 2 {
		t.Errorf("counts: passed %d skipped %d failed %v", o.Passed, o.Skipped, o.Failed)
	}

	ok := Compare(Case{Catch: []string{"a"}}, []ScenarioResult{{Name: "a", Outcome: report.Fail}, {Name: "b", Outcome: report.Pass}, {Name: "c", Outcome: report.NotApplicable}})
	if !ok.OK() {
		t.Errorf("expected OK, got missed %v unexpected %v", ok.Missed, ok.Unexpected)
	}
	// A quirk that nothing caught is never OK, even with an empty declaration.
	if none := Compare(Case{}, []ScenarioResult{{Name: "a", Outcome: report.Pass}}); none.OK() {
		t.Error("an outcome with no failed scenario must not be OK")
	}
	// Only a FAIL catches a quirk: a declared scenario that ended inconclusive or blocked is
	// missed, and listed as a problem.
	unsure := Compare(Case{Catch: []string{"a"}}, []ScenarioResult{{Name: "a", Outcome: report.Inconclusive, Reason: "timeout"}, {Name: "b", Outcome: report.Blocked}})
	if unsure.OK() || len(unsure.Failed) != 0 || len(unsure.Missed) != 1 || len(unsure.Unexpected) != 2 {
		t.Errorf("inconclusive/blocked: got failed %v missed %v unexpected %v", unsure.Failed, unsure.Missed, unsure.Unexpected)
	}
}

// A declared warning (Case.Warn) is caught by a pass with a warning attached, and missed by a
// pass without one or by any other outcome.
func TestCompareWarnings(t *testing.T) {
	c := Case{Quirk: refserver.QuirkPKCEShortVerifier, Warn: []string{"w"}}
	if o := Compare(c, []ScenarioResult{{Name: "w", Outcome: report.Pass, Warnings: []string{"accepted"}}, {Name: "x", Outcome: report.Pass}}); !o.OK() || len(o.Warned) != 1 {
		t.Errorf("warned: got OK %v, warned %v, missed %v", o.OK(), o.Warned, o.Missed)
	}
	for _, r := range []ScenarioResult{{Name: "w", Outcome: report.Pass}, {Name: "w", Outcome: report.Fail}, {Name: "w", Outcome: report.NotApplicable}} {
		if o := Compare(c, []ScenarioResult{r}); o.OK() || len(o.Missed) != 1 {
			t.Errorf("%s without a warning: got OK %v, missed %v", r.Outcome, o.OK(), o.Missed)
		}
	}
}

func TestSubset(t *testing.T) {
	src := fstest.MapFS{"a.feature": {Data: []byte("A")}, "b.feature": {Data: []byte("B")}}
	sub, err := Subset(src, []string{"b.feature"})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil || len(entries) != 1 || entries[0].Name() != "b.feature" {
		t.Fatalf("expected only b.feature, got %v (%v)", entries, err)
	}
	if _, err := Subset(src, []string{"nope.feature"}); err == nil || !strings.Contains(err.Error(), "nope.feature") {
		t.Fatalf("expected an error naming the missing file, got %v", err)
	}
	all, err := Subset(src, nil)
	if err != nil || all == nil {
		t.Fatalf("no names: expected every file, got %v", err)
	}
}

func TestWriteTableDetectionRate(t *testing.T) {
	var b bytes.Buffer
	WriteTable(&b, []*Outcome{
		{Quirk: refserver.QuirkCodeReusable, Failed: []string{"A reused authorization code is refused"}},
		{Quirk: refserver.QuirkPKCEPlain},
	})
	out := b.String()
	for _, want := range []string{
		"code-reusable  [CAUGHT", "    - A reused authorization code is refused",
		"pkce-plain  [MISSED", "detection rate: 1 of 2 quirks caught (50%)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteProfileSetsTheIssuer(t *testing.T) {
	path, err := writeProfile(t.TempDir(), "http://127.0.0.1:4242", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "issuer: http://127.0.0.1:4242") || !strings.Contains(string(b), "request: 30s") {
		t.Fatalf("profile lacks the issuer or the timeouts:\n%s", b)
	}
}

func TestWriteTableShowsARetry(t *testing.T) {
	var b bytes.Buffer
	first := &Outcome{Quirk: refserver.QuirkStateNotEchoed, Failed: []string{"x", "y"}, Unexpected: []string{"y (failed: timeout)"}}
	WriteTable(&b, []*Outcome{{Quirk: refserver.QuirkStateNotEchoed, Failed: []string{"x"}, FirstAttempt: first}})
	for _, want := range []string{"run twice", "~ first attempt, failed but not declared: y (failed: timeout)", "1 of 1 quirks caught (100%)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
