package steps

import (
	"errors"
	"net/http"
	"testing"

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
	respond(401)
	for _, code := range []string{"", "invalid_token"} {
		err := w.challengeError(code)
		var v *verdict.Error
		if !errors.As(err, &v) || v.Outcome != verdict.OutcomeBlocked || v.BlockedBy != "RFC6750-3" {
			t.Errorf("challengeError(%q) without a challenge: %v, want blocked by RFC6750-3", code, err)
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
