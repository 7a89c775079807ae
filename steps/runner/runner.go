// Package runner runs the conformance suite: it reads and validates the target profile (or
// takes the one of a target its caller started, the embedded reference server), resolves the
// target's metadata, launches one browser for the run, runs the features with godog (strict,
// random order, concurrently) and writes the reports. The command (oauthconf run) and the Go
// test of the suite both call Run.
package runner

import (
	"context"
	"errors"
	"fmt"
	"github.com/oauthconf/oauthconf/steps/entropy"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/oauthconf/oauthconf/features"
	"github.com/oauthconf/oauthconf/steps"
	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/report"
)

// Exit codes of a run.
const (
	// ExitPassed: no MUST scenario failed (unless waived) and the suite has no defect. SHOULD
	// failures count only with Options.FailOn "should"; inconclusive, blocked and not
	// applicable scenarios never fail a run.
	ExitPassed = 0
	// ExitFailed: a MUST scenario failed (or a SHOULD one, with FailOn "should"), or the suite
	// has a harness defect (an undefined or pending step).
	ExitFailed = 1
	// ExitUsage: the run could not start: bad options, a bad profile, an unusable target.
	ExitUsage = 2
)

// Options.Screenshots values.
const (
	ScreenshotsFailures = "failures"
	ScreenshotsAll      = "all"
)

// DefaultConcurrency is how many scenarios run at once unless told otherwise.
const DefaultConcurrency = 2

// Options of a run. Zero values take the defaults.
type Options struct {
	// TargetPath is the target profile (YAML) of a server running elsewhere; Target is a
	// server the caller started for the run (the embedded reference server). Exactly one is
	// given.
	TargetPath string
	Target     Target
	// Tags is a godog tag expression ("@pkce && ~@browser").
	Tags string
	// ReportDir receives junit.xml, cucumber.json, conformance.json and report.html (default
	// "reports").
	ReportDir string
	// Concurrency is how many scenarios run at once (default 2).
	Concurrency int
	// Randomize is the seed of the random scenario order; 0 picks one (printed, so the order
	// can be replayed).
	Randomize int64
	// Output receives the progress and the summary (default os.Stdout).
	Output io.Writer
	// TestingT, when set, runs every scenario as a subtest of it.
	TestingT *testing.T
	// Features holds the .feature files at its root (default features.FS).
	Features fs.FS
	// Browser overrides where the driver and Chromium are (default browser.DefaultOptions()).
	Browser *browser.Options
	// OnExchange, when set, is called with every HTTP exchange the scenarios make.
	OnExchange func(*oauthclient.Exchange)
	// List, when set, shows which scenarios would run and which would not, and why, without
	// running any (the target's metadata is still read: capabilities come from it).
	List bool
	// FailOn is the weakest level whose failures fail the run: "must" (the default) or
	// "should".
	FailOn string
	// Screenshots is "failures" (the default: a scenario that does not pass gets its last
	// page) or "all" (a screenshot after every browser step; slower, larger reports).
	Screenshots string
}

// Target is a server the caller started for the run: the embedded reference server
// (refserver/launch.StartEmbedded). The harness judges servers, so it never builds the one it
// judges (../shared/design.md); it receives it, started, and the caller stops it after the run.
// Its @refserver scenarios (checks of the reference server's own settings) apply.
type Target interface {
	// Issuer is the server's issuer identifier.
	Issuer() string
	// Profile is its target profile (YAML); its issuer is replaced with Issuer().
	Profile() []byte
	// AuditLog returns the security audit log written so far (JSON lines), nil if none.
	AuditLog() []byte
	// Ready waits until the target serves, or says why it will not. A target may be handed
	// over while still starting (its port bound, so its issuer known): the browser launches
	// meanwhile.
	Ready(ctx context.Context) error
}

// Result of a run, derived from the conformance report (Report), which decides every
// scenario's outcome. Counts are scenarios (Scenario Outline rows count one each).
type Result struct {
	// Passed, Failed (at any level, not waived), Skipped (not applicable), Inconclusive and
	// Blocked count scenarios by outcome.
	Passed, Failed, Skipped, Inconclusive, Blocked int
	// FailedMust and FailedShould split Failed by level; a failed check without a level (the
	// reference server's @product checks) counts as MUST. A MAY check never fails.
	FailedMust, FailedShould int
	// Defects counts the harness defects (the suite's own bugs); Undefined and Pending are
	// those with an undefined or pending step (or no steps: undefined).
	Defects, Undefined, Pending int
	Wall                        time.Duration
	ExitCode                    int
	// Seed is the random order seed used.
	Seed int64
	// Reports are the files written.
	Reports []string
	// FailedScenarios names each failed scenario and each harness defect, with its location.
	FailedScenarios []string
	// BlockedScenarios and InconclusiveScenarios name those scenarios with the reason.
	BlockedScenarios, InconclusiveScenarios []string
	// BrowserScenarios is the number of passed @browser scenarios, BrowserMedian their median
	// duration (the sum of their steps' durations, hooks excluded).
	BrowserScenarios int
	BrowserMedian    time.Duration
	// NotApplicable names each skipped scenario with the reason, when the profile gives one.
	NotApplicable []string
	// Waived counts the failed scenarios a waiver of the profile covers; they are not in
	// Failed and do not fail the run. WaivedScenarios names them with the waiver's reason.
	Waived          int
	WaivedScenarios []string
	// UnnecessaryWaivers names the passed scenarios a waiver covers: the waiver can go.
	UnnecessaryWaivers []string
	// Report is the conformance report (also written as conformance.json and report.html);
	// nil for a --list run.
	Report *report.Report
	// Listing is what a --list run found.
	Listing *Listing
}

