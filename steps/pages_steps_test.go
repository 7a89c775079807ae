package steps

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// One deviation is reported once: a refusal without a Bearer challenge is the FAIL of the
// scenario requiring the challenge (bearer:33), so the scenarios reading its error code
// (bearer:40, :52) end blocked by RFC 6750 3 instead of failing again.
func TestChallengeErrorWithoutAChallengeIsBlocked(t *testing.T) {
	w := newWorld(&Env{Profile: &profile.Profile{}})
	respond := func(status int, challenge ...string) {
		h := http.Header{}
		for _, c := range challenge {
			h.Add("WWW-Authenticate", c)
		}
		w.last = oauthclient.NewResponse(&oauthclient.Exchange{Method: "GET", URL: "http://rs.example/x", Status: status, ResponseHeader: h})
	}
	// A refusal without a challenge, and no refusal at all (oauth2-mock-server's userinfo
	// answers 200 to a request without a token): bearer:33's deviation either way.
	for _, status := range []int{401, 200} {
		respond(status)
		for _, code := range []string{"", "invalid_token"} {
			err := w.challengeError(code)
			var v *verdict.Error
			if !errors.As(err, &v) || v.Outcome != verdict.OutcomeBlocked || v.BlockedBy != "RFC6750-3" {
				t.Errorf("challengeError(%q) without a challenge after HTTP %d: %v, want blocked by RFC6750-3", code, status, err)
			}
		}
	}
	// Every challenge of every field is read: RFC 9449 7.2's example, then the DPoP one first.
	respond(401, `DPoP algs="ES256", Bearer realm="api", error="invalid_token"`)
	if err := w.challengeError("invalid_token"); err != nil {
		t.Errorf("a Bearer challenge after a DPoP one: %v", err)
	}
	respond(401, `Bearer, DPoP algs="ES256"`)
	if err := w.challengeError(""); err != nil {
		t.Errorf("RFC 9449 7.2's example carries no error code: %v", err)
	}
	if err := w.challengeError("invalid_token"); err == nil || errors.As(err, new(*verdict.Error)) {
		t.Errorf("a challenge without the error code passed or did not fail: %v", err)
	}
}

// A server whose profile says it registers origins is judged under RFC 9700 2.1 alone when it
// follows a same-origin variant; another origin stays an invalid redirect URI under RFC 6749.
func TestOriginRegistrationCitesRFC9700(t *testing.T) {
	for _, c := range []struct {
		registration, variant, want, not string
	}{
		{profile.RegistrationOrigin, "/extra", "RFC 9700 2.1", "the invalid redirect URI"},
		{profile.RegistrationURI, "/extra", "the invalid redirect URI", "RFC 9700 2.1"},
		{profile.RegistrationOrigin, "https", "the invalid redirect URI", "RFC 9700 2.1"},
	} {
		p := &profile.Profile{
			Endpoints:    profile.Endpoints{Authorization: "http://as.example/authorize"},
			Clients:      map[string]profile.Client{"confidential": {ID: "c", Secret: "s", RedirectURI: "http://127.0.0.1/callback"}},
			Scopes:       profile.Scopes{Allowed: []string{"read"}},
			Capabilities: profile.Capabilities{RedirectURIRegistration: c.registration},
		}
		w := newWorld(&Env{Profile: p})
		if err := w.startAuthorization("confidential"); err != nil {
			t.Fatal(err)
		}
		reg, _ := w.redirectURIFor("confidential")
		requested := reg + c.variant
		if c.variant == "https" {
			requested = "https" + strings.TrimPrefix(reg, "http")
		}
		w.authReq.Set("redirect_uri", requested)
		w.authResp = &authResponse{via: "http", reached: true}
		err := w.doesNotRedirect()
		_ = w.listener.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.not) {
			t.Errorf("%s registration, %s: %v", c.registration, requested, err)
		}
	}
}

// A browser flow that stopped on a page the profile does not describe, answered 200, is
// inconclusive (it may be the profile's selectors); answered with an error status, it is the
// server's refusal and fails.
func TestUnrecognisedPageIsInconclusive(t *testing.T) {
	p := &profile.Profile{
		Endpoints: profile.Endpoints{Authorization: "http://as.example/authorize"},
		Clients:   map[string]profile.Client{"confidential": {ID: "c", Secret: "s", RedirectURI: "http://127.0.0.1/callback"}},
		Scopes:    profile.Scopes{Allowed: []string{"read"}},
	}
	w := newWorld(&Env{Profile: p})
	if err := w.startAuthorization("confidential"); err != nil {
		t.Fatal(err)
	}
	defer w.listener.Close()
	for _, c := range []struct {
		status       int
		other        bool
		inconclusive bool
	}{
		{200, true, true},
		{400, true, false},
		{200, false, false}, // the login page came back: the flow knows that page
	} {
		w.authResp = &authResponse{via: "browser", outcome: &browser.Outcome{Status: c.status, OtherPage: c.other, LoginShown: !c.other}}
		err := w.receivesCode()
		var v *verdict.Error
		if err == nil || errors.As(err, &v) != c.inconclusive {
			t.Errorf("status %d, other page %v: %v (want inconclusive: %v)", c.status, c.other, err, c.inconclusive)
		}
	}
}

// The status of a refusal is judged only when there is one: a resource that accepted an invalid
// token (HTTP 200) is the challenge scenario's MUST deviation, and blocks the 401/403 ones.
func TestResourceRefusedBlocksOnAcceptance(t *testing.T) {
	w := newWorld(&Env{Profile: &profile.Profile{}})
	for _, c := range []struct {
		status  int
		blocked bool
	}{{200, true}, {204, true}, {401, false}, {403, false}, {400, false}} {
		w.last = oauthclient.NewResponse(&oauthclient.Exchange{Method: "GET", URL: "http://rs.example/x", Status: c.status, ResponseHeader: http.Header{}})
		err := w.resourceRefused()
		var v *verdict.Error
		got := errors.As(err, &v) && v.Outcome == verdict.OutcomeBlocked && v.BlockedBy == "RFC6750-3"
		if got != c.blocked || (!c.blocked && err != nil) {
			t.Errorf("HTTP %d: %v, want blocked %v", c.status, err, c.blocked)
		}
	}
}

// A profile without an approval page (zitadel's example, the mock) makes the forged-approval
// rows not applicable before any browser work: "the server showed no approval page" would be
// an inconclusive about something the profile already says.
func TestForgedApprovalWithoutApprovalPage(t *testing.T) {
	w := newWorld(&Env{Profile: &profile.Profile{}})
	_, _, err := w.reachForm(nil, "approval", profile.User{})
	var v *verdict.Error
	if !errors.As(err, &v) || v.Outcome != verdict.OutcomeNotApplicable {
		t.Fatalf("reachForm(approval) without browser.approve: %v, want not applicable", err)
	}
}
