package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// pickToken resolves "the access token", "the first access token", "the refresh token" and
// "an unknown token", with the token_type_hint that names it.
func (w *World) pickToken(which string) (token, hint string, err error) {
	switch which {
	case "the access token", "access token":
		if len(w.accessTokens) == 0 {
			return "", "", fmt.Errorf("no access token was issued in this scenario")
		}
		return w.accessTokens[len(w.accessTokens)-1], "access_token", nil
	case "the first access token", "first access token":
		if len(w.accessTokens) == 0 {
			return "", "", fmt.Errorf("no access token was issued in this scenario")
		}
		return w.accessTokens[0], "access_token", nil
	case "the refresh token", "refresh token":
		if len(w.refreshTokens) == 0 {
			return "", "", fmt.Errorf("no refresh token was issued in this scenario")
		}
		return w.refreshTokens[len(w.refreshTokens)-1], "refresh_token", nil
	case "an unknown token":
		return "unknown-" + oauthclient.RandomString(40), "", nil
	}
	return "", "", fmt.Errorf("unknown token %q", which)
}

// tokenSide is the per-scenario state of the token-side steps.
type tokenSide struct {
	// activeSeen records, for each token, the role of the client that introspected it and saw
	// it active: the proof a later "no longer active" needs (RFC 7662 2.2 lets a server answer
	// active:false to a caller that may not introspect a token, which would prove nothing).
	activeSeen map[string]string
	// race holds the answers of the last parallel requests.
	race []*oauthclient.Response
	// rounds tallies the race scenarios' rounds (race_rounds).
	rounds raceTally
	// withoutResourceScope: the scenario's token was asked for without the profile's
	// resource.required_scope.
	withoutResourceScope bool
	// statedExpiry is when each access token expires by its token response's expires_in
	// (RFC 6749 5.1: "The lifetime in seconds of the access token"), reckoned from its receipt.
	statedExpiry map[string]time.Time
}

// noteStatedExpiry records an access token's lifetime as its token response states it.
func (w *World) noteStatedExpiry(resp *oauthclient.Response) {
	secs, ok := resp.Number("expires_in")
	if !ok || secs < 0 || resp.AccessToken() == "" {
		return
	}
	if w.side.statedExpiry == nil {
		w.side.statedExpiry = map[string]time.Time{}
	}
	w.side.statedExpiry[resp.AccessToken()] = time.Now().Add(time.Duration(secs * float64(time.Second)))
}

// tokenOp sends an introspection or revocation request for the client of role.
func (w *World) tokenOp(ctx context.Context, role, op, which, tail string) error {
	creds, auth, err := w.creds(role)
	if err != nil {
		return err
	}
	token, _, err := w.pickToken(which)
	if err != nil {
		return err
	}
	endpoint := w.p.Endpoints.Introspection
	if op == "revokes" {
		endpoint = w.p.Endpoints.Revocation
	}
	req := oauthclient.TokenOpRequest{Endpoint: endpoint, Token: token, Client: creds, AuthMethod: auth}
	r := &request{auth: &req.AuthMethod, creds: &req.Client, method: &req.Method, extra: url.Values{}, query: url.Values{}, op: &req}
	for _, m := range splitMods(tail) {
		if err := w.apply(r, m); err != nil {
			return err
		}
	}
	if len(r.query) > 0 {
		return fmt.Errorf("credentials in the URL query are only checked at the token endpoint")
	}
	req.Extra = r.extra
	var resp *oauthclient.Response
	if op == "revokes" {
		resp, err = req.Revoke(ctx, w.http)
	} else {
		resp, err = req.Introspect(ctx, w.http)
	}
	if err != nil {
		return err
	}
	w.last = resp
	return w.callerRefused(role, op, tail)
}

// callerRefused ends a scenario that is not about client authentication as inconclusive when
// the endpoint refuses (401 or invalid_client) the suite's caller: RFC 7662 2.1 and RFC 7009
// leave to the server which clients may call these endpoints, so the refusal judges the suite's
// choice of caller, not the server. (A client-authentication scenario names it in its step.)
func (w *World) callerRefused(role, op, tail string) error {
	r := w.last
	if r == nil || (r.Status != 401 && r.String("error") != "invalid_client") {
		return nil
	}
	for _, about := range []string{"client authentication", "client secret", "client_id", "client credentials"} {
		if strings.Contains(tail, about) {
			return nil // the scenario is about client authentication: its Then step judges
		}
	}
	if w.tokenOwner != "" && roleKey(role) != roleKey(w.tokenOwner) {
		return nil // another client's request about the token: a refusal is what its Then step expects
	}
	endpoint := "introspection"
	if op == "revokes" {
		endpoint = "revocation"
	}
	return verdict.Inconclusive("the server does not let clients.%s call the %s endpoint (HTTP %d %s) with the credentials its token endpoint accepted; a profile may name another caller (token_endpoints_caller)", roleKey(role), endpoint, r.Status, r.String("error"))
}

// tokenClientOp is tokenOp for "the token's client" or "another client".
func (w *World) tokenClientOp(ctx context.Context, who, op, which, tail string) error {
	role, err := w.whoRole(who)
	if err != nil {
		return err
	}
	return w.tokenOp(ctx, role, op, which, tail)
}

func (w *World) reportedActive(state string) error {
	if err := oauthclient.ExpectStatus(w.last, 200); err != nil {
		return err
	}
	if err := oauthclient.ExpectJSON(w.last); err != nil {
		return err
	}
	active, ok := w.last.Bool("active")
	if !ok {
		return oauthclient.Failf(w.last, "expected the REQUIRED boolean member \"active\" (RFC 7662 2.2), got %v", w.last.JSON["active"])
	}
	if want := state == "active"; active != want {
		return oauthclient.Failf(w.last, "expected active %v, got %v", want, active)
	}
	return nil
}

// callerOpUnknown introspects or revokes a made-up token as the client the profile names to call
// the introspection and revocation endpoints (token_endpoints_caller).
func (w *World) callerOpUnknown(ctx context.Context, op, which string) error {
	role := "client credentials"
	if w.p.TokenEndpointsCaller != "" {
		role = strings.ReplaceAll(w.p.TokenEndpointsCaller, "_", " ")
	}
	return w.tokenOp(ctx, role, op, which, "")
}

// unknownReportedInactive is the precondition of a check about an inactive token's answer:
// the endpoint must first answer {"active": false} for a made-up token. When it does not, that
// is the MUST of RFC 7662 2.2 ("does not exist on this server [...] MUST return an introspection
// response with the "active" field set to "false""), judged by "An unknown token is reported
// inactive, not as an error"; the check that needs an inactive answer never ran (issue 14 item
// 3: a failed precondition never reports the check's own requirement).
func (w *World) unknownReportedInactive(ctx context.Context) error {
	if err := w.callerOpUnknown(ctx, "introspects", "an unknown token"); err != nil {
		return err
	}
	if err := w.reportedActive("inactive"); err != nil {
		return verdict.Blocked("RFC7662-2.2", "the introspection endpoint did not report a made-up token inactive (%s), so there is no inactive token's answer to judge; that is reported by \"An unknown token is reported inactive, not as an error\" (RFC 7662 2.2, MUST)", verdict.FirstLine(err.Error()))
	}
	return nil
}

