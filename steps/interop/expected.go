package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The report's outcomes that are failures of the server: a fail, and a fail the profile
// waives (still the server's failure).
const (
	statusFail   = "fail"
	statusWaived = "waived"
)

// Expected is fixtures/interop/<server>.expected.yaml: every requirement the server is known
// to fail, each read by a person against the RFC text. A run of the suite against the server
// must fail exactly these scenarios.
type Expected struct {
	// Server names the server and the version the file was checked against.
	Server string         `yaml:"server"`
	Fails  []ExpectedFail `yaml:"fails"`
}

// ExpectedFail is one scenario the server fails, with the sentence it contradicts and the
// evidence, so that the file alone tells a reader what the server does wrong.
type ExpectedFail struct {
	// Scenario is the scenario's name as the features write it (an outline row's name
	// included). It is the key: locations move when the features change, names rarely do.
	Scenario string `yaml:"scenario"`
	// Requirement is the requirement tag without '@' (RFC6749-4.1.2), Level its level.
	Requirement string `yaml:"requirement"`
	Level       string `yaml:"level"`
	// RFC is the sentence the server contradicts, quoted verbatim.
	RFC string `yaml:"rfc"`
	// Evidence is the request and the response that show it, shortened.
	Evidence string `yaml:"evidence"`
	// Reading says why this is the server's deviation and not the suite's strictness.
	Reading string `yaml:"reading,omitempty"`
	// TimingDependent marks a deviation that shows only when requests meet in time (a race):
	// a run in which the scenario passes does not make the entry stale.
	TimingDependent bool `yaml:"timing_dependent,omitempty"`
}

// LoadExpected reads an expected file. A missing file is an empty list: the server is
// expected to pass everything that applies.
func LoadExpected(path string) (*Expected, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &Expected{}, nil
	}
	if err != nil {
		return nil, err
	}
	var e Expected
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, f := range e.Fails {
		switch {
		case f.Scenario == "":
			return nil, fmt.Errorf("%s: fails[%d] has no scenario", path, i)
		case seen[f.Scenario]:
			return nil, fmt.Errorf("%s: fails[%d]: scenario %q is listed twice", path, i, f.Scenario)
		case f.RFC == "" || f.Evidence == "":
			return nil, fmt.Errorf("%s: fails[%d] (%s): rfc and evidence are required: a listed failure must say what it contradicts and show it", path, i, f.Scenario)
		}
		seen[f.Scenario] = true
	}
	return &e, nil
}

// Outcome is what a run said about one scenario.
type Outcome struct {
	Name     string
	Location string
	// Status is the report's: pass, fail, not_applicable, inconclusive, blocked, waived.
	Status       string
	Requirements []string
	Level        string
	// Message is the failure (or the reason of another outcome), Description the scenario's
	// description (its RFC quote).
	Message     string
	Description string
}

