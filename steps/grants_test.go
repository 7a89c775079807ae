package steps

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// brokenGrantTarget is a token endpoint whose client credentials grant crashes (HTTP 500) and
// whose password grant works unless passwordBroken; it records the scope of each request.
func brokenGrantTarget(t *testing.T, passwordBroken bool, scopes *[]string) *World {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		*scopes = append(*scopes, r.PostForm.Get("scope"))
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Cache-Control", "no-store")
		rw.Header().Set("Pragma", "no-cache")
		if r.PostForm.Get("grant_type") == "client_credentials" || passwordBroken {
			rw.WriteHeader(500)
			_, _ = rw.Write([]byte(`{"error":"server_error"}`))
			return
		}
		_, _ = rw.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":60}`))
	}))
	t.Cleanup(srv.Close)
	p := &profile.Profile{
		Issuer:    srv.URL,
		Endpoints: profile.Endpoints{Token: srv.URL + "/token"},
		Clients: map[string]profile.Client{
			"client_credentials": {ID: "cc", Secret: "s", AuthMethod: "client_secret_basic"},
			"password":           {ID: "ropc", Secret: "s", AuthMethod: "client_secret_basic"},
		},
		Users:        map[string]profile.User{"valid": {Username: "alice", Password: "pw"}},
		Scopes:       profile.Scopes{Allowed: []string{"openid", "read"}},
		Resource:     &profile.Resource{URL: srv.URL + "/userinfo", RequiredScope: "openid"},
		Capabilities: profile.Capabilities{Grants: []string{"client_credentials", "password"}},
	}
	return newWorld(&Env{Profile: p})
}

// TestBrokenGrantDoesNotCascade: a client credentials grant that answers 500 is reported by
// its own scenario only; the generic checks take their token from the next grant the target
// offers, and end blocked, naming the grant, when every grant is broken (issue 14, item 3).
func TestBrokenGrantDoesNotCascade(t *testing.T) {
	ctx := context.Background()
	var scopes []string
	w := brokenGrantTarget(t, false, &scopes)
	if _, err := w.anyGrantToken(ctx, "", " with an unknown parameter"); err != nil {
		t.Fatalf("the generic check did not fall back to the password grant: %v", err)
	}
	if err := w.issuesToken(""); err != nil {
		t.Fatalf("the check judged the broken grant's response: %v", err)
	}
	if err := w.headerWith("Cache-Control", "no-store"); err != nil {
		t.Fatal(err)
	}
	if w.tokenOwner != "password" {
		t.Fatalf("token owner %q, want password", w.tokenOwner)
	}
	// The set-up steps of introspection and revocation fall back the same way.
	w = brokenGrantTarget(t, false, &scopes)
	if _, err := w.anyClientHasTokens(ctx, ""); err != nil {
		t.Fatalf("a client has an access token: %v", err)
	}
	w = brokenGrantTarget(t, false, &scopes)
	if _, err := w.anyGrantToken(ctx, "client_secret_basic", ""); err != nil {
		t.Fatalf("HTTP Basic: %v", err)
	}
	if _, err := w.anyGrantToken(ctx, "client_secret_post", ""); outcome(err) != verdict.OutcomeNotApplicable || !strings.Contains(err.Error(), "client_secret_post") {
		t.Fatalf("no client registered for client_secret_post: %v, want not applicable naming it", err)
	}

	w = brokenGrantTarget(t, true, &scopes)
	_, err := w.anyGrantToken(ctx, "", "")
	var v *verdict.Error
	if outcome(err) != verdict.OutcomeBlocked {
		t.Fatalf("every grant broken: %v, want blocked", err)
	}
	_ = errorsAs(err, &v)
	if !strings.Contains(v.BlockedBy, "client_credentials grant") || !strings.Contains(v.Reason, "password grant") || !strings.Contains(v.Reason, "500") {
		t.Fatalf("blocked by %q: %q; want the client_credentials grant named first, and both failures", v.BlockedBy, v.Reason)
	}
}

