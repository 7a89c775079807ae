// Package report turns a run's cucumber JSON (what godog wrote) and the target profile into
// the conformance report: conformance.json, versioned and typed for machines; junit.xml, for CI;
// and report.html, one self-contained page for people (the verdict per level, the failures
// grouped by cause, a chart per RFC, the requirement matrix, every scenario's steps, each
// failure's HTTP exchange with secrets redacted, the browser screenshots inline).
//
// Build is the one place that decides a scenario's outcome. The console summary and the exit
// status of the runner, junit.xml, conformance.json and report.html all read the Report it
// returns, so they cannot disagree; cucumber.json is godog's own, and agrees because it carries
// the verdict attachments Build reads.
package report

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/oauthconf/oauthconf/steps/entropy"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// SchemaVersion names the layout of conformance.json. A change that removes or renames a
// field, or changes a field's meaning, bumps it.
//
// v2 (from v1): outcomes inconclusive, blocked and harness_defect; "status" renamed "outcome";
// a scenario's reason, blocked_by, observed and quotes; summary counts per level.
const SchemaVersion = "oauthconf.conformance/v2"

// Status is the outcome of a scenario or a requirement (verdict.Outcome).
type Status = verdict.Outcome

// The outcomes, as the report names them.
const (
	Pass          = verdict.OutcomePass
	Fail          = verdict.OutcomeFail
	NotApplicable = verdict.OutcomeNotApplicable
	Inconclusive  = verdict.OutcomeInconclusive
	Blocked       = verdict.OutcomeBlocked
	// Waived is a failure the target's profile accepts, with a written reason (waivers). It is
	// never counted as passed.
	Waived = verdict.OutcomeWaived
	// HarnessDefect is the suite's own bug (an undefined or pending step, no steps): neither a
	// pass nor a judgement of the target. It fails the run and is never waived.
	HarnessDefect = verdict.OutcomeHarnessDefect
)

// Report is conformance.json.
type Report struct {
	SchemaVersion   string       `json:"schema_version"`
	Tool            Tool         `json:"tool"`
	Target          Target       `json:"target"`
	StartedAt       time.Time    `json:"started_at"`
	DurationSeconds float64      `json:"duration_seconds"`
	Seed            int64        `json:"seed,omitempty"`
	Tags            string       `json:"tags,omitempty"`
	Capabilities    []Capability `json:"capabilities"`
	Summary         Summary      `json:"summary"`
	// Requirements are sorted by RFC number, then section.
	Requirements []Requirement `json:"requirements"`
	// Scenarios are sorted by feature file, then line.
	Scenarios []Scenario  `json:"scenarios"`
	Waivers   []WaiverUse `json:"waivers,omitempty"`
	// Security is the same outcomes read as attacks of RFC 9700 section 4 (security.go).
	Security *Security `json:"security"`
	// Entropy estimates the guessability of the codes and tokens seen during the run (RFC 6749
	// 10.10), as warnings only (steps/entropy); set by the runner.
	Entropy []entropy.Estimate `json:"entropy,omitempty"`
}

// Tool is the harness that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is the server the suite ran against.
type Target struct {
	Name        string `json:"name"`
	Issuer      string `json:"issuer"`
	Profile     string `json:"profile,omitempty"`
	Embedded    bool   `json:"embedded"`
	MetadataURL string `json:"metadata_url,omitempty"`
}

// Capability is one capability tag and whether the target has it.
type Capability struct {
	Tag       string `json:"tag"`
	Supported bool   `json:"supported"`
	Reason    string `json:"reason,omitempty"`
}

// Summary counts requirements and scenarios by outcome, in all and per level.
type Summary struct {
	Requirements Counts `json:"requirements"`
	Scenarios    Counts `json:"scenarios"`
	// Levels are the counts per level, strongest first: MUST, SHOULD, MAY, and "" for the
	// scenarios without a level (the reference server's @product checks) when there are any.
	// A requirement counts at its strongest scenario's level.
	Levels []LevelSummary `json:"levels"`
	// Warnings is the number of scenarios that attached a warning (RFC 9700 configuration
	// advice: the target offers ROPC or the implicit grant).
	Warnings int `json:"warnings"`
}

