package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// A request the client should not have sent passes either way: plainly when refused, with a
// warning when the server issued a token. Warnings show only through the attachment, so the
// test checks that no error comes back.
func TestWarnsIfTokenIssuedNeverFails(t *testing.T) {
	w := &World{}
	for _, r := range []struct {
		name string
		st   int
		body string
	}{{"issued", 200, `{"access_token":"a","token_type":"Bearer"}`}, {"405", 405, ``}, {"400", 400, `{"error":"invalid_request"}`}, {"500", 500, `{"error":"server_error"}`}} {
		w.last = resp(r.st, r.body, false)
		if _, err := w.warnsIfTokenIssued(context.Background(), "x"); err != nil {
			t.Errorf("%s: got %v", r.name, err)
		}
	}
}

// RFC 6749 3.3: an "unknown" scope the server grants and names is known to it: inconclusive.
func TestUnknownScopeGrantedIsInconclusive(t *testing.T) {
	if got := outcome(unknownScopeKnown("{unknown-scope}", "no-such", "openid no-such")); got != verdict.OutcomeInconclusive {
		t.Errorf("granted and named: got %s", got)
	}
	if err := unknownScopeKnown("{not-allowed-scope}", "admin", "admin"); err != nil {
		t.Errorf("a not-allowed scope is not the profile's unknown one: got %v", err)
	}
	if err := unknownScopeKnown("{unknown-scope}", "no-such", "openid"); err != nil {
		t.Errorf("left out: got %v", err)
	}
}

// Without scopes.unknown or scopes.not_allowed, a scenario needing one is not applicable.
func TestMissingScopesAreNotApplicable(t *testing.T) {
	w := &World{p: &profile.Profile{Scopes: profile.Scopes{Allowed: []string{"read"}}}}
	for _, ph := range []string{"{unknown-scope}", "{not-allowed-scope}", "{allowed-scope} {not-allowed-scope}"} {
		_, err := w.expand(ph)
		if got := outcome(err); got != verdict.OutcomeNotApplicable {
			t.Errorf("%s: got %s (%v)", ph, got, err)
		}
	}
	if v, err := w.expand("{made-up-scope}"); err != nil || !strings.Contains(v, "no-such-scope") {
		t.Errorf("{made-up-scope}: got %q, %v", v, err)
	}
}

// A 401 to the token's own client at the introspection endpoint, outside a client
// authentication scenario, is inconclusive; with a wrong secret it is left to the Then step.
func TestCallerRefusedIsInconclusive(t *testing.T) {
	w := &World{tokenOwner: "client credentials"}
	w.last = resp(401, `{"error":"invalid_client"}`, true)
	if got := outcome(w.callerRefused("client credentials", "introspects", "")); got != verdict.OutcomeInconclusive {
		t.Errorf("own client refused: got %s", got)
	}
	if err := w.callerRefused("client credentials", "introspects", " with a wrong client secret"); err != nil {
		t.Errorf("wrong secret: got %v", err)
	}
	if err := w.callerRefused("second confidential", "revokes", ""); err != nil {
		t.Errorf("another client: got %v", err)
	}
	// About an unknown token there is no owner: a refused caller cannot be judged either.
	w.tokenOwner = ""
	if got := outcome(w.callerRefused("client credentials", "revokes", "")); got != verdict.OutcomeInconclusive {
		t.Errorf("unknown token, caller refused: got %s", got)
	}
}

// The short-lived client's tokens come from the grants without a browser first; a refresh
// token never from client credentials (RFC 6749 4.4.3).
func TestShortLivedWays(t *testing.T) {
	w := &World{}
	for _, tc := range []struct {
		refresh bool
		want    []string
	}{
		{false, []string{profile.GrantClientCredentials, profile.GrantPassword, profile.GrantAuthorizationCode}},
		{true, []string{profile.GrantPassword, profile.GrantAuthorizationCode}},
	} {
		var got []string
		for _, way := range w.waysFor("short-lived", tc.refresh) {
			got = append(got, way.grant)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("refresh %v: ways %v, want %v", tc.refresh, got, tc.want)
		}
	}
}

// A scenario about one authentication method uses it with a client the server accepts it from
// (clients.<role>.auth_methods), and is not applicable with a client that has only another.
func TestAuthenticatesWithAcceptedMethod(t *testing.T) {
	p := &profile.Profile{Clients: map[string]profile.Client{
		"client_credentials": {ID: "cc", Secret: "s", AuthMethod: "client_secret_basic", AuthMethods: []string{"client_secret_basic", "client_secret_post"}},
		"password":           {ID: "ro", Secret: "s", AuthMethod: "client_secret_basic"},
	}}
	w := &World{p: p}
	if _, am, _ := w.creds("client credentials"); am != oauthclient.AuthBasic {
		t.Fatalf("before the scenario chooses: %q, want the declared auth_method (basic)", am)
	}
	if err := w.authenticatesWith("client credentials", "client_secret_post"); err != nil {
		t.Fatalf("a method in auth_methods: %v", err)
	}
	if _, am, _ := w.creds("client credentials"); am != oauthclient.AuthPost {
		t.Fatalf("after choosing client_secret_post: the requests use %q", am)
	}
	err := w.authenticatesWith("password", "client_secret_post")
	if o := outcome(err); o != verdict.OutcomeNotApplicable {
		t.Fatalf("a client without the method: want not applicable, got %v", err)
	}
}
