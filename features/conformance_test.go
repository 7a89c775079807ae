package features_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// TestConformance runs the whole suite against the embedded reference server, every scenario
// as a subtest (go test -run 'TestConformance/<scenario name>' runs one). The reference server
// is the first target the suite certifies, so nothing short of a clean verdict passes: no
// failure at any level (SHOULD included), nothing inconclusive or blocked (the suite must be
// able to observe everything the server offers), and no harness defect. Not applicable is
// fine: it says what the server's profile leaves out, printed with -v.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite starts a browser; skipped with -short")
	}
	// One run serves two checks: the scenarios, and the security audit log the embedded server
	// writes meanwhile, which must hold no secret or token the run saw (audit_check_test.go).
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	auditFile, err := os.Create(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer auditFile.Close()
	secrets := newSecretSet()
	secrets.fromSeed(t)
	target, err := launch.StartEmbedded(context.Background(), launch.EmbeddedOptions{AuditLog: auditFile})
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(context.Background(), runner.Options{Target: target, TestingT: t, ReportDir: t.TempDir(),
		OnExchange: secrets.observe, FailOn: runner.FailOnShould})
	// Stopped before the audit log is read: it is then complete.
	if cerr := target.Close(); cerr != nil {
		t.Errorf("stopping the embedded reference server: %v", cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed+res.Inconclusive+res.Blocked+res.Defects+res.Waived > 0 || res.ExitCode != runner.ExitPassed {
		t.Errorf("of %d scenarios: %d failed (%d MUST, %d SHOULD), %d waived, %d inconclusive, %d blocked, %d harness defects; exit status %d",
			res.Total(), res.Failed, res.FailedMust, res.FailedShould, res.Waived, res.Inconclusive, res.Blocked, res.Defects, res.ExitCode)
		for _, lines := range [][]string{res.FailedScenarios, res.WaivedScenarios, res.InconclusiveScenarios, res.BlockedScenarios} {
			for _, l := range lines {
				t.Errorf("  %s", l)
			}
		}
	}
	if testing.Verbose() {
		t.Logf("not applicable to the reference server (%d):", len(res.NotApplicable))
		for _, l := range res.NotApplicable {
			t.Logf("  %s", l)
		}
	}
	checkAuditLog(t, auditPath, secrets, wholeSuite())
}
