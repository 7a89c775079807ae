package steps

import (
	"context"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/oauthconf/oauthconf/features"
)

type stepDef struct {
	re *regexp.Regexp
	fn any
}

type recorder struct{ defs []stepDef }

func (r *recorder) Step(expr, fn interface{}) {
	r.defs = append(r.defs, stepDef{re: regexp.MustCompile(expr.(string)), fn: fn})
}

func pickles(t *testing.T) []*messages.Pickle {
	t.Helper()
	var out []*messages.Pickle
	n := 0
	newID := func() string { n++; return strconv.Itoa(n) }
	err := fs.WalkDir(features.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		f, err := features.FS.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := gherkin.ParseGherkinDocument(f, newID)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		out = append(out, gherkin.Pickles(*doc, path, newID)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryStepHasExactlyOneDefinition is what godog's strict mode checks at run time, checked
// here without a server: every step of every feature matches one definition, whose function
// takes as many arguments as the expression captures.
func TestEveryStepHasExactlyOneDefinition(t *testing.T) {
	rec := &recorder{}
	(&World{}).register(rec)
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	for _, d := range rec.defs {
		ft := reflect.TypeOf(d.fn)
		args := ft.NumIn()
		if args > 0 && ft.In(0) == ctxType {
			args--
		}
		if got := d.re.NumSubexp(); got != args {
			t.Errorf("%s captures %d groups but its function takes %d arguments", d.re, got, args)
		}
	}
	used := map[string]bool{}
	for _, p := range pickles(t) {
		for _, s := range p.Steps {
			var matches []string
			for _, d := range rec.defs {
				if d.re.MatchString(s.Text) {
					matches = append(matches, d.re.String())
				}
			}
			switch len(matches) {
			case 0:
				t.Errorf("%s: %q: undefined step", p.Uri, s.Text)
			case 1:
				used[matches[0]] = true
			default:
				t.Errorf("%s: %q: ambiguous, matches %q", p.Uri, s.Text, matches)
			}
		}
	}
	for _, d := range rec.defs {
		if !used[d.re.String()] {
			t.Logf("step definition not used by any feature: %s", d.re)
		}
	}
}

var requirementTag = regexp.MustCompile(`^@RFC\d+-[0-9A-Z][0-9.]*$`)

// TestFeatureCoverage holds the suite to its targets: at least 100 scenarios, 70 distinct
// requirement tags and 15 browser scenarios, and every scenario tagged with a requirement and
// its level.
func TestFeatureCoverage(t *testing.T) {
	reqs := map[string]bool{}
	scenarios, browser := 0, 0
	for _, p := range pickles(t) {
		scenarios++
		level, req := false, false
		for _, tag := range p.Tags {
			switch {
			case requirementTag.MatchString(tag.Name):
				reqs[tag.Name], req = true, true
			case tag.Name == "@MUST" || tag.Name == "@SHOULD" || tag.Name == "@MAY":
				level = true
			case tag.Name == "@browser":
				browser++
			}
		}
		if !req || !level {
			t.Errorf("%s %q: every scenario needs a requirement tag (@RFC6749-4.1.2) and a level (@MUST, @SHOULD, @MAY)", p.Uri, p.Name)
		}
	}
	names := make([]string, 0, len(reqs))
	for r := range reqs {
		names = append(names, r)
	}
	sort.Strings(names)
	t.Logf("%d scenarios, %d browser scenarios, %d distinct requirement tags", scenarios, browser, len(reqs))
	if scenarios < 100 || len(reqs) < 70 || browser < 15 {
		t.Errorf("below target: %d scenarios (want 100), %d requirement tags (want 70), %d browser scenarios (want 15)", scenarios, len(reqs), browser)
	}
}
