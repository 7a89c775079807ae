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

// TestRevokesAccessTokensNeedsProof: RFC 7009 2.2 answers 200 also for an invalid token, so a 200
// alone does not show that the target revokes access tokens (oauth2-mock-server answers 200 and
// revokes nothing); only the token reported inactive afterwards does.
func TestRevokesAccessTokensNeedsProof(t *testing.T) {
	for _, c := range []struct {
		name    string
		revokes bool
		answer  string // the revocation endpoint's error, "" for 200
		want    verdict.Outcome
	}{
		{"200 and the token inactive", true, "", verdict.OutcomePass},
		{"200 and the token still active", false, "", verdict.OutcomeNotApplicable},
		{"unsupported_token_type", false, "unsupported_token_type", verdict.OutcomeNotApplicable},
		{"another error", false, "invalid_request", verdict.OutcomeInconclusive},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			revoked := false
			w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				rw.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case "/token":
					_, _ = rw.Write([]byte(`{"access_token":"at-1","token_type":"Bearer"}`))
				case "/introspect":
					// Active only for the scenario's own token: the suite checks that the
					// endpoint reports a made-up token inactive before it believes "active".
					_ = r.ParseForm()
					active := r.PostForm.Get("token") == "at-1" && !revoked
					_, _ = rw.Write([]byte(`{"active":` + map[bool]string{true: "true", false: "false"}[active] + `}`))
				case "/revoke":
					if c.answer != "" {
						rw.WriteHeader(400)
						_, _ = rw.Write([]byte(`{"error":"` + c.answer + `"}`))
						return
					}
					revoked = c.revokes
				}
			})
			w.p.Endpoints.Revocation = w.p.Issuer + "/revoke"
			w.p.Timeouts.Request = 600 * time.Millisecond
			w.tokenOwner = "confidential"
			err := w.revokesAccessTokens(context.Background())
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
			if w.tokenOwner != "confidential" {
				t.Errorf("the scenario's token owner was not restored: %q", w.tokenOwner)
			}
		})
	}
}

// TestWrongHintTellsTheHintFromNoRevocation: after a revocation with a wrong token_type_hint, a
// refresh token that still works fails the scenario only when a revocation without the hint
// stops it (the hint was the cause); a target that revokes no refresh token at all is blocked by
// RFC 7009 2 (revocation:11's deviation).
func TestWrongHintTellsTheHintFromNoRevocation(t *testing.T) {
	for _, c := range []struct {
		name string
		mode string // "revokes", "hint stops it", "never"
		want verdict.Outcome
	}{
		{"the hint is ignored", "revokes", verdict.OutcomePass},
		{"the hint stops the revocation", "hint stops it", verdict.OutcomeFail},
		{"no revocation works", "never", verdict.OutcomeBlocked},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			revoked := map[string]bool{}
			w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				mu.Lock()
				defer mu.Unlock()
				rw.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case "/revoke":
					hinted := r.PostForm.Get("token_type_hint") == "access_token"
					if c.mode == "revokes" || (c.mode == "hint stops it" && !hinted) {
						revoked[r.PostForm.Get("token")] = true
					}
				case "/token":
					if revoked[r.PostForm.Get("refresh_token")] {
						rw.WriteHeader(400)
						_, _ = rw.Write([]byte(`{"error":"invalid_grant"}`))
						return
					}
					_, _ = rw.Write([]byte(`{"access_token":"at","token_type":"Bearer","refresh_token":"` + r.PostForm.Get("refresh_token") + `"}`))
				}
			})
			w.p.Endpoints.Revocation = w.p.Issuer + "/revoke"
			w.p.Timeouts.Request = 500 * time.Millisecond
			w.tokenOwner = "client credentials"
			w.refreshTokens = []string{"rt-0"}
			if err := w.tokenOp(context.Background(), "client credentials", "revokes", "the refresh token", ` with token_type_hint "access_token"`); err != nil {
				t.Fatal(err)
			}
			err := w.refreshNoLongerWorksDespiteHint(context.Background())
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
		})
	}
}

