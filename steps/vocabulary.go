package steps

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	messages "github.com/cucumber/messages/go/v34"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// stepRecorder collects the step expressions register defines, without a scenario to run.
type stepRecorder struct{ exprs []*regexp.Regexp }

func (r *stepRecorder) Step(expr, _ interface{}) {
	r.exprs = append(r.exprs, regexp.MustCompile(expr.(string)))
}

// modifierSteps are the step expressions that end in request modifiers (modsRe, their last group).
var modifierSteps = sync.OnceValue(func() []*regexp.Regexp {
	rec := &stepRecorder{}
	(&World{}).register(rec)
	var out []*regexp.Regexp
	for _, re := range rec.exprs {
		if strings.HasSuffix(re.String(), modsRe+`$`) {
			out = append(out, re)
		}
	}
	return out
})

// stepModifiers returns the modifiers a step's text ends with, as written.
func stepModifiers(text string) []string {
	for _, re := range modifierSteps() {
		if m := re.FindStringSubmatch(text); m != nil {
			return splitMods(m[len(m)-1])
		}
	}
	return nil
}

// VocabularyProblems lists every tag and request modifier of the scenarios that is in none of
// the suite's tables (steps/profile/vocab.go, steps/modifiers.go), one line each naming the
// scenario and the word. The runner refuses to run features with any: a misspelt capability
// would run as supported, a misspelt modifier would end inconclusive against the target.
func VocabularyProblems(pickles []*messages.Pickle) []string {
	var out []string
	seen := map[string]bool{}
	add := func(p *messages.Pickle, err error) {
		line := fmt.Sprintf("%s: scenario %q: %v", p.Uri, p.Name, err)
		if !seen[line] { // an outline's rows repeat their scenario's words
			seen[line] = true
			out = append(out, line)
		}
	}
	for _, p := range pickles {
		for _, t := range p.Tags {
			if err := profile.CheckTag(t.Name); err != nil {
				add(p, err)
			}
		}
		for _, s := range p.Steps {
			for _, mod := range stepModifiers(s.Text) {
				if _, _, _, err := lookupModifier(mod); err != nil {
					add(p, err)
				}
			}
		}
	}
	return out
}