// TestResourceScopeOnlyForResourceTokens: resource.required_scope is asked for by the requests
// for a resource token, and by no other (an OpenID userinfo resource needing openid must not
// make every client credentials request ask for openid).
func TestResourceScopeOnlyForResourceTokens(t *testing.T) {
	ctx := context.Background()
	var scopes []string
	w := brokenGrantTarget(t, false, &scopes)
	if _, err := w.anyGrantToken(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.resourceHasTokens(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.resourceHasTokens(ctx, " without the resource's scope"); err != nil {
		t.Fatal(err)
	}
	want := []string{"read", "read", "read openid", "read openid", "read", "read"}
	if strings.Join(scopes, ",") != strings.Join(want, ",") {
		t.Fatalf("scopes asked %q, want %q", scopes, want)
	}
}

func TestJoinScopes(t *testing.T) {
	for in, want := range map[string]string{
		"read  write":       "read write",
		" read write read ": "read write",
		"":                  "",
	} {
		if got := joinScopes(in); got != want {
			t.Errorf("joinScopes(%q) = %q, want %q", in, got, want)
		}
	}
	if got := joinScopes("read", "", "write"); got != "read write" {
		t.Errorf("got %q", got)
	}
	// The refresh_token.feature row "{allowed-scope} {refresh-scope} {other-allowed-scope}"
	// with scopes.refresh unset.
	w := newWorld(&Env{Profile: &profile.Profile{Scopes: profile.Scopes{Allowed: []string{"read", "write"}}}})
	tr := request{}
	_ = tr
	v, err := w.expand("{allowed-scope} {refresh-scope} {other-allowed-scope}")
	if err != nil {
		t.Fatal(err)
	}
	if got := joinScopes(v); got != "read write" {
		t.Fatalf("got %q", got)
	}
}

func errorsAs(err error, v **verdict.Error) bool { return errors.As(err, v) }

// TestAnotherClientForARefresh: "another client" of a refresh is one the profile declares for
// refresh_token; with none, unauthorized_client is accepted as the refusal too (review row
// refresh_token:28).
func TestAnotherClientForARefresh(t *testing.T) {
	p := &profile.Profile{Clients: map[string]profile.Client{
		"confidential":       {ID: "a", Secret: "s", Grants: []string{"authorization_code", "refresh_token"}},
		"client_credentials": {ID: "cc", Secret: "s", Grants: []string{"client_credentials"}},
		"password":           {ID: "p", Secret: "s", Grants: []string{"password", "refresh_token"}},
	}}
	w := newWorld(&Env{Profile: p})
	w.tokenOwner = "confidential"
	role, err := w.otherRole(profile.GrantRefreshToken)
	if err != nil || role != "password" || w.otherMayNotRefresh {
		t.Fatalf("got %q, %v; want the password client, declared for refresh_token", role, err)
	}
	w.last = resp(400, `{"error":"unauthorized_client"}`, false)
	if outcome(w.refusesOtherClientsRefresh()) != verdict.OutcomeFail {
		t.Fatal("unauthorized_client from a client registered for refresh_token passed")
	}
	p.Clients["password"] = profile.Client{ID: "p", Secret: "s", Grants: []string{"password"}}
	role, err = w.otherRole(profile.GrantRefreshToken)
	if err != nil || role != "client credentials" || !w.otherMayNotRefresh {
		t.Fatalf("got %q, %v (may not refresh: %v)", role, err, w.otherMayNotRefresh)
	}
	for body, want := range map[string]verdict.Outcome{
		`{"error":"unauthorized_client"}`: verdict.OutcomePass,
		`{"error":"invalid_grant"}`:       verdict.OutcomePass,
		`{"error":"invalid_request"}`:     verdict.OutcomeFail,
	} {
		w.last = resp(400, body, false)
		if got := outcome(w.refusesOtherClientsRefresh()); got != want {
			t.Errorf("%s: %s, want %s", body, got, want)
		}
	}
	w.last = resp(200, `{"access_token":"a","token_type":"Bearer"}`, false)
	if outcome(w.refusesOtherClientsRefresh()) != verdict.OutcomeFail {
		t.Fatal("a refreshed token passed")
	}
}

// TestMissingClientIsNotApplicable: a scenario that needs a client the profile does not have
// is not applicable and names the client to add (issue 14, item 8).
func TestMissingClientIsNotApplicable(t *testing.T) {
	var scopes []string
	w := brokenGrantTarget(t, false, &scopes)
	err := w.tokenRequest(context.Background(), "second confidential", "requests a token with its client credentials", "")
	if outcome(err) != verdict.OutcomeNotApplicable || !strings.Contains(err.Error(), "clients.second_confidential") {
		t.Fatalf("got %v", err)
	}
	if _, err := w.client("PKCE"); outcome(err) != verdict.OutcomeNotApplicable || !strings.Contains(err.Error(), "clients.public") {
		t.Fatalf("PKCE without public or confidential client: %v", err)
	}
	if len(scopes) != 0 {
		t.Fatalf("requests were sent: %q", scopes)
	}
}

// TestErrorResponsePrecondition: the check of an error response's characters is blocked, not
// failed, when the target answers its unknown grant type with something other than an error;
// and it needs a confidential client, not the client credentials grant.
func TestErrorResponsePrecondition(t *testing.T) {
	status := 500
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if status == 500 {
			rw.WriteHeader(500)
			_, _ = rw.Write([]byte("<html>oops</html>"))
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(status)
		_, _ = rw.Write([]byte(`{"error":"unsupported_grant_type","error_description":"no such grant"}`))
	}))
	defer srv.Close()
	p := &profile.Profile{Endpoints: profile.Endpoints{Token: srv.URL},
		Clients:      map[string]profile.Client{"confidential": {ID: "c", Secret: "s", AuthMethod: "client_secret_basic"}},
		Scopes:       profile.Scopes{Allowed: []string{"read"}},
		Capabilities: profile.Capabilities{Grants: []string{"authorization_code"}}}
	w := newWorld(&Env{Profile: p})
	err := w.hasErrorResponse(context.Background(), "urn:example:no-such-grant")
	if outcome(err) != verdict.OutcomeBlocked || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("500: %v, want blocked", err)
	}
	status = 400
	if err := w.hasErrorResponse(context.Background(), "urn:example:no-such-grant"); err != nil {
		t.Fatal(err)
	}
	if err := w.tokenErrorChars(); err != nil {
		t.Fatal(err)
	}
}