// refusesCaller checks RFC 7662 2.1/2.3: the endpoint requires authorization; a caller without
// valid credentials gets an error, never an answer about the token.
func (w *World) refusesCaller() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status != 400 && r.Status != 401 {
		return oauthclient.Failf(r, "expected HTTP 401 (or 400) for an unauthorized caller, got %d", r.Status)
	}
	if r.Has("active") {
		return oauthclient.Failf(r, "expected no answer about the token to an unauthorized caller, got \"active\"")
	}
	return nil
}

// revocationAccepted judges a revocation of a token the client may revoke (RFC 7009 2.2):
// HTTP 200. The 200 says only that the server answered as 2.2 asks: it "responds with HTTP
// status code 200 if the token has been revoked successfully or if the client submitted an
// invalid token", so it never proves an access token was revoked. The steps after it judge what
// became of the token (introspection, the resource), each at its own sentence's level. An access token may be refused with unsupported_token_type (RFC 7009 2.2.1: access
// token revocation is a SHOULD), which makes the scenario not applicable. As a prerequisite
// ("was accepted") any other answer blocks the scenario instead of failing it.
func (w *World) revocationAccepted(kind string) error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status == 200 {
		return nil
	}
	if r.Status == 400 && r.Error() == "unsupported_token_type" {
		return verdict.NotApplicable("the target does not revoke this token type (unsupported_token_type, RFC 7009 2.2.1)")
	}
	if kind == "was accepted" {
		return verdict.Blocked("RFC7009-2.2", "the revocation was answered HTTP %d %s, not 200", r.Status, r.Error())
	}
	return oauthclient.Failf(r, "expected HTTP 200 for the revocation of a token of the client (RFC 7009 2.2), got %d", r.Status)
}

// warnUnlessRefused follows another client's revocation once the token was seen still active:
// the protection held. RFC 7009 2.1's "the request is refused and the client is informed of the
// error" has no BCP 14 keyword, and 2.2 answers 200 "if the client submitted an invalid token",
// which another client's token is to the caller: a 200 (or any answer that is not a refusal
// with an error) is a warning naming both readings, never a failure.
func (w *World) warnUnlessRefused(ctx context.Context) (context.Context, error) {
	r, err := w.lastResp()
	if err != nil {
		return ctx, err
	}
	if w.revocationRefuses() == nil {
		return ctx, nil
	}
	return warnAttach(ctx, fmt.Sprintf("the revocation endpoint answered another client's revocation with HTTP %d %s and left the token active: RFC 7009 2.1 says \"the request is refused and the client is informed of the error\" (no BCP 14 keyword), while 2.2 answers 200 \"if the client submitted an invalid token\"; the token is protected, the answer does not tell the client", r.Status, r.Error())), nil
}

// unauthenticatedRevocation judges a revocation sent without client authentication. RFC 7009
// 2.1 has the client include its credentials and the server validate them, and "If this
// validation fails, the request is refused": no BCP 14 keyword (issue 14 item 2), so the scenario
// is at SHOULD and judges the protection. A refusal (4xx) holds it; its code is the wording,
// invalid_client by RFC 6749 5.2 ("no client authentication included"), anything else a
// warning. Any other answer is read by what became of the token: still active, the protection
// held and the answer is a warning (2.2 answers 200 "if the client submitted an invalid
// token"); revoked, anyone holding the token could revoke it without credentials: FAIL.
func (w *World) unauthenticatedRevocation(ctx context.Context) (context.Context, error) {
	r, err := w.lastResp()
	if err != nil {
		return ctx, err
	}
	if r.Status >= 400 && r.Status <= 499 {
		if r.Error() == "invalid_client" {
			return ctx, nil
		}
		return warnAttach(ctx, fmt.Sprintf("the revocation without client authentication was refused with HTTP %d and error %q, not invalid_client: RFC 7009 2.2.1 takes its errors from RFC 6749 5.2, whose invalid_client is \"Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)\"", r.Status, r.Error())), nil
	}
	if ok, _ := w.p.Supports("introspection"); !ok {
		return ctx, verdict.Inconclusive("the revocation without client authentication was answered HTTP %d %s, not refused, and the target has no introspection endpoint to show whether the token was revoked", r.Status, r.Error())
	}
	if err := w.tokenActivity(ctx, "access token", "still active"); err != nil {
		var v *verdict.Error
		if errors.As(err, &v) {
			return ctx, err
		}
		return ctx, fmt.Errorf("a revocation without client authentication (answered HTTP %d) revoked the token: anyone holding a token could revoke it without credentials (RFC 7009 2.1: the server \"first validates the client credentials\"): %w", r.Status, err)
	}
	return warnAttach(ctx, fmt.Sprintf("the revocation endpoint answered a revocation without client authentication with HTTP %d %s and left the token active: RFC 7009 2.1 says \"the request is refused and the client is informed of the error\" (no BCP 14 keyword), while 2.2 answers 200 \"if the client submitted an invalid token\"; the token is protected, the answer does not tell the client", r.Status, r.Error())), nil
}

// sameAnswerWithoutHint judges RFC 7009 2.2: "An invalid token type hint value is ignored by the
// authorization server and does not influence the revocation response." It sends the same
// revocation again without the hint: both 200 (the token revoked, then an invalid token), or
// the same error for both, passes; a hint that turned a 200 into an error, or the other way
// round, fails.
func (w *World) sameAnswerWithoutHint(ctx context.Context) error {
	hinted, err := w.lastResp()
	if err != nil {
		return err
	}
	if err := w.tokenOp(ctx, w.tokenOwner, "revokes", "the access token", ""); err != nil {
		return err
	}
	plain := w.last
	if hinted.Status == plain.Status && hinted.Error() == plain.Error() {
		return nil
	}
	return oauthclient.Failf(hinted, "expected an unknown token_type_hint to leave the revocation's answer as it is without one (RFC 7009 2.2: it \"is ignored by the authorization server and does not influence the revocation response\"): with the hint HTTP %d %s, without it HTTP %d %s", hinted.Status, hinted.Error(), plain.Status, plain.Error())
}

// madeUpGrant sends a code or refresh token the server never issued, as the client of role. A
// code goes with the client's redirect URI and a well-formed code_verifier, so that neither
// missing parameter can be the reason for a refusal.
func (w *World) madeUpGrant(ctx context.Context, role, what string) error {
	c, err := w.client(role)
	if err != nil {
		return verdict.NotApplicable("%v", err)
	}
	creds, auth, err := w.creds(role)
	if err != nil {
		return err
	}
	tr := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, Client: creds, AuthMethod: auth}
	madeUp := "made-up-" + oauthclient.RandomString(40)
	if what == "redeems a made-up authorization code" {
		v, err := oauthclient.NewVerifier(64)
		if err != nil {
			return err
		}
		tr.GrantType, tr.Code, tr.RedirectURI, tr.CodeVerifier = "authorization_code", madeUp, c.RedirectURI, v
	} else {
		if registered, declared := c.RegisteredFor(profile.GrantRefreshToken); declared && !registered {
			return verdict.NotApplicable("the %s client is not registered for the refresh_token grant (clients.%s.grants)", role, roleKey(role))
		}
		tr.GrantType, tr.RefreshToken = "refresh_token", madeUp
	}
	resp, err := tr.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