// Total is the number of scenarios run.
func (r *Result) Total() int {
	return r.Passed + r.Failed + r.Skipped + r.Inconclusive + r.Blocked + r.Defects + r.Waived
}

// Run runs the suite. An error means the run could not happen (Result.ExitCode is then
// ExitUsage); failed scenarios are not an error, they show in the Result.
func Run(ctx context.Context, opts Options) (*Result, error) {
	return run(ctx, opts, steps.InitializeScenario)
}

// initializer builds the scenario initializer from the run's environment; tests replace
// steps.InitializeScenario with their own.
type initializer func(*steps.Env) func(*godog.ScenarioContext)

func run(ctx context.Context, opts Options, initScenario initializer) (res *Result, err error) {
	start := time.Now()
	res = &Result{ExitCode: ExitUsage}
	defer func() { res.Wall = time.Since(start) }()
	if err := opts.defaults(); err != nil {
		return res, err
	}
	res.Seed = opts.Randomize
	out := opts.Output

	// The profile first: a bad one stops the run before anything slow starts.
	var p *profile.Profile
	if opts.Target != nil {
		if p, err = targetProfile(opts.Target); err != nil {
			return res, err
		}
	} else {
		if p, err = profile.Load(opts.TargetPath); err != nil {
			return res, err
		}
		fmt.Fprintf(out, "target: %s (%s)\n", p.Name, opts.TargetPath)
	}

	if raceTimeoutFactor > 1 {
		p.Timeouts.Request *= raceTimeoutFactor
		p.Timeouts.BrowserStep *= raceTimeoutFactor
		p.Timeouts.ExpiryWait *= raceTimeoutFactor
		fmt.Fprintf(out, "note: built with the race detector: timeouts stretched %dx\n", raceTimeoutFactor)
	}

	suite := godog.TestSuite{
		Name: "oauthconf",
		Options: &godog.Options{
			Paths:          []string{"."},
			FS:             opts.Features,
			Tags:           opts.Tags,
			Strict:         true, // an undefined or pending step fails the run
			Randomize:      opts.Randomize,
			Concurrency:    opts.Concurrency,
			DefaultContext: ctx,
			TestingT:       opts.TestingT,
			Output:         dropRepeatedFailures(progressOutput(out)),
			// Colours on: godog's colour-stripping writer writes one rune per system call,
			// which takes seconds for a cucumber report holding screenshots. The progress
			// output is stripped by our own writer instead when it is not a terminal.
			NoColors: false,
		},
	}
	selected, needBrowser, err := selectedScenarios(suite)
	if err != nil {
		return res, err
	}
	if selected == 0 {
		return res, fmt.Errorf("no scenario matches --tags %q%s", opts.Tags, tagSyntaxHint(opts.Tags))
	}

	// The browser starts in the background while the target finishes starting and its
	// metadata is read: each takes a good part of a second.
	var launch *launching
	// With tls.ca_file the browser is launched once the target's certificates are verified
	// (verifiedSPKIs, after the metadata): it is told which keys to accept.
	clientTLS, err := p.ClientTLS()
	if err != nil {
		return res, err
	}
	if needBrowser && !opts.List && clientTLS == nil {
		bopts := browser.DefaultOptions()
		if opts.Browser != nil {
			bopts = *opts.Browser
		}
		// Chromium refuses some ports (6000, 6665-6669, ...): lifted for the target's own only.
		bopts.AllowedPorts = profile.BrowserPorts(p)
		bopts.Screenshots = opts.Screenshots == ScreenshotsAll
		launch = launchBrowser(bopts)
		defer launch.discard() // a run that ends before taking it
	}

	if opts.Target != nil {
		if err := opts.Target.Ready(ctx); err != nil {
			return res, err
		}
		fmt.Fprintf(out, "target: the embedded reference server at %s (ready in %s)\n", p.Issuer, since(start))
	}

	if err := p.Resolve(ctx, &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS}}); err != nil {
		return res, fmt.Errorf("target %s: %w", p.Issuer, err)
	}
	if opts.List {
		if res.Listing, err = list(suite, p); err != nil {
			return res, err
		}
		res.Listing.Print(out)
		res.ExitCode = ExitPassed
		return res, nil
	}

	if needBrowser && !opts.List && clientTLS != nil {
		bopts := browser.DefaultOptions()
		if opts.Browser != nil {
			bopts = *opts.Browser
		}
		bopts.Screenshots = opts.Screenshots == ScreenshotsAll
		bopts.AllowedPorts = profile.BrowserPorts(p)
		var problems []string
		bopts.TrustedSPKI, problems = verifiedSPKIs(ctx, p, clientTLS, p.Timeouts.Request)
		for _, pr := range problems {
			fmt.Fprintf(out, "warning: the browser will refuse %s (its certificate did not verify against the system's roots and tls.ca_file)\n", pr)
		}
		launch = launchBrowser(bopts)
		defer launch.discard()
	}

	env := &steps.Env{Profile: p, OnExchange: opts.OnExchange, ScreenshotsAll: opts.Screenshots == ScreenshotsAll}
	// Every code and token the target issues is sampled for the entropy estimate (RFC 6749
	// 10.10, a warning only): the recording clients of all scenarios report here.
	tokens := entropy.NewCollector()
	env.OnExchange = func(ex *oauthclient.Exchange) {
		tokens.Observe(ex)
		if opts.OnExchange != nil {
			opts.OnExchange(ex)
		}
	}
	if opts.Target != nil {
		env.AuditLog = opts.Target.AuditLog
	}
	env.TLS = clientTLS
	if launch != nil {
		// The metadata may have named endpoints on ports the browser was not launched for.
		var took time.Duration
		env.Browser, took, env.BrowserErr = launch.take(profile.BrowserPorts(p))
		// A browser that cannot start fails the @browser scenarios, not the run: the others
		// still say something about the target.
		if env.BrowserErr != nil {
			fmt.Fprintf(out, "warning: the @browser scenarios will fail: %v\n", env.BrowserErr)
		} else {
			fmt.Fprintf(out, "browser: Chromium ready in %s\n", took.Round(10*time.Millisecond))
			defer func() {
				if cerr := env.Browser.Close(); cerr != nil {
					fmt.Fprintf(out, "warning: closing the browser: %v\n", cerr)
				}
			}()
		}
	}

	if err := os.MkdirAll(opts.ReportDir, 0o755); err != nil {
		return res, fmt.Errorf("report folder: %w", err)
	}
	// junit.xml is written from the conformance report, not by godog, so that it shows the
	// same outcomes (a blocked scenario is skipped with its reason, not failed).
	cucumber := filepath.Join(opts.ReportDir, "cucumber.json")
	suite.Options.Format = "progress,cucumber:" + cucumber
	suite.ScenarioInitializer = initScenario(env)

	fmt.Fprintf(out, "running %d scenarios, %d at a time, in random order (seed %d; replay with --seed %d)\n",
		selected, opts.Concurrency, opts.Randomize, opts.Randomize)
	suiteStart := time.Now()
	status := suite.Run()
	fmt.Fprintf(out, "scenarios ran in %s\n", since(suiteStart))
	if status == 2 {
		return res, errors.New("godog could not run the features (see the message above)")
	}
	res.Reports = []string{cucumber}
	data, err := os.ReadFile(cucumber)
	if err != nil {
		return res, fmt.Errorf("reading the cucumber report: %w", err)
	}
	rep, err := report.Build(report.Input{Cucumber: data, Profile: p, ProfilePath: opts.TargetPath,
		StartedAt: start, Duration: time.Since(start), Seed: res.Seed, Tags: opts.Tags, ToolVersion: toolVersion()})
	if err != nil {
		return res, err
	}
	rep.Entropy = tokens.Estimates()
	fromReport(res, rep, opts.FailOn)
	// godog's status is non-zero for any failed step, waived, SHOULD or MAY; the report knows
	// better. A failing status with no failed, undefined or pending step in the report (never
	// expected) still fails the run rather than pass in silence.
	if status != 0 && !anyStepFailed(rep) {
		res.ExitCode = ExitFailed
		fmt.Fprintln(out, "warning: godog reported a failure that the cucumber report does not show")
	}
	res.Wall = time.Since(start)
	written, err := rep.WriteFiles(opts.ReportDir)
	res.Reports = append(res.Reports, written...)
	if err != nil {
		return res, err
	}
	printSummary(out, res, opts.FailOn)
	return res, nil
}