// TestStillActiveIsJudgedByItsStatedLifetime: a token still active when timeouts.expiry_wait is
// over fails only past its own stated expiry (review section 2, expiresWithinWait); a wait
// shorter than the token's life, or no stated lifetime, is inconclusive.
func TestStillActiveIsJudgedByItsStatedLifetime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	last := resp(200, `{"active":true}`, false)
	for _, c := range []struct {
		name     string
		response time.Time
		exp      time.Time
		want     verdict.Outcome
	}{
		{"expires_in passed long ago", now.Add(-time.Minute), time.Time{}, verdict.OutcomeFail},
		{"expires_in not passed yet", now.Add(time.Hour), time.Time{}, verdict.OutcomeInconclusive},
		{"expires_in passed within the skew", now.Add(-2 * time.Second), time.Time{}, verdict.OutcomeInconclusive},
		{"only exp, passed", time.Time{}, now.Add(-time.Minute), verdict.OutcomeFail},
		{"only exp, in an hour", time.Time{}, now.Add(time.Hour), verdict.OutcomeInconclusive},
		{"no stated lifetime", time.Time{}, time.Time{}, verdict.OutcomeInconclusive},
		{"expires_in passed, exp later: the response's lifetime counts", now.Add(-time.Minute), now.Add(time.Hour), verdict.OutcomeFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := judgeStillActive(last, c.response, c.exp, !c.exp.IsZero(), 15*time.Second, now)
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
		})
	}
}

// TestFormBodyRefusalNeedsAChallenge: a form-body token may be accepted (RFC 6750 2.2 MAY); a
// refusal needs a Bearer challenge (RFC 6750 3 MUST); a resource that serves no POST at all
// (oauth2-mock-server's userinfo: 404) cannot be asked.
func TestFormBodyRefusalNeedsAChallenge(t *testing.T) {
	for _, c := range []struct {
		name          string
		form, header  int
		formChallenge bool
		want          verdict.Outcome
	}{
		{"accepted", 200, 200, false, verdict.OutcomePass},
		{"refused with a challenge", 401, 200, true, verdict.OutcomePass},
		{"refused without a challenge", 400, 200, false, verdict.OutcomeFail},
		{"404 to the form, 200 to the header", 404, 200, false, verdict.OutcomeFail},
		{"no POST served", 404, 404, false, verdict.OutcomeNotApplicable},
		{"405 to every POST", 405, 405, false, verdict.OutcomeNotApplicable},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "" {
					rw.WriteHeader(c.header)
					return
				}
				if c.formChallenge {
					rw.Header().Set("WWW-Authenticate", `Bearer realm="x"`)
				}
				rw.WriteHeader(c.form)
			})
			w.p.Resource = &profile.Resource{URL: w.p.Issuer + "/resource"}
			w.accessTokens = []string{"at"}
			ctx := context.Background()
			if err := w.callResource(ctx, "with the access token", "form body", "", ""); err != nil {
				t.Fatal(err)
			}
			err := w.acceptsOrChallenges(ctx)
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
		})
	}
}

// TestUnauthenticatedRevocationJudgesTheProtection: RFC 7009 2.1's refusal has no keyword; a
// refusal passes, a 200 that leaves the token active passes with a warning, and a token revoked
// by a request without client authentication fails (the mock's 200 revokes nothing).
func TestUnauthenticatedRevocationJudgesTheProtection(t *testing.T) {
	for _, c := range []struct {
		name    string
		status  int
		body    string
		revokes bool
		want    verdict.Outcome
	}{
		{"401 invalid_client", 401, `{"error":"invalid_client"}`, false, verdict.OutcomePass},
		{"400 invalid_request", 400, `{"error":"invalid_request"}`, false, verdict.OutcomePass},
		{"200, the token left active", 200, ``, false, verdict.OutcomePass},
		{"200, the token revoked", 200, ``, true, verdict.OutcomeFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			revoked := false
			w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				rw.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case "/introspect":
					// Active only for the scenario's own token: the suite checks that the
					// endpoint reports a made-up token inactive before it believes "active".
					_ = r.ParseForm()
					active := r.PostForm.Get("token") == "at-1" && !revoked
					_, _ = rw.Write([]byte(`{"active":` + map[bool]string{true: "true", false: "false"}[active] + `}`))
				case "/revoke":
					revoked = c.revokes
					rw.WriteHeader(c.status)
					_, _ = rw.Write([]byte(c.body))
				}
			})
			w.p.Endpoints.Revocation = w.p.Issuer + "/revoke"
			w.tokenOwner = "client credentials"
			w.accessTokens = []string{"at-1"}
			w.side.activeSeen = map[string]string{"at-1": "client credentials"}
			ctx := context.Background()
			if err := w.tokenOp(ctx, "client credentials", "revokes", "the access token", " without client authentication"); err != nil {
				t.Fatal(err)
			}
			_, err := w.unauthenticatedRevocation(ctx)
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s (%v)", got, c.want, err)
			}
		})
	}
}