// refreshScopeIsOriginal judges RFC 6749 6: "If a new refresh token is issued, the refresh token
// scope MUST be identical to that of the refresh token included by the client in the request."
// The newest refresh token's scope is read from the introspection endpoint. Where that cannot
// be seen, a refresh that asked for no scope is judged by the access token's scope instead
// (RFC 6749 3.3 lets the server narrow the access token and name it, so only a scope broader
// than the original fails); after a refresh that asked for a scope, nothing else shows the
// refresh token's scope, and the scenario is inconclusive.
func (w *World) refreshScopeIsOriginal(ctx context.Context) error {
	if w.originalScope == "" {
		return fmt.Errorf("the original grant's scope is unknown")
	}
	rt, _, err := w.pickToken("the refresh token")
	if err != nil {
		return err
	}
	saved := w.last
	why := "the target has no introspection endpoint"
	if ok, _ := w.p.Supports("introspection"); ok {
		resp, _, err := w.introspect(ctx, rt, "refresh_token")
		active := false
		if err == nil {
			active, _ = resp.Bool("active")
		}
		switch {
		case err != nil:
			why = err.Error()
		case resp.Status != 200 || !active:
			why = fmt.Sprintf("the introspection endpoint answered HTTP %d, active %v, for the refresh token", resp.Status, active)
		case !resp.Has("scope"):
			why = "the introspection endpoint names no scope for the refresh token"
		case !sameScopes(resp.String("scope"), w.originalScope):
			return oauthclient.Failf(resp, "expected the refresh token's scope to be identical to the original %q (RFC 6749 6: \"the refresh token scope MUST be identical\"), the introspection endpoint reports %q", w.originalScope, resp.String("scope"))
		default:
			return nil
		}
	}
	w.last = saved
	if w.lastScopeAsked != "" || saved == nil || saved.Status != 200 {
		return verdict.Inconclusive("the refresh token's scope cannot be seen: %s", why)
	}
	if saved.Has("scope") {
		return w.withinOriginal(saved.String("scope"))
	}
	return nil // a refresh without scope, answered without scope: the original (RFC 6749 5.1, 6)
}

// introspectorRole is the client that asks the introspection endpoint about the scenario's
// tokens: the one they were issued to, or the confidential client when that one is public.
func (w *World) introspectorRole() string {
	role := w.tokenOwner
	if c, err := w.client(role); err != nil || c.Secret == "" {
		role = "confidential"
	}
	return role
}

// introspect asks the introspection endpoint about a token as the introspector.
func (w *World) introspect(ctx context.Context, token, hint string) (*oauthclient.Response, string, error) {
	if w.p.Endpoints.Introspection == "" {
		return nil, "", verdict.NotApplicable("the target has no introspection endpoint")
	}
	role := w.introspectorRole()
	creds, auth, err := w.creds(role)
	if err != nil {
		return nil, role, err
	}
	resp, err := oauthclient.TokenOpRequest{Endpoint: w.p.Endpoints.Introspection, Token: token, TokenTypeHint: hint,
		Client: creds, AuthMethod: auth}.Introspect(ctx, w.http)
	if err == nil && (resp.Status == 401 || resp.String("error") == "invalid_client") {
		// Asking about a token's state is never a client-authentication check: RFC 7662 2.1
		// leaves to the server which callers it authorizes, so a refusal means the suite cannot
		// observe the state, not that the server is wrong.
		return resp, role, verdict.Inconclusive("the introspection endpoint refused clients.%s (HTTP %d %s), so the suite cannot see the token's state; a profile may name another caller (token_endpoints_caller)", roleKey(role), resp.Status, resp.String("error"))
	}
	return resp, role, err
}

// noteActive introspects a freshly issued token, when the target can introspect, and records
// that its introspector saw it active: the proof a later "no longer active" rests on.
func (w *World) noteActive(ctx context.Context, token, hint string) {
	if token == "" {
		return
	}
	if ok, _ := w.p.Supports("introspection"); !ok {
		return
	}
	resp, role, err := w.introspect(ctx, token, hint)
	if err != nil || resp.Status != 200 {
		return
	}
	if active, _ := resp.Bool("active"); active {
		if w.side.activeSeen == nil {
			w.side.activeSeen = map[string]string{}
		}
		w.side.activeSeen[token] = role
	}
}

// provenActive ends the scenario inconclusive unless the token was seen active by the client
// that now introspects it.
func (w *World) provenActive(token string) error {
	seenBy, ok := w.side.activeSeen[token]
	if !ok || seenBy != w.introspectorRole() {
		return verdict.Inconclusive("the introspection endpoint never reported the token active to the %s client, so an answer active:false proves nothing (RFC 7662 2.2 also answers active:false to a caller that may not introspect a token)", w.introspectorRole())
	}
	return nil
}

// introspectionDiscriminates ends the scenario inconclusive when the introspection endpoint
// reports a token this scenario made up active too, as the same caller: then its "active" says
// nothing about the scenario's token, and a pass resting on it would be unearned (seen on the
// interop bed: oauth2-mock-server answers every introspection active). A made-up token
// reported active is a deviation of its own (RFC 7662 2.2, "An unknown token is reported
// inactive"), judged there, not here. An answer that cannot be read is left to that scenario too.
func (w *World) introspectionDiscriminates(ctx context.Context) error {
	saved := w.last
	defer func() { w.last = saved }()
	resp, role, err := w.introspect(ctx, "unknown-"+oauthclient.RandomString(40), "")
	if err != nil {
		return err
	}
	if active, ok := resp.Bool("active"); ok && active {
		return verdict.Inconclusive("the introspection endpoint reported the token active, but it also reports a token the suite made up active to the %s client, so \"active\" proves nothing about the token (RFC 7662 2.2: \"If the introspection call is properly authorized but the token is not active, does not exist on this server, or the protected resource is not allowed to introspect this particular token, then the authorization server MUST return an introspection response with the \"active\" field set to \"false\"\")", roleKey(role))
	}
	return nil
}

// propagationWait bounds how long the suite waits for a revocation to take effect. RFC 7009 2.1:
// "In practice, there could be a propagation delay, for example, in which some servers know about
// the invalidation while others do not." The request timeout is the profile's bound for one answer.
func (w *World) propagationWait() time.Duration {
	if t := w.p.Timeouts.Request; t > 0 {
		return t
	}
	return profile.DefaultRequestTimeout
}

// poll calls try until it reports done or wait has passed, every 200 ms; it waits on the
// condition, never for a fixed time. It returns whether try reported done.
func poll(ctx context.Context, wait time.Duration, try func() (done bool, err error)) (bool, error) {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := try()
		if err != nil || done {
			return done, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
		}
	}
}

func (w *World) tokenActivity(ctx context.Context, which, state string) error {
	token, hint, err := w.pickToken(which)
	if err != nil {
		return err
	}
	saved := w.last
	defer func() { w.last = saved }()
	if state == "still active" {
		resp, _, err := w.introspect(ctx, token, hint)
		if err != nil {
			return err
		}
		w.last = resp
		if active, ok := resp.Bool("active"); ok && !active {
			// RFC 7662 2.2 lets a server answer active:false to a caller that may not
			// introspect this token: only a caller that saw it active before can tell.
			if err := w.provenActive(token); err != nil {
				return err
			}
		}
		if err := w.reportedActive("active"); err != nil {
			return err
		}
		// "Still active" is the evidence that a revocation which should have been refused
		// left the token alone: a pass. It is evidence only if the endpoint can say
		// inactive at all.
		return w.introspectionDiscriminates(ctx)
	}
	if err := w.provenActive(token); err != nil {
		return err
	}
	return w.waitInactive(ctx, token, hint, w.propagationWait(), "after the revocation (RFC 7009 2.1 allows a propagation delay)")
}

