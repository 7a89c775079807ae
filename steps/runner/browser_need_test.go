package runner

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"
)

// A @user-token scenario takes its token through the code grant, in the browser: selecting it
// starts the browser; a token-only selection does not.
func TestSelectedScenariosNeedTheBrowserForUserTokens(t *testing.T) {
	fsys := fstest.MapFS{"a.feature": {Data: []byte(`Feature: a
  @user-token
  Scenario: needs a user token
    Given a step

  @introspection
  Scenario: token only
    Given a step
`)}}
	for _, tc := range []struct {
		tags string
		want bool
	}{{"", true}, {"@introspection", false}, {"@user-token", true}} {
		suite := godog.TestSuite{Options: &godog.Options{Paths: []string{"."}, FS: fsys, Tags: tc.tags}}
		_, need, err := selectedScenarios(suite)
		if err != nil {
			t.Fatal(err)
		}
		if need != tc.want {
			t.Errorf("tags %q: needBrowser %v, want %v", tc.tags, need, tc.want)
		}
	}
}

// A tag or a request modifier outside the suite's vocabulary stops the run when the suite loads,
// naming the scenario and the word, whatever --tags selects: a misspelt capability never runs
// as supported, a misspelt modifier never reaches the target.
func TestUnknownWordsAreRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct{ feature, want string }{
		{"  @grant-passwrd @MUST\n  Scenario: misspelt capability\n    Given a step\n",
			`a.feature: scenario "misspelt capability": unknown tag @grant-passwrd`},
		{"  @MUST\n  Scenario: misspelt modifier\n    When the confidential client requests a token with its client credentials with a wrong clent secret\n",
			`a.feature: scenario "misspelt modifier": unknown request modifier "with a wrong clent secret"`},
	} {
		fsys := fstest.MapFS{"a.feature": {Data: []byte("Feature: a\n" + tc.feature + "\n  @introspection\n  Scenario: fine\n    Given a step\n")}}
		// Selecting only the good scenario does not hide the bad one.
		suite := godog.TestSuite{Options: &godog.Options{Paths: []string{"."}, FS: fsys, Tags: "@introspection"}}
		_, _, err := selectedScenarios(suite)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %s", err, tc.want)
		}
	}
}
