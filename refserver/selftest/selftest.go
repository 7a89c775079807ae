// Package selftest proves the conformance suite's power by seeded deviations: it starts the
// reference server with one quirk switched on (refserver/quirks.go, each a real-world bug)
// through refserver/launch, runs the scenarios around that quirk through steps/runner, and
// reports which scenarios failed. The self-test (selftest_test.go) requires that the scenarios
// aimed at the quirk fail and every other scenario of the run passes, so any change in what the
// suite catches shows.
//
// It lives beside the quirks rather than in steps/: it starts the server the harness judges,
// and the harness never imports that server (../shared/design.md, the dependency rule).
package selftest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oauthconf/oauthconf/features"
	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/steps/report"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// Case is one seeded deviation: the quirk, the part of the suite run against it, and the
// scenarios that must catch it.
type Case struct {
	Quirk refserver.Quirk
	// Features are the .feature files run (the quirk's neighbourhood); every scenario in them
	// that is not in Catch must pass.
	Features []string
	// Tags is an optional godog tag expression narrowing the run.
	Tags string
	// Catch names the scenarios (as godog names them: an outline row's name has its example
	// values filled in) that must fail with the quirk on.
	Catch []string
	// Undeclare names capabilities fields of the profile (refserver.yaml's capabilities) to
	// leave out, so that the run reads them from the server's metadata, as it would for a
	// target whose profile does not declare them.
	Undeclare []string
	// Warn names the scenarios that must pass with a warning attached: the deviations no
	// sentence forbids the server (a sentence that binds the client, RFC 7636 4.1's verifier
	// length), which the suite reports as warnings, never as failures.
	Warn []string
	// TLS serves the quirked server over https (launch.ServerTLS, with a certificate from a CA
	// made for the run and named in the profile's tls.ca_file): for the quirks of the TLS
	// listener, which an http server cannot show.
	TLS bool
}

// Outcome is what one quirked run showed.
type Outcome struct {
	Quirk refserver.Quirk
	// Failed are the scenarios whose outcome is a FAIL, sorted: only a FAIL catches a quirk.
	Failed []string
	// Warned are the scenarios of Warn that passed with a warning, sorted.
	Warned []string
	// Passed and Skipped (not applicable) count the others that are fine.
	Passed, Skipped int
	// Missed are scenarios of Catch that did not fail; Unexpected are the other scenarios that
	// neither passed nor were not applicable: a FAIL not in Catch, an inconclusive or blocked
	// outcome, a harness defect (each with its reason). Both empty means the case holds.
	Missed, Unexpected []string
	Wall               time.Duration
	// Log is the runner's console output, for a failure message.
	Log string
	// FirstAttempt, when set, is the outcome of a first run that differed from the case and
	// was repeated (RunChecked); this outcome is the repeat's.
	FirstAttempt *Outcome
}

// OK reports whether the suite caught the quirk exactly as the case declares.
func (o *Outcome) OK() bool {
	return len(o.Missed) == 0 && len(o.Unexpected) == 0 && len(o.Failed)+len(o.Warned) > 0
}

// Harness runs cases. It seeds one template database (bcrypt makes seeding the slow part of a
// server start) and gives every run a copy of it.
type Harness struct {
	dir      string
	template string
	// Concurrency is the runner's (scenarios at once); default 2.
	Concurrency int
}

// NewHarness seeds the template database in dir (a fresh folder the caller removes).
func NewHarness(ctx context.Context, dir string) (*Harness, error) {
	h := &Harness{dir: dir, template: filepath.Join(dir, "template.db")}
	if err := seed.Template(ctx, h.template, fixtures.SeedYAML(), 10); err != nil {
		return nil, fmt.Errorf("selftest: %w", err)
	}
	return h, nil
}

