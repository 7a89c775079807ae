// Package verdict is how a scenario ends when it cannot honestly end in pass or fail.
//
// A FAIL is a public claim that the target breaks an RFC sentence, so only an observed behaviour
// that contradicts the sentence a scenario quotes may fail it. Everything else ends in one of:
//
//   - not applicable: the target lacks a capability, or its profile lacks data the scenario
//     needs (say which);
//   - inconclusive: the suite could not observe what it needs (a browser error, no answer, a page
//     it could not recognise: say what);
//   - blocked: a prerequisite did not hold (a setup step failed: name it), so the rule under test
//     was never exercised.
//
// A step returns one of these with NotApplicable, Inconclusive or Blocked. The error wraps
// godog.ErrSkip, so godog records the step and the rest of the scenario as skipped; the World's
// after-step hook calls Classify on every failed step and attaches the resulting Record (media
// type MediaType) to the step, and the report reads the outcome from that attachment. Classify is
// also where a failed setup step becomes blocked and a failed optional (@MAY) check becomes not
// applicable, so the cucumber JSON, junit.xml, conformance.json, report.html and the console all
// show the same outcome.
package verdict

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"
)

// Outcome of a scenario.
type Outcome string

const (
	OutcomePass          Outcome = "pass"
	OutcomeFail          Outcome = "fail"
	OutcomeNotApplicable Outcome = "not_applicable"
	OutcomeInconclusive  Outcome = "inconclusive"
	OutcomeBlocked       Outcome = "blocked"
	// OutcomeWaived is a failure the target's profile accepts with a written reason; never a pass.
	OutcomeWaived Outcome = "waived"
	// OutcomeHarnessDefect is the suite's own bug, not a judgement of the target: an undefined
	// or pending step, or a scenario without steps. It is never waived and always fails the run.
	OutcomeHarnessDefect Outcome = "harness_defect"
)

// MediaType marks the attachment that records a Record on the step that reached it.
const MediaType = "application/vnd.oauthconf.verdict+json"

// Error ends a scenario without judging the target. It wraps godog.ErrSkip.
type Error struct {
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason"`
	// BlockedBy names the prerequisite that did not hold (a requirement id such as
	// "RFC6749-4.1.2", or the setup step's text), for Blocked only.
	BlockedBy string `json:"blocked_by,omitempty"`
}

func (e *Error) Error() string {
	switch e.Outcome {
	case OutcomeBlocked:
		return fmt.Sprintf("blocked by %s: %s", e.BlockedBy, e.Reason)
	case OutcomeInconclusive:
		return "inconclusive: " + e.Reason
	default:
		return "not applicable: " + e.Reason
	}
}

// Unwrap makes godog skip the step and the rest of the scenario.
func (e *Error) Unwrap() error { return godog.ErrSkip }

// NotApplicable: the target lacks a capability, or the profile lacks data the scenario needs.
// The reason names the capability or the profile field ("the profile has no scopes.not_allowed").
func NotApplicable(format string, args ...any) error {
	return &Error{Outcome: OutcomeNotApplicable, Reason: fmt.Sprintf(format, args...)}
}

// Inconclusive: the suite could not observe what it needs. The reason says what.
func Inconclusive(format string, args ...any) error {
	return &Error{Outcome: OutcomeInconclusive, Reason: fmt.Sprintf(format, args...)}
}

// Blocked: the prerequisite by (a requirement id or a setup step) did not hold.
func Blocked(by, format string, args ...any) error {
	return &Error{Outcome: OutcomeBlocked, BlockedBy: by, Reason: fmt.Sprintf(format, args...)}
}

// SuiteTrouble marks an error as the suite's own trouble (the browser crashed, Chromium refused
// a port, the callback listener could not bind): Classify makes it inconclusive, never a fail.
func SuiteTrouble(err error) error {
	if err == nil {
		return nil
	}
	return &suiteTrouble{err}
}

type suiteTrouble struct{ err error }

func (s *suiteTrouble) Error() string { return s.err.Error() }
func (s *suiteTrouble) Unwrap() error { return s.err }

// IsSuiteTrouble reports whether err was marked by SuiteTrouble.
func IsSuiteTrouble(err error) bool {
	var st *suiteTrouble
	return errors.As(err, &st)
}

// Record is what the verdict attachment holds.
type Record struct {
	Outcome   Outcome `json:"outcome"`
	Reason    string  `json:"reason"`
	BlockedBy string  `json:"blocked_by,omitempty"`
	// Step is the text of the step that reached the verdict.
	Step string `json:"step,omitempty"`
}

// Marshal is the attachment body.
func (r Record) Marshal() []byte {
	b, _ := json.Marshal(r)
	return b
}

// ParseRecord reads an attachment body written by Marshal.
func ParseRecord(b []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("verdict attachment: %w", err)
	}
	switch r.Outcome {
	case OutcomeNotApplicable, OutcomeInconclusive, OutcomeBlocked:
		return r, nil
	}
	return r, fmt.Errorf("verdict attachment: unknown outcome %q", r.Outcome)
}

// Classify decides what a step's error means for the scenario. It returns nil when err stands
// as a failure of the target, and otherwise the *Error that replaces it:
//
//   - an *Error from the step stands as it is;
//   - SuiteTrouble is inconclusive;
//   - a failed setup step (Given, and the And/But after it) blocks the scenario: the rule under
//     test was never exercised;
//   - a failed action (When) is inconclusive: the action could not be completed, which no RFC
//     sentence the scenario quotes is about (assertions belong in Then steps);
//   - a failed check (Then) of an optional behaviour (level MAY) is not applicable: the RFC lets
//     the server choose;
//   - any other failed check is a failure, at the scenario's level.
//
// level is the scenario's strongest level tag without "@" (MUST, SHOULD, MAY or "").
func Classify(step *godog.Step, level string, err error) *Error {
	if err == nil {
		return nil
	}
	var v *Error
	if errors.As(err, &v) {
		return v
	}
	if errors.Is(err, godog.ErrSkip) || errors.Is(err, godog.ErrPending) || errors.Is(err, godog.ErrUndefined) {
		return nil
	}
	msg := FirstLine(err.Error())
	if IsSuiteTrouble(err) {
		return &Error{Outcome: OutcomeInconclusive, Reason: "the suite could not observe the target: " + msg}
	}
	kind := messages.PickleStepType_UNKNOWN
	text := ""
	if step != nil {
		kind, text = step.Type, step.Text
	}
	switch kind {
	case messages.PickleStepType_CONTEXT:
		return &Error{Outcome: OutcomeBlocked, BlockedBy: fmt.Sprintf("the setup step %q", text), Reason: msg}
	case messages.PickleStepType_ACTION:
		return &Error{Outcome: OutcomeInconclusive, Reason: fmt.Sprintf("the action %q could not be completed: %s", text, msg)}
	}
	if level == "MAY" {
		return &Error{Outcome: OutcomeNotApplicable, Reason: "optional behaviour (MAY) the target does not offer: " + msg}
	}
	return nil
}

// FirstLine is the first line of s, cut to fit a summary line.
func FirstLine(s string) string {
	const max = 300
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
