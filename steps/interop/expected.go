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
	// Step is the step that decided the FAIL, as the report names it (conformance.json
	// "step"), and Observed the start of what it observed ("observed", the failure's first
	// line), with the run's loopback ports written PORT and "[...]" standing for any text
	// (a random id, a token). Together with the scenario they are the key: a scenario that
	// still fails, but at another step or for another reason, is a different claim about the
	// server and is reported (REASON CHANGED), not matched by its name alone.
	Step     string `yaml:"step"`
	Observed string `yaml:"observed"`
	// Evidence is the request and the response that show it, shortened.
	Evidence string `yaml:"evidence"`
	// Reading says why this is the server's deviation and not the suite's strictness.
	Reading string `yaml:"reading,omitempty"`
	// SuiteMistake, when set, says that this FAIL is the suite's own doing, not a deviation
	// of the server, and names the shared step that causes it (and the issue that fixes it).
	// Such an entry keeps the bed green while the fix is under way, and says so in the file;
	// when the fix lands the FAIL goes, and Compare names the entry NO LONGER FAILS (a fixed
	// suite mistake: remove it). Never set for a deviation of the server.
	SuiteMistake string `yaml:"suite_mistake,omitempty"`
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
	e, err := decodeExpected(path, data)
	if err != nil {
		return nil, err
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
		case f.Step == "" || strings.TrimSpace(strings.ReplaceAll(f.Observed, wildcard, "")) == "":
			return nil, fmt.Errorf("%s: fails[%d] (%s): step and observed are required (the failing step and the start of its observed text, from the run's conformance.json): a failure is matched by what failed, not by its scenario's name alone", path, i, f.Scenario)
		}
		seen[f.Scenario] = true
	}
	return e, nil
}

// loadUnchecked reads an expected file without requiring what every entry must have: for
// -update, which rewrites a file of an older layout from a run.
func loadUnchecked(path string) (*Expected, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeExpected(path, data)
}

func decodeExpected(path string, data []byte) (*Expected, error) {
	var e Expected
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
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
	// Step is the step that decided the outcome, Observed the failure's first line (report
	// schema v2; for v1, the first line of Message).
	Step     string
	Observed string
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
			Step         string   `json:"step"`
			Observed     string   `json:"observed"`
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
			Level: s.Level, Message: s.Failure, Description: desc[s.Name], Step: s.Step, Observed: s.Observed}
		if o.Status == "" {
			o.Status = s.Status
		}
		if o.Message == "" {
			o.Message = s.Reason
		}
		if o.Observed == "" && s.Failure != "" {
			o.Observed = observed(s.Failure)
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
	// Reason are listed and still fail, but at another step or with another observation than
	// the entry's: the claim about the server changed, and a person reads it again.
	Reason []Changed
}

// Changed is an expected failure and what the run said instead.
type Changed struct {
	Expected ExpectedFail
	Got      Outcome
}

// Empty reports whether the run matched the expected file.
func (d Diff) Empty() bool {
	return len(d.Unexpected) == 0 && len(d.NoLonger) == 0 && len(d.Reason) == 0
}

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
		case ok && failed(o) && !f.Matches(o):
			d.Reason = append(d.Reason, Changed{Expected: f, Got: o})
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

// wildcard in an entry's observed text stands for any text: the parts of an observation that
// change from run to run (ids, tokens, timestamps). It is what shorten writes for a cut, too.
const wildcard = "[...]"

// SuiteMistakes are the entries a run still fails that the file marks as the suite's own doing.
func (e *Expected) SuiteMistakes(got []Outcome) []ExpectedFail {
	failed := map[string]bool{}
	for _, o := range got {
		failed[o.Name] = o.Status == statusFail || o.Status == statusWaived
	}
	var out []ExpectedFail
	for _, f := range e.Fails {
		if f.SuiteMistake != "" && failed[f.Scenario] {
			out = append(out, f)
		}
	}
	return out
}

// Matches reports whether a failure is the one the entry records: the same deciding step, and
// an observation that starts with the entry's (ports written PORT; "[...]" matches any text).
// The ends of both are trimmed of spaces, since YAML folds them.
func (f ExpectedFail) Matches(o Outcome) bool {
	if strings.TrimSpace(f.Step) != strings.TrimSpace(o.Step) {
		return false
	}
	return observedMatches(strings.TrimSpace(f.Observed), normalize(o.Observed))
}

// observedMatches reports whether text starts with pattern, "[...]" in pattern matching any
// run of characters (the shortest that lets the rest match in order).
func observedMatches(pattern, text string) bool {
	parts := strings.Split(pattern, wildcard)
	if !strings.HasPrefix(text, parts[0]) {
		return false
	}
	text = text[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(text, p)
		if i < 0 {
			return false
		}
		text = text[i+len(p):]
	}
	return true
}

// normalize is an observation with the run's loopback ports written PORT.
func normalize(s string) string {
	return strings.TrimSpace(runSpecific.ReplaceAllString(s, "${1}PORT"))
}

