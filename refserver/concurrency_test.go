package refserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// raceTokenRequests sends n identical token requests at once and returns each answer's status
// and body. It does not touch t from the goroutines.
func raceTokenRequests(e *testEnv, n int, form url.Values, id, secret string) (statuses []int, bodies []map[string]any) {
	statuses, bodies = make([]int, n), make([]map[string]any, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, PathToken, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
			rec := httptest.NewRecorder()
			<-start
			e.srv.ServeHTTP(rec, req)
			statuses[i] = rec.Code
			_ = json.Unmarshal(rec.Body.Bytes(), &bodies[i])
		}()
	}
	close(start)
	wg.Wait()
	return statuses, bodies
}

// checkOneWinner fails unless exactly one answer is 200 and every other is 400 invalid_grant
// (RFC 6749 5.2: a grant used twice is invalid_grant, however close together the uses were);
// it returns the winner's body.
func checkOneWinner(t *testing.T, statuses []int, bodies []map[string]any) map[string]any {
	t.Helper()
	var winner map[string]any
	for i, st := range statuses {
		switch {
		case st == http.StatusOK && winner == nil:
			winner = bodies[i]
		case st == http.StatusBadRequest && bodies[i]["error"] == errInvalidGrant:
		default:
			t.Errorf("request %d: %d %v; want one 200 and otherwise 400 invalid_grant", i, st, bodies[i])
		}
	}
	if winner == nil {
		t.Fatalf("no request won: %v", statuses)
	}
	return winner
}

// Two or more requests redeem the same code at once: one gets tokens, the others
// invalid_grant, and since the code was used more than once the winner's tokens are revoked
// (RFC 6749 4.1.2), whichever way the race went inside fosite.
func TestConcurrentCodeRedemption(t *testing.T) {
	e := newTestEnv(t)
	for round := range 4 {
		code := e.issueCode(confID, "calc:read offline_access", "")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURI}}
		statuses, bodies := raceTokenRequests(e, 6, form, confID, confSecret)
		winner := checkOneWinner(t, statuses, bodies)
		at, _ := winner["access_token"].(string)
		if e.active(confID, confSecret, at) {
			t.Errorf("round %d: the access token of a code redeemed %d times is still active", round, len(statuses))
		}
		rt, _ := winner["refresh_token"].(string)
		r := e.token(confID, confSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		expectError(t, r, http.StatusBadRequest, errInvalidGrant)
	}
}

// Two or more requests use the same refresh token at once: one gets the next pair, the others
// invalid_grant, and the reuse revokes the family, the winner's new tokens included
// (RFC 9700 4.14.2).
func TestConcurrentRefresh(t *testing.T) {
	e := newTestEnv(t)
	for round := range 4 {
		rt := e.codeTokens("calc:read offline_access").str("refresh_token")
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		statuses, bodies := raceTokenRequests(e, 6, form, confID, confSecret)
		winner := checkOneWinner(t, statuses, bodies)
		at, _ := winner["access_token"].(string)
		if e.active(confID, confSecret, at) {
			t.Errorf("round %d: the access token from a refresh token used %d times is still active", round, len(statuses))
		}
	}
}
