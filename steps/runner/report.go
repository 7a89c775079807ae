package runner

import (
	"fmt"
	"github.com/oauthconf/oauthconf/steps/entropy"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oauthconf/oauthconf/steps/report"
)

// Levels whose failures can fail the run (Options.FailOn).
const (
	FailOnMust   = "must"
	FailOnShould = "should"
)

// fromReport fills the Result's counts and lists from the conformance report, which alone
// decides every scenario's outcome (report.Build): the summary and the exit status read it, so
// they agree with conformance.json, junit.xml and report.html exactly.
func fromReport(r *Result, rep *report.Report, failOn string) {
	r.Report = rep
	var browserTimes []time.Duration
	for i := range rep.Scenarios {
		s := &rep.Scenarios[i]
		where := fmt.Sprintf("%s %s", s.Location, s.Name)
		switch s.Outcome {
		case report.Pass:
			r.Passed++
			if s.WaiverUnnecessary {
				r.UnnecessaryWaivers = append(r.UnnecessaryWaivers, fmt.Sprintf("%s (waiver of %s)", where, s.WaiverOf))
			}
			if s.HasTag("@browser") {
				browserTimes = append(browserTimes, time.Duration(s.DurationSeconds*float64(time.Second)))
			}
		case report.Fail:
			r.Failed++
			switch s.Level {
			case "SHOULD":
				r.FailedShould++
			case "MAY": // never: Build makes a failed MAY check not applicable
			default:
				r.FailedMust++ // MUST, and the @product checks that have no level
			}
			r.FailedScenarios = append(r.FailedScenarios, fmt.Sprintf("FAILED     %s %s: %s", s.LevelLabel(), where, s.Observed))
		case report.Waived:
			r.Waived++
			r.WaivedScenarios = append(r.WaivedScenarios, fmt.Sprintf("WAIVED     %s: %s (waiver of %s: %s)", where, s.Observed, s.WaiverOf, s.Waiver))
		case report.HarnessDefect:
			r.Defects++
			kind := "DEFECT    "
			for _, st := range s.Steps {
				if st.Status == "undefined" {
					r.Undefined++
					kind = "UNDEFINED "
					break
				}
				if st.Status == "pending" {
					r.Pending++
					kind = "PENDING   "
					break
				}
			}
			if len(s.Steps) == 0 {
				r.Undefined++
				kind = "UNDEFINED "
			}
			r.FailedScenarios = append(r.FailedScenarios, fmt.Sprintf("%s %s: %s", kind, where, s.Reason))
		case report.NotApplicable:
			r.Skipped++
			r.NotApplicable = append(r.NotApplicable, where+": "+s.Reason)
		case report.Inconclusive:
			r.Inconclusive++
			r.InconclusiveScenarios = append(r.InconclusiveScenarios, where+": "+s.Reason)
		case report.Blocked:
			r.Blocked++
			r.BlockedScenarios = append(r.BlockedScenarios, fmt.Sprintf("%s: blocked by %s: %s", where, s.BlockedBy, s.Reason))
		}
	}
	if n := len(browserTimes); n > 0 {
		slices.Sort(browserTimes)
		r.BrowserScenarios = n
		r.BrowserMedian = browserTimes[n/2]
		if n%2 == 0 {
			r.BrowserMedian = (browserTimes[n/2-1] + browserTimes[n/2]) / 2
		}
	}
	r.ExitCode = ExitPassed
	if r.FailsRun(failOn) {
		r.ExitCode = ExitFailed
	}
}

// FailsRun reports whether the outcomes fail the run: a MUST failure (or a failed check of the
// reference server's product, which has no level), a harness defect, or, when failOn is
// "should", a SHOULD failure. Waived, inconclusive, blocked and not applicable never do.
func (r *Result) FailsRun(failOn string) bool {
	return r.FailedMust > 0 || r.Defects > 0 || failOn == FailOnShould && r.FailedShould > 0
}

