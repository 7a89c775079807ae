package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps"
	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// metadataServer serves RFC 8414 metadata for itself, and the extra handlers.
func metadataServer(t *testing.T, extra map[string]http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	var issuer string
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                issuer,
			"token_endpoint":        issuer + "/token",
			"grant_types_supported": []string{"client_credentials"},
		})
	})
	for path, h := range extra {
		mux.HandleFunc(path, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL
	return issuer
}

// writeProfile writes a client-credentials-only profile for issuer.
func writeProfile(t *testing.T, issuer, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "target.yaml")
	y := fmt.Sprintf(`
name: test target
issuer: %s
clients:
  client_credentials: {id: cc, secret: cc-secret}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
timeouts: {request: 400ms}
%s`, issuer, extra)
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const sampleFeature = `
Feature: Sample
  @browser
  Scenario: passes
    Given a passing step

  Scenario: fails
    Given a failing step

  Scenario: is undefined
    Given a step nobody wrote

  @grant-password
  Scenario: is not applicable
    Given a passing step

  Scenario Outline: outline row <n>
    Given a passing step
    Examples:
      | n |
      | 1 |
      | 2 |
`

// fakeSteps registers the sample steps and the capability Before hook the real steps have.
func fakeSteps(env *steps.Env) func(*godog.ScenarioContext) {
	return func(sc *godog.ScenarioContext) {
		sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
			for _, tag := range s.Tags {
				if ok, reason := env.Profile.Supports(tag.Name); !ok {
					return ctx, fmt.Errorf("%w: not applicable: %s", godog.ErrSkip, reason)
				}
			}
			return ctx, nil
		})
		sc.Step(`^a passing step$`, func() error { return nil })
		sc.Step(`^a failing step$`, func() error { return errors.New("expected 200, got 500") })
	}
}

func TestRunCountsScenariosWritesReportsAndFails(t *testing.T) {
	issuer := metadataServer(t, nil)
	reports := filepath.Join(t.TempDir(), "reports")
	var out bytes.Buffer
	res, err := run(context.Background(), Options{
		TargetPath: writeProfile(t, issuer, `browser: {login: [{click: "#login"}]}`),
		ReportDir:  reports,
		Output:     &out,
		Features:   fstest.MapFS{"sample.feature": {Data: []byte(sampleFeature)}},
		Randomize:  42,
		Browser:    &browser.Options{}, // not launchable: the run goes on without one
	}, fakeSteps)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if res.Passed != 3 || res.Failed != 1 || res.FailedMust != 1 || res.Undefined != 1 || res.Defects != 1 || res.Skipped != 1 || res.Pending != 0 {
		t.Errorf("counts = %+v\n%s", res, out.String())
	}
	if res.ExitCode != ExitFailed {
		t.Errorf("exit code = %d, want %d", res.ExitCode, ExitFailed)
	}
	if res.Seed != 42 || res.Wall <= 0 {
		t.Errorf("seed %d, wall %s", res.Seed, res.Wall)
	}
	for _, f := range []string{"junit.xml", "cucumber.json", "conformance.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(reports, f)); err != nil || st.Size() == 0 {
			t.Errorf("report %s: %v", f, err)
		}
	}
	junit, _ := os.ReadFile(filepath.Join(reports, "junit.xml"))
	if !strings.Contains(string(junit), `name="fails"`) || !strings.Contains(string(junit), "expected 200, got 500") {
		t.Errorf("junit.xml lacks the failure:\n%s", junit)
	}
	text := out.String()
	for _, w := range []string{
		"target: test target",
		"running 6 scenarios, 2 at a time, in random order (seed 42; replay with --seed 42)",
		"warning: the @browser scenarios will fail: browser: PLAYWRIGHT_DRIVER_PATH is not set",
		"\nMUST: 0 pass, 0 fail; SHOULD: 0 pass, 0 fail; product: 3 pass, 1 fail (1 n/a, 1 defect)\n",
		"failures:\n  FAIL product   sample.feature:7 fails\n       observed: expected 200, got 500\n",
		"UNDEFINED  sample.feature:10 is undefined: the step \"a step nobody wrote\" is undefined",
		"browser scenarios: 1 passed, median ",
		"not applicable to this target:\n  sample.feature:14 is not applicable: the profile does not list the password grant (capabilities.grants)",
		"scenarios: 6: 3 pass, 1 fail, 0 waived, 0 inconclusive, 0 blocked, 1 not applicable, 1 harness defects",
		"\nFAIL: 1 failure(s) at MUST level (1 of them product checks without a level)\n",
		"wall time ",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	// Each failure is printed once: in the summary, not also in godog's "Failed steps" block.
	if n := strings.Count(text, "expected 200, got 500"); n != 1 || strings.Contains(text, "Failed steps:") {
		t.Errorf("the failure is printed %d times:\n%s", n, text)
	}
}