// anyStepFailed reports whether a step of the report did not pass or skip.
func anyStepFailed(rep *report.Report) bool {
	for _, s := range rep.Scenarios {
		if len(s.Steps) == 0 {
			return true
		}
		for _, st := range s.Steps {
			switch st.Status {
			case "failed", "ambiguous", "undefined", "pending":
				return true
			}
		}
	}
	return false
}

// toolVersion is the module version the binary was built from ("devel" in a checkout).
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func (o *Options) defaults() error {
	switch {
	case o.TargetPath != "" && o.Target != nil:
		return errors.New("give a target profile or a started target, not both")
	case o.TargetPath == "" && o.Target == nil:
		return errors.New("no target: give a target profile (--target FILE)")
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.ReportDir == "" {
		o.ReportDir = "reports"
	}
	switch {
	case o.Concurrency == 0:
		o.Concurrency = DefaultConcurrency
	case o.Concurrency < 0:
		return fmt.Errorf("concurrency must be at least 1, got %d", o.Concurrency)
	}
	if o.Randomize == 0 {
		// Positive: godog reads -1 as "pick a seed" and would not report it back.
		o.Randomize = rand.Int64N(1<<53) + 1
	}
	if o.Randomize < 0 {
		return fmt.Errorf("the random order seed must be positive, got %d", o.Randomize)
	}
	if o.Features == nil {
		o.Features = features.FS
	}
	switch o.FailOn {
	case "":
		o.FailOn = FailOnMust
	case FailOnMust, FailOnShould:
	default:
		return fmt.Errorf("--fail-on %q: want %q or %q", o.FailOn, FailOnMust, FailOnShould)
	}
	switch o.Screenshots {
	case "":
		o.Screenshots = ScreenshotsFailures
	case ScreenshotsFailures, ScreenshotsAll:
	default:
		return fmt.Errorf("--screenshots %q: want %q or %q", o.Screenshots, ScreenshotsFailures, ScreenshotsAll)
	}
	// godog splits its formats at "," and a format's file name at the first ":".
	if strings.ContainsAny(o.ReportDir, ",:") {
		return fmt.Errorf("--report-dir %q: the path may not contain ',' or ':'", o.ReportDir)
	}
	return nil
}

// targetProfile is the started target's profile, with its issuer.
func targetProfile(t Target) (*profile.Profile, error) {
	const name = "the embedded server's profile"
	p, err := profile.Decode(t.Profile())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Issuer = t.Issuer()
	p.Embedded = true
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// selectedScenarios counts the scenarios the tag expression selects and whether any of them
// needs the browser (@browser, or @user-token: a token through the code grant; or an
// authorization request, which a login page may interrupt), so that a run
// without such scenarios does not start one.
//
// It first refuses features that use a word outside the suite's vocabulary (a tag or a request
// modifier in none of its tables), in every feature whatever --tags selects: a misspelt
// capability would run as supported, a misspelt modifier would end inconclusive against the target.
func selectedScenarios(suite godog.TestSuite) (n int, needBrowser bool, err error) {
	all := *suite.Options
	all.Tags = ""
	every, err := godog.TestSuite{Options: &all}.RetrieveFeatures()
	if err != nil {
		return 0, false, fmt.Errorf("reading the features: %w", err)
	}
	var pickles []*messages.Pickle
	for _, f := range every {
		pickles = append(pickles, f.Pickles...)
	}
	if problems := steps.VocabularyProblems(pickles); len(problems) > 0 {
		return 0, false, fmt.Errorf("the features use words outside the suite's vocabulary; correct them or add them to its tables:\n  %s", strings.Join(problems, "\n  "))
	}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return 0, false, fmt.Errorf("reading the features: %w", err)
	}
	for _, f := range feats {
		for _, p := range f.Pickles {
			n++
			for _, t := range p.Tags {
				// @user-token scenarios obtain an end-user token through the code grant,
				// which takes the browser too.
				if t.Name == "@browser" || t.Name == "@user-token" {
					needBrowser = true
				}
			}
			for _, st := range p.Steps {
				// An authorization request sent over plain HTTP is continued in the browser
				// when the server asks the resource owner to log in first, which RFC 9700
				// 4.11.2 requires even before an error is redirected to the client.
				if st.Text == "the user agent sends the authorization request" {
					needBrowser = true
				}
			}
		}
	}
	return n, needBrowser, nil
}

// tagSyntaxHint explains godog's tag syntax when the expression looks written for another
// (cucumber's "||", "or", "and", "not"), which godog reads without error and matches nothing.
func tagSyntaxHint(tags string) string {
	padded := " " + strings.ToLower(tags) + " "
	for _, other := range []string{"||", " or ", " and ", " not "} {
		if strings.Contains(padded, other) {
			return ` (godog's tag syntax: "@a,@b" for a or b, "@a && @b" for both, "~@a" for not a)`
		}
	}
	return ""
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }
