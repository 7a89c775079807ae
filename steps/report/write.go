package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// JSONFile and HTMLFile are the names of the reports in the report folder.
const (
	JSONFile = "conformance.json"
	HTMLFile = "report.html"
)

// WriteJSON writes conformance.json.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

//go:embed report.html.tmpl
var htmlTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"statusLabel": statusLabel,
	"markLabel":   MarkLabel,
	"groups":      groupByRFC,
	"shortQuote":  func(q Quote) string { return q.Short(160) },
	"isImage":     func(a Attachment) bool { return strings.HasPrefix(a.MediaType, "image/") },
	"isText":      func(a Attachment) bool { return strings.HasPrefix(a.MediaType, "text/") },
	"text":        func(a Attachment) string { return string(a.Data) },
	"dataURI":     dataURI,
	"dur":         func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"secs": func(s float64) string {
		return time.Duration(s * float64(time.Second)).Round(10 * time.Millisecond).String()
	},
	"stepClass": func(s string) string {
		switch s {
		case "passed":
			return "pass"
		case "skipped":
			return "not_applicable"
		}
		return "fail"
	},
	"isExchange": func(a Attachment) bool {
		return strings.HasPrefix(a.MediaType, "text/") && strings.HasPrefix(a.Name, "http-exchange")
	},
	"hasDetail": func(s *Scenario) bool {
		for _, st := range s.Steps {
			if st.Error != "" || len(st.Attachments) > 0 {
				return true
			}
		}
		return false
	},
}).Parse(htmlTemplate))

// WriteHTML writes report.html: one file, no external assets (styles inline, screenshots as
// data: URIs), so it can be attached to a ticket.
func (r *Report) WriteHTML(w io.Writer) error {
	byID := map[string]*Scenario{}
	for i := range r.Scenarios {
		byID[r.Scenarios[i].Location] = &r.Scenarios[i]
	}
	return page.Execute(w, struct {
		*Report
		ScenarioAt map[string]*Scenario
		Causes     []Cause
		Chart      chart
		NotRun     map[string][]*Scenario
	}{r, byID, r.Causes(), rfcChart(r.Scenarios), r.byOutcome()})
}

// byOutcome lists the scenarios of each outcome that did not pass, for the lists under the
// verdict.
func (r *Report) byOutcome() map[string][]*Scenario {
	out := map[string][]*Scenario{}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.Outcome != Pass {
			out[string(s.Outcome)] = append(out[string(s.Outcome)], s)
		}
	}
	return out
}

// Cause is one distinct deviation: the failures of one requirement (or set of requirements,
// for a scenario that names several) whose observed behaviour
// reads the same once URLs, ports and random values are set aside. report.html lists each
// cause once, with the scenarios it affects, so that one bug does not read as twenty.
type Cause struct {
	// Requirement is the requirement id, or the ids separated by spaces.
	Requirement string
	Level       string
	Quotes      []Quote
	// Observed is the first scenario's observed behaviour (first line).
	Observed  string
	Scenarios []*Scenario
}

// Levels are the distinct levels of the cause's scenarios, strongest first ("product" for a
// scenario without one): the heading names every level it covers, and each scenario carries its
// own, so a SHOULD never reads as a MUST because it shares a cause with one (issue 14 item 9).
func (c Cause) Levels() []string {
	var out []string
	for _, s := range c.Scenarios {
		l := s.Level
		if l == "" {
			l = "product"
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return levelRank[b] - levelRank[a] })
	return out
}

// Causes groups the failed scenarios (not the waived) by cause: MUST causes first, then the
// causes affecting more scenarios, then by requirement.
func (r *Report) Causes() []Cause {
	var out []Cause
	index := map[string]int{}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.Outcome != Fail {
			continue
		}
		// The scenario's requirements, as its tags name them: a scenario tagged with two
		// requirements is judged against both, and its heading says so.
		req := strings.Join(s.Requirements, " ")
		key := req + "\x00" + normaliseMessage(s.Observed)
		if j, ok := index[key]; ok {
			c := &out[j]
			c.Level = stronger(c.Level, s.Level)
			c.Scenarios = append(c.Scenarios, s)
			continue
		}
		index[key] = len(out)
		out = append(out, Cause{Requirement: req, Level: s.Level, Quotes: s.Quotes, Observed: s.Observed, Scenarios: []*Scenario{s}})
	}
	slices.SortStableFunc(out, func(a, b Cause) int {
		if c := levelRank[b.Level] - levelRank[a.Level]; c != 0 {
			return c
		}
		if c := len(b.Scenarios) - len(a.Scenarios); c != 0 {
			return c
		}
		return strings.Compare(a.Requirement, b.Requirement)
	})
	return out
}