func TestRunAllPassing(t *testing.T) {
	issuer := metadataServer(t, nil)
	var out bytes.Buffer
	res, err := run(context.Background(), Options{
		TargetPath:  writeProfile(t, issuer, ""),
		ReportDir:   t.TempDir(),
		Output:      &out,
		Features:    fstest.MapFS{"sample.feature": {Data: []byte(sampleFeature)}},
		Tags:        "~@grant-password && ~@nothing",
		Concurrency: 1,
		Browser:     &browser.Options{},
	}, func(env *steps.Env) func(*godog.ScenarioContext) {
		return func(sc *godog.ScenarioContext) {
			sc.Step(`^a .*step.*$`, func() error { return nil })
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != ExitPassed || res.Passed != 5 || res.Total() != 5 || res.Seed <= 0 {
		t.Errorf("result = %+v\n%s", res, out.String())
	}
	if !strings.Contains(out.String(), "scenarios: 5: 5 pass, 0 fail") || !strings.Contains(out.String(), "\nPASS\n") {
		t.Errorf("summary:\n%s", out.String())
	}
}

func TestRunUsageAndProfileErrors(t *testing.T) {
	issuer := metadataServer(t, nil)
	features := fstest.MapFS{"sample.feature": {Data: []byte(sampleFeature)}}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("issuer: nope\ncolour: blue\nscopes: {allowed: []}\n"), 0o600)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String()
	l.Close()

	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"bad profile", Options{TargetPath: bad}, []string{"colour: unknown field"}},
		{"invalid profile", Options{TargetPath: writeProfile(t, "ftp://x", "")}, []string{`issuer: "ftp://x" is not an absolute URL`}},
		{"missing profile", Options{TargetPath: filepath.Join(t.TempDir(), "none.yaml")}, []string{"no such file"}},
		{"target down", Options{TargetPath: writeProfile(t, down, "")}, []string{"the target is not reachable", "connection refused"}},
		{"no scenario matches", Options{TargetPath: writeProfile(t, issuer, ""), Tags: "@nothing"}, []string{`no scenario matches --tags "@nothing"`}},
		{"cucumber's tag syntax", Options{TargetPath: writeProfile(t, issuer, ""), Tags: "@browser || @grant-password"},
			[]string{`no scenario matches --tags "@browser || @grant-password" (godog's tag syntax: "@a,@b" for a or b`}},
		{"negative concurrency", Options{TargetPath: writeProfile(t, issuer, ""), Concurrency: -1}, []string{"concurrency must be at least 1"}},
		{"bad report dir", Options{TargetPath: writeProfile(t, issuer, ""), ReportDir: "a:b"}, []string{"may not contain"}},
		{"no target", Options{}, []string{"no target: give a target profile"}},
		{"two targets", Options{TargetPath: writeProfile(t, issuer, ""), Target: &startedTarget{issuer: issuer}}, []string{"not both"}},
		{"started target with a bad profile", Options{Target: &startedTarget{issuer: issuer, profile: "colour: blue\n"}},
			[]string{"the embedded server's profile", "colour: unknown field"}},
		{"started target that failed to start", Options{Target: &startedTarget{issuer: issuer, notReady: errors.New("embedded reference server: loading seed data: boom"),
			profile: "clients:\n  client_credentials: {id: cc, secret: s}\nscopes: {allowed: [read]}\n"}},
			[]string{"loading seed data: boom"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Output = &bytes.Buffer{}
			c.opts.Features = features
			c.opts.Browser = &browser.Options{}
			if c.opts.ReportDir == "" {
				c.opts.ReportDir = t.TempDir()
			}
			res, err := run(context.Background(), c.opts, fakeSteps)
			if err == nil {
				t.Fatal("run succeeded")
			}
			if res.ExitCode != ExitUsage {
				t.Errorf("exit code = %d, want %d", res.ExitCode, ExitUsage)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// misbehavingFeature has one scenario per misbehaviour of the token endpoint, and one healthy.
const misbehavingFeature = `
Feature: A misbehaving target
  Scenario Outline: a token request when the token endpoint <how>
    When the client asks for a token at "<path>"
    Then a token is issued

    Examples:
      | how                    | path       |
      | times out              | /slow      |
      | resets the connection  | /reset     |
      | answers HTML           | /html      |
      | sends malformed JSON   | /broken    |
      | redirects in a loop    | /loop      |
      | works                  | /token     |
`

// TestRunContinuesPastAMisbehavingTarget: every misbehaviour fails its own scenario with a
// clear message, within the profile's request timeout, and the run goes on to the others.
func TestRunContinuesPastAMisbehavingTarget(t *testing.T) {
	release := make(chan struct{})
	issuer := metadataServer(t, map[string]http.HandlerFunc{
		"/slow": func(w http.ResponseWriter, r *http.Request) {
			// Read the request so the server notices the client hanging up, then hold it.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
		"/reset": func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
		},
		"/html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Service temporarily unavailable</body></html>"))
		},
		"/broken": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token": "abc", "token_type": `))
		},
		"/loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
		},
		"/token": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte(`{"access_token": "abc", "token_type": "Bearer", "expires_in": 60}`))
		},
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	initialize := func(env *steps.Env) func(*godog.ScenarioContext) {
		return func(sc *godog.ScenarioContext) {
			client := oauthclient.New(env.Profile.Timeouts.Request) // per scenario
			var resp *oauthclient.Response
			sc.Step(`^the client asks for a token at "([^"]*)"$`, func(ctx context.Context, path string) error {
				c := env.Profile.Clients["client_credentials"]
				var err error
				resp, err = oauthclient.TokenRequest{
					Endpoint:   env.Profile.Issuer + path,
					GrantType:  "client_credentials",
					Client:     oauthclient.Credentials{ID: c.ID, Secret: c.Secret},
					AuthMethod: oauthclient.AuthBasic,
				}.Send(ctx, client)
				return err
			})
			sc.Step(`^a token is issued$`, func() error {
				if err := oauthclient.ExpectStatus(resp, 200); err != nil {
					return err
				}
				return oauthclient.ExpectTokenResponse(resp)
			})
		}
	}
	var out bytes.Buffer
	start := time.Now()
	res, err := run(context.Background(), Options{
		TargetPath: writeProfile(t, issuer, ""),
		ReportDir:  t.TempDir(),
		Output:     &out,
		Features:   fstest.MapFS{"misbehaving.feature": {Data: []byte(misbehavingFeature)}},
	}, initialize)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %s; every request is bounded by timeouts.request (400ms)", took)
	}
	if res.Passed != 1 || res.Failed != 5 || res.ExitCode != ExitFailed {
		t.Errorf("result = %+v\n%s", res, out.String())
	}
	failures := strings.Join(res.FailedScenarios, "\n")
	for _, w := range []string{
		"times out: POST " + issuer + "/slow: the target did not answer in time",
		"resets the connection: POST " + issuer + "/reset: the target closed the connection",
		"answers HTML: expected JSON, got text/html",
		"sends malformed JSON: expected JSON, got malformed JSON",
		"redirects in a loop: expected HTTP 200, got 307",
	} {
		if !strings.Contains(failures, w) {
			t.Errorf("failures lack %q:\n%s", w, failures)
		}
	}
}

