package features_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/oauthconf/oauthconf/steps/runner"
)

// TestConformance runs the whole suite against the embedded reference server, every scenario
// as a subtest (go test -run 'TestConformance/<scenario name>' runs one).
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
	res, err := runner.Run(context.Background(), runner.Options{TestingT: t, ReportDir: t.TempDir(),
		AuditLog: auditFile, OnExchange: secrets.observe})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != runner.ExitPassed {
		t.Errorf("%d failed, %d undefined, %d pending of %d scenarios", res.Failed, res.Undefined, res.Pending, res.Total())
	}
	checkAuditLog(t, auditPath, secrets, wholeSuite())
}