// LevelSummary is the counts at one level.
type LevelSummary struct {
	Level        string `json:"level"`
	Requirements Counts `json:"requirements"`
	Scenarios    Counts `json:"scenarios"`
}

// Level returns the counts at level (zero counts when no scenario has it).
func (s Summary) Level(level string) LevelSummary {
	for _, l := range s.Levels {
		if l.Level == level {
			return l
		}
	}
	return LevelSummary{Level: level}
}

// Counts by outcome.
type Counts struct {
	Total         int `json:"total"`
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Waived        int `json:"waived"`
	Inconclusive  int `json:"inconclusive"`
	Blocked       int `json:"blocked"`
	NotApplicable int `json:"not_applicable"`
	HarnessDefect int `json:"harness_defect"`
}

func (c *Counts) add(s Status) {
	c.Total++
	switch s {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	case NotApplicable:
		c.NotApplicable++
	case Waived:
		c.Waived++
	case Inconclusive:
		c.Inconclusive++
	case Blocked:
		c.Blocked++
	case HarnessDefect:
		c.HarnessDefect++
	}
}

// Requirement is one RFC requirement the features check (a tag such as @RFC6749-4.1.2.1).
type Requirement struct {
	ID      string `json:"id"`
	RFC     string `json:"rfc"`     // "RFC6749"
	Section string `json:"section"` // "4.1.2.1"
	// Level is the strongest level among its scenarios: MUST, SHOULD or MAY ("" when untagged).
	Level string `json:"level"`
	// Outcome aggregates its scenarios' (see Aggregate).
	Outcome Status `json:"outcome"`
	// Quotes are the RFC sentences its scenarios quote for this requirement, each once.
	Quotes    []Quote       `json:"quotes,omitempty"`
	Scenarios []ScenarioRef `json:"scenarios"`
	Warnings  []string      `json:"warnings,omitempty"`
}

// ScenarioRef is a requirement's scenario and its outcome.
type ScenarioRef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Location string `json:"location"`
	Level    string `json:"level,omitempty"`
	Outcome  Status `json:"outcome"`
	// Message is the observed failure (first line), the reason the scenario does not apply, is
	// inconclusive or blocked, or the waiver's reason.
	Message string `json:"message,omitempty"`
}

// Quote is a requirement sentence a scenario quotes in its description, in the form
// `RFC 6749 4.1.2.1: "verbatim text"` ("[...]" marks an elision).
type Quote struct {
	// Requirement is the requirement id the quote belongs to: "RFC6749-4.1.2.1".
	Requirement string `json:"requirement"`
	RFC         string `json:"rfc"`     // "RFC6749"
	Section     string `json:"section"` // "4.1.2.1"
	Text        string `json:"text"`
}

// String is the quote as written in the feature: RFC 6749 4.1.2.1: "text".
func (q Quote) String() string {
	return fmt.Sprintf("RFC %s %s: \"%s\"", strings.TrimPrefix(q.RFC, "RFC"), q.Section, q.Text)
}

// Short is String with the text cut to about n characters.
func (q Quote) Short(n int) string {
	t := q.Text
	if r := []rune(t); len(r) > n {
		cut := string(r[:n])
		if i := strings.LastIndexByte(cut, ' '); i > n/2 {
			cut = cut[:i] // at a word boundary
		}
		t = strings.TrimSpace(cut) + "…"
	}
	return fmt.Sprintf("RFC %s %s: \"%s\"", strings.TrimPrefix(q.RFC, "RFC"), q.Section, t)
}

