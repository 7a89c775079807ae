package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/report"
)

const waiverFeature = `
Feature: Waivers
  @RFC6749-5.2 @MUST
  Scenario: fails but is waived
    Given a failing step

  @RFC6749-3.1 @SHOULD
  Scenario: passes although waived
    Given a passing step

  @RFC6749-4.4.2 @MUST
  Scenario: passes
    Given a passing step
`

func TestRunWaivedFailureDoesNotFailTheRun(t *testing.T) {
	issuer := metadataServer(t, nil)
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := run(context.Background(), Options{
		TargetPath: writeProfile(t, issuer, `
waivers:
  - {requirement: RFC6749-5.2, reason: "known bug TICKET-7"}
  - {scenario: "passes although waived", reason: "was flaky"}
`),
		ReportDir: dir, Output: &out, Randomize: 7,
		Features: fstest.MapFS{"w.feature": {Data: []byte(waiverFeature)}},
		Browser:  &browser.Options{},
	}, fakeSteps)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if res.ExitCode != ExitPassed || res.Waived != 1 || res.Failed != 0 || res.Passed != 2 || res.Total() != 3 {
		t.Errorf("result = %+v\n%s", res, out.String())
	}
	for _, w := range []string{
		"WAIVED     w.feature:4 fails but is waived: expected 200, got 500 (waiver of requirement RFC6749-5.2: known bug TICKET-7)",
		"unnecessary waivers (the scenario passed):\n  w.feature:8 passes although waived (waiver of scenario \"passes although waived\")",
		"MUST: 1 pass, 0 fail (1 waived); SHOULD: 1 pass, 0 fail\n",
		"scenarios: 3: 2 pass, 0 fail, 1 waived, 0 inconclusive, 0 blocked, 0 not applicable, 0 harness defects",
		"requirements: 3: 2 pass, 0 fail, 1 waived, 0 inconclusive, 0 blocked, 0 not applicable",
		"\nPASS\n",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	var rep report.Report
	data, err := os.ReadFile(filepath.Join(dir, "conformance.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Scenarios.Waived != 1 || rep.Requirements[len(rep.Requirements)-1].Outcome != report.Waived {
		t.Errorf("conformance.json summary %+v, requirements %+v", rep.Summary, rep.Requirements)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(html), "known bug TICKET-7") || !strings.Contains(string(html), "the waiver is unnecessary") {
		t.Errorf("report.html does not show the waivers (err %v)", err)
	}
}

func TestRunListShowsWhatWouldRunWithoutRunning(t *testing.T) {
	issuer := metadataServer(t, nil)
	dir := filepath.Join(t.TempDir(), "reports")
	var out bytes.Buffer
	res, err := run(context.Background(), Options{
		TargetPath: writeProfile(t, issuer, `browser: {login: [{click: "#login"}]}`),
		ReportDir:  dir, Output: &out, List: true,
		Features: fstest.MapFS{"sample.feature": {Data: []byte(sampleFeature)}},
		Browser:  &browser.Options{},
	}, fakeSteps)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if res.ExitCode != ExitPassed || res.Total() != 0 || res.Listing == nil {
		t.Fatalf("result = %+v", res)
	}
	if run, notRun := res.Listing.Counts(); run != 5 || notRun != 1 {
		t.Errorf("would run %d, not %d; want 5 and 1\n%s", run, notRun, out.String())
	}
	for _, w := range []string{
		"  no   @grant-password: the profile does not list the password grant (capabilities.grants)",
		"  yes  @grant-client-credentials",
		"would not run, not applicable to this target (1):\n  sample.feature:14 is not applicable\n      needs @grant-password: the profile does not list the password grant",
		"  sample.feature:21 outline row 1\n  sample.feature:22 outline row 2",
		"6 scenarios selected: 5 would run, 1 not applicable (nothing was run)",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("--list wrote reports (stat %s: %v)", dir, err)
	}
}