// refreshNoLongerWorks tries the revoked refresh token as its owner until it is refused, within
// the propagation wait (RFC 7009 2.1: "The invalidation takes place immediately, and the token
// cannot be used again after the revocation.  In practice, there could be a propagation delay").
// A refresh that still succeeds meanwhile was a use of the revoked grant: when it rotated the
// token, the successor is tried next, and it must stop working too. Without this, a rotating
// server that ignores the revocation would pass on rotation alone: its first success retires
// the revoked token, and a retry of that same token is refused for the rotation's sake.
// A revoked token (or its successor) that still works when the wait is over fails.
func (w *World) refreshNoLongerWorks(ctx context.Context) error {
	tr, err := w.ownerRefresh()
	if err != nil {
		return err
	}
	t, err := w.tryRevokedRefresh(ctx, tr)
	if err != nil {
		return err
	}
	w.last = t.last
	if !t.refused {
		return oauthclient.Failf(t.last, "expected the revoked refresh token to stop working within %s (RFC 7009 2.1), but %d refreshes after the revocation succeeded%s, the last one still", w.propagationWait(), t.worked, followedNote(t.rotated))
	}
	return oauthclient.ExpectOAuthError(t.last, "invalid_grant")
}

// refreshTrial is what became of a revoked refresh token tried until refused.
type refreshTrial struct {
	refused         bool
	last            *oauthclient.Response
	worked, rotated int
	// live is the refresh token last tried: the revoked one, or its newest rotated successor.
	live string
}

// tryRevokedRefresh refreshes with tr until the token is refused or the propagation wait is
// over, following each rotated successor.
func (w *World) tryRevokedRefresh(ctx context.Context, tr oauthclient.TokenRequest) (refreshTrial, error) {
	var t refreshTrial
	refused, err := poll(ctx, w.propagationWait(), func() (bool, error) {
		resp, err := tr.Send(ctx, w.http)
		if err != nil {
			return false, err
		}
		t.last = resp
		if resp.Status != 200 || resp.AccessToken() == "" {
			return true, nil
		}
		t.worked++
		if next := resp.RefreshToken(); next != "" && next != tr.RefreshToken {
			tr.RefreshToken = next // issued from the revoked grant: it must die too
			t.rotated++
		}
		return false, nil
	})
	t.refused, t.live = refused, tr.RefreshToken
	return t, err
}

// refreshNoLongerWorksDespiteHint judges RFC 7009 2.1's "If the server is unable to locate the
// token using the given hint, it MUST extend its search across all of its supported token
// types" after a refresh token was revoked with the hint "access_token". A token that still
// works may have been spared by the hint, or the target may revoke no refresh token at all (a
// deviation "A client revokes its refresh token" reports): the live token is revoked again
// without a hint to tell the two apart. Refused then, the hint stopped the first revocation:
// FAIL. Still working, the revocation never works and the hint's effect cannot be seen: blocked.
func (w *World) refreshNoLongerWorksDespiteHint(ctx context.Context) error {
	tr, err := w.ownerRefresh()
	if err != nil {
		return err
	}
	t, err := w.tryRevokedRefresh(ctx, tr)
	if err != nil {
		return err
	}
	w.last = t.last
	if t.refused {
		return oauthclient.ExpectOAuthError(t.last, "invalid_grant")
	}
	rev, err := oauthclient.TokenOpRequest{Endpoint: w.p.Endpoints.Revocation, Token: t.live,
		Client: tr.Client, AuthMethod: tr.AuthMethod}.Revoke(ctx, w.http)
	if err != nil {
		return err
	}
	tr.RefreshToken = t.live
	again, err := w.tryRevokedRefresh(ctx, tr)
	if err != nil {
		return err
	}
	if !again.refused {
		return verdict.Blocked("RFC7009-2", "the refresh token still worked after the revocation with token_type_hint \"access_token\" (%d refreshes succeeded%s), and still works after a revocation without any hint (answered HTTP %d; %d more refreshes succeeded): the target does not revoke refresh tokens at all, which revocation.feature's \"A client revokes its refresh token\" reports (RFC 7009 2, MUST), so the hint's effect cannot be seen", t.worked, followedNote(t.rotated), rev.Status, again.worked)
	}
	return oauthclient.Failf(t.last, "expected the refresh token revoked with token_type_hint \"access_token\" to stop working within %s, but %d refreshes after that revocation succeeded%s; revoked again without a hint, it stopped working: the wrong hint stopped the revocation (RFC 7009 2.1: the server \"MUST extend its search across all of its supported token types\")", w.propagationWait(), t.worked, followedNote(t.rotated))
}

// followedNote says how many rotated successors of a revoked refresh token were followed.
func followedNote(rotated int) string {
	if rotated == 0 {
		return ""
	}
	return fmt.Sprintf(" (each rotated successor followed, %d in all: a token issued from the revoked grant must stop working too)", rotated)
}

// waitInactive polls the introspection endpoint until the token is inactive, up to wait. The
// token must have been seen active by the same caller before (here or when it was issued), or
// the wait proves nothing and the scenario is inconclusive.
func (w *World) waitInactive(ctx context.Context, token, hint string, wait time.Duration, what string) error {
	p, err := w.pollInactive(ctx, token, hint, wait)
	if err != nil {
		return err
	}
	if !p.done {
		return oauthclient.Failf(p.last, "the token was still active %s after %s", what, wait)
	}
	return nil
}

// inactivePoll is what pollInactive saw.
type inactivePoll struct {
	done bool // reported inactive after it was seen active
	last *oauthclient.Response
	// exp is the last active answer's "exp" (RFC 7662 2.2), when it had one.
	exp    time.Time
	hasExp bool
}

// pollInactive introspects the token until it is reported inactive or wait is over.
func (w *World) pollInactive(ctx context.Context, token, hint string, wait time.Duration) (inactivePoll, error) {
	var p inactivePoll
	proven := w.provenActive(token) == nil
	done, err := poll(ctx, wait, func() (bool, error) {
		resp, _, err := w.introspect(ctx, token, hint)
		if err != nil {
			return false, err
		}
		p.last = resp
		if resp.Status != 200 {
			return false, oauthclient.Failf(resp, "expected the introspection endpoint to answer HTTP 200, got %d", resp.Status)
		}
		active, ok := resp.Bool("active")
		if !ok {
			return false, oauthclient.Failf(resp, "expected the REQUIRED boolean member \"active\" (RFC 7662 2.2), got %v", resp.JSON["active"])
		}
		if active {
			proven = true
			if exp, ok := resp.Number("exp"); ok {
				p.exp, p.hasExp = time.Unix(int64(exp), 0), true
			}
			return false, nil
		}
		return proven, nil
	})
	if err != nil {
		return p, err
	}
	if !proven {
		return p, verdict.Inconclusive("the introspection endpoint never reported the token active to the %s client, so active:false proves nothing", w.introspectorRole())
	}
	p.done = done
	return p, nil
}

// expirySkew is how long past its stated expiry a token may still be reported active before
// that is a deviation: the token response's expires_in is reckoned from its receipt here, and an
// introspection "exp" is read on the server's clock.
const expirySkew = 5 * time.Second

