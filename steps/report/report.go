// Package report turns a run's cucumber JSON (what godog wrote) and the target profile into
// the conformance report: conformance.json, versioned and typed for machines, and report.html,
// one self-contained page for people (the requirement matrix grouped by RFC, every scenario's
// steps, each failure's HTTP exchange with secrets redacted, the browser screenshots inline).
//
// The cucumber JSON is the single source of truth: the console summary, junit.xml and these
// two reports all describe the same scenario outcomes.
package report

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// SchemaVersion names the layout of conformance.json. A change that removes or renames a
// field, or changes a field's meaning, bumps it.
const SchemaVersion = "oauthconf.conformance/v1"

// Status of a scenario or a requirement.
type Status string

const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	NotApplicable Status = "not_applicable"
	// Waived is a failure the target's profile accepts, with a written reason (waivers). It is
	// never counted as passed.
	Waived Status = "waived"
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
	Scenarios    []Scenario    `json:"scenarios"`
	Waivers      []WaiverUse   `json:"waivers,omitempty"`
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

// Summary counts requirements and scenarios by status.
type Summary struct {
	Requirements Counts `json:"requirements"`
	Scenarios    Counts `json:"scenarios"`
	// Warnings is the number of scenarios that attached a warning (RFC 9700 configuration
	// advice: the target offers ROPC or the implicit grant).
	Warnings int `json:"warnings"`
}

// Counts by status.
type Counts struct {
	Total         int `json:"total"`
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	NotApplicable int `json:"not_applicable"`
	Waived        int `json:"waived"`
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
	}
}

// Requirement is one RFC requirement the features check (a tag such as @RFC6749-4.1.2.1).
type Requirement struct {
	ID      string `json:"id"`
	RFC     string `json:"rfc"`     // "RFC6749"
	Section string `json:"section"` // "4.1.2.1"
	// Level is the strongest level among its scenarios: MUST, SHOULD or MAY ("" when untagged).
	Level     string        `json:"level"`
	Status    Status        `json:"status"`
	Scenarios []ScenarioRef `json:"scenarios"`
	Warnings  []string      `json:"warnings,omitempty"`
}

// ScenarioRef is a requirement's scenario and its outcome.
type ScenarioRef struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Status   Status `json:"status"`
	// Message is the failure (first line), the reason it does not apply, or the waiver's reason.
	Message string `json:"message,omitempty"`
}

// Scenario is one scenario (an outline row counts as one) and its outcome.
type Scenario struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Feature      string   `json:"feature"`
	Location     string   `json:"location"`
	Tags         []string `json:"tags"`
	Level        string   `json:"level,omitempty"`
	Requirements []string `json:"requirements"`
	Status       Status   `json:"status"`
	// Failure is the whole failure message (with the HTTP exchange, secrets redacted), kept
	// for a waived failure too.
	Failure string `json:"failure,omitempty"`
	// Reason says why a not applicable scenario does not apply.
	Reason string `json:"reason,omitempty"`
	// Waiver is the reason of the waiver that covers the scenario; WaiverUnnecessary is set
	// when the scenario passed anyway.
	Waiver            string   `json:"waiver,omitempty"`
	WaiverUnnecessary bool     `json:"waiver_unnecessary,omitempty"`
	Warnings          []string `json:"warnings,omitempty"`
	DurationSeconds   float64  `json:"duration_seconds"`
	// Steps are for report.html only (their screenshots would swell the JSON).
	Steps []Step `json:"-"`

	uri  string
	line int
}

