package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// JUnitFile is the name of the JUnit report in the report folder.
const JUnitFile = "junit.xml"

// The JUnit XML layout CI systems read (the Ant/Jenkins schema): one testsuite per feature, one
// testcase per scenario.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	// Text is CDATA, so that the exchange reads as it was, line by line, in the raw file.
	Text string `xml:",cdata"`
}

// WriteJUnit writes junit.xml from the report, so that CI shows the same outcomes as every
// other report:
//   - fail: <failure> whose message leads with the level, the requirement and its quote, then
//     the observed behaviour; its body adds the HTTP exchange;
//   - harness defect: <error> (the suite's own bug);
//   - not applicable, inconclusive, blocked: <skipped> with the outcome and its reason;
//   - waived: <skipped> with the waiver and the failure it covers.
func (r *Report) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: "oauthconf", Time: seconds(r.DurationSeconds)}
	var suite *junitSuite
	var suiteTime float64
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if suite == nil || suite.Name != s.Feature {
			if suite != nil {
				suite.Time = seconds(suiteTime)
			}
			doc.Suites = append(doc.Suites, junitSuite{Name: s.Feature})
			suite, suiteTime = &doc.Suites[len(doc.Suites)-1], 0
		}
		c := junitCase{ClassName: s.Feature, Name: s.Name, Time: seconds(s.DurationSeconds)}
		switch s.Outcome {
		case Fail:
			c.Failure = &junitMessage{Type: s.LevelLabel(), Message: oneLine(s.Headline()) + " | observed: " + s.Observed,
				Text: xmlSafe(s.FailureMessage())}
			suite.Failures++
		case HarnessDefect:
			c.Error = &junitMessage{Type: string(HarnessDefect), Message: "harness defect: " + s.Reason}
			suite.Errors++
		case NotApplicable, Inconclusive, Blocked:
			c.Skipped = &junitMessage{Message: outcomeLabel(s.Outcome) + ": " + s.Message()}
			suite.Skipped++
		case Waived:
			c.Skipped = &junitMessage{Message: "waived: " + s.Waiver, Text: xmlSafe(s.FailureMessage())}
			suite.Skipped++
		}
		if s.WaiverUnnecessary {
			c.SystemOut = "passed although waived (" + s.Waiver + "): the waiver is unnecessary"
		}
		if len(s.Warnings) > 0 {
			c.SystemOut = strings.TrimSpace(c.SystemOut + "\nWARNING: " + strings.Join(s.Warnings, "\nWARNING: "))
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		suiteTime += s.DurationSeconds
	}
	if suite != nil {
		suite.Time = seconds(suiteTime)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// xmlSafe drops what XML 1.0 cannot hold (control characters but tab, newline and carriage
// return; invalid UTF-8): a response body can contain anything, and CDATA is not escaped.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError:
			return '\uFFFD'
		}
		return r
	}, s)
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " / ") }

// outcomeLabel is how the reports name an outcome in a sentence.
func outcomeLabel(s Status) string {
	switch s {
	case NotApplicable:
		return "not applicable"
	case HarnessDefect:
		return "harness defect"
	}
	return string(s)
}