// printSummary is the console summary: the verdict per level first, then the counts of each
// outcome, then what did not pass and why.
func printSummary(out io.Writer, r *Result, failOn string) {
	rep := r.Report
	fmt.Fprintln(out)
	if rep != nil {
		fmt.Fprintln(out, levelLine(rep.Summary))
	}
	fmt.Fprintf(out, "scenarios: %d: %d pass, %d fail, %d waived, %d inconclusive, %d blocked, %d not applicable, %d harness defects\n",
		r.Total(), r.Passed, r.Failed, r.Waived, r.Inconclusive, r.Blocked, r.Skipped, r.Defects)
	if rep != nil {
		q := rep.Summary.Requirements
		fmt.Fprintf(out, "requirements: %d: %d pass, %d fail, %d waived, %d inconclusive, %d blocked, %d not applicable; %d warnings\n",
			q.Total, q.Pass, q.Fail, q.Waived, q.Inconclusive, q.Blocked, q.NotApplicable, rep.Summary.Warnings)
		printEntropy(out, rep.Entropy)
		var fails []*report.Scenario
		for i := range rep.Scenarios {
			if s := &rep.Scenarios[i]; s.Outcome == report.Fail {
				fails = append(fails, s)
			}
		}
		// MUST failures first: they are what fails the run.
		slices.SortStableFunc(fails, func(a, b *report.Scenario) int { return levelOrder(a.Level) - levelOrder(b.Level) })
		if len(fails) > 0 {
			fmt.Fprintln(out, "failures:")
			for _, s := range fails {
				fmt.Fprintf(out, "  FAIL %s %s  %s %s\n", s.LevelLabel(), strings.Join(s.Requirements, " "), s.Location, s.Name)
				for _, q := range s.Quotes {
					fmt.Fprintf(out, "       %s\n", q.Short(110))
				}
				fmt.Fprintf(out, "       observed: %s\n", s.Observed)
			}
		}
	}
	if rep != nil && rep.Security != nil {
		printSecurity(out, rep.Security)
	}
	list := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintln(out, title)
		for _, s := range lines {
			fmt.Fprintf(out, "  %s\n", s)
		}
	}
	var defects []string
	for _, s := range r.FailedScenarios {
		if !strings.HasPrefix(s, "FAILED ") {
			defects = append(defects, s)
		}
	}
	if rep == nil {
		list("failures:", r.FailedScenarios)
	} else {
		list("harness defects (the suite's own bugs; they fail the run):", defects)
	}
	list("blocked (a prerequisite did not hold):", r.BlockedScenarios)
	list("inconclusive (the suite could not observe what it needs):", r.InconclusiveScenarios)
	list("not applicable to this target:", r.NotApplicable)
	list("waived (failed, accepted by a waiver of the profile):", r.WaivedScenarios)
	list("unnecessary waivers (the scenario passed):", r.UnnecessaryWaivers)
	if r.BrowserScenarios > 0 {
		fmt.Fprintf(out, "browser scenarios: %d passed, median %s\n", r.BrowserScenarios, r.BrowserMedian.Round(10*time.Millisecond))
	}
	verdict := "PASS"
	if r.ExitCode != ExitPassed {
		verdict = "FAIL"
	}
	why := ""
	switch {
	case r.FailedMust > 0:
		why = fmt.Sprintf(": %d failure(s) at MUST level", r.FailedMust)
		if rep != nil {
			if n := rep.Summary.Level("").Scenarios.Fail; n > 0 {
				why += fmt.Sprintf(" (%d of them product checks without a level)", n)
			}
		}
	case r.Defects > 0:
		why = fmt.Sprintf(": %d harness defect(s)", r.Defects)
	case failOn == FailOnShould && r.FailedShould > 0:
		why = fmt.Sprintf(": %d SHOULD failure(s) with --fail-on should", r.FailedShould)
	case r.FailedShould > 0:
		why = fmt.Sprintf(" (%d SHOULD failure(s) reported; they fail the run with --fail-on should)", r.FailedShould)
	}
	fmt.Fprintf(out, "%s%s\n", verdict, why)
	fmt.Fprintf(out, "wall time %s; seed %d; reports: %s\n", r.Wall.Round(10*time.Millisecond), r.Seed, strings.Join(r.Reports, ", "))
}