// Scenario is one scenario (an outline row counts as one) and its outcome.
type Scenario struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Feature  string   `json:"feature"`
	Location string   `json:"location"`
	Tags     []string `json:"tags"`
	// Level is the scenario's strongest level tag: MUST, SHOULD, MAY, or "" (a @product check).
	Level        string   `json:"level,omitempty"`
	Requirements []string `json:"requirements"`
	// Quotes are the requirement sentences of the scenario's description.
	Quotes  []Quote `json:"quotes,omitempty"`
	Outcome Status  `json:"outcome"`
	// Reason says why the scenario is not applicable, inconclusive or blocked, or what the
	// harness defect is.
	Reason string `json:"reason,omitempty"`
	// BlockedBy names the prerequisite that did not hold (a requirement id or a setup step).
	BlockedBy string `json:"blocked_by,omitempty"`
	// Step is the step that decided a fail, not applicable, inconclusive or blocked outcome.
	Step string `json:"step,omitempty"`
	// Observed is the first line of a failure: the behaviour that contradicts the quote.
	Observed string `json:"observed,omitempty"`
	// Failure is the whole FAIL message, kept for a waived failure too: the level, the
	// requirement and its quote (Headline), then "observed: " and the step's error, then the
	// HTTP exchange (secrets redacted).
	Failure string `json:"failure,omitempty"`
	// Waiver is the reason of the waiver that covers the scenario; WaiverUnnecessary is set
	// when the scenario passed anyway.
	Waiver            string `json:"waiver,omitempty"`
	WaiverUnnecessary bool   `json:"waiver_unnecessary,omitempty"`
	// WaiverOf says what the waiver names ("requirement RFC6749-5.2").
	WaiverOf        string   `json:"waiver_of,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	DurationSeconds float64  `json:"duration_seconds"`
	// Steps are for report.html and junit.xml only (their screenshots would swell the JSON).
	Steps []Step `json:"-"`

	uri  string
	line int
	// decisive is the index in Steps of the step that decided the outcome (-1: none).
	decisive int
}

// HasTag reports whether the scenario carries tag ("@browser").
func (s *Scenario) HasTag(tag string) bool { return slices.Contains(s.Tags, tag) }

// LevelLabel is the scenario's level as printed: "MUST", "SHOULD", "MAY" or "product".
func (s *Scenario) LevelLabel() string { return levelLabel(s.Level) }

func levelLabel(l string) string {
	if l == "" {
		return "product"
	}
	return l
}

// Headline is what every FAIL message leads with: the level, the requirement and its quote,
// one line each quote ("MUST RFC 6749 4.1.2.1: \"...\"").
func (s *Scenario) Headline() string {
	var b strings.Builder
	if len(s.Quotes) == 0 {
		fmt.Fprintf(&b, "%s %s (the scenario quotes no RFC sentence)", s.LevelLabel(), cmp.Or(strings.Join(s.Requirements, " "), "no requirement"))
		return b.String()
	}
	for i, q := range s.Quotes {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s", s.LevelLabel(), q)
	}
	return b.String()
}

// FailureMessage is the full FAIL message of every report (Failure): the level, the
// requirement and its quote, then the observed behaviour, then the exchange.
func (s *Scenario) FailureMessage() string { return s.Failure }

// failureMessage composes Failure from the step's error, adding the exchanges attached to the
// failing step that the error does not already hold.
func (s *Scenario) failureMessage(stepError string) string {
	var b strings.Builder
	b.WriteString(s.Headline())
	b.WriteString("\nobserved: ")
	b.WriteString(stepError)
	for _, ex := range s.Exchanges() {
		if !strings.Contains(stepError, ex) {
			b.WriteString("\n--- HTTP exchange ---\n")
			b.WriteString(ex)
		}
	}
	return b.String()
}

// Exchanges are the HTTP exchanges attached to the step that decided the outcome.
func (s *Scenario) Exchanges() []string {
	if s.decisive < 0 || s.decisive >= len(s.Steps) {
		return nil
	}
	var out []string
	for _, a := range s.Steps[s.decisive].Attachments {
		if strings.HasPrefix(a.MediaType, "text/plain") && strings.HasPrefix(a.Name, "http-exchange") {
			out = append(out, string(a.Data))
		}
	}
	return out
}

// Message is the one-line account of the outcome: the observed failure, the reason, or the waiver.
func (s *Scenario) Message() string {
	switch s.Outcome {
	case Fail:
		return s.Observed
	case Waived:
		return "waived: " + s.Waiver + " (failure: " + s.Observed + ")"
	case Blocked:
		return "blocked by " + s.BlockedBy + ": " + s.Reason
	case NotApplicable, Inconclusive, HarnessDefect:
		return s.Reason
	}
	return ""
}

// Step is one step of a scenario as godog reported it.
type Step struct {
	Keyword     string
	Text        string
	Status      string // godog's: passed, failed, skipped, undefined, pending, ambiguous
	Error       string
	Duration    time.Duration
	Attachments []Attachment
	// Verdict is the verdict record attached to the step, if any.
	Verdict *verdict.Record
}

// Attachment is what a step attached (godog.Attach): a screenshot, an HTTP exchange, a warning.
type Attachment struct {
	Name      string
	MediaType string
	Data      []byte
}

// WaiverUse is a waiver of the profile and what it covered.
type WaiverUse struct {
	Requirement string `json:"requirement,omitempty"`
	Scenario    string `json:"scenario,omitempty"`
	Reason      string `json:"reason"`
	// Waived lists the failed scenarios it covered (locations).
	Waived []string `json:"waived"`
	// Unnecessary is true when no scenario it covers failed: the waiver can be removed.
	Unnecessary bool `json:"unnecessary"`
}

// Input is what Build needs besides the cucumber JSON.
type Input struct {
	Cucumber    []byte
	Profile     *profile.Profile
	ProfilePath string
	StartedAt   time.Time
	Duration    time.Duration
	Seed        int64
	Tags        string
	ToolVersion string
}

// requirementTag is the shape of a requirement tag: RFC number, '-', section.
var requirementTag = regexp.MustCompile(`^@?(RFC[0-9]+)-([0-9A-Za-z.]+)$`)

// quoteLine is a quoted requirement line of a scenario's description:
// RFC 6749 4.1.2.1: "verbatim text".
var quoteLine = regexp.MustCompile(`^RFC ?([0-9]+) +([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*):\s*"(.*)"$`)

// ParseQuotes reads the quoted requirement lines of a scenario's description. A quote may run
// over several lines; it ends at the line that ends with '"'. Other lines are ignored.
func ParseQuotes(description string) []Quote {
	var out []Quote
	lines := strings.Split(description, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "RFC") {
			continue
		}
		// Join continuation lines until the quote closes.
		for j := i + 1; !closedQuote(line) && j < len(lines); j++ {
			next := strings.TrimSpace(lines[j])
			if next == "" || strings.HasPrefix(next, "RFC") {
				break
			}
			line += " " + next
			i = j
		}
		m := quoteLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		out = append(out, Quote{Requirement: "RFC" + m[1] + "-" + m[2], RFC: "RFC" + m[1], Section: m[2], Text: m[3]})
	}
	return out
}

func closedQuote(line string) bool {
	_, rest, ok := strings.Cut(line, `"`)
	return ok && strings.HasSuffix(rest, `"`)
}

