package steps

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// serverPackages are the reference server and what only it needs: fosite and the SQLite driver.
var serverPackages = regexp.MustCompile(`^github\.com/oauthconf/oauthconf/refserver($|/)|^github\.com/ory/fosite($|/)|^modernc\.org/sqlite($|/)`)

// TestHarnessDoesNotImportTheServer enforces the dependency rule of ../shared/design.md: the
// harness (steps/ and its sub-packages, their tests included) judges servers, so it never
// imports the one it judges. The embedded target is started by refserver/launch and handed to
// steps/runner as a runner.Target.
func TestHarnessDoesNotImportTheServer(t *testing.T) {
	for _, args := range [][]string{
		{"list", "-deps", "github.com/oauthconf/oauthconf/steps/..."},
		{"list", "-deps", "-test", "github.com/oauthconf/oauthconf/steps/..."},
	} {
		out, err := exec.Command("go", args...).Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		pkgs := strings.Fields(string(out))
		if len(pkgs) < 10 {
			t.Fatalf("go %s listed %d packages: the check would check nothing", strings.Join(args, " "), len(pkgs))
		}
		for _, p := range pkgs {
			if serverPackages.MatchString(p) {
				t.Errorf("go %s: the harness depends on %s (start the server through refserver/launch and pass it as runner.Options.Target)", strings.Join(args, " "), p)
			}
		}
	}
}

// TestServerPackagesPattern: the pattern above matches what it must, or the check is empty.
func TestServerPackagesPattern(t *testing.T) {
	for _, p := range []string{"github.com/oauthconf/oauthconf/refserver", "github.com/oauthconf/oauthconf/refserver/store",
		"github.com/ory/fosite", "github.com/ory/fosite/compose", "modernc.org/sqlite", "modernc.org/sqlite/lib"} {
		if !serverPackages.MatchString(p) {
			t.Errorf("%s is not recognised as a server package", p)
		}
	}
	for _, p := range []string{"github.com/oauthconf/oauthconf/steps/runner", "github.com/cucumber/godog", "modernc.org/libc"} {
		if serverPackages.MatchString(p) {
			t.Errorf("%s is taken for a server package", p)
		}
	}
}
