package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// cucumberFeature is the part of godog's cucumber JSON the summary needs.
type cucumberFeature struct {
	URI      string `json:"uri"`
	Elements []struct {
		Name  string        `json:"name"`
		Line  int           `json:"line"`
		Type  string        `json:"type"`
		Tags  []cucumberTag `json:"tags"`
		Steps []struct {
			Result struct {
				Status   string `json:"status"`
				Error    string `json:"error_message"`
				Duration int64  `json:"duration"` // nanoseconds
			} `json:"result"`
		} `json:"steps"`
	} `json:"elements"`
}

type cucumberTag struct {
	Name string `json:"name"`
}

// countResults reads the cucumber report godog wrote and counts scenarios by outcome, so that
// the summary and the exit code agree with the report exactly.
// reason says why a scenario with these tags does not apply to the target ("" when it does).
// waiver finds the profile's waiver covering a scenario, if any.
func countResults(path string, r *Result, reason func(tags []string) string,
	waiver func(scenario string, tags []string) (profile.Waiver, bool)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the cucumber report: %w", err)
	}
	var feats []cucumberFeature
	if err := json.Unmarshal(data, &feats); err != nil {
		return fmt.Errorf("the cucumber report %s is not valid JSON: %w", path, err)
	}
	var browserTimes []time.Duration
	for _, f := range feats {
		for _, e := range f.Elements {
			if e.Type != "scenario" {
				continue
			}
			statuses := map[string]bool{}
			firstError := ""
			var took time.Duration
			for _, s := range e.Steps {
				took += time.Duration(s.Result.Duration)
				statuses[s.Result.Status] = true
				if firstError == "" && s.Result.Error != "" {
					firstError = s.Result.Error
				}
			}
			where := fmt.Sprintf("%s:%d %s", f.URI, e.Line, e.Name)
			tags := make([]string, len(e.Tags))
			for i, t := range e.Tags {
				tags[i] = t.Name
			}
			w, waived := waiver(e.Name, tags)
			switch {
			case (statuses["failed"] || statuses["ambiguous"]) && waived:
				// A failure of the target the profile accepts: reported, never counted as passed.
				r.Waived++
				r.WaivedScenarios = append(r.WaivedScenarios, fmt.Sprintf("WAIVED     %s: %s (waiver of %s: %s)",
					where, firstLine(firstError), w.Describe(), w.Reason))
			case statuses["failed"] || statuses["ambiguous"]:
				r.Failed++
				r.FailedScenarios = append(r.FailedScenarios, fmt.Sprintf("FAILED     %s: %s", where, firstLine(firstError)))
			case statuses["undefined"]:
				r.Undefined++
				r.FailedScenarios = append(r.FailedScenarios, "UNDEFINED  "+where)
			case statuses["pending"]:
				r.Pending++
				r.FailedScenarios = append(r.FailedScenarios, "PENDING    "+where)
			case statuses["skipped"]:
				r.Skipped++
				line := where
				if why := reason(tags); why != "" {
					line += ": " + why
				}
				r.NotApplicable = append(r.NotApplicable, line)
			case len(e.Steps) == 0:
				// godog counts a scenario without steps as undefined.
				r.Undefined++
				r.FailedScenarios = append(r.FailedScenarios, "UNDEFINED  "+where+" (no steps)")
			default:
				r.Passed++
				if waived {
					r.UnnecessaryWaivers = append(r.UnnecessaryWaivers, fmt.Sprintf("%s (waiver of %s)", where, w.Describe()))
				}
				if slices.Contains(e.Tags, cucumberTag{Name: "@browser"}) {
					browserTimes = append(browserTimes, took)
				}
			}
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
	return nil
}

// firstLine is the first line of an error message, cut to a length that fits a summary line.
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