// randomValue matches the candidates for what a draft's observed text cannot keep: UUIDs and
// long random-looking words (ids, codes, tokens); draftObserved replaces those of 16 characters
// or more that mix letters and digits.
var randomValue = regexp.MustCompile(`[A-Za-z0-9_~-]{16,}`)

// draftObserved is the start of an observation for a draft entry: ports written PORT, each
// random-looking value "[...]", cut at 160 characters (the entry is a prefix).
func draftObserved(s string) string {
	s = normalize(s)
	s = randomValue.ReplaceAllStringFunc(s, func(w string) string {
		if !strings.ContainsAny(w, "0123456789") || strings.Trim(w, "0123456789_~-") == "" {
			return w
		}
		return wildcard
	})
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160])
		// A cut inside "[...]" would leave a pattern that no longer matches.
		if i := strings.LastIndex(s, "["); i >= 0 && !strings.Contains(s[i:], "]") {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}

// Explain is the diff for a person: what changed and which file to edit.
func (d Diff) Explain(expectedPath string) string {
	var b strings.Builder
	for _, o := range d.Unexpected {
		fmt.Fprintf(&b, "UNEXPECTED FAIL %s %q [%s]\n    %s\n", o.Location, o.Name,
			strings.Join(o.Requirements, " "), observed(o.Message))
	}
	for _, c := range d.NoLonger {
		if c.Expected.SuiteMistake != "" {
			fmt.Fprintf(&b, "NO LONGER FAILS %q (listed in %s as the suite's mistake: %s): fixed, remove the entry\n",
				c.Expected.Scenario, expectedPath, c.Expected.SuiteMistake)
			continue
		}
		got := "did not run (renamed or removed?)"
		if c.Got.Status != "" {
			got = c.Got.Status
			if m := observed(c.Got.Message); m != "" {
				got += ": " + m
			}
		}
		fmt.Fprintf(&b, "NO LONGER FAILS %q (listed in %s): %s\n", c.Expected.Scenario, expectedPath, got)
	}
	for _, c := range d.Reason {
		fmt.Fprintf(&b, "REASON CHANGED %s %q (listed in %s): still fails, but\n    listed: step %q, observed %q\n    now:    step %q, observed %q\n",
			c.Got.Location, c.Expected.Scenario, expectedPath, c.Expected.Step, c.Expected.Observed, c.Got.Step, firstLine(normalize(c.Got.Observed)))
	}
	if !d.Empty() {
		fmt.Fprintf(&b, "Read each against the RFC. A real deviation goes into %s (rfc, evidence, reading);\n"+
			"a fail that is the suite's mistake is fixed in the suite; an entry that no longer fails is removed;\n"+
			"an entry whose reason changed is read again and its step/observed (and evidence) updated.\n"+
			"OAUTHCONF_INTEROP=1 go test ./steps/interop -run 'TestInterop/NAME' -update writes a draft from the run to start from.\n", expectedPath)
	}
	return b.String()
}

// Draft is an expected file written from a run's failures: a starting point for a person,
// who keeps only the real deviations and writes each one's reading. Never the truth as is.
// The entries of prev (the checked-in file, may be nil) that the run still fails are kept as
// they are, readings and all; one that fails at another step or for another reason keeps its
// reading behind a REASON CHANGED marker and takes the run's step, observation and evidence.
// Entries the run no longer fails are left out (Compare's NO LONGER FAILS names them), but a
// timing-dependent one whose race was not hit this time is kept.
func Draft(server string, got []Outcome, prev *Expected) *Expected {
	e := &Expected{Server: server}
	listed := map[string]ExpectedFail{}
	if prev != nil {
		for _, f := range prev.Fails {
			listed[f.Scenario] = f
		}
	}
	for _, o := range got {
		if o.Status != statusFail && o.Status != statusWaived {
			continue
		}
		if f, ok := listed[o.Name]; ok {
			delete(listed, o.Name)
			switch {
			case f.Step == "":
				// A file of the older layout: the entry gains the run's step and observation.
				f.Step, f.Observed = o.Step, draftObserved(o.Observed)
			case !f.Matches(o):
				f.Reading = fmt.Sprintf("REASON CHANGED (%s; was step %q, observed %q): read again. %s",
					o.Location, f.Step, f.Observed, f.Reading)
				f.Step, f.Observed, f.Evidence = o.Step, draftObserved(o.Observed), shorten(o.Message)
			}
			e.Fails = append(e.Fails, f)
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
			Step:        o.Step,
			Observed:    draftObserved(o.Observed),
			Evidence:    shorten(o.Message),
			Reading:     "DRAFT (" + o.Location + "): read against the RFC; keep only a real deviation of the server",
		})
	}
	// A race that was not hit this time stays listed, as Compare keeps it.
	if prev != nil {
		for _, f := range prev.Fails {
			if _, ok := listed[f.Scenario]; ok && f.TimingDependent {
				for _, o := range got {
					if o.Name == f.Scenario && o.Status == "pass" {
						e.Fails = append(e.Fails, f)
					}
				}
			}
		}
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