func TestStripANSI(t *testing.T) {
	var b bytes.Buffer
	w := progressOutput(&b)
	for _, chunk := range []string{"\x1b[32m.\x1b[0m", "\x1b[3", "1mF\x1b[0m", " 70\n", "\x1bx"} {
		if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if got := b.String(); got != ".F 70\n\x1bx" {
		t.Errorf("stripped output = %q", got)
	}
}

const levelsFeature = `
Feature: Levels
  @RFC6749-4.4.2 @MUST
  Scenario: a MUST check passes
    Given a passing step

  @RFC6750-3 @SHOULD
  Scenario: a SHOULD check fails
    RFC 6750 3: "the resource server MUST include the HTTP WWW-Authenticate response header field"
    Given a failing step

  @RFC6749-3.1 @MAY
  Scenario: a MAY check fails
    Given a failing step
`

// TestRunFailOn: the exit status follows MUST failures; a SHOULD failure fails the run only
// with FailOn "should"; a failed MAY check never fails and is reported not applicable.
func TestRunFailOn(t *testing.T) {
	issuer := metadataServer(t, nil)
	for _, c := range []struct {
		failOn string
		want   int
	}{{"", ExitPassed}, {FailOnMust, ExitPassed}, {FailOnShould, ExitFailed}} {
		t.Run("fail-on "+c.failOn, func(t *testing.T) {
			var out bytes.Buffer
			res, err := run(context.Background(), Options{
				TargetPath: writeProfile(t, issuer, ""), ReportDir: t.TempDir(), Output: &out, FailOn: c.failOn,
				Features: fstest.MapFS{"levels.feature": {Data: []byte(levelsFeature)}}, Browser: &browser.Options{},
			}, fakeSteps)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			if res.ExitCode != c.want || res.Failed != 1 || res.FailedShould != 1 || res.FailedMust != 0 || res.Skipped != 1 || res.Passed != 1 {
				t.Errorf("result = %+v\n%s", res, out.String())
			}
			text := out.String()
			for _, w := range []string{
				"\nMUST: 1 pass, 0 fail; SHOULD: 0 pass, 1 fail; MAY: 0 pass, 0 fail (1 n/a)\n",
				"failures:\n  FAIL SHOULD RFC6750-3  levels.feature:8 a SHOULD check fails\n" +
					"       RFC 6750 3: \"the resource server MUST include the HTTP WWW-Authenticate response header field\"\n" +
					"       observed: expected 200, got 500\n",
				"levels.feature:13 a MAY check fails: optional behaviour (MAY) the target does not offer: expected 200, got 500",
			} {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
		})
	}
	if _, err := run(context.Background(), Options{TargetPath: writeProfile(t, issuer, ""), Output: io.Discard, FailOn: "may",
		Features: fstest.MapFS{"levels.feature": {Data: []byte(levelsFeature)}}}, fakeSteps); err == nil || !strings.Contains(err.Error(), `--fail-on "may"`) {
		t.Errorf("FailOn may: %v", err)
	}
}

func TestFailsRun(t *testing.T) {
	for _, c := range []struct {
		r      Result
		failOn string
		want   bool
	}{
		{Result{}, FailOnMust, false},
		{Result{FailedMust: 1}, FailOnMust, true},
		{Result{FailedShould: 2}, FailOnMust, false},
		{Result{FailedShould: 2}, FailOnShould, true},
		{Result{Defects: 1}, FailOnMust, true},
		{Result{Inconclusive: 3, Blocked: 2, Skipped: 4, Waived: 1}, FailOnShould, false},
	} {
		if got := c.r.FailsRun(c.failOn); got != c.want {
			t.Errorf("%+v with %s: FailsRun = %v", c.r, c.failOn, got)
		}
	}
}

// A failed MAY check alone (no verdict record: the hooks of the real steps would have made it
// not applicable already) does not fail the run, though godog's own status says failed.
func TestRunFailedMayAloneDoesNotFail(t *testing.T) {
	issuer := metadataServer(t, nil)
	var out bytes.Buffer
	res, err := run(context.Background(), Options{
		TargetPath: writeProfile(t, issuer, ""), ReportDir: t.TempDir(), Output: &out, Tags: "@MAY",
		Features: fstest.MapFS{"levels.feature": {Data: []byte(levelsFeature)}}, Browser: &browser.Options{},
	}, fakeSteps)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != ExitPassed || res.Skipped != 1 || res.Total() != 1 {
		t.Errorf("result = %+v\n%s", res, out.String())
	}
}

// TestDropRepeatedFailures feeds the writer godog's progress summary as it writes it, with and
// without colours: the "Failed steps" block goes, the counts stay.
func TestDropRepeatedFailures(t *testing.T) {
	for _, colour := range []bool{false, true} {
		c := func(code, s string) string {
			if colour {
				return "\x1b[" + code + "m" + s + "\x1b[0m"
			}
			return s
		}
		var b bytes.Buffer
		w := dropRepeatedFailures(&b)
		for _, p := range []string{
			"...F. 5\n",
			"\n\n--- " + c("31", "Failed steps:") + "\n\n",
			"  " + c("31", "Scenario: fails") + "\n    Then it fails\n      Error: expected 200, got 500\n--- exchange ---\nPOST /token\n",
			"\n",
			"\n",
			c("1", "1") + " scenarios (" + c("32", "1 passed") + ")\n",
			"5 steps (4 passed, 1 failed)\n",
		} {
			if _, err := io.WriteString(w, p); err != nil {
				t.Fatal(err)
			}
		}
		got := b.String()
		if strings.Contains(got, "expected 200") || strings.Contains(got, "POST /token") || !strings.Contains(got, "scenarios (") ||
			!strings.Contains(got, "5 steps (4 passed, 1 failed)") || !strings.HasPrefix(got, "...F. 5\n") {
			t.Errorf("colour %v:\n%s", colour, got)
		}
	}
}

// startedTarget is a server the test started, as refserver/launch.Embedded is for a real run.
type startedTarget struct {
	issuer, profile, audit string
	notReady               error
}

func (s *startedTarget) Ready(context.Context) error { return s.notReady }
func (s *startedTarget) Issuer() string              { return s.issuer }
func (s *startedTarget) Profile() []byte             { return []byte(s.profile) }
func (s *startedTarget) AuditLog() []byte            { return []byte(s.audit) }

// TestRunTakesAStartedTarget: the runner judges a target its caller started without building
// it: the target's profile with the target's issuer (whatever the profile says), its
// @refserver scenarios applicable, its audit log handed to the steps.
func TestRunTakesAStartedTarget(t *testing.T) {
	issuer := metadataServer(t, nil)
	target := &startedTarget{issuer: issuer, audit: `{"event":"token.issued"}`, profile: `
name: started
issuer: http://127.0.0.1:1
clients:
  client_credentials: {id: cc, secret: cc-secret}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
`}
	features := fstest.MapFS{"t.feature": {Data: []byte(`
Feature: A started target
  @refserver
  Scenario: the reference server's own check
    Given the audit log holds a token event
`)}}
	var sawIssuer string
	initScenario := func(env *steps.Env) func(*godog.ScenarioContext) {
		sawIssuer = env.Profile.Issuer
		inner := fakeSteps(env)
		return func(sc *godog.ScenarioContext) {
			inner(sc)
			sc.Step(`^the audit log holds a token event$`, func() error {
				if env.AuditLog == nil || !strings.Contains(string(env.AuditLog()), "token.issued") {
					return errors.New("the steps did not get the target's audit log")
				}
				return nil
			})
		}
	}
	var out bytes.Buffer
	res, err := run(context.Background(), Options{Target: target, Features: features, Output: &out, ReportDir: t.TempDir(),
		Browser: &browser.Options{}}, initScenario)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if sawIssuer != issuer {
		t.Errorf("the steps saw issuer %q, want the started target's %q", sawIssuer, issuer)
	}
	if res.Passed != 1 || res.Total() != 1 || res.ExitCode != ExitPassed {
		t.Errorf("want the @refserver scenario run and passed, got %+v\n%s", res, out.String())
	}
	if !strings.Contains(out.String(), "target: the embedded reference server at "+issuer+" (ready in") {
		t.Errorf("the output does not name the target:\n%s", out.String())
	}
}