// TestNoRefreshTokenIsNotApplicable: a target that issues no refresh token (RFC 6749 1.5:
// optional) makes a scenario that needs one not applicable, saying so.
func TestNoRefreshTokenIsNotApplicable(t *testing.T) {
	var scopes []string
	w := brokenGrantTarget(t, false, &scopes)
	_, err := w.anyClientHasTokens(context.Background(), " and a refresh token")
	if outcome(err) != verdict.OutcomeNotApplicable || !strings.Contains(err.Error(), "issued no refresh token to the password client") {
		t.Fatalf("got %v", err)
	}
}

// TestCheckOwnFailureIsNotABrokenGrant: when the request the check is about fails (an unknown
// parameter refused, HTTP Basic refused) and the grant works otherwise, the check judges that
// failure itself: its Then step fails, rather than the scenario ending blocked by the grant.
func TestCheckOwnFailureIsNotABrokenGrant(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rw.Header().Set("Content-Type", "application/json")
		switch {
		case r.PostForm.Get("grant_type") == "client_credentials":
			rw.WriteHeader(500)
			_, _ = rw.Write([]byte(`{"error":"server_error"}`))
		case r.PostForm.Has("x_oauthconf_unknown"):
			rw.WriteHeader(400)
			_, _ = rw.Write([]byte(`{"error":"invalid_request"}`))
		case r.Header.Get("Authorization") != "":
			rw.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			rw.WriteHeader(401)
			_, _ = rw.Write([]byte(`{"error":"invalid_client"}`))
		default:
			_, _ = rw.Write([]byte(`{"access_token":"tok","token_type":"Bearer"}`))
		}
	}))
	defer srv.Close()
	p := &profile.Profile{Endpoints: profile.Endpoints{Token: srv.URL},
		Clients: map[string]profile.Client{
			"client_credentials": {ID: "cc", Secret: "s", AuthMethod: "client_secret_post"},
			"password":           {ID: "p", Secret: "s", AuthMethod: "client_secret_post", AuthMethods: []string{"client_secret_post", "client_secret_basic"}},
		},
		Users:        map[string]profile.User{"valid": {Username: "u", Password: "pw"}},
		Scopes:       profile.Scopes{Allowed: []string{"read"}},
		Capabilities: profile.Capabilities{Grants: []string{"client_credentials", "password"}}}
	ctx := context.Background()

	w := newWorld(&Env{Profile: p})
	if _, err := w.anyGrantToken(ctx, "", " with an unknown parameter"); err != nil {
		t.Fatalf("the unknown parameter's refusal ended the step: %v", err)
	}
	if err := w.issuesToken(""); outcome(err) != verdict.OutcomeFail || !strings.Contains(err.Error(), "invalid_request") {
		t.Fatalf("the refused unknown parameter passed: %v", err)
	}

	w = newWorld(&Env{Profile: p})
	if _, err := w.anyGrantToken(ctx, "client_secret_basic", ""); err != nil {
		t.Fatalf("the Basic refusal ended the step: %v", err)
	}
	if err := w.issuesToken(""); outcome(err) != verdict.OutcomeFail || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("a refused HTTP Basic passed: %v", err)
	}

	// Without a modifier the broken client credentials grant is skipped: the password grant works.
	w = newWorld(&Env{Profile: p})
	if _, err := w.anyGrantToken(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := w.issuesToken(""); err != nil {
		t.Fatal(err)
	}
}