// WarningPrefix starts the text/plain attachments that are warnings about the target.
const WarningPrefix = "WARNING: "

// Build reads the cucumber JSON and makes the report.
func Build(in Input) (*Report, error) {
	var feats []cucumberFeature
	if err := json.Unmarshal(in.Cucumber, &feats); err != nil {
		return nil, fmt.Errorf("the cucumber report is not valid JSON: %w", err)
	}
	p := in.Profile
	if p == nil {
		p = &profile.Profile{}
	}
	r := &Report{
		SchemaVersion:   SchemaVersion,
		Tool:            Tool{Name: "oauthconf", Version: cmp.Or(in.ToolVersion, "devel")},
		Target:          Target{Name: p.Name, Issuer: p.Issuer, Profile: in.ProfilePath, Embedded: p.Embedded, MetadataURL: p.MetadataURL},
		StartedAt:       in.StartedAt.UTC(),
		DurationSeconds: in.Duration.Seconds(),
		Seed:            in.Seed,
		Tags:            in.Tags,
		Capabilities:    []Capability{},
		Requirements:    []Requirement{},
		Scenarios:       []Scenario{},
	}
	for _, tag := range profile.CapabilityTags() {
		ok, why := p.Supports(tag)
		r.Capabilities = append(r.Capabilities, Capability{Tag: tag, Supported: ok, Reason: why})
	}
	for _, f := range feats {
		for _, e := range f.Elements {
			if e.Type != "scenario" {
				continue
			}
			r.Scenarios = append(r.Scenarios, buildScenario(f, e, p))
		}
	}
	slices.SortStableFunc(r.Scenarios, func(a, b Scenario) int {
		return cmp.Or(cmp.Compare(a.uri, b.uri), cmp.Compare(a.line, b.line))
	})
	for i := range r.Scenarios {
		r.Scenarios[i].ID = fmt.Sprintf("s%d", i+1)
	}
	r.Requirements = requirements(r.Scenarios)
	r.Waivers = waiverUses(p.Waivers, r.Scenarios)
	r.Summary = summarize(r.Scenarios, r.Requirements)
	r.Security = BuildSecurity(r.Scenarios, p)
	return r, nil
}