// expiresWithinWait waits up to timeouts.expiry_wait for a short-lived token to be reported
// inactive (RFC 7662 2.2: "a "true" value [...] will generally indicate that a given token [...]
// is within its given time window of validity (e.g., after its issuance time and before its
// expiration time)"). A token still active at the end of the wait is judged against its own
// stated lifetime (the token response's expires_in, else the introspection's exp): past it (plus
// expirySkew), the token outlived its lifetime and fails; not yet past it, or with no lifetime
// stated, the profile's wait was shorter than the token's life and nothing can be concluded.
func (w *World) expiresWithinWait(ctx context.Context, which string) error {
	token, hint, err := w.pickToken(which)
	if err != nil {
		return err
	}
	wait := w.expiryWait()
	p, err := w.pollInactive(ctx, token, hint, wait)
	if err != nil || p.done {
		return err
	}
	return judgeStillActive(p.last, w.side.statedExpiry[token], p.exp, p.hasExp, wait, time.Now())
}

// judgeStillActive judges a token still reported active when the expiry wait is over, at now.
func judgeStillActive(last *oauthclient.Response, statedByResponse, exp time.Time, hasExp bool, wait time.Duration, now time.Time) error {
	stated, by := statedByResponse, "its token response's expires_in"
	if stated.IsZero() && hasExp {
		stated, by = exp, "the introspection's exp"
	}
	if stated.IsZero() {
		return verdict.Inconclusive("the token was still active after timeouts.expiry_wait (%s) and states no lifetime (no expires_in in its token response, no exp when introspected), so the suite cannot tell that it should have expired; the profile's short_lived client is expected to get tokens that expire within the wait", wait)
	}
	if now.Before(stated.Add(expirySkew)) {
		return verdict.Inconclusive("the token was still active after timeouts.expiry_wait (%s), but by %s it lives until %s, %s from now (with %s allowed for clock skew): the profile's wait is shorter than the token's life; give the short_lived client a shorter token lifetime or raise timeouts.expiry_wait", wait, by, stated.UTC().Format(time.RFC3339), stated.Sub(now).Round(time.Second), expirySkew)
	}
	return oauthclient.Failf(last, "the token was still reported active %s after its stated expiry (by %s, %s; %s allowed for clock skew): a token past its expiration time is not active (RFC 7662 2.2)", now.Sub(stated).Round(time.Second), by, stated.UTC().Format(time.RFC3339), expirySkew)
}

// codeOutlived waits until the code has expired without touching it (redeeming it would use
// it up): a marker access token issued to the same short-lived client after the code expires
// no earlier than the code did, as long as the client's access token lifetime is at least its
// code lifetime (the profile's short_lived client is set up so).
func (w *World) codeOutlived(ctx context.Context) error {
	if w.code == "" {
		return fmt.Errorf("no authorization code to let expire")
	}
	resp, _, _, err := w.clientCredentialsToken(ctx, w.codeRole)
	if err != nil {
		return err
	}
	if err := oauthclient.ExpectTokenResponse(resp); err != nil {
		return fmt.Errorf("the %s client must get a client credentials token to time the code's expiry: %w", w.codeRole, err)
	}
	owner := w.tokenOwner
	w.tokenOwner = w.codeRole
	defer func() { w.tokenOwner = owner }()
	return w.waitInactive(ctx, resp.AccessToken(), "access_token", w.expiryWait(), "past its lifetime (timeouts.expiry_wait)")
}

// Resource server calls (RFC 6750).
func (w *World) callResource(ctx context.Context, what, where, scheme, until string) error {
	if w.p.Resource == nil {
		return fmt.Errorf("%w: the profile names no protected resource", godog.ErrSkip)
	}
	req := oauthclient.ResourceRequest{URL: w.p.Resource.URL, Method: w.p.Resource.Method, Scheme: scheme}
	switch what {
	case "with the access token":
		t, _, err := w.pickToken("the access token")
		if err != nil {
			return err
		}
		req.Token = t
	case "with an unknown token":
		req.Token = "unknown-" + oauthclient.RandomString(40)
	case "without a token":
		req.Placement = oauthclient.NoToken
	}
	switch where {
	case "Authorization header", "":
		if req.Placement == "" {
			req.Placement = oauthclient.InHeader
		}
	case "URL query":
		req.Placement = oauthclient.InQuery
	case "form body":
		req.Placement = oauthclient.InForm
		req.Method = "POST"
	}
	if until == "" {
		resp, err := req.Send(ctx, w.http)
		if err != nil {
			return err
		}
		w.last = resp
		if what == "with the access token" && w.side.withoutResourceScope && success(resp) {
			// RFC 6750 3 owes a challenge only to a request "that does not contain an access
			// token that enables access"; RFC 6749 7 leaves to the resource which scope covers
			// it. A 2xx shows this token enables access: the profile's required scope is not
			// required here, and there is no refusal whose challenge could be judged.
			return verdict.Inconclusive("the resource accepted (HTTP %d) a token without resource.required_scope %q, so that scope is evidently not required for %s; no refusal to judge (fix resource.required_scope in the profile)", resp.Status, w.p.Resource.RequiredScope, w.p.Resource.URL)
		}
		return nil
	}
	// After a revocation: call again until the resource refuses the token, within the
	// propagation wait (RFC 7009 2.1); the last answer is judged.
	done, err := poll(ctx, w.propagationWait(), func() (bool, error) {
		resp, err := req.Send(ctx, w.http)
		if err != nil {
			return false, err
		}
		w.last = resp
		return !success(resp), nil
	})
	if err == nil && !done {
		// Still accepted: the scenario's sentence (RFC 6750 3) binds a resource that refuses,
		// and nothing was refused. Whether the access token should be dead is another rule:
		// RFC 7009 2 makes access token revocation a SHOULD, its 2.2 answers 200 also for a
		// token it treats as invalid (so the 200 proves no revocation), and its 3 lets a
		// self-contained token stay usable at the resource until it expires. The revocation
		// SHOULD is judged once, by "A client revokes its access token" (revocation.feature).
		return verdict.Inconclusive("the resource still accepted the access token (HTTP %d) %s after the revocation was answered 200: no refusal whose challenge could be judged; RFC 7009 2 makes access token revocation a SHOULD (judged by revocation.feature's \"A client revokes its access token\"), 2.2 answers 200 also for a token the server treats as invalid, and 3 allows self-contained tokens to stay valid at the resource", w.last.Status, w.propagationWait())
	}
	return err
}

// success reports a 2xx answer.
func success(r *oauthclient.Response) bool { return r != nil && r.Status >= 200 && r.Status <= 299 }

func (w *World) resourceAccepts() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status == 403 {
		// 403 is insufficient_scope's status (RFC 6750 3.1), or a resource that serves another
		// kind of token (OpenID's userinfo serves end-user tokens only): the token the suite
		// obtained is valid, so the scheme was not what was judged.
		grant := "whichever grant the target offers"
		if w.p.Resource != nil && w.p.Resource.TokenGrant != "" {
			grant = "the " + w.p.Resource.TokenGrant + " grant"
		}
		return verdict.Inconclusive("the resource refused the suite's valid token (from %s, %s client) with HTTP 403: it does not accept this kind of token; set resource.token_grant (client_credentials or authorization_code)", grant, w.tokenOwner)
	}
	if r.Status < 200 || r.Status > 299 {
		return oauthclient.Failf(r, "expected the resource to accept the token (HTTP 2xx), got %d", r.Status)
	}
	return nil
}

func (w *World) resourceRefuses() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status < 400 || r.Status > 499 {
		return oauthclient.Failf(r, "expected the resource to refuse the request (HTTP 4xx), got %d", r.Status)
	}
	return nil
}