// Step is one step of a scenario as godog reported it.
type Step struct {
	Keyword     string
	Text        string
	Status      string // godog's: passed, failed, skipped, undefined, pending, ambiguous
	Error       string
	Duration    time.Duration
	Attachments []Attachment
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
	for _, s := range r.Scenarios {
		r.Summary.Scenarios.add(s.Status)
		if len(s.Warnings) > 0 {
			r.Summary.Warnings++
		}
	}
	for _, q := range r.Requirements {
		r.Summary.Requirements.add(q.Status)
	}
	return r, nil
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
	}
	var statuses []string
	var firstError string
	var took time.Duration
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
	for _, st := range e.Steps {
		step := Step{Keyword: strings.TrimSpace(st.Keyword), Text: st.Name, Status: st.Result.Status,
			Error: st.Result.Error, Duration: time.Duration(st.Result.Duration)}
		for _, em := range st.Embeddings {
			data, err := base64.StdEncoding.DecodeString(em.Data)
			if err != nil {
				data = []byte(em.Data) // not base64: keep it as text rather than lose it
			}
			step.Attachments = append(step.Attachments, Attachment{Name: em.Name, MediaType: em.MimeType, Data: data})
			if strings.HasPrefix(em.MimeType, "text/plain") && strings.HasPrefix(string(data), WarningPrefix) {
				s.Warnings = append(s.Warnings, strings.TrimPrefix(string(data), WarningPrefix))
			}
		}
		s.Steps = append(s.Steps, step)
		statuses = append(statuses, st.Result.Status)
		took += step.Duration
		if firstError == "" && st.Result.Error != "" {
			firstError = st.Result.Error
		}
	}
	s.DurationSeconds = took.Seconds()
	failed := slices.Contains(statuses, "failed") || slices.Contains(statuses, "ambiguous")
	switch {
	case failed:
		s.Status, s.Failure = Fail, firstError
	case slices.Contains(statuses, "undefined") || len(statuses) == 0:
		s.Status, s.Failure = Fail, "a step is undefined: the suite has no definition for it"
	case slices.Contains(statuses, "pending"):
		s.Status, s.Failure = Fail, "a step is pending (not implemented yet)"
	case slices.Contains(statuses, "skipped"):
		s.Status = NotApplicable
		for _, t := range s.Tags {
			if ok, why := p.Supports(t); !ok {
				s.Reason = why
				break
			}
		}
	default:
		s.Status = Pass
	}
	if w, ok := p.Waiver(s.Name, s.Tags); ok {
		switch {
		case failed:
			// Only a failure of the target can be waived: an undefined or pending step is the
			// harness's own problem and must stay visible.
			s.Status, s.Waiver = Waived, w.Reason
		case s.Status == Pass:
			s.Waiver, s.WaiverUnnecessary = w.Reason, true
		}
	}
	return s
}

// Aggregate is a requirement's status from its scenarios': it fails if any scenario fails; it
// is waived if none fails and one is waived; it passes if none fails or is waived and one
// passes; it is not applicable only when every scenario is (or it has none).
func Aggregate(statuses []Status) Status {
	switch {
	case slices.Contains(statuses, Fail):
		return Fail
	case slices.Contains(statuses, Waived):
		return Waived
	case slices.Contains(statuses, Pass):
		return Pass
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
			msg := ""
			switch s.Status {
			case Fail:
				msg = firstLine(s.Failure)
			case NotApplicable:
				msg = s.Reason
			case Waived:
				msg = "waived: " + s.Waiver + " (failure: " + firstLine(s.Failure) + ")"
			}
			q.Scenarios = append(q.Scenarios, ScenarioRef{Name: s.Name, Location: s.Location, Status: s.Status, Message: msg})
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
			statuses[i] = s.Status
		}
		q.Status = Aggregate(statuses)
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
			if s.Status == Waived && w.Matches(s.Name, s.Tags) {
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

func firstLine(s string) string {
	const max = 300
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// cucumberFeature is the part of godog's cucumber JSON the report reads.
type cucumberFeature struct {
	URI      string            `json:"uri"`
	Name     string            `json:"name"`
	Elements []cucumberElement `json:"elements"`
}

type cucumberElement struct {
	Name string `json:"name"`
	Line int    `json:"line"`
	Type string `json:"type"`
	Tags []struct {
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
