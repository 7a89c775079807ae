package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// checkInit is the new user's first ten minutes against a server this project did not write
// (issue 9): `oauthconf init` writes a starter profile from the running server's metadata and
// guesses its login form in the browser; the test fills in only what a user must (the clients'
// ids and secrets and the user, from the checked-in profile ref), deletes what the server does
// not have, as the README's walk does, and requires the profile to validate and the login flow to
// run clean with the guessed form.
func checkInit(t *testing.T, root string, ref *profile.Profile) {
	t.Helper()
	conf, ok := ref.Clients["confidential"]
	if !ok {
		t.Fatal("the reference profile has no confidential client")
	}
	out := filepath.Join(t.TempDir(), "init.yaml")
	cmd := exec.CommandContext(t.Context(), "go", "run", "./cmd/oauthconf", "init", "--issuer", ref.Issuer,
		"--login-client-id", conf.ID, "--login-redirect-uri", conf.RedirectURI, "--out", out)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oauthconf init: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.Contains(text, "GUESSED") {
		t.Errorf("init did not guess the login form:\n%s", text)
	}
	// What only the user knows, from the checked-in profile.
	repl := []string{`"CHANGE-ME-username"`, quote(ref.Users["valid"].Username), `"CHANGE-ME-password"`, quote(ref.Users["valid"].Password)}
	for role, c := range ref.Clients {
		key := strings.ReplaceAll(role, "_", "-")
		repl = append(repl, `"CHANGE-ME-`+key+`-id"`, quote(c.ID), `"CHANGE-ME-`+key+`-secret"`, quote(c.Secret))
	}
	text = strings.NewReplacer(repl...).Replace(text)
	// What the server does not have: roles the reference profile leaves out, an approval page.
	var kept []string
	for _, line := range strings.Split(text, "\n") {
		if m := roleLine.FindStringSubmatch(line); m != nil {
			if _, ok := ref.Clients[m[1]]; !ok {
				continue
			}
		}
		kept = append(kept, line)
	}
	text = approveDeny.ReplaceAllString(strings.Join(kept, "\n"), "")
	text = strings.Replace(text, "pkce: optional", "pkce: "+ref.Capabilities.PKCE, 1)
	text = capabilityGrants.ReplaceAllString(text, "  grants: ["+strings.Join(ref.Capabilities.Grants, ", ")+"]")
	if strings.Contains(text, "CHANGE-ME-") {
		t.Fatalf("a CHANGE-ME place is left that the test does not know how to fill:\n%s", text)
	}
	filled := filepath.Join(t.TempDir(), "filled.yaml")
	if err := os.WriteFile(filled, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.Load(filled); err != nil {
		t.Fatalf("the profile init wrote, with the secrets filled in, does not validate: %v\n%s", err, text)
	}
	res, err := runner.Run(t.Context(), runner.Options{TargetPath: filled, ReportDir: t.TempDir(), Concurrency: 1,
		Tags: "@RFC6749-A.11 && @browser", Output: &lockedBuffer{}})
	if err != nil {
		t.Fatalf("running the init profile: %v", err)
	}
	rep := res.Report
	if rep == nil || rep.Summary.Scenarios.Pass == 0 || rep.Summary.Scenarios.Total != rep.Summary.Scenarios.Pass {
		t.Fatalf("the login flow with the guessed form did not pass: %+v", rep.Summary.Scenarios)
	}
	t.Logf("oauthconf init against %s: the profile validates and the login flow with the guessed form passes (%d scenario(s))",
		ref.Issuer, rep.Summary.Scenarios.Pass)
}

var (
	roleLine    = regexp.MustCompile(`^  ([a-z_]+):\s+\{id: `)
	approveDeny = regexp.MustCompile(`(?m)^  (approve|deny):\n(    - .*\n)+`)
	// capabilities.grants, the only "grants" at the start of a line (the clients' are inline).
	capabilityGrants = regexp.MustCompile(`(?m)^  grants: \[.*\]$`)
)

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
