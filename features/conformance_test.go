package features_test

import (
	"context"
	"testing"

	"github.com/oauthconf/oauthconf/steps/runner"
)

// TestConformance runs the whole suite against the embedded reference server, every scenario
// as a subtest (go test -run 'TestConformance/<scenario name>' runs one).
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite starts a browser; skipped with -short")
	}
	res, err := runner.Run(context.Background(), runner.Options{TestingT: t, ReportDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != runner.ExitPassed {
		t.Errorf("%d failed, %d undefined, %d pending of %d scenarios", res.Failed, res.Undefined, res.Pending, res.Total())
	}
}