// acceptsOrChallenges judges a token in a form body in two parts. Taking it is optional (RFC
// 6750 2.2: "Resource servers MAY support this method"), so an acceptance passes. A resource
// that does not take it has a request without credentials it understands, and RFC 6750 3 binds
// its refusal: "the resource server MUST include the HTTP "WWW-Authenticate" response header
// field", so a refusal without a Bearer challenge fails at MUST (the scenario is @MUST for this
// reason: at @MAY the refusal could never fail). A resource that does not accept POST at all
// (HTTP 404, 405 or 501, and the same to a POST with the token in the Authorization header)
// cannot be asked, so the scenario is not applicable.
func (w *World) acceptsOrChallenges(ctx context.Context) error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if success(r) {
		return nil
	}
	if r.Status == 404 || r.Status == 405 || r.Status == 501 {
		// Not found, method not allowed, not implemented: perhaps no POST is served here at
		// all (oauth2-mock-server's userinfo answers POST with 404), perhaps the answer to a
		// request it does not authorize. The same POST with the token in the Authorization
		// header tells: refused too, POST is not served and the form body cannot be tried.
		if served, err := w.resourceServesPost(ctx); err != nil {
			return err
		} else if !served {
			return verdict.NotApplicable("the resource answers POST with HTTP %d, also with the token in the Authorization header: it takes no POST request, so the form-body method cannot be tried", r.Status)
		}
	}
	return oauthclient.ExpectChallenge(r, "Bearer")
}

// resourceServesPost sends the scenario's token in the Authorization header with POST and
// reports whether the resource accepted it.
func (w *World) resourceServesPost(ctx context.Context) (bool, error) {
	token, _, err := w.pickToken("the access token")
	if err != nil {
		return false, err
	}
	resp, err := oauthclient.ResourceRequest{URL: w.p.Resource.URL, Method: "POST", Token: token, Placement: oauthclient.InHeader}.Send(ctx, w.http)
	if err != nil {
		return false, err
	}
	return success(resp), nil
}

// warnsIfQueryAccepted attaches a warning when the resource accepted a token in the URL query:
// RFC 6750 2.3 lets a resource server support it ("MAY"), and advises against its use.
func (w *World) warnsIfQueryAccepted(ctx context.Context) (context.Context, error) {
	r, err := w.lastResp()
	if err != nil {
		return ctx, err
	}
	if r.Status >= 200 && r.Status < 300 {
		msg := "WARNING: the resource accepted an access token in the URL query (RFC 6750 2.3: resource servers MAY support it; it is logged in URLs and its use is NOT RECOMMENDED)"
		ctx = godog.Attach(ctx, godog.Attachment{Body: []byte(msg), FileName: "warning.txt", MediaType: "text/plain"})
	}
	return ctx, nil
}

// bearerParams is the auth-params of the Bearer challenge among every challenge of every
// WWW-Authenticate field (oauthclient.ParseChallenges), and whether there is one.
func bearerParams(values []string) (map[string]string, bool) {
	cs, _ := oauthclient.ParseChallenges(values)
	c, ok := oauthclient.FindChallenge(cs, "Bearer")
	return c.Params, ok
}

func (w *World) challengeError(code string) error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	params, ok := bearerParams(r.Header.Values("WWW-Authenticate"))
	if !ok {
		return noChallengeToRead(r)
	}
	if code == "" {
		// RFC 6750 3.1: with no authentication information, the resource SHOULD NOT include an
		// error code.
		if e, has := params["error"]; has {
			return oauthclient.Failf(r, "expected no error code in the challenge, got %q", e)
		}
		return nil
	}
	if params["error"] != code {
		return oauthclient.Failf(r, "expected the challenge's error %q, got %q", code, params["error"])
	}
	return nil
}

func (w *World) challengeNoError() error { return w.challengeError("") }

// resourceRefused is the precondition of the scenarios about how a refusal is worded (its status
// and error code, RFC 6750 3.1's SHOULDs): a resource that answered 2xx refused nothing, which
// breaks RFC 6750 3's MUST, judged once by the "... gets a Bearer challenge" scenarios.
func (w *World) resourceRefused() error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status >= 200 && r.Status < 300 {
		return verdict.Blocked("RFC6750-3", "the resource accepted the request (HTTP %d), so there is no refusal whose wording this scenario could judge; the scenario that requires the Bearer challenge (RFC 6750 3, MUST) reports it", r.Status)
	}
	return nil
}

// noChallengeToRead ends a step that reads the Bearer challenge's attributes when there is no
// challenge to read. One deviation, reported once: the missing challenge (a refusal without one,
// or no refusal at all, as a resource that answers 200 to a request without a token) breaks
// RFC 6750 3's MUST ("the resource server MUST include the HTTP "WWW-Authenticate" response
// header field"), which the "... gets a Bearer challenge" scenarios judge; the attribute this
// step reads is a SHOULD about a challenge that does not exist.
func noChallengeToRead(r *oauthclient.Response) error {
	what := fmt.Sprintf("refused the request (HTTP %d) without a Bearer challenge", r.Status)
	if success(r) {
		what = fmt.Sprintf("did not refuse the request (HTTP %d), so it sent no challenge", r.Status)
	}
	return verdict.Blocked("RFC6750-3", "the resource %s (WWW-Authenticate %q), so the challenge's error code cannot be read; that is reported by the scenario that requires the challenge (RFC 6750 3, MUST: \"... gets a Bearer challenge\")", what, r.Header.Values("WWW-Authenticate"))
}

func (w *World) registerTokenOps(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client (introspects|revokes) (the access token|the refresh token|an unknown token)`+modsRe+`$`, w.tokenOp)
	sc.Step(`^(the token's client|another client) (introspects|revokes) (the access token|the refresh token|an unknown token)`+modsRe+`$`, w.tokenClientOp)
	sc.Step(`^the revocation (is accepted|was accepted)$`, w.revocationAccepted)
	sc.Step(`^the refresh token no longer works, unless a revocation without the hint does not stop it either$`, w.refreshNoLongerWorksDespiteHint)
	sc.Step(`^the client that may introspect and revoke (introspects|revokes) (an unknown token)$`, w.callerOpUnknown)
	sc.Step(`^the introspection endpoint has reported an unknown token inactive$`, w.unknownReportedInactive)
	sc.Step(`^the report warns when the resource accepted it$`, w.warnsIfQueryAccepted)
	sc.Step(`^the token is reported (active|inactive)$`, w.reportedActive)
	sc.Step(`^the introspection endpoint refuses the caller$`, w.refusesCaller)
	sc.Step(`^the report warns unless the revocation endpoint refused the request$`, w.warnUnlessRefused)
	sc.Step(`^the access token was not revoked, and the report warns unless the request was refused with "invalid_client"$`, w.unauthenticatedRevocation)
	sc.Step(`^the `+roleRe+` client (redeems a made-up authorization code|refreshes a made-up refresh token)$`, w.madeUpGrant)
	sc.Step(`^the (?:new|newest) refresh token's scope is the original scope$`, w.refreshScopeIsOriginal)
	sc.Step(`^the answer is the one the revocation gets without a token_type_hint$`, w.sameAnswerWithoutHint)
	sc.Step(`^the (first access token|access token|refresh token) is (still active|no longer active)$`, w.tokenActivity)
	sc.Step(`^the refresh token no longer works$`, w.refreshNoLongerWorks)
	sc.Step(`^the (access token|refresh token) (?:expires within the expiry wait|has expired)$`, w.expiresWithinWait)
	sc.Step(`^the authorization code has outlived its lifetime$`, w.codeOutlived)
	sc.Step(`^the client calls the resource (with the access token|with an unknown token|without a token)(?: in the (Authorization header|URL query|form body))?(?: with the scheme "([^"]+)")?( until the revocation has taken effect)?$`, w.callResource)
	sc.Step(`^the resource accepts the request$`, w.resourceAccepts)
	sc.Step(`^the resource refuses the request$`, w.resourceRefuses)
	sc.Step(`^the resource accepts the request or answers with a Bearer challenge$`, w.acceptsOrChallenges)
	sc.Step(`^the resource refused the request$`, w.resourceRefused)
	sc.Step(`^the Bearer challenge carries no error code$`, w.challengeNoError)
	sc.Step(`^the Bearer challenge carries the error "([a-z_]+)"$`, w.challengeError)
}

// register adds every step of the suite.
func (w *World) register(sc stepAdder) {
	w.registerAuthorize(sc)
	w.registerToken(sc)
	w.registerResponse(sc)
	w.registerTokenOps(sc)
	w.registerRaces(sc)
	w.registerAdmin(sc) // admin_steps.go: the @refserver scenarios
	w.registerWarnings(sc)
	w.registerPKCE(sc)     // pkce_steps.go: issue 17 items 5 and 6
	w.registerJWT(sc)      // jwt_steps.go: forged JWT access tokens (tokens, issue 17)
	w.registerHygiene(sc)  // hygiene_steps.go: authorization endpoint hygiene, consent, lifetimes
	w.registerTLS(sc)      // tls_steps.go (issue 17, TLS)
	w.registerRedirect(sc) // redirect_steps.go: redirect URI confusion and open redirectors
}

// sendAtOnce sends n copies of a token request as close together as the client allows and
// keeps every answer.
func (w *World) sendAtOnce(ctx context.Context, tr oauthclient.TokenRequest, n int) error {
	out := make([]*oauthclient.Response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = tr.Send(ctx, w.http)
		}()
	}
	close(start)
	wg.Wait()
	w.side.race = nil
	for i := range n {
		if errs[i] != nil {
			return errs[i]
		}
		w.side.race = append(w.side.race, out[i])
	}
	return nil
}

