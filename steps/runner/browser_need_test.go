package runner

import (
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

  @other
  Scenario: token only
    Given a step
`)}}
	for _, tc := range []struct {
		tags string
		want bool
	}{{"", true}, {"@other", false}, {"@user-token", true}} {
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
