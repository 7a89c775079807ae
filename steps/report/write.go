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
	"groups":      groupByRFC,
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
	}{r, byID})
}

// WriteFiles writes conformance.json and report.html into dir and returns their paths.
func (r *Report) WriteFiles(dir string) ([]string, error) {
	var out []string
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{JSONFile, r.WriteJSON}, {HTMLFile, r.WriteHTML}} {
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
