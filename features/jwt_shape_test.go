package features_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/steps/report"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// TestJWTAccessTokenShape runs the suite against the reference server issuing JWT access tokens
// (refserver.Config.JWTAccessTokens): the forged-JWT scenarios (jwt_access_tokens.feature)
// must run and pass, not be "not applicable", and the scenarios that use access tokens at the
// resource, the introspection and the revocation endpoints must still pass with JWTs. The
// browser scenarios of those features are left out under -race, as in TestSecondServerShape.
func TestJWTAccessTokenShape(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite; skipped with -short")
	}
	// The @refserver scenarios check the admin console, not the tokens' format: left out.
	tags := "(@resource,@introspection,@revocation) && ~@refserver"
	if raceDetector {
		tags = "(@resource,@introspection,@revocation) && ~@refserver && ~@browser"
	}
	dir := t.TempDir()
	var out strings.Builder
	target, err := launch.StartEmbedded(context.Background(), launch.EmbeddedOptions{JWTAccessTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	res, err := runner.Run(context.Background(), runner.Options{Target: target, ReportDir: dir, Output: &out, Concurrency: 3, Tags: tags})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("JWT access tokens (tags %q): %d passed, %d not applicable, %d failed in %s", tags, res.Passed, res.Skipped, res.Failed, res.Wall)
	if res.ExitCode != runner.ExitPassed || res.Failed+res.Defects+res.Waived+res.Inconclusive+res.Blocked > 0 || res.Passed == 0 {
		t.Fatalf("want every applicable scenario to pass; got %+v\n%s", res, tail(out.String(), 60))
	}
	var rep report.Report
	data, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("conformance.json: %v", err)
	}
	var forged int
	for _, s := range rep.Scenarios {
		if !strings.HasSuffix(s.Location, "jwt_access_tokens.feature") && !strings.Contains(s.Location, "jwt_access_tokens.feature:") {
			continue
		}
		forged++
		if s.Outcome != report.Pass {
			t.Errorf("%s %q: %s (%s), want pass: the server issues JWT access tokens", s.Location, s.Name, s.Outcome, s.Reason)
		}
	}
	if forged == 0 {
		t.Error("no scenario of jwt_access_tokens.feature ran")
	}
}