func summarize(scenarios []Scenario, reqs []Requirement) Summary {
	var s Summary
	levels := map[string]*LevelSummary{}
	level := func(l string) *LevelSummary {
		if levels[l] == nil {
			levels[l] = &LevelSummary{Level: l}
		}
		return levels[l]
	}
	// MUST and SHOULD are always listed: "MUST: 0 fail" is what a reader looks for first.
	level("MUST")
	level("SHOULD")
	for _, sc := range scenarios {
		s.Scenarios.add(sc.Outcome)
		level(sc.Level).Scenarios.add(sc.Outcome)
		if len(sc.Warnings) > 0 {
			s.Warnings++
		}
	}
	for _, q := range reqs {
		s.Requirements.add(q.Outcome)
		level(q.Level).Requirements.add(q.Outcome)
	}
	for _, l := range []string{"MUST", "SHOULD", "MAY", ""} {
		if ls := levels[l]; ls != nil {
			s.Levels = append(s.Levels, *ls)
		}
	}
	return s
}

func buildScenario(f cucumberFeature, e cucumberElement, p *profile.Profile) Scenario {
	s := Scenario{
		Name:         e.Name,
		Feature:      f.Name,
		Location:     fmt.Sprintf("%s:%d", f.URI, e.Line),
		uri:          f.URI,
		line:         e.Line,
		Tags:         []string{},
		Requirements: []string{},
		Quotes:       ParseQuotes(e.Description),
		decisive:     -1,
	}
	for _, t := range e.Tags {
		s.Tags = append(s.Tags, t.Name)
		switch strings.TrimPrefix(t.Name, "@") {
		case "MUST", "SHOULD", "MAY":
			s.Level = stronger(s.Level, strings.TrimPrefix(t.Name, "@"))
		}
		if requirementTag.MatchString(t.Name) && !slices.Contains(s.Requirements, strings.TrimPrefix(t.Name, "@")) {
			s.Requirements = append(s.Requirements, strings.TrimPrefix(t.Name, "@"))
		}
	}
	var took time.Duration
	for _, st := range e.Steps {
		step := Step{Keyword: strings.TrimSpace(st.Keyword), Text: st.Name, Status: st.Result.Status,
			Error: st.Result.Error, Duration: time.Duration(st.Result.Duration)}
		for _, em := range st.Embeddings {
			data, err := base64.StdEncoding.DecodeString(em.Data)
			if err != nil {
				data = []byte(em.Data) // not base64: keep it as text rather than lose it
			}
			if em.MimeType == verdict.MediaType {
				if rec, err := verdict.ParseRecord(data); err == nil && step.Verdict == nil {
					step.Verdict = &rec
				}
				continue // shown as the scenario's outcome, not as an attachment
			}
			step.Attachments = append(step.Attachments, Attachment{Name: em.Name, MediaType: em.MimeType, Data: data})
			if strings.HasPrefix(em.MimeType, "text/plain") && strings.HasPrefix(string(data), WarningPrefix) {
				s.Warnings = append(s.Warnings, strings.TrimPrefix(string(data), WarningPrefix))
			}
		}
		s.Steps = append(s.Steps, step)
		took += step.Duration
	}
	s.DurationSeconds = took.Seconds()
	decide(&s, p)

	if w, ok := p.Waiver(s.Name, s.Tags); ok {
		s.WaiverOf = w.Describe()
		switch s.Outcome {
		case Fail:
			// Only a failure of the target can be waived: a harness defect is the suite's own
			// problem and must stay visible, and an outcome that judged nothing needs no waiver.
			s.Outcome, s.Waiver = Waived, w.Reason
		case Pass:
			s.Waiver, s.WaiverUnnecessary = w.Reason, true
		default:
			s.WaiverOf = ""
		}
	}
	return s
}

