package steps

import (
	"context"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/oauthconf/oauthconf/features"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/report"
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

// TestFeatureCoverage holds the suite to its targets: at least 100 scenarios, 70 distinct
// requirement tags and 15 browser scenarios, and every scenario tagged with a requirement and
// its level (but the @product checks of the reference server's own features).
func TestFeatureCoverage(t *testing.T) {
	reqs := map[string]bool{}
	scenarios, browser := 0, 0
	for _, p := range pickles(t) {
		scenarios++
		level, req, product := false, false, false
		for _, tag := range p.Tags {
			switch {
			case tag.Name == "@product":
				product = true
			case profile.IsRequirementTag(tag.Name):
				reqs[tag.Name], req = true, true
			case tag.Name == "@MUST" || tag.Name == "@SHOULD" || tag.Name == "@MAY":
				level = true
			case tag.Name == "@browser":
				browser++
			}
		}
		if (!req || !level) && !product { // a @product check of the reference server has neither
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

// TestEveryScenarioQuotesItsRequirement holds every scenario to the verdict model's rule: a
// FAIL is a public claim that the target breaks an RFC sentence, so the scenario names the
// sentence. Every scenario not tagged @product has exactly one level tag (@MUST, @SHOULD,
// @MAY), at least one requirement tag, and at least one quote line in its description, in the
// form the report reads (report.ParseQuotes):
//
//	RFC 6749 4.1.2.1: "verbatim text"
//
// whose RFC and section match one of its requirement tags (further quotes may cite other
// sections that support the judgement).
func TestEveryScenarioQuotesItsRequirement(t *testing.T) {
	var missing, checked int
	walkScenarios(t, func(path string, sc *messages.Scenario, tags []string) {
		checked++
		if problems := quoteProblems(tags, sc.Description); len(problems) > 0 {
			missing++
			t.Errorf("%s:%d %q: %s", path, sc.Location.Line, sc.Name, strings.Join(problems, "; "))
		}
	})
	t.Logf("%d scenarios checked, %d without a proper level, requirement tag and quote", checked, missing)
}

// walkScenarios calls fn for each scenario of the features (outlines once) with every tag that
// applies to it (features.Walk).
func walkScenarios(t *testing.T, fn func(path string, sc *messages.Scenario, tags []string)) {
	t.Helper()
	scs, err := features.Walk()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		fn(sc.Path, sc.Scenario, sc.Tags)
	}
}

// quoteProblems says what a scenario with these tags (its own, its feature's, its rule's and
// its examples') and this description lacks.
func quoteProblems(tags []string, description string) []string {
	if slices.Contains(tags, "@product") {
		return nil
	}
	var levels, reqs []string
	for _, tg := range tags {
		switch {
		case tg == "@MUST" || tg == "@SHOULD" || tg == "@MAY":
			if !slices.Contains(levels, tg) {
				levels = append(levels, tg)
			}
		case profile.IsRequirementTag(tg):
			reqs = append(reqs, strings.TrimPrefix(tg, "@"))
		}
	}
	var problems []string
	if len(levels) != 1 {
		problems = append(problems, fmt.Sprintf("want exactly one level tag (@MUST, @SHOULD or @MAY), got %d %v", len(levels), levels))
	}
	if len(reqs) == 0 {
		problems = append(problems, "no requirement tag (@RFC6749-4.1.2.1)")
	}
	quotes := report.ParseQuotes(description)
	if len(quotes) == 0 {
		problems = append(problems, `no quote line in the description (in the form RFC NNNN S.S: "verbatim text")`)
	}
	// Further quotes may support the judgement from other sections (RFC 6749 A.5's syntax of
	// state beside 4.1.2's echo); at least one must be of a requirement the scenario names.
	matched := false
	var quoted []string
	for _, q := range quotes {
		matched = matched || slices.Contains(reqs, q.Requirement)
		quoted = append(quoted, q.Requirement)
	}
	if len(quotes) > 0 && !matched {
		problems = append(problems, fmt.Sprintf("no quote is of one of its requirement tags %v (quoted: %v)", reqs, quoted))
	}
	return problems
}

func TestQuoteProblems(t *testing.T) {
	good := `RFC 6749 4.1.2.1: "If the resource owner denies the access request [...]"`
	for _, c := range []struct {
		tags []string
		desc string
		want string
	}{
		{[]string{"@RFC6749-4.1.2.1", "@MUST"}, good, ""},
		{[]string{"@product"}, "", ""},
		{[]string{"@RFC6749-4.1.2.1", "@MUST", "@SHOULD"}, good, "exactly one level tag"},
		{[]string{"@RFC6749-4.1.2.1"}, good, "exactly one level tag"},
		{[]string{"@MUST"}, good, "no requirement tag"},
		{[]string{"@RFC6749-4.1.2.1", "@MUST"}, "The server refuses it.", "no quote line"},
		{[]string{"@RFC6749-4.1.2", "@MUST"}, good, "no quote is of one of its requirement tags [RFC6749-4.1.2] (quoted: [RFC6749-4.1.2.1])"},
		{[]string{"@RFC6749-4.1.2.1", "@MUST"}, good + "\n" + `RFC 6749 A.5: "state = 1*VSCHAR"`, ""},
	} {
		got := strings.Join(quoteProblems(c.tags, c.desc), "; ")
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("quoteProblems(%v, %q) = %q, want %q", c.tags, c.desc, got, c.want)
		}
	}
}

// The level audit (issue 14 item 2): a scenario's level tag claims the force of the sentence it
// quotes. A @MUST scenario quotes a sentence with MUST, SHALL or REQUIRED (their negative forms
// contain them): a sentence without a keyword is never a MUST failure. A @SHOULD scenario must
// not quote only weaker keywords (MAY, OPTIONAL); it may quote a sentence without any keyword,
// since SHOULD is the strongest level that does not fail a run, which is where the house puts
// an expectation the RFC states without a keyword. @MAY is not audited: a failure at MAY is
// never reported as a failure.
var (
	mustKeywords = []string{"MUST", "SHALL", "REQUIRED"}
	weakKeywords = []string{"MAY", "OPTIONAL"}
	keywordRe    = regexp.MustCompile(`\b(MUST|SHALL|REQUIRED|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b`)
)

// levelProblem says why a scenario's level is not backed by the keywords of the sentences it
// quotes ("" when it is).
func levelProblem(tags []string, description string) string {
	if slices.Contains(tags, "@product") {
		return ""
	}
	var found []string
	for _, q := range report.ParseQuotes(description) {
		found = append(found, keywordRe.FindAllString(q.Text, -1)...)
	}
	has := func(set []string) bool {
		for _, k := range found {
			if slices.Contains(set, k) {
				return true
			}
		}
		return false
	}
	switch {
	case slices.Contains(tags, "@MUST") && !has(mustKeywords):
		if len(found) == 0 {
			return "tagged @MUST, but no quoted sentence has an RFC 2119 keyword: quote the MUST, SHALL or REQUIRED that holds the requirement, or re-level it"
		}
		return fmt.Sprintf("tagged @MUST, but the quoted sentences' keywords are only %v: quote the MUST, SHALL or REQUIRED that holds the requirement, or re-level it", found)
	case slices.Contains(tags, "@SHOULD") && len(found) > 0 && !slices.ContainsFunc(found, func(k string) bool { return !slices.Contains(weakKeywords, k) }):
		return fmt.Sprintf("tagged @SHOULD, but the quoted sentences' keywords are only %v: an optional behaviour is @MAY", found)
	}
	return ""
}

func TestLevelProblem(t *testing.T) {
	for _, c := range []struct {
		tags []string
		desc string
		want string
	}{
		{[]string{"@MUST"}, `RFC 6749 4.4.2: "The authorization server MUST authenticate the client."`, ""},
		{[]string{"@MUST"}, `RFC 6749 4.1.3: "client_id [...] REQUIRED, if the client is not authenticating"`, ""},
		{[]string{"@MUST"}, `RFC 6749 5.2: "unsupported_grant_type [...] The authorization grant type is not supported by the authorization server."`, "no quoted sentence has an RFC 2119 keyword"},
		{[]string{"@MUST"}, `RFC 7662 2.2: "exp [...] OPTIONAL.  Integer timestamp"`, "keywords are only [OPTIONAL]"},
		{[]string{"@MUST"}, "The server must refuse it.", "no quoted sentence"},
		{[]string{"@SHOULD"}, `RFC 6749 5.2: "unauthorized_client [...] The authenticated client is not authorized to use this authorization grant type."`, ""},
		{[]string{"@SHOULD"}, `RFC 9700 2.1.1: "It is RECOMMENDED for authorization servers to publish"`, ""},
		{[]string{"@SHOULD"}, `RFC 8414 2: "revocation_endpoint [...] OPTIONAL.  URL"`, "an optional behaviour is @MAY"},
		{[]string{"@MAY"}, `RFC 8414 2: "revocation_endpoint [...] OPTIONAL.  URL"`, ""},
		{[]string{"@product", "@MUST"}, "", ""},
	} {
		if got := levelProblem(c.tags, c.desc); c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("levelProblem(%v, %q) = %q, want %q", c.tags, c.desc, got, c.want)
		}
	}
}

// TestLevelMatchesQuotedKeyword is the level audit of every scenario (levelProblem).
func TestLevelMatchesQuotedKeyword(t *testing.T) {
	walkScenarios(t, func(path string, sc *messages.Scenario, tags []string) {
		if p := levelProblem(tags, sc.Description); p != "" {
			t.Errorf("%s:%d %q: %s", path, sc.Location.Line, sc.Name, p)
		}
	})
}

// TestFeaturesUseOnlyTheVocabulary: every tag of every feature is a capability, marker, level
// or requirement, and every request modifier a step uses is in the modifier table, so that the
// runner's load-time check (VocabularyProblems) never refuses the suite's own features.
func TestFeaturesUseOnlyTheVocabulary(t *testing.T) {
	ps := pickles(t)
	for _, p := range VocabularyProblems(ps) {
		t.Error(p)
	}
	used := map[string]bool{}
	for _, p := range ps {
		for _, s := range p.Steps {
			for _, mod := range stepModifiers(s.Text) {
				phrase, _, _ := modifierPhrase(mod)
				used[phrase] = true
			}
		}
	}
	if len(used) < 10 {
		t.Fatalf("found only %d distinct modifiers in the features: the modifier steps are no longer recognised", len(used))
	}
	for _, m := range modifiers {
		if m.meaning == "" || m.apply == nil {
			t.Errorf("modifier %q has no meaning or no effect", m.phrase)
		}
		if !used[m.phrase] {
			t.Logf("modifier not used by any feature: %q", m.phrase)
		}
	}
}

func TestVocabularyProblemsNameScenarioAndWord(t *testing.T) {
	p := &messages.Pickle{Uri: "x.feature", Name: "typos",
		Tags: []*messages.PickleTag{{Name: "@grant-passwrd"}, {Name: "@MUST"}, {Name: "@RFC6749-4.3.2"}},
		Steps: []*messages.PickleStep{
			{Text: "the confidential client requests a token with its client credentials with a wrong clent secret"},
			{Text: `the confidential client introspects the access token with token_type_hint "access_token" and a wrong client secret`},
		}}
	got := VocabularyProblems([]*messages.Pickle{p})
	want := []string{
		`x.feature: scenario "typos": unknown tag @grant-passwrd`,
		`x.feature: scenario "typos": unknown request modifier "with a wrong clent secret"`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("got %q, want it to start with %q", got[i], want[i])
		}
	}
}
