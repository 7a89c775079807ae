package interop

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/runner"
)

var update = flag.Bool("update", false,
	"write a draft expected file from each run (reports/interop/<server>/expected.draft.yaml) and do not fail on differences")

// startTimeout bounds a server's start until its metadata answers.
const startTimeout = 30 * time.Second

// TestInterop runs the suite against every server of the test bed and compares the failures
// with fixtures/interop/<server>.expected.yaml. `make interop` installs the servers first;
// run one with -run 'TestInterop/oauth2-mock-server'.
func TestInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("the interop test bed starts third-party servers and a browser (make interop); skipped under -short")
	}
	// Only when asked: make interop sets OAUTHCONF_INTEROP=1 (after installing the servers), so
	// that a plain go test ./... (with -race, as make test runs it) does not run the suite twice
	// more against servers it did not install.
	if os.Getenv("OAUTHCONF_INTEROP") != "1" {
		t.Skip("run by make interop (which installs the servers and sets OAUTHCONF_INTEROP=1)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("OAUTHCONF_INTEROP_CACHE")
	if cache == "" {
		cache = filepath.Join(root, ".cache", "interop")
	}
	for _, s := range Servers {
		t.Run(s.Name, func(t *testing.T) { runServer(t, root, cache, s) })
	}
}

func runServer(t *testing.T, root, cache string, s Server) {
	bin := s.Binary(cache)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is not installed at %s (%v): run make interop-install", s.Name, bin, err)
	}
	profilePath := filepath.Join(root, "fixtures", "targets", s.Name+".yaml")
	expectedPath := filepath.Join(root, "fixtures", "interop", s.Name+".expected.yaml")
	reportDir := filepath.Join(root, "reports", "interop", s.Name)
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	expected, err := LoadExpected(expectedPath)
	if err != nil && *update {
		// -update is how a file of an older layout (no step/observed) is brought up to date:
		// read it without the checks, and the draft takes the run's step and observation.
		expected, err = loadUnchecked(expectedPath)
	}
	if err != nil {
		t.Fatal(err)
	}

	ports, err := FreePorts(s.Ports)
	if err != nil {
		t.Fatalf("finding free loopback ports: %v", err)
	}
	data, err := os.ReadFile(profilePath)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), s.Name+".yaml")
	if err := os.WriteFile(target, RewriteProfile(data, s.Rewrite(ports)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(target)
	if err != nil {
		t.Fatalf("the profile %s: %v", profilePath, err)
	}

	started := time.Now()
	proc, err := Start(s, bin, ports)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := proc.Stop(); err != nil {
			t.Errorf("stopping %s: %v", s.Name, err)
		}
		_ = os.WriteFile(filepath.Join(reportDir, "server.log"), []byte(proc.Output()), 0o644)
	})
	ctx := t.Context()
	metadata := strings.TrimSuffix(p.Issuer, "/") + "/.well-known/openid-configuration"
	if err := proc.WaitReady(ctx, metadata, startTimeout); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	t.Logf("%s (%s) ready at %s in %s", s.Name, s.Version, p.Issuer, time.Since(started).Round(time.Millisecond))
	if s.Name == "zitadel-oidc-example" {
		t.Run("init", func(t *testing.T) { checkInit(t, root, p) })
	}

	// The run's console output (progress, every failure in full) goes to run.log: the test's
	// own output is the comparison with the expected file.
	logPath := filepath.Join(reportDir, "run.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	t.Logf("running the suite against %s, %d scenario(s) at a time (progress in %s)", s.Name, s.Concurrency, logPath)
	res, err := runner.Run(ctx, runner.Options{
		TargetPath:  target,
		ReportDir:   reportDir,
		Concurrency: s.Concurrency,
		Output:      log,
	})
	if err != nil {
		t.Fatalf("the run against %s could not happen: %v", s.Name, err)
	}
	conformance, err := os.ReadFile(filepath.Join(reportDir, "conformance.json"))
	if err != nil {
		t.Fatalf("the run against %s wrote no conformance report: %v", s.Name, err)
	}
	cucumber, err := os.ReadFile(filepath.Join(reportDir, "cucumber.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Outcomes(conformance, cucumber)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s in %s; reports in %s", s.Name, countOutcomes(got), res.Wall.Round(time.Second), reportDir)

	if *update {
		draft := filepath.Join(reportDir, "expected.draft.yaml")
		header := fmt.Sprintf("DRAFT written by go test ./steps/interop -update from a run against %s.\n"+
			"The entries of the checked-in file that the run still fails are kept (REASON CHANGED marks\n"+
			"those that fail another way); the others are new. Not the truth: read every entry against\n"+
			"the RFC, keep only real deviations of the server,\n"+
			"write each one's reading, then copy the result to fixtures/interop/%s.expected.yaml.", s.Version, s.Name)
		if err := Draft(s.Version, got, expected).Write(draft, header); err != nil {
			t.Fatal(err)
		}
		t.Logf("draft expected file: %s", draft)
	}
	if m := expected.SuiteMistakes(got); len(m) > 0 {
		var b strings.Builder
		for _, f := range m {
			fmt.Fprintf(&b, "\n    %q: %s", f.Scenario, f.SuiteMistake)
		}
		t.Logf("%s: %d FAIL(s) listed as the suite's own mistakes, not the server's (fix the suite, then remove them):%s", s.Name, len(m), b.String())
	}
	if d := Compare(expected, got); !d.Empty() {
		msg := d.Explain(filepath.Join("fixtures", "interop", s.Name+".expected.yaml"))
		if *update {
			t.Logf("the run differs from the expected file (not failing: -update):\n%s", msg)
		} else {
			t.Errorf("the run against %s differs from the expected file:\n%s", s.Name, msg)
		}
	}
}

// countOutcomes is "N pass, N fail, ..." over the statuses the run reported.
func countOutcomes(got []Outcome) string {
	counts := map[string]int{}
	var order []string
	for _, o := range got {
		if counts[o.Status] == 0 {
			order = append(order, o.Status)
		}
		counts[o.Status]++
	}
	var parts []string
	for _, st := range []string{"pass", "fail", "not_applicable", "inconclusive", "blocked", "waived"} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			delete(counts, st)
		}
	}
	for _, st := range order {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	return fmt.Sprintf("%d scenarios: %s", len(got), strings.Join(parts, ", "))
}