// decide is the one place a scenario's outcome is computed, in this order:
//  1. an undefined, pending or ambiguous step, or no step at all: a harness defect, whatever
//     else happened (a step that ends the scenario early must not hide the suite's own bug);
//  2. a step carrying a verdict record (verdict.MediaType): that outcome, its reason and what
//     blocked it; the record is what the World's hooks decided (verdict.Classify);
//  3. a failed step: a fail at the scenario's level (a failed MAY check that somehow has no
//     record is not applicable: the RFC lets the server choose);
//  4. a skipped step without a record: not applicable, with the capability the target lacks;
//  5. otherwise: pass.
func decide(s *Scenario, p *profile.Profile) {
	if len(s.Steps) == 0 {
		s.Outcome, s.Reason = HarnessDefect, "the scenario has no steps"
		return
	}
	for i, st := range s.Steps {
		why := ""
		switch st.Status {
		case "undefined":
			why = fmt.Sprintf("the step %q is undefined: the suite has no definition for it", st.Text)
		case "pending":
			why = fmt.Sprintf("the step %q is pending (not implemented yet)", st.Text)
		case "ambiguous":
			// Two step definitions match: the suite's own bug, not the target's.
			why = fmt.Sprintf("the step %q is ambiguous: %s", st.Text, verdict.FirstLine(st.Error))
		default:
			continue
		}
		s.decisive, s.Step, s.Outcome, s.Reason = i, st.Text, HarnessDefect, why
		return
	}
	for i, st := range s.Steps {
		if st.Verdict != nil {
			s.decisive = i
			s.Outcome, s.Reason, s.BlockedBy, s.Step = st.Verdict.Outcome, st.Verdict.Reason, st.Verdict.BlockedBy, st.Text
			if s.Outcome == Blocked && s.BlockedBy == "" {
				s.BlockedBy = fmt.Sprintf("the step %q", st.Text)
			}
			return
		}
	}
	for i, st := range s.Steps {
		if st.Status != "failed" {
			continue
		}
		s.decisive, s.Step = i, st.Text
		msg := cmp.Or(st.Error, "the step failed")
		if s.Level == "MAY" {
			s.Outcome, s.Reason = NotApplicable, "optional behaviour (MAY) the target does not offer: "+verdict.FirstLine(msg)
			return
		}
		s.Outcome, s.Observed = Fail, verdict.FirstLine(msg)
		s.Failure = s.failureMessage(msg)
		return
	}
	for _, st := range s.Steps {
		if st.Status == "skipped" {
			s.Outcome = NotApplicable
			for _, t := range s.Tags {
				if ok, why := p.Supports(t); !ok {
					s.Reason = why
					return
				}
			}
			s.Reason = "skipped without a reason recorded"
			return
		}
	}
	s.Outcome = Pass
}

// outcomeRank orders outcomes for Aggregate: the first that any scenario has is the
// requirement's.
var outcomeRank = []Status{Fail, HarnessDefect, Waived, Pass, Inconclusive, Blocked, NotApplicable}

// Aggregate is a requirement's outcome from its scenarios': the first outcome in the order
// fail > harness_defect > waived > pass > inconclusive > blocked > not_applicable that any of
// them has. So one failing scenario fails the requirement; a waived failure is never hidden by
// a pass; a requirement with one pass and one inconclusive scenario passes (what was observed
// conforms), and the matrix still lists the inconclusive scenario beside it; inconclusive
// ranks above blocked because the rule was at least exercised; a requirement is not applicable
// only when every scenario is (or it has none). A harness defect ranks just below fail: the
// requirement was not fully checked, and the suite's bug must not pass for a verdict.
func Aggregate(statuses []Status) Status {
	for _, o := range outcomeRank {
		if slices.Contains(statuses, o) {
			return o
		}
	}
	return NotApplicable
}

