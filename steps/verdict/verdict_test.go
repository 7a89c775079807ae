package verdict

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"
)

func step(kind messages.PickleStepType, text string) *godog.Step {
	return &godog.Step{Type: kind, Text: text}
}

func TestClassify(t *testing.T) {
	fail := errors.New("expected 400, got 200\n--- HTTP exchange ---")
	for _, c := range []struct {
		name  string
		step  *godog.Step
		level string
		err   error
		want  Outcome // "" means: a failure of the target
		has   string
	}{
		{"then at MUST", step(messages.PickleStepType_OUTCOME, "the token endpoint refuses"), "MUST", fail, "", ""},
		{"then at SHOULD", step(messages.PickleStepType_OUTCOME, "x"), "SHOULD", fail, "", ""},
		{"then at MAY", step(messages.PickleStepType_OUTCOME, "x"), "MAY", fail, OutcomeNotApplicable, "optional behaviour (MAY)"},
		{"given", step(messages.PickleStepType_CONTEXT, "the client has a code"), "MUST", fail, OutcomeBlocked, "expected 400, got 200"},
		{"when", step(messages.PickleStepType_ACTION, "the client redeems it"), "MUST", fail, OutcomeInconclusive, `the action "the client redeems it"`},
		{"suite trouble in a then", step(messages.PickleStepType_OUTCOME, "x"), "MUST", SuiteTrouble(fail), OutcomeInconclusive, "could not observe"},
		{"verdict error stands", step(messages.PickleStepType_OUTCOME, "x"), "MUST", fmt.Errorf("wrapped: %w", Blocked("RFC6749-4.1.2", "no code")), OutcomeBlocked, ""},
		{"undefined is not judged here", step(messages.PickleStepType_OUTCOME, "x"), "MUST", godog.ErrUndefined, "", ""},
	} {
		got := Classify(c.step, c.level, c.err)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("%s: Classify = %+v, want a failure of the target (nil)", c.name, got)
		case c.want != "" && (got == nil || got.Outcome != c.want || !strings.Contains(got.Reason, c.has)):
			t.Errorf("%s: Classify = %+v, want %s with %q", c.name, got, c.want, c.has)
		}
	}
	if got := Classify(step(messages.PickleStepType_CONTEXT, "the client has a code"), "MUST", fail); got.BlockedBy != `the setup step "the client has a code"` || strings.Contains(got.Reason, "\n") {
		t.Errorf("blocked = %+v", got)
	}
}

func TestErrorsSkipAndRecordRoundTrip(t *testing.T) {
	for _, err := range []error{NotApplicable("no %s", "scopes.not_allowed"), Inconclusive("no answer"), Blocked("RFC6749-4.1.2", "no code")} {
		if !errors.Is(err, godog.ErrSkip) {
			t.Errorf("%v does not wrap godog.ErrSkip", err)
		}
		var v *Error
		errors.As(err, &v)
		rec := Record{Outcome: v.Outcome, Reason: v.Reason, BlockedBy: v.BlockedBy, Step: "s"}
		back, perr := ParseRecord(rec.Marshal())
		if perr != nil || back != rec {
			t.Errorf("round trip of %+v: %+v, %v", rec, back, perr)
		}
	}
	if _, err := ParseRecord([]byte(`{"outcome":"pass"}`)); err == nil {
		t.Error("a record may not claim a pass")
	}
	if _, err := ParseRecord([]byte(`{`)); err == nil {
		t.Error("malformed record accepted")
	}
}
