package selftest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/refserver"
)

// cases is THE table: for each quirk, the part of the suite run against it and the scenarios
// that must catch it. Every other scenario of those feature files must pass. When the suite
// gains or loses power, this table is what changes.
var cases = []Case{
	{Quirk: refserver.QuirkNoWWWAuthenticate,
		Features: []string{"client_authentication.feature", "introspection.feature", "revocation.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkUnknownGrantInvalidRequest,
		Features: []string{"token_response.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkCodeReusable,
		Features: []string{"security.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkCodeReuseKeepsTokens,
		Features: []string{"security.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkCodeNotClientBound,
		Features: []string{"authorization_code.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkRedirectURIUnchecked,
		Features: []string{"authorization_code.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkRedirectURIPrefix,
		Features: []string{"redirect_uri.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkErrorRedirectUnregistered,
		Features: []string{"redirect_uri.feature", "security.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkStateNotEchoed,
		Features: []string{"security.feature", "approval.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkPKCEVerifierOptional,
		Features: []string{"pkce.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkPKCEPlain,
		Features: []string{"pkce.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkRefreshNotRotated,
		Features: []string{"refresh_token.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkRefreshReuseUndetected,
		Features: []string{"refresh_token.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkRefreshWidensScope,
		Features: []string{"refresh_token.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkForeignTokenRevocable,
		Features: []string{"revocation.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkIntrospectionUnauthenticated,
		Features: []string{"introspection.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkRevokedTokenActive,
		Features: []string{"revocation.feature", "introspection.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkNoCacheControl,
		Features: []string{"token_response.feature", "client_credentials.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkFrameableApproval,
		Features: []string{"approval.feature", "security.feature"},
		Catch:    []string{}},
	{Quirk: refserver.QuirkImplicitTokenInQuery,
		Features: []string{"implicit.feature", "iss.feature"},
		Catch:    []string{}},
}

// TestTableCoversEveryQuirk: a new quirk must be declared here, with the scenarios that
// catch it; a quirk nothing catches is a gap in the suite, not a row to drop.
func TestTableCoversEveryQuirk(t *testing.T) {
	declared := map[refserver.Quirk]int{}
	for _, c := range cases {
		declared[c.Quirk]++
		if len(c.Catch) == 0 {
			t.Errorf("quirk %s: no scenario declared to catch it", c.Quirk)
		}
		if len(c.Features) == 0 {
			t.Errorf("quirk %s: no feature file to run", c.Quirk)
		}
	}
	known := refserver.KnownQuirks()
	if len(known) < 18 {
		t.Errorf("the reference server knows %d quirks, want at least 18", len(known))
	}
	for _, q := range known {
		if declared[q.Name] != 1 {
			t.Errorf("quirk %s is declared %d times in the table, want once", q.Name, declared[q.Name])
		}
		delete(declared, q.Name)
	}
	for q := range declared {
		t.Errorf("the table declares %s, which the reference server does not know", q)
	}
}

// TestSelfTest starts the reference server once per quirk and requires that exactly the
// declared scenarios fail. The full suite against the default server is
// features.TestConformance. `make selftest` runs this with -v and prints the table.
func TestSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("the self-test runs the suite (with a browser) once per quirk; skipped with -short")
	}
	start := time.Now()
	ctx := context.Background()
	h, err := NewHarness(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []*Outcome
	for _, c := range cases {
		t.Run(string(c.Quirk), func(t *testing.T) {
			o, err := h.Run(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			outcomes = append(outcomes, o)
			if len(o.Failed) == 0 {
				t.Errorf("quirk %s was not caught by any scenario of %s: the suite has a gap", c.Quirk, strings.Join(c.Features, ", "))
			}
			for _, n := range o.Missed {
				t.Errorf("declared to catch %s, but passed: %s", c.Quirk, n)
			}
			for _, n := range o.Unexpected {
				t.Errorf("failed with %s on, but not declared: %s", c.Quirk, n)
			}
			if t.Failed() {
				t.Logf("runner output:\n%s", o.Log)
			}
		})
	}
	if os.Getenv("OAUTHCONF_SELFTEST_TABLE") != "" || testing.Verbose() {
		WriteTable(os.Stdout, outcomes)
		os.Stdout.WriteString("self-test wall time: " + time.Since(start).Round(time.Second).String() + "\n")
	}
}