func requirements(scenarios []Scenario) []Requirement {
	byID := map[string]*Requirement{}
	var order []string
	for _, s := range scenarios {
		for _, id := range s.Requirements {
			q, ok := byID[id]
			if !ok {
				m := requirementTag.FindStringSubmatch(id)
				q = &Requirement{ID: id, RFC: m[1], Section: m[2], Scenarios: []ScenarioRef{}}
				byID[id] = q
				order = append(order, id)
			}
			q.Level = stronger(q.Level, s.Level)
			for _, qt := range s.Quotes {
				if qt.Requirement == id && !slices.Contains(q.Quotes, qt) {
					q.Quotes = append(q.Quotes, qt)
				}
			}
			q.Scenarios = append(q.Scenarios, ScenarioRef{ID: s.ID, Name: s.Name, Location: s.Location, Level: s.Level,
				Outcome: s.Outcome, Message: s.Message()})
			for _, w := range s.Warnings {
				if !slices.Contains(q.Warnings, w) {
					q.Warnings = append(q.Warnings, w)
				}
			}
		}
	}
	out := make([]Requirement, 0, len(order))
	for _, id := range order {
		q := byID[id]
		statuses := make([]Status, len(q.Scenarios))
		for i, s := range q.Scenarios {
			statuses[i] = s.Outcome
		}
		q.Outcome = Aggregate(statuses)
		out = append(out, *q)
	}
	slices.SortFunc(out, func(a, b Requirement) int {
		if c := cmp.Compare(rfcNumber(a.RFC), rfcNumber(b.RFC)); c != 0 {
			return c
		}
		return compareSections(a.Section, b.Section)
	})
	return out
}

func waiverUses(waivers []profile.Waiver, scenarios []Scenario) []WaiverUse {
	out := make([]WaiverUse, 0, len(waivers))
	for _, w := range waivers {
		u := WaiverUse{Requirement: w.Requirement, Scenario: w.Scenario, Reason: w.Reason, Waived: []string{}}
		for _, s := range scenarios {
			if s.Outcome == Waived && w.Matches(s.Name, s.Tags) {
				u.Waived = append(u.Waived, s.Location)
			}
		}
		u.Unnecessary = len(u.Waived) == 0
		out = append(out, u)
	}
	return out
}

var levelRank = map[string]int{"": 0, "MAY": 1, "SHOULD": 2, "MUST": 3}

func stronger(a, b string) string {
	if levelRank[b] > levelRank[a] {
		return b
	}
	return a
}

func rfcNumber(rfc string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(rfc, "RFC"))
	return n
}

// compareSections orders "4.1.2" before "4.1.10" and numbers before appendix letters.
func compareSections(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		ai, aerr := strconv.Atoi(as[i])
		bi, berr := strconv.Atoi(bs[i])
		switch {
		case aerr == nil && berr == nil:
			if c := cmp.Compare(ai, bi); c != 0 {
				return c
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			if c := cmp.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(as), len(bs))
}

// cucumberFeature is the part of godog's cucumber JSON the report reads.
type cucumberFeature struct {
	URI      string            `json:"uri"`
	Name     string            `json:"name"`
	Elements []cucumberElement `json:"elements"`
}

type cucumberElement struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Line        int    `json:"line"`
	Type        string `json:"type"`
	Tags        []struct {
		Name string `json:"name"`
	} `json:"tags"`
	Steps []struct {
		Keyword string `json:"keyword"`
		Name    string `json:"name"`
		Result  struct {
			Status   string `json:"status"`
			Error    string `json:"error_message"`
			Duration int64  `json:"duration"` // nanoseconds
		} `json:"result"`
		Embeddings []struct {
			Name     string `json:"name"`
			MimeType string `json:"mime_type"`
			Data     string `json:"data"` // base64
		} `json:"embeddings"`
	} `json:"steps"`
}