// Run starts the reference server with c.Quirk, runs c.Features against it and compares the
// failed scenarios with c.Catch. An error means the run could not happen.
func (h *Harness) Run(ctx context.Context, c Case) (*Outcome, error) {
	start := time.Now()
	runDir, err := os.MkdirTemp(h.dir, string(c.Quirk)+"-")
	if err != nil {
		return nil, err
	}
	srv, err := h.startServer(ctx, runDir, []string{string(c.Quirk)}, c.Undeclare, c.TLS)
	if err != nil {
		return nil, fmt.Errorf("quirk %s: %w", c.Quirk, err)
	}
	defer srv.Close()

	fsys, err := Subset(features.FS, c.Features)
	if err != nil {
		return nil, fmt.Errorf("quirk %s: %w", c.Quirk, err)
	}
	var log strings.Builder
	reportDir := filepath.Join(runDir, "reports")
	res, err := runner.Run(ctx, runner.Options{
		TargetPath:  srv.profile,
		Tags:        c.Tags,
		ReportDir:   reportDir,
		Concurrency: h.Concurrency,
		Output:      &log,
		Features:    fsys,
	})
	if err != nil {
		return nil, fmt.Errorf("quirk %s: the run did not happen: %w\n%s", c.Quirk, err, log.String())
	}
	if res.Report == nil {
		return nil, fmt.Errorf("quirk %s: the run wrote no report", c.Quirk)
	}
	results := FromReport(res.Report)
	if len(results) != res.Total() {
		return nil, fmt.Errorf("quirk %s: the report has %d scenarios, the runner counted %d", c.Quirk, len(results), res.Total())
	}
	out := Compare(c, results)
	out.Log = log.String()
	out.Wall = time.Since(start)
	return out, nil
}

// Compare sets a run's scenario outcomes against the case: which declared scenarios did not
// FAIL (Missed), and which scenarios neither passed, nor were not applicable, nor were a
// declared FAIL (Unexpected: an undeclared FAIL, an inconclusive or blocked scenario, a
// harness defect). An inconclusive or blocked scenario never counts as catching the quirk.
func Compare(c Case, results []ScenarioResult) *Outcome {
	out := &Outcome{Quirk: c.Quirk}
	catch := map[string]bool{}
	for _, n := range c.Catch {
		catch[n] = true
	}
	warn := map[string]bool{}
	for _, n := range c.Warn {
		warn[n] = true
	}
	failed, warned := map[string]bool{}, map[string]bool{}
	for _, r := range results {
		switch r.Outcome {
		case report.Pass:
			out.Passed++
			if warn[r.Name] && len(r.Warnings) > 0 {
				warned[r.Name] = true
				out.Warned = append(out.Warned, r.Name)
			}
		case report.NotApplicable:
			out.Skipped++
		case report.Fail:
			failed[r.Name] = true
			out.Failed = append(out.Failed, r.Name)
			if !catch[r.Name] {
				out.Unexpected = append(out.Unexpected, fmt.Sprintf("%s (%s: %s)", r.Name, r.Outcome, r.Reason))
			}
		default:
			out.Unexpected = append(out.Unexpected, fmt.Sprintf("%s (%s: %s)", r.Name, r.Outcome, r.Reason))
		}
	}
	for _, n := range c.Catch {
		if !failed[n] {
			out.Missed = append(out.Missed, n)
		}
	}
	for _, n := range c.Warn {
		if !warned[n] {
			out.Missed = append(out.Missed, n+" (expected to pass with a warning)")
		}
	}
	sort.Strings(out.Failed)
	sort.Strings(out.Warned)
	return out
}

// RunChecked is Run, repeated once when the outcome differs from the case. On a busy machine
// a browser step can time out in a scenario the quirk does not touch; a difference the quirk
// causes shows again in the repeat, a timeout rarely does. The first attempt is kept in the
// outcome and printed by WriteTable, so a flaky scenario is visible, never hidden.
func (h *Harness) RunChecked(ctx context.Context, c Case) (*Outcome, error) {
	o, err := h.Run(ctx, c)
	if err != nil || o.OK() {
		return o, err
	}
	again, err := h.Run(ctx, c)
	if err != nil {
		return nil, err
	}
	again.FirstAttempt = o
	again.Wall += o.Wall
	return again, nil
}

// server is a quirked reference server on a loopback port, with its target profile.
type server struct {
	*launch.Server
	profile string // the path of its target profile
}

// startServer starts the reference server with quirks on a copy of the template database,
// over https when useTLS is set.
func (h *Harness) startServer(ctx context.Context, dir string, quirks, undeclare []string, useTLS bool) (*server, error) {
	opts := launch.Options{Config: refserver.Config{Quirks: quirks}}
	caFile := ""
	if useTLS {
		ca, err := launch.NewTestCA(dir)
		if err != nil {
			return nil, err
		}
		opts.TLS = launch.ServerTLS(ca.Server)
		opts.Config.SecureCookies = true
		caFile = ca.CAFile
	}
	srv, err := launch.Start(ctx, launch.DBOptions{Path: filepath.Join(dir, "oauth.db"), Template: h.template}, opts)
	if err != nil {
		return nil, err
	}
	path, err := writeProfile(dir, srv.Issuer, caFile, undeclare...)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &server{Server: srv, profile: path}, nil
}

