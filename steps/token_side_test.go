package steps

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// resp builds a recorded response; basic says whether the request carried HTTP Basic auth.
func resp(status int, body string, basic bool, header ...string) *oauthclient.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	req := http.Header{}
	if basic {
		req.Set("Authorization", "Basic eDp5")
	}
	return oauthclient.NewResponse(&oauthclient.Exchange{Method: "POST", URL: "http://as/token", RequestHeader: req,
		Status: status, ResponseHeader: h, ResponseBody: []byte(body)})
}

// second is a step's error, for steps that return (context.Context, error).
func second(_ context.Context, err error) error { return err }

func outcome(err error) verdict.Outcome {
	var v *verdict.Error
	if errors.As(err, &v) {
		return v.Outcome
	}
	if err != nil {
		return verdict.OutcomeFail
	}
	return verdict.OutcomePass
}

// TestRefusesJudgesTheProtectionNotTheStatus: refuses() judges the protection and the code;
// RFC 6749 5.2's 400 has no keyword and is the status scenario's to report (Status400), so a
// refusal in another status passes here (issue 14 item 2).
func TestRefusesJudgesTheProtectionNotTheStatus(t *testing.T) {
	w := &World{}
	cases := []struct {
		name string
		r    *oauthclient.Response
		want verdict.Outcome
	}{
		{"400 invalid_request", resp(400, `{"error":"invalid_request"}`, false), verdict.OutcomePass},
		{"401 invalid_request", resp(401, `{"error":"invalid_request"}`, false), verdict.OutcomePass},
		{"403 invalid_grant", resp(403, `{"error":"invalid_grant"}`, false), verdict.OutcomePass},
		{"401 invalid_client with Basic and a challenge", resp(401, `{"error":"invalid_client"}`, true, "WWW-Authenticate", `Basic realm="x"`), verdict.OutcomePass},
		{"400 invalid_client in the body", resp(400, `{"error":"invalid_client"}`, false), verdict.OutcomePass},
		{"200 with an error", resp(200, `{"error":"invalid_grant"}`, false), verdict.OutcomePass},
		{"200 with a token", resp(200, `{"access_token":"a","token_type":"Bearer"}`, false), verdict.OutcomeFail},
		{"400 without an error", resp(400, `{}`, false), verdict.OutcomeFail},
		{"500", resp(500, `{"error":"server_error"}`, false), verdict.OutcomeFail},
		{"503 temporarily_unavailable", resp(503, `{"error":"temporarily_unavailable"}`, false), verdict.OutcomeInconclusive},
	}
	for _, c := range cases {
		w.last = c.r
		_, err := w.refuses(context.Background())
		if got := outcome(err); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestDoesNotIssueRefusesAServerError(t *testing.T) {
	w := &World{}
	for status, want := range map[int]verdict.Outcome{405: verdict.OutcomePass, 400: verdict.OutcomePass, 401: verdict.OutcomePass,
		500: verdict.OutcomeFail, 302: verdict.OutcomeFail} {
		w.last = resp(status, `{"error":"x"}`, false)
		if got := outcome(w.doesNotIssue()); got != want {
			t.Errorf("HTTP %d: %s, want %s", status, got, want)
		}
	}
	w.last = resp(200, `{"access_token":"a","token_type":"Bearer"}`, false)
	if outcome(w.doesNotIssue()) != verdict.OutcomeFail {
		t.Error("an issued token passed")
	}
}

// TestScopeJudgementsFollow33 checks RFC 6749 3.3: a server may ignore a requested scope when it
// names the scope it grants.
func TestScopeJudgementsFollow33(t *testing.T) {
	w := &World{p: &profile.Profile{}, lastScopeAsked: "read admin"}
	for body, want := range map[string]verdict.Outcome{
		`{"access_token":"a","token_type":"Bearer","scope":"read"}`:       verdict.OutcomePass,
		`{"access_token":"a","token_type":"Bearer"}`:                      verdict.OutcomeFail,
		`{"access_token":"a","token_type":"Bearer","scope":"read admin"}`: verdict.OutcomeFail,
	} {
		w.last = resp(200, body, false)
		if got := outcome(second(w.refusesScopeOrIgnores(context.Background(), "admin"))); got != want {
			t.Errorf("%s: %s, want %s", body, got, want)
		}
	}
	w.last = resp(400, `{"error":"invalid_scope"}`, false)
	if got := outcome(second(w.refusesScopeOrIgnores(context.Background(), "admin"))); got != verdict.OutcomePass {
		t.Errorf("invalid_scope: %s", got)
	}

	w.originalScope = "read write"
	w.lastScopeAsked = "read write admin"
	for body, want := range map[string]verdict.Outcome{
		`{"access_token":"a","token_type":"Bearer","scope":"read"}`:       verdict.OutcomePass,
		`{"access_token":"a","token_type":"Bearer","scope":"write read"}`: verdict.OutcomePass,
		`{"access_token":"a","token_type":"Bearer","scope":"read admin"}`: verdict.OutcomeFail,
		`{"access_token":"a","token_type":"Bearer"}`:                      verdict.OutcomeFail,
	} {
		w.last = resp(200, body, false)
		if got := outcome(second(w.refreshScopeWithinOriginal(context.Background()))); got != want {
			t.Errorf("refresh %s: %s, want %s", body, got, want)
		}
	}
}

func TestAtMostOneOfTheParallelRequests(t *testing.T) {
	ok := resp(200, `{"access_token":"a","token_type":"Bearer"}`, false)
	no := resp(400, `{"error":"invalid_grant"}`, false)
	for name, c := range map[string]struct {
		race []*oauthclient.Response
		want verdict.Outcome
	}{
		"one":  {[]*oauthclient.Response{no, ok, no}, verdict.OutcomePass},
		"two":  {[]*oauthclient.Response{ok, no, ok}, verdict.OutcomeFail},
		"none": {[]*oauthclient.Response{no, no}, verdict.OutcomeInconclusive},
	} {
		w := &World{p: &profile.Profile{}}
		w.side.race = c.race
		if _, err := w.atMostOneIssued(context.Background()); outcome(err) != c.want {
			got := outcome(err)
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}

// TestTokensWithoutThePasswordGrant: a target without the password grant and without a browser
// in this run gets an honest outcome, never a password grant request.
func TestTokensWithoutThePasswordGrant(t *testing.T) {
	p := &profile.Profile{
		Clients: map[string]profile.Client{
			"confidential": {ID: "c", Secret: "s", RedirectURI: "http://127.0.0.1/cb"},
			"password":     {ID: "p", Secret: "s"},
		},
		Scopes:       profile.Scopes{Allowed: []string{"read"}},
		Capabilities: profile.Capabilities{Grants: []string{"authorization_code", "refresh_token"}},
		Browser:      profile.BrowserActions{Login: []profile.Action{{Click: "#login"}}},
	}
	w := newWorld(&Env{Profile: p, BrowserErr: errors.New("not started")})
	_, err := w.anyClientHasTokens(context.Background(), " and a refresh token")
	if outcome(err) != verdict.OutcomeInconclusive || !strings.Contains(err.Error(), "browser") {
		t.Fatalf("got %v, want inconclusive for want of a browser", err)
	}
	p.Browser.Login = nil
	_, err = w.anyClientHasTokens(context.Background(), " and a refresh token")
	if outcome(err) != verdict.OutcomeNotApplicable || !strings.Contains(err.Error(), "password grant") {
		t.Fatalf("got %v, want not applicable naming every way", err)
	}
	if n := len(w.http.Exchanges()); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

func TestNoLongerActiveNeedsProof(t *testing.T) {
	w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"active":false}`))
	})
	w.accessTokens, w.tokenOwner = []string{"tok"}, "client credentials"
	err := w.tokenActivity(context.Background(), "access token", "no longer active")
	if outcome(err) != verdict.OutcomeInconclusive {
		t.Fatalf("got %v, want inconclusive: the token was never seen active", err)
	}
}

// TestStillActiveNeedsAnEndpointThatCanSayInactive: "still active" is what passes another
// client's revocation; an introspection endpoint that answers every token active (as
// oauth2-mock-server does) proves nothing, so the scenario is inconclusive, not a pass.
func TestStillActiveNeedsAnEndpointThatCanSayInactive(t *testing.T) {
	for _, c := range []struct {
		name      string
		unknownOK bool // the endpoint reports a made-up token active
		want      verdict.Outcome
	}{
		{"an endpoint that tells tokens apart", false, verdict.OutcomePass},
		{"an endpoint that reports every token active", true, verdict.OutcomeInconclusive},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				rw.Header().Set("Content-Type", "application/json")
				if r.PostForm.Get("token") == "tok" || c.unknownOK {
					_, _ = rw.Write([]byte(`{"active":true}`))
					return
				}
				_, _ = rw.Write([]byte(`{"active":false}`))
			})
			w.accessTokens, w.tokenOwner = []string{"tok"}, "client credentials"
			err := w.tokenActivity(context.Background(), "access token", "still active")
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
			if c.want == verdict.OutcomeInconclusive && !strings.Contains(err.Error(), "made up") {
				t.Errorf("the verdict should say why: %v", err)
			}
		})
	}
}

// TestMetadataFromOpenIDDiscoveryOnly (review C): the member checks judge the document the run
// found; only the RFC 8414 location scenario sees the missing RFC 8414 document.
func TestMetadataFromOpenIDDiscoveryOnly(t *testing.T) {
	var issuer string
	w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"issuer":"` + issuer + `","authorization_endpoint":"` + issuer + `/authorize","response_types_supported":["code"]}`))
	})
	issuer = w.p.Issuer
	w.p.MetadataURL = issuer + "/.well-known/openid-configuration"
	ctx := context.Background()
	if err := w.fetchMetadata(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.statusIs(ctx, "", 200); err != nil {
		t.Fatalf("the discovery document was not the one judged: %v", err)
	}
	if err := w.memberIs("issuer", "{issuer}"); err != nil {
		t.Fatal(err)
	}
	// Only the client credentials grant: no grant uses the authorization endpoint, so its
	// member is not required; the token endpoint is, and this document lacks it.
	if got := outcome(w.requiredEndpointMember("authorization_endpoint")); got != verdict.OutcomeNotApplicable {
		t.Errorf("authorization_endpoint: %s, want not applicable", got)
	}
	if got := outcome(w.requiredEndpointMember("token_endpoint")); got != verdict.OutcomeFail {
		t.Errorf("token_endpoint: %s, want fail", got)
	}
	if got := outcome(w.endpointMatches("revocation_endpoint", "x")); got != verdict.OutcomeNotApplicable {
		t.Errorf("an unpublished revocation_endpoint: %s, want not applicable", got)
	}
	if err := w.fetchRFC8414Metadata(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.statusIs(ctx, "", 200); err == nil {
		t.Fatal("the missing RFC 8414 document passed")
	}
}

// TestRevocationRefusalIsAnyClientError: RFC 7009 2.1 demands a refusal with an error; the
// status is RFC 7009 2.2.1's rule, not the one the foreign-token scenarios quote.
func TestRevocationRefusalIsAnyClientError(t *testing.T) {
	w := &World{}
	for status, want := range map[int]verdict.Outcome{400: verdict.OutcomePass, 401: verdict.OutcomePass, 403: verdict.OutcomePass,
		200: verdict.OutcomeFail, 500: verdict.OutcomeFail} {
		w.last = resp(status, `{"error":"unauthorized_client"}`, false)
		if got := outcome(w.revocationRefuses()); got != want {
			t.Errorf("HTTP %d: %s, want %s", status, got, want)
		}
	}
}
