package steps

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// rotatingServer is a token endpoint that rotates refresh tokens: a used token is refused with
// invalid_grant, its successor works. dead reports whether a token is revoked (the revoked token
// and, when revokeFamily is set, everything issued after it).
type rotatingServer struct {
	mu           sync.Mutex
	used         map[string]bool
	revoked      map[string]bool
	revokeFamily bool
	n            int
}

func (s *rotatingServer) handle(rw http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	if s.used[rt] || s.revoked[rt] {
		rw.WriteHeader(400)
		_, _ = rw.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	s.used[rt] = true
	s.n++
	next := "rt-" + strings.Repeat("x", s.n)
	if s.revokeFamily && s.n > 1 {
		s.revoked[next] = true // the revocation reached the family after one late success
	}
	_, _ = rw.Write([]byte(`{"access_token":"at","token_type":"bearer","refresh_token":"` + next + `"}`))
}

// TestRefreshNoLongerWorksFollowsTheSuccessor: a rotating server that ignores the revocation
// must not pass on rotation alone (review: revocation:11, :69, refresh_token:104, security:18).
func TestRefreshNoLongerWorksFollowsTheSuccessor(t *testing.T) {
	for _, c := range []struct {
		name    string
		ignores bool
		family  bool
		want    verdict.Outcome
	}{
		{"rotating server ignoring the revocation", true, false, verdict.OutcomeFail},
		{"the successor issued during the propagation delay dies too", true, true, verdict.OutcomePass},
		{"the revoked token is refused at once", false, false, verdict.OutcomePass},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &rotatingServer{used: map[string]bool{}, revoked: map[string]bool{}, revokeFamily: c.family}
			if !c.ignores {
				s.revoked["rt-0"] = true
			}
			w := fakeTarget(t, s.handle)
			w.p.Timeouts.Request = 1500 * time.Millisecond
			w.tokenOwner = "client credentials"
			w.refreshTokens = []string{"rt-0"}
			err := w.refreshNoLongerWorks(context.Background())
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
			if c.want == verdict.OutcomeFail && !strings.Contains(err.Error(), "successor") {
				t.Errorf("the failure should say the successors were followed: %v", err)
			}
		})
	}
}

// TestResourceTwoXXIsNoMissingChallenge: a resource that still answers 2xx after a revocation, or
// to a token without the profile's required scope, refused nothing, so no challenge is owed
// (review: bearer:60, :70, :92, :99); a refusal goes on to the challenge's judgement.
func TestResourceTwoXXIsNoMissingChallenge(t *testing.T) {
	for _, c := range []struct {
		name         string
		status       int
		withoutScope bool
		until        string
		want         verdict.Outcome
	}{
		{"2xx to a token without the required scope", 200, true, "", verdict.OutcomeInconclusive},
		{"403 to a token without the required scope", 403, true, "", verdict.OutcomePass},
		{"2xx to a token with its scope", 200, false, "", verdict.OutcomePass},
		{"2xx still after the revocation's wait", 204, false, " until the revocation has taken effect", verdict.OutcomeInconclusive},
		{"401 after the revocation", 401, false, " until the revocation has taken effect", verdict.OutcomePass},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(c.status) })
			w.p.Resource = &profile.Resource{URL: w.p.Issuer + "/resource", RequiredScope: "calc"}
			w.p.Timeouts.Request = 500 * time.Millisecond
			w.accessTokens = []string{"at"}
			w.side.withoutResourceScope = c.withoutScope
			err := w.callResource(context.Background(), "with the access token", "Authorization header", "", c.until)
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
			if w.last == nil || w.last.Status != c.status {
				t.Fatalf("the answer was not kept for the Then steps: %v", w.last)
			}
		})
	}
}

// TestRaceRoundsReportTheRate: one doubled round in many fails and names the rate; rounds with
// no winner at all are inconclusive.
func TestRaceRoundsReportTheRate(t *testing.T) {
	ok := resp(200, `{"access_token":"a","token_type":"Bearer"}`, false)
	no := resp(400, `{"error":"invalid_grant"}`, false)
	w := &World{p: &profile.Profile{}}
	for i := 0; i < 40; i++ {
		w.side.race = []*oauthclient.Response{ok, no, no}
		if i == 17 {
			w.side.race = []*oauthclient.Response{no, ok, ok}
		}
		w.tally()
	}
	_, err := w.atMostOneIssued(context.Background())
	if outcome(err) != verdict.OutcomeFail || !strings.Contains(err.Error(), "1 of 40 rounds") || !strings.Contains(err.Error(), "2.5%") {
		t.Fatalf("one doubled round in 40: %v", err)
	}
	w = &World{p: &profile.Profile{}}
	for i := 0; i < 3; i++ {
		w.side.race = []*oauthclient.Response{no, no}
		w.tally()
	}
	if _, err := w.atMostOneIssued(context.Background()); outcome(err) != verdict.OutcomeInconclusive {
		t.Fatalf("no winner in any round: %v", err)
	}
}