// redeemAtOnce redeems the scenario's authorization code in parallel requests.
func (w *World) redeemAtOnce(ctx context.Context, role string) error {
	if w.code == "" {
		return fmt.Errorf("no authorization code: an earlier step must obtain one")
	}
	creds, auth, err := w.creds(role)
	if err != nil {
		return err
	}
	tr := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "authorization_code", Code: w.code,
		CodeVerifier: w.codeVerifier, Client: creds, AuthMethod: auth}
	if w.codeHasRedirect {
		tr.RedirectURI = w.codeRedirectURI
	}
	return w.sendAtOnce(ctx, tr, w.p.RaceRequests())
}

// refreshAtOnce refreshes with the newest refresh token in parallel requests.
func (w *World) refreshAtOnce(ctx context.Context) error {
	tr, err := w.ownerRefresh()
	if err != nil {
		return err
	}
	return w.sendAtOnce(ctx, tr, w.p.RaceRequests())
}

// ownerRefresh is the refresh of the newest refresh token by the client it was issued to.
func (w *World) ownerRefresh() (oauthclient.TokenRequest, error) {
	token, _, err := w.pickToken("the refresh token")
	if err != nil {
		return oauthclient.TokenRequest{}, err
	}
	creds, auth, err := w.creds(w.tokenOwner)
	if err != nil {
		return oauthclient.TokenRequest{}, err
	}
	return oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "refresh_token", RefreshToken: token,
		Client: creds, AuthMethod: auth}, nil
}

// raceTally counts the rounds of a race scenario: each round sends race_requests copies of one
// request at once; a round in which more than one got a token used the grant twice.
type raceTally struct {
	rounds, doubled, empty int
	// double is a second token response of the first doubled round, for the report.
	double *oauthclient.Response
	// statuses counts the HTTP statuses of every request of every round.
	statuses map[int]int
	// stopped says why the rounds ended before race_rounds, when they did.
	stopped string
}

// winners are the answers of one round that carry a token.
func winners(race []*oauthclient.Response) []*oauthclient.Response {
	var ok []*oauthclient.Response
	for _, r := range race {
		if r.Status == 200 && r.AccessToken() != "" {
			ok = append(ok, r)
		}
	}
	return ok
}

// tally records the answers of the last parallel requests as one round.
func (w *World) tally() []*oauthclient.Response {
	t := &w.side.rounds
	if t.statuses == nil {
		t.statuses = map[int]int{}
	}
	t.rounds++
	for _, r := range w.side.race {
		t.statuses[r.Status]++
	}
	ok := winners(w.side.race)
	switch {
	case len(ok) > 1:
		t.doubled++
		if t.double == nil {
			t.double = ok[1]
		}
	case len(ok) == 0:
		t.empty++
	}
	return ok
}

// atMostOneIssued judges the parallel requests of every round: more than one token response in
// a round means the code or refresh token was used more than once (RFC 6749 4.1.2: "If an
// authorization code is used more than once, the authorization server MUST deny the request").
// A race a server loses now and then shows only over rounds, so the rate seen is reported
// either way. No token in any round says nothing about reuse: inconclusive.
func (w *World) atMostOneIssued(ctx context.Context) (context.Context, error) {
	if w.side.rounds.rounds == 0 && len(w.side.race) > 0 {
		w.tally() // a single round sent by a step that does not tally
	}
	t := w.side.rounds
	if t.rounds == 0 {
		return ctx, fmt.Errorf("no parallel requests were sent")
	}
	n := w.p.RaceRequests()
	rate := fmt.Sprintf("%d of %d rounds of %d parallel requests issued more than one token (%.1f%%); HTTP statuses of all requests %v", t.doubled, t.rounds, n, 100*float64(t.doubled)/float64(t.rounds), t.statuses)
	if t.stopped != "" {
		rate += "; the rounds stopped early: " + t.stopped
	}
	ctx = godog.Attach(ctx, godog.Attachment{Body: []byte(rate), FileName: "race-rounds.txt", MediaType: "text/plain"})
	switch {
	case t.doubled > 0:
		w.last = t.double
		return ctx, oauthclient.Failf(t.double, "expected at most one of the parallel requests of each round to get a token: %s", rate)
	case t.empty == t.rounds:
		return ctx, verdict.Inconclusive("none of the parallel requests got a token in %d rounds (HTTP statuses %v), so no use of the grant was seen to compare a reuse with", t.rounds, t.statuses)
	}
	return ctx, nil
}

// redeemRounds is the code race, race_rounds times: the first round redeems the scenario's
// code, each later one a fresh code from the browser. A round that cannot get its code ends
// the rounds; the judgement then says how many were run. Codes are single-use whoever holds
// them (RFC 6749 4.1.2), so the later rounds take their codes from the trusted client when the
// profile has one: it skips the approval page, which halves the browser's work per round (the
// browser is what a round costs; the parallel redemption takes milliseconds).
func (w *World) redeemRounds(ctx context.Context, role string) (context.Context, error) {
	later := role
	if ok, _ := w.p.Supports("trusted-client"); ok {
		if c, found := w.p.Client(profile.RoleTrusted); found && c.Confidential() {
			later = "trusted"
		}
	}
	for round := 1; round <= w.p.RaceRounds(); round++ {
		if round > 1 {
			role = later
			var err error
			if ctx, err = w.hasAuthorizationCode(ctx, role); err != nil {
				w.side.rounds.stopped = fmt.Sprintf("round %d could not get a code from the %s client: %s", round, role, verdict.FirstLine(err.Error()))
				break
			}
		}
		if err := w.redeemAtOnce(ctx, role); err != nil {
			return ctx, err
		}
		w.tally()
	}
	return ctx, nil
}