// levelLine is "MUST: 120 pass, 0 fail; SHOULD: 30 pass, 1 fail; ...", what a reader wants first.
func levelLine(s report.Summary) string {
	var parts []string
	for _, l := range s.Levels {
		c := l.Scenarios
		name := l.Level
		if name == "" {
			name = "product"
		}
		part := fmt.Sprintf("%s: %d pass, %d fail", name, c.Pass, c.Fail)
		var more []string
		for _, x := range []struct {
			n    int
			what string
		}{{c.Waived, "waived"}, {c.Inconclusive, "inconclusive"}, {c.Blocked, "blocked"}, {c.NotApplicable, "n/a"}, {c.HarnessDefect, "defect"}} {
			if x.n > 0 {
				more = append(more, fmt.Sprintf("%d %s", x.n, x.what))
			}
		}
		if len(more) > 0 {
			part += " (" + strings.Join(more, ", ") + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

func levelOrder(l string) int {
	switch l {
	case "MUST", "":
		return 0
	case "SHOULD":
		return 1
	}
	return 2
}

// onceFailures drops godog's "--- Failed steps:" block from the progress output: it repeats
// every failure with its whole error, the HTTP exchanges included (a 70 KB console for 43
// failures), and the summary (printSummary) lists each failure once with its sentence and what
// was observed; the exchanges are in the reports. The block runs from the write holding its
// title to godog's count of scenarios, which starts with a number.
type onceFailures struct {
	mu       sync.Mutex
	w        io.Writer
	dropping bool
}

var (
	failedStepsTitle = regexp.MustCompile(`^\s*--- Failed steps:`)
	scenarioCount    = regexp.MustCompile(`^(?:[0-9]+ scenarios|No scenarios)`)
	ansiEscape       = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
)

func dropRepeatedFailures(w io.Writer) io.Writer { return &onceFailures{w: w} }

func (o *onceFailures) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	plain := ansiEscape.ReplaceAll(p, nil)
	if !o.dropping && failedStepsTitle.Match(plain) {
		o.dropping = true
		if _, err := io.WriteString(o.w, "\n\n(the failed steps are listed once, in the summary below; their HTTP exchanges are in the reports)\n"); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if o.dropping {
		if !scenarioCount.Match(plain) {
			return len(p), nil
		}
		o.dropping = false
		if _, err := io.WriteString(o.w, "\n"); err != nil {
			return 0, err
		}
	}
	return o.w.Write(p)
}

// printSecurity is the console's security view: one line per attack of RFC 9700 section 4 with
// its mark and what it rests on, the deprecated features the target still offers, and the
// fixes that close the most attacks (report.html lists the scenarios behind each mark).
func printSecurity(out io.Writer, sec *report.Security) {
	fmt.Fprintf(out, "security view (%s): %s\n", sec.Source, sec.CountLine())
	for _, a := range sec.Attacks {
		fmt.Fprintf(out, "  %-5s %-17s %s: %s\n", a.Section, report.MarkLabel(a.Mark), a.Title, a.Why)
	}
	fmt.Fprintln(out, sec.Headline())
	if len(sec.Fixes) > 0 {
		fmt.Fprintln(out, "fixes, ranked by the attacks they close:")
		for i, f := range sec.Fixes {
			if i == 5 {
				fmt.Fprintf(out, "  ... %d more in report.html\n", len(sec.Fixes)-i)
				break
			}
			closes := "no attack alone"
			if len(f.Closes) > 0 {
				closes = strings.Join(f.Closes, ", ")
			}
			fmt.Fprintf(out, "  %d. %s (%s): closes %s; bears on %s\n", i+1, f.Requirement, f.Level, closes, strings.Join(f.Bears, ", "))
		}
	}
}

// printEntropy prints the token entropy estimates (RFC 6749 10.10): warnings, never failures.
func printEntropy(out io.Writer, es []entropy.Estimate) {
	if len(es) == 0 {
		return
	}
	fmt.Fprintln(out, "token entropy (RFC 6749 10.10; an upper-bound estimate, warnings only):")
	for _, e := range es {
		bits := "too few samples to estimate"
		if e.Bits >= 0 {
			bits = fmt.Sprintf("at most ~%.0f bits (%d changing positions, %s)", e.Bits, e.VaryingPositions, e.Alphabet)
		}
		fmt.Fprintf(out, "  %s: %d samples, %s: %s\n", e.Kind, e.Samples, e.Part, bits)
		if e.Warning != "" {
			fmt.Fprintf(out, "    WARNING: %s\n", e.Warning)
		}
	}
	fmt.Fprintf(out, "  method: %s\n", entropy.Method)
}