// writeProfile writes the reference server's target profile (fixtures/targets/refserver.yaml)
// with its issuer set, so the run treats the quirked server like any other target, with
// tls.ca_file when caFile is set, and without the capabilities fields named in undeclare.
func writeProfile(dir, issuer, caFile string, undeclare ...string) (string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(fixtures.RefserverProfileYAML(), &doc); err != nil {
		return "", fmt.Errorf("fixtures/targets/refserver.yaml: %w", err)
	}
	if caps, ok := doc["capabilities"].(map[string]any); ok {
		for _, f := range undeclare {
			if _, ok := caps[f]; !ok {
				return "", fmt.Errorf("fixtures/targets/refserver.yaml declares no capabilities.%s to leave out", f)
			}
			delete(caps, f)
		}
	}
	doc["issuer"] = issuer
	if caFile != "" {
		doc["tls"] = map[string]any{"ca_file": caFile}
	}
	// Twenty runs back to back on a busy two-core machine: generous timeouts, so that a slow
	// answer is never mistaken for a caught quirk.
	doc["timeouts"] = map[string]any{"request": "30s", "browser_step": "30s", "expiry_wait": "30s"}
	doc["name"] = fmt.Sprint(doc["name"], " (quirked)")
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "target.yaml")
	return path, os.WriteFile(path, b, 0o600)
}

// Subset is the feature files named (at the root of fsys), or all of them when names is
// empty.
func Subset(fsys fs.FS, names []string) (fs.FS, error) {
	if len(names) == 0 {
		return fsys, nil
	}
	m := fstest.MapFS{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("feature file %s: %w", n, err)
		}
		m[n] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	return m, nil
}

// ScenarioResult is one scenario's outcome as the run's report computed it (steps/report:
// the one place outcomes are computed).
type ScenarioResult struct {
	Feature, Name string
	Tags          []string
	Outcome       report.Status
	// Reason is the first line of the failure, or why the scenario is not applicable,
	// inconclusive or blocked.
	Reason string
	// Warnings are the warnings the scenario attached (report.WarningPrefix stripped).
	Warnings []string
}

// FromReport takes each scenario's outcome from the run's report.
func FromReport(rep *report.Report) []ScenarioResult {
	var out []ScenarioResult
	for _, sc := range rep.Scenarios {
		r := ScenarioResult{Feature: sc.Feature, Name: sc.Name, Tags: sc.Tags, Outcome: sc.Outcome, Reason: sc.Reason, Warnings: sc.Warnings}
		if sc.Outcome == report.Fail || sc.Outcome == report.Waived {
			r.Reason = sc.Observed
		}
		r.Reason, _, _ = strings.Cut(r.Reason, "\n")
		out = append(out, r)
	}
	return out
}

// WriteTable prints quirk -> the scenarios that caught it, then the detection rate: the share
// of quirks caught by at least one scenario.
func WriteTable(w io.Writer, outcomes []*Outcome) {
	caught := 0
	fmt.Fprintln(w, "quirk -> scenarios that caught it")
	for _, o := range outcomes {
		mark := "CAUGHT"
		if len(o.Failed)+len(o.Warned) == 0 {
			mark = "MISSED"
		} else {
			caught++
		}
		if !o.OK() && len(o.Failed)+len(o.Warned) > 0 {
			mark = "CAUGHT (differs from the declared table)"
		}
		fmt.Fprintf(w, "\n%s  [%s; %d failed, %d passed, %d not applicable; %s]\n", o.Quirk, mark,
			len(o.Failed), o.Passed, o.Skipped, o.Wall.Round(100*time.Millisecond))
		for _, n := range o.Failed {
			fmt.Fprintf(w, "    - %s\n", n)
		}
		for _, n := range o.Warned {
			fmt.Fprintf(w, "    - %s (warning)\n", n)
		}
		for _, n := range o.Missed {
			fmt.Fprintf(w, "    ! declared but passed: %s\n", n)
		}
		for _, n := range o.Unexpected {
			fmt.Fprintf(w, "    ! failed but not declared: %s\n", n)
		}
		if f := o.FirstAttempt; f != nil {
			fmt.Fprintf(w, "    (run twice: the first attempt differed from the table)\n")
			for _, n := range f.Missed {
				fmt.Fprintf(w, "    ~ first attempt, declared but passed: %s\n", n)
			}
			for _, n := range f.Unexpected {
				fmt.Fprintf(w, "    ~ first attempt, failed but not declared: %s\n", n)
			}
		}
	}
	rate := 0.0
	if len(outcomes) > 0 {
		rate = 100 * float64(caught) / float64(len(outcomes))
	}
	fmt.Fprintf(w, "\ndetection rate: %d of %d quirks caught (%.0f%%)\n", caught, len(outcomes), rate)
}
