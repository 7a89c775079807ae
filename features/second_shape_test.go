package features_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/report"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// TestSecondServerShape runs the whole suite against the reference server in its strict shape
// (fixtures/refserver/seed-strict.yaml, fixtures/targets/refserver-strict.yaml): only
// client_secret_post, no password grant, pages driven by name and text selectors. Every
// applicable scenario must pass, and the password-grant scenarios must be reported as not
// applicable; HTTP Basic is checked all the same (RFC 6749 2.3.1 cannot be declared away). The same run's report.html is then opened in Chromium, and
// its requirement matrix must have one row per requirement of conformance.json.
func TestSecondServerShape(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite with a browser; skipped with -short")
	}
	seedYAML, err := fixtures.FS.ReadFile("refserver/seed-strict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	profileYAML, err := fixtures.FS.ReadFile("targets/refserver-strict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Under -race (make test) the whole suite takes minutes on two cores; there, every scenario
	// without a browser runs, and of the browser ones those that cover each action of the
	// profile's pages: login, approve (and a trusted client's skipped approval), deny, the CSRF
	// tampering that locates the approve button, and the implicit grant. Without -race the
	// whole suite runs.
	tags := ""
	if raceDetector {
		tags = "~@browser,@RFC6749-4.1.2.1,@RFC6749-10.12,@RFC6749-4.2.2"
	}
	dir := t.TempDir()
	var out bytes.Buffer
	target, err := launch.StartEmbedded(context.Background(), launch.EmbeddedOptions{Seed: seedYAML, Profile: profileYAML})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	res, err := runner.Run(context.Background(), runner.Options{
		Target: target, ReportDir: dir, Output: &out, Concurrency: 3, Tags: tags,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("strict shape (tags %q): %d passed, %d not applicable, %d failed in %s", tags, res.Passed, res.Skipped, res.Failed, res.Wall)
	if res.ExitCode != runner.ExitPassed || res.Failed+res.Defects+res.Waived+res.Inconclusive+res.Blocked > 0 || res.Passed == 0 {
		t.Fatalf("want every applicable scenario to pass; got %+v\n%s", res, tail(out.String(), 60))
	}

	// The report on disk is the one the run returned.
	var rep report.Report
	data, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("conformance.json: %v", err)
	}
	if rep.SchemaVersion != report.SchemaVersion || rep.Target.Name != "oauthconf reference server (strict shape)" {
		t.Errorf("conformance.json header: %q, target %q", rep.SchemaVersion, rep.Target.Name)
	}
	var passwordOrBasic int
	basicChecked := false
	for _, s := range rep.Scenarios {
		password := slices.Contains(s.Tags, "@grant-password")
		basic := slices.Contains(s.Tags, "@client-secret-basic")
		if password {
			passwordOrBasic++
			if s.Outcome != report.NotApplicable || s.Reason == "" {
				t.Errorf("%s %q: outcome %s (reason %q), want not_applicable with a reason", s.Location, s.Name, s.Outcome, s.Reason)
			}
		}
		// RFC 6749 2.3.1: HTTP Basic is checked although the profile lists client_secret_post
		// only; the scenarios about a client declared for Basic stay not applicable.
		if basic && !password {
			passwordOrBasic++
			if s.Name == "A client authenticates with HTTP Basic" {
				basicChecked = s.Outcome == report.Pass
			}
		}
		// Not applicable to the reference server in this shape, whatever it does: the password
		// grant it does not offer, the client declared for Basic it does not have, the @tls
		// scenarios (it is served over http here), the forged JWTs (its access tokens are
		// opaque here) and another port (both shapes let loopback redirect URIs use any port,
		// RFC 8252 7.3, so another port is no variant).
		excluded := password || basic || slices.Contains(s.Tags, "@tls") ||
			strings.Contains(s.Location, "jwt_access_tokens.feature") ||
			s.Name == "The registered redirect URI in another spelling is not followed (another port)"
		if s.Outcome == report.NotApplicable && !excluded {
			t.Errorf("%s %q is not applicable (%s); only password-grant and client_secret_basic scenarios should be", s.Location, s.Name, s.Reason)
		}
	}
	if passwordOrBasic == 0 {
		t.Error("no scenario is tagged @grant-password or @client-secret-basic: the check above checked nothing")
	}
	if !basicChecked {
		t.Error(`"A client authenticates with HTTP Basic" did not pass: RFC 6749 2.3.1 is checked whatever the profile's token_endpoint_auth_methods say, and the reference server accepts Basic from every confidential client`)
	}

	checkHTMLMatrix(t, filepath.Join(dir, report.HTMLFile), len(rep.Requirements))
}

// checkHTMLMatrix opens report.html in headless Chromium and counts the matrix rows.
func checkHTMLMatrix(t *testing.T, path string, want int) {
	t.Helper()
	if want == 0 {
		t.Fatal("conformance.json has no requirements")
	}
	b, err := browser.Launch(browser.DefaultOptions())
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer b.Close()
	s, err := b.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Block every request that is not the report itself: the page must need no other asset.
	var mu sync.Mutex
	var external []string
	if err := s.Page().Route("**/*", func(r playwright.Route) {
		if u := r.Request().URL(); !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			mu.Lock()
			external = append(external, u)
			mu.Unlock()
			_ = r.Abort()
			return
		}
		_ = r.Continue()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Goto("file://"+path, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Page().Locator("table.matrix tr.requirement").Count()
	if err != nil {
		t.Fatal(err)
	}
	if rows != want {
		t.Errorf("report.html matrix has %d requirement rows, conformance.json has %d requirements", rows, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(external) > 0 {
		t.Errorf("report.html loads external assets: %v", external)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