// refreshRounds is the refresh race, race_rounds times: each round's winner carries the refresh
// token of the next, so no round needs the browser. A round without a single winner ends them.
func (w *World) refreshRounds(ctx context.Context) error {
	tr, err := w.ownerRefresh()
	if err != nil {
		return err
	}
	for round := 1; round <= w.p.RaceRounds(); round++ {
		if err := w.sendAtOnce(ctx, tr, w.p.RaceRequests()); err != nil {
			return err
		}
		ok := w.tally()
		if len(ok) == 0 && round > 1 {
			// The previous winner's token died with the losers' reuse of its predecessor (RFC
			// 9700 4.14.2: the server "will revoke the active refresh token"): no race was run.
			w.side.rounds.rounds--
			w.side.rounds.empty--
			w.side.rounds.stopped = fmt.Sprintf("in round %d no request got a token: the server ended the grant after the previous round's losers reused its refresh token (RFC 9700 4.14.2), so there was no refresh token to carry on with", round)
			break
		}
		if len(ok) == 0 || ok[0].RefreshToken() == "" {
			if round < w.p.RaceRounds() {
				w.side.rounds.stopped = fmt.Sprintf("round %d gave no new refresh token to carry on with", round)
			}
			break
		}
		tr.RefreshToken = ok[0].RefreshToken()
	}
	return nil
}

// refreshTokenRotates is a precondition of the refresh race: it refreshes once and requires a
// new refresh token. A target that does not rotate may honour a refresh token many times.
func (w *World) refreshTokenRotates(ctx context.Context) error {
	before, _, err := w.pickToken("the refresh token")
	if err != nil {
		return err
	}
	if err := w.tokenRequest(ctx, w.tokenOwner, "refreshes the access token", ""); err != nil {
		return err
	}
	if w.last.Status != 200 {
		return verdict.Blocked("RFC6749-6", "the first refresh was answered HTTP %d %s", w.last.Status, w.last.Error())
	}
	if after := w.last.RefreshToken(); after == "" || after == before {
		return verdict.NotApplicable("the target does not rotate the %s client's refresh token, so it may honour it more than once", w.tokenOwner)
	}
	return nil
}

func (w *World) registerRaces(sc stepAdder) {
	sc.Step(`^the `+roleRe+` client redeems the authorization code in parallel requests$`, w.redeemAtOnce)
	sc.Step(`^the token's client refreshes the access token in parallel requests$`, w.refreshAtOnce)
	sc.Step(`^at most one of the parallel requests got a token$`, w.atMostOneIssued)
	sc.Step(`^at most one of the parallel requests of each round got a token$`, w.atMostOneIssued)
	sc.Step(`^the `+roleRe+` client redeems fresh authorization codes in parallel requests, round after round$`, w.redeemRounds)
	sc.Step(`^the token's client refreshes the access token in parallel requests, round after round$`, w.refreshRounds)
	sc.Step(`^the refresh token is rotated on use$`, w.refreshTokenRotates)
	sc.Step(`^the target supports the revocation of access tokens$`, w.revokesAccessTokens)
}

// revokesAccessTokens is the precondition of RFC 7009 2.1's "if [...] the authorization server
// supports the revocation of access tokens": it revokes a separate access token of its own and
// looks at what became of it. The 200 alone proves nothing: RFC 7009 2.2 "responds with HTTP
// status code 200 if the token has been revoked successfully or if the client submitted an
// invalid token", and a server that revokes nothing answers the same 200. So after the 200 the
// token must be reported inactive by introspection within the propagation wait (RFC 7009 2.1);
// still active, the target does not revoke access tokens and the scenario is not applicable (that
// SHOULD is judged once, by "A client revokes its access token"). unsupported_token_type
// (RFC 7009 2.2.1) says the same at once. Anything the suite cannot read is inconclusive: a
// SHOULD that binds only a server with the support is not judged on a guess.
func (w *World) revokesAccessTokens(ctx context.Context) error {
	// The probe gets its own token, as "a client that may introspect and revoke" does (the
	// profile's token_endpoints_caller, else client credentials first), in a copy of the World
	// so that the scenario's tokens and state stay as they were; browser resources the probe
	// opens are handed back to the scenario, which closes them.
	probe := *w
	probe.accessTokens, probe.refreshTokens, probe.side = nil, nil, tokenSide{}
	defer func() { w.session, w.listener, w.pages = probe.session, probe.listener, probe.pages }()
	if _, err := probe.callerHasTokens(ctx); err != nil || len(probe.accessTokens) == 0 {
		why := "no token was issued"
		if err != nil {
			why = verdict.FirstLine(err.Error())
		}
		return verdict.Inconclusive("cannot tell whether the target revokes access tokens: no access token to try (%s)", why)
	}
	token := probe.accessTokens[len(probe.accessTokens)-1]
	if err := probe.provenActive(token); err != nil {
		return verdict.Inconclusive("cannot tell whether the target revokes access tokens: %s", strings.TrimPrefix(err.Error(), "inconclusive: "))
	}
	creds, auth, err := probe.creds(probe.tokenOwner)
	if err != nil {
		return err
	}
	rev, err := oauthclient.TokenOpRequest{Endpoint: w.p.Endpoints.Revocation, Token: token,
		TokenTypeHint: "access_token", Client: creds, AuthMethod: auth}.Revoke(ctx, w.http)
	if err != nil {
		return err
	}
	switch {
	case rev.Status == 400 && rev.Error() == "unsupported_token_type":
		return verdict.NotApplicable("the target does not revoke access tokens (unsupported_token_type, RFC 7009 2.2.1), so RFC 7009 2.1's SHOULD does not apply")
	case rev.Status != 200:
		return verdict.Inconclusive("cannot tell whether the target revokes access tokens: revoking one answered HTTP %d %s", rev.Status, rev.Error())
	}
	inactive, err := poll(ctx, w.propagationWait(), func() (bool, error) {
		r, _, err := probe.introspect(ctx, token, "access_token")
		if err != nil {
			return false, err
		}
		active, ok := r.Bool("active")
		if r.Status != 200 || !ok {
			return false, verdict.Inconclusive("cannot tell whether the target revokes access tokens: introspecting the revoked token answered HTTP %d without a boolean \"active\"", r.Status)
		}
		return !active, nil
	})
	if err != nil {
		return err
	}
	if !inactive {
		return verdict.NotApplicable("the target does not revoke access tokens: an access token of the %s client it answered 200 to revoking (RFC 7009 2.2 answers 200 for an invalid token too) was still reported active %s later, so RFC 7009 2.1's SHOULD for servers that revoke access tokens does not apply (revocation.feature 'A client revokes its access token' reports that SHOULD)", probe.tokenOwner, w.propagationWait())
	}
	return nil
}

// clientCredentialsToken asks for a client credentials token as the client of role.
func (w *World) clientCredentialsToken(ctx context.Context, role string) (*oauthclient.Response, oauthclient.Credentials, oauthclient.AuthMethod, error) {
	creds, auth, err := w.creds(role)
	if err != nil {
		return nil, creds, auth, err
	}
	resp, err := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "client_credentials",
		Client: creds, AuthMethod: auth}.Send(ctx, w.http)
	return resp, creds, auth, err
}