var (
	urlPattern    = regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s"'<>,;)]+`)
	randomPattern = regexp.MustCompile(`[A-Za-z0-9_\-.~+/=]{16,}`)
	portPattern   = regexp.MustCompile(`:[0-9]{2,5}\b`)
)

// normaliseMessage is a failure's first line without what differs from one scenario to the
// next for the same deviation: URLs (their ports and paths), long random values (codes,
// tokens, states), case and spacing.
func normaliseMessage(s string) string {
	s = urlPattern.ReplaceAllString(s, "<url>")
	s = randomPattern.ReplaceAllStringFunc(s, func(v string) string {
		if strings.ContainsAny(v, "0123456789") {
			return "<value>"
		}
		return v
	})
	s = portPattern.ReplaceAllString(s, ":<port>")
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// chart is the inline SVG of the scenario outcomes per RFC.
type chart struct {
	Width, Height int
	Rows          []chartRow
	Legend        []chartBar
}

type chartRow struct {
	RFC          string
	Y            int
	TextY, TextX int
	Total        int
	Bars         []chartBar
}

type chartBar struct {
	X, Width int
	Class    string
	Label    string
	Count    int
}

// chartOutcomes are the outcomes the chart shows, in bar order.
var chartOutcomes = []Status{Pass, Fail, Waived, NotApplicable, Inconclusive, Blocked, HarnessDefect}

// rfcChart counts each scenario once under every RFC its requirements name.
func rfcChart(scenarios []Scenario) chart {
	const labelW, barW, rowH, barH, top = 90, 520, 22, 16, 4
	counts := map[string]map[Status]int{}
	var rfcs []string
	for _, s := range scenarios {
		seen := map[string]bool{}
		for _, id := range s.Requirements {
			rfc := requirementTag.FindStringSubmatch(id)[1]
			if seen[rfc] {
				continue
			}
			seen[rfc] = true
			if counts[rfc] == nil {
				counts[rfc] = map[Status]int{}
				rfcs = append(rfcs, rfc)
			}
			counts[rfc][s.Outcome]++
		}
	}
	slices.SortFunc(rfcs, func(a, b string) int { return rfcNumber(a) - rfcNumber(b) })
	most := 1
	for _, rfc := range rfcs {
		n := 0
		for _, c := range counts[rfc] {
			n += c
		}
		most = max(most, n)
	}
	ch := chart{Width: labelW + barW + 50}
	for i, rfc := range rfcs {
		row := chartRow{RFC: rfc, Y: top + i*rowH, TextY: top + i*rowH + barH - 3}
		x := labelW
		for _, o := range chartOutcomes {
			n := counts[rfc][o]
			if n == 0 {
				continue
			}
			w := max(2, n*barW/most)
			row.Bars = append(row.Bars, chartBar{X: x, Width: w, Class: string(o), Label: statusLabel(o), Count: n})
			x += w
			row.Total += n
		}
		row.TextX = x + 6
		ch.Rows = append(ch.Rows, row)
	}
	ch.Height = top + len(rfcs)*rowH + 4
	for _, o := range chartOutcomes {
		ch.Legend = append(ch.Legend, chartBar{Class: string(o), Label: statusLabel(o)})
	}
	return ch
}

// WriteFiles writes conformance.json, junit.xml and report.html into dir and returns their paths.
func (r *Report) WriteFiles(dir string) ([]string, error) {
	var out []string
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{JSONFile, r.WriteJSON}, {JUnitFile, r.WriteJUnit}, {HTMLFile, r.WriteHTML}} {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			return out, fmt.Errorf("writing %s: %w", f.name, err)
		}
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return out, fmt.Errorf("writing %s: %w", f.name, err)
		}
		out = append(out, path)
	}
	return out, nil
}

func statusLabel(s Status) string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "FAIL"
	case NotApplicable:
		return "n/a"
	case Waived:
		return "waived"
	case HarnessDefect:
		return "DEFECT"
	}
	return string(s)
}

// rfcGroup is the requirements of one RFC, for the matrix.
type rfcGroup struct {
	RFC          string
	Requirements []Requirement
}

func groupByRFC(reqs []Requirement) []rfcGroup {
	var out []rfcGroup
	for _, q := range reqs {
		if len(out) == 0 || out[len(out)-1].RFC != q.RFC {
			out = append(out, rfcGroup{RFC: q.RFC})
		}
		g := &out[len(out)-1]
		g.Requirements = append(g.Requirements, q)
	}
	return out
}

// dataURI embeds an image. The bytes are re-encoded here, so the URI holds nothing but the
// media type and base64 text, which is why it may be marked safe for the template.
func dataURI(a Attachment) template.URL {
	mt := a.MediaType
	switch mt {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		mt = "application/octet-stream"
	}
	return template.URL("data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(a.Data))
}