// Outcomes reads the scenarios of a run from its conformance.json, with their descriptions
// (the RFC quotes) from the run's cucumber JSON when the report carries no quotes. It reads the
// JSON rather than report.Report so that it accepts both layouts of the report: schema v1
// ("status") and v2 ("outcome", "quotes", "observed").
func Outcomes(conformanceJSON, cucumberJSON []byte) ([]Outcome, error) {
	var rep struct {
		Scenarios []struct {
			Name         string   `json:"name"`
			Location     string   `json:"location"`
			Status       string   `json:"status"`  // v1
			Outcome      string   `json:"outcome"` // v2
			Requirements []string `json:"requirements"`
			Level        string   `json:"level"`
			Failure      string   `json:"failure"`
			Reason       string   `json:"reason"`
			Quotes       []struct {
				RFC     string `json:"rfc"`
				Section string `json:"section"`
				Text    string `json:"text"`
			} `json:"quotes"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(conformanceJSON, &rep); err != nil {
		return nil, fmt.Errorf("conformance.json: %w", err)
	}
	desc := descriptions(cucumberJSON)
	out := make([]Outcome, 0, len(rep.Scenarios))
	for _, s := range rep.Scenarios {
		o := Outcome{Name: s.Name, Location: s.Location, Status: s.Outcome, Requirements: s.Requirements,
			Level: s.Level, Message: s.Failure, Description: desc[s.Name]}
		if o.Status == "" {
			o.Status = s.Status
		}
		if o.Message == "" {
			o.Message = s.Reason
		}
		if len(s.Quotes) > 0 {
			var qs []string
			for _, q := range s.Quotes {
				qs = append(qs, fmt.Sprintf("RFC %s %s: %q", strings.TrimPrefix(q.RFC, "RFC"), q.Section, q.Text))
			}
			o.Description = strings.Join(qs, "\n")
		}
		out = append(out, o)
	}
	return out, nil
}

// descriptions maps scenario names to their descriptions in godog's cucumber JSON.
func descriptions(cucumberJSON []byte) map[string]string {
	var feats []struct {
		Elements []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"elements"`
	}
	m := map[string]string{}
	if json.Unmarshal(cucumberJSON, &feats) != nil {
		return m
	}
	for _, f := range feats {
		for _, e := range f.Elements {
			if d := strings.TrimSpace(e.Description); d != "" {
				m[e.Name] = d
			}
		}
	}
	return m
}

// Diff is how a run differs from the expected file.
type Diff struct {
	// Unexpected failed but are not listed: a new deviation of the server, or the suite's
	// mistake. Either way a person reads it.
	Unexpected []Outcome
	// NoLonger are listed but did not fail this time (passed, or ended another way): the
	// entry goes, or the scenario lost its judgement. Got is what happened (Status "" when
	// the scenario did not run at all: renamed or removed).
	NoLonger []Changed
}

// Changed is an expected failure and what the run said instead.
type Changed struct {
	Expected ExpectedFail
	Got      Outcome
}

// Empty reports whether the run matched the expected file.
func (d Diff) Empty() bool { return len(d.Unexpected) == 0 && len(d.NoLonger) == 0 }

// Compare holds a run's outcomes against the expected failures. It is the one place that
// decides what counts as a failure: the report's "fail" status (a waived failure is still a
// failure of the server, so it counts too).
func Compare(exp *Expected, got []Outcome) Diff {
	failed := func(o Outcome) bool { return o.Status == statusFail || o.Status == statusWaived }
	byName := map[string]Outcome{}
	for _, o := range got {
		byName[o.Name] = o
	}
	listed := map[string]bool{}
	var d Diff
	for _, f := range exp.Fails {
		listed[f.Scenario] = true
		o, ok := byName[f.Scenario]
		switch {
		case ok && failed(o):
		case ok && f.TimingDependent && o.Status == "pass":
			// The race was not hit this time; that proves nothing.
		default:
			d.NoLonger = append(d.NoLonger, Changed{Expected: f, Got: o})
		}
	}
	for _, o := range got {
		if failed(o) && !listed[o.Name] {
			d.Unexpected = append(d.Unexpected, o)
		}
	}
	slices.SortFunc(d.Unexpected, func(a, b Outcome) int { return strings.Compare(a.Location, b.Location) })
	return d
}

// Explain is the diff for a person: what changed and which file to edit.
func (d Diff) Explain(expectedPath string) string {
	var b strings.Builder
	for _, o := range d.Unexpected {
		fmt.Fprintf(&b, "UNEXPECTED FAIL %s %q [%s]\n    %s\n", o.Location, o.Name,
			strings.Join(o.Requirements, " "), observed(o.Message))
	}
	for _, c := range d.NoLonger {
		got := "did not run (renamed or removed?)"
		if c.Got.Status != "" {
			got = c.Got.Status
			if m := observed(c.Got.Message); m != "" {
				got += ": " + m
			}
		}
		fmt.Fprintf(&b, "NO LONGER FAILS %q (listed in %s): %s\n", c.Expected.Scenario, expectedPath, got)
	}
	if !d.Empty() {
		fmt.Fprintf(&b, "Read each against the RFC. A real deviation goes into %s (rfc, evidence, reading);\n"+
			"a fail that is the suite's mistake is fixed in the suite; an entry that no longer fails is removed.\n"+
			"OAUTHCONF_INTEROP=1 go test ./steps/interop -run 'TestInterop/NAME' -update writes a draft from the run to start from.\n", expectedPath)
	}
	return b.String()
}

// Draft is an expected file written from a run's failures: a starting point for a person,
// who keeps only the real deviations and writes each one's reading. Never the truth as is.
func Draft(server string, got []Outcome) *Expected {
	e := &Expected{Server: server}
	for _, o := range got {
		if o.Status != statusFail && o.Status != statusWaived {
			continue
		}
		quote := o.Description
		if quote == "" {
			quote = "TODO: the scenario quotes no RFC sentence; quote the one the server contradicts"
		}
		e.Fails = append(e.Fails, ExpectedFail{
			Scenario:    o.Name,
			Requirement: strings.Join(o.Requirements, " "),
			Level:       o.Level,
			RFC:         quote,
			Evidence:    shorten(o.Message),
			Reading:     "DRAFT (" + o.Location + "): read against the RFC; keep only a real deviation of the server",
		})
	}
	return e
}

// Write writes the file with a header comment.
func (e *Expected) Write(path, header string) error {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString("# " + l + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(e); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// shorten keeps the first lines of a failure message, each cut to a readable width: the
// evidence is the request and the response, not every header.
func shorten(s string) string {
	const maxLines, maxWidth = 24, 220
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if !noise(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], "[...]")
	}
	for i, l := range lines {
		l = strings.TrimRight(runSpecific.ReplaceAllString(l, "${1}PORT"), " \t\r")
		if len(l) > maxWidth {
			l = l[:maxWidth] + " [...]"
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// runSpecific matches the parts of an exchange that change with every run: the loopback
// ports (plain or percent-encoded in a redirect_uri). They are written PORT, so that a
// draft's evidence does not change from run to run.
var runSpecific = regexp.MustCompile(`((?:localhost|127\.0\.0\.1)(?::|%3A))\d+`)

// noise is a response header line that says nothing about the judgement.
func noise(line string) bool {
	for _, h := range []string{"Date:", "Etag:", "Keep-Alive:", "Connection:", "Content-Length:",
		"Access-Control-", "X-Request-Id:", "Vary:", "X-Content-Type-Options:"} {
		if strings.HasPrefix(line, "< "+h) {
			return true
		}
	}
	return false
}

// observed is the line of a failure that says what the server did: the report's "observed:"
// line when the failure leads with its quotes (conformance.json v2), else the first line.
func observed(msg string) string {
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, "observed: ") {
			return firstLine(l)
		}
	}
	return firstLine(msg)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 240 {
		s = s[:240] + "..."
	}
	return s
}
