package features_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/steps/report"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// TestOverTLS runs the TLS scenarios and browser flows against the reference server served
// over https (launch.ServerTLS) with a certificate from a CA made here (launch.NewTestCA, no
// network): the profile trusts that CA through tls.ca_file, the suite's HTTP client verifies
// the chain and host name with it, and the browser accepts exactly the key the suite verified
// (browser.Options.TrustedSPKI). Every scenario run must pass, and the @tls ones must run
// (not be not applicable): on an http target they would all be skipped and prove nothing.
func TestOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite with a browser; skipped with -short")
	}
	dir := t.TempDir()
	ca, err := launch.NewTestCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(fixtures.RefserverProfileYAML(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["tls"] = map[string]any{"ca_file": ca.CAFile}
	doc["name"] = "oauthconf reference server (over TLS)"
	profileYAML, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	target, err := launch.StartEmbedded(context.Background(), launch.EmbeddedOptions{Profile: profileYAML, TLS: launch.ServerTLS(ca.Server)})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if !strings.HasPrefix(target.Issuer(), "https://") {
		t.Fatalf("issuer %s, want https", target.Issuer())
	}
	// Under -race (make test): the TLS scenarios, and the browser flows of the code grant over
	// https (login, approval, the code at the redirect URI, its redemption at the token
	// endpoint, with and without PKCE). Without -race the whole suite runs over https.
	tags := ""
	if raceDetector {
		tags = "@tls,@RFC6749-A.11,@RFC6749-4.1.4"
	}
	reportDir := filepath.Join(dir, "reports")
	var out bytes.Buffer
	res, err := runner.Run(context.Background(), runner.Options{
		Target: target, ReportDir: reportDir, Output: &out, Concurrency: 2, Tags: tags,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("over TLS (tags %q): %d passed, %d not applicable in %s", tags, res.Passed, res.Skipped, res.Wall)
	if res.ExitCode != runner.ExitPassed || res.Failed+res.Defects+res.Waived+res.Inconclusive+res.Blocked > 0 || res.Passed == 0 {
		t.Fatalf("want every scenario to pass over TLS; got %+v\n%s", res, tail(out.String(), 80))
	}
	var rep report.Report
	data, err := os.ReadFile(filepath.Join(reportDir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	var tlsRan, browserRan int
	for _, s := range rep.Scenarios {
		if s.Outcome == report.NotApplicable {
			if slices.Contains(s.Tags, "@tls") || slices.Contains(s.Tags, "@browser") {
				t.Errorf("%s %q is not applicable over TLS: %s", s.Location, s.Name, s.Reason)
			}
			continue
		}
		if slices.Contains(s.Tags, "@tls") {
			tlsRan++
		}
		if slices.Contains(s.Tags, "@browser") {
			browserRan++
		}
	}
	if tlsRan < 10 || browserRan == 0 {
		t.Errorf("ran %d @tls and %d @browser scenarios over TLS; want every @tls one (11) and at least one browser flow", tlsRan, browserRan)
	}
}
