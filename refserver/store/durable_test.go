package store

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/ory/fosite"
)

// Issue 10 item 6: issuing a token is not synced (synchronous=NORMAL: its loss on a power
// cut fails closed), but every revocation, rotation, redemption and ended session is made
// durable before it returns (its loss would fail open).
func TestRevocationsAreSyncedIssuanceIsNot(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &Client{ID: "c", Public: true, TokenEndpointAuthMethod: "none", GrantTypes: []string{GrantAuthorizationCode}, Enabled: true}
	if err := st.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, &User{Username: "alice", PasswordHash: []byte("x"), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	req := func(id string) *fosite.Request {
		now := time.Now().UTC()
		return &fosite.Request{ID: id, RequestedAt: now, Client: c, Form: url.Values{},
			Session: &fosite.DefaultSession{Subject: "alice", ExpiresAt: map[fosite.TokenType]time.Time{fosite.AccessToken: now.Add(time.Hour)}}}
	}
	step := func(name string, wantSync bool, fn func() error) {
		t.Helper()
		before := st.walSyncs.Load()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if synced := st.walSyncs.Load() > before; synced != wantSync {
			t.Errorf("%s: WAL synced = %v, want %v", name, synced, wantSync)
		}
	}
	step("issue an access token", false, func() error { return st.CreateAccessTokenSession(ctx, "at1", req("r1")) })
	step("issue a refresh token", false, func() error { return st.CreateRefreshTokenSession(ctx, "rt1", "at1", req("r1")) })
	step("issue a code", false, func() error { return st.CreateAuthorizeCodeSession(ctx, "code1", req("r2")) })
	step("redeem the code", true, func() error { return st.InvalidateAuthorizeCodeSession(ctx, "code1") })
	step("revoke refresh tokens (revocation endpoint)", true, func() error { return st.RevokeRefreshToken(ctx, "r1") })
	step("revoke access tokens (revocation endpoint)", true, func() error { return st.RevokeAccessToken(ctx, "r1") })
	step("issue again", false, func() error { return st.CreateRefreshTokenSession(ctx, "rt2", "at1", req("r3")) })
	step("rotate a refresh token", true, func() error { return st.RotateRefreshToken(ctx, "r3", "rt2") })
	step("end a user's sessions", true, func() error { return st.EndUserSessions(ctx, "alice") })
	step("disable a user", true, func() error { return st.UpdateUser(ctx, &User{Username: "alice", Enabled: false}) })
	step("store the secret's fingerprint", true, func() error { return st.PutFact(ctx, "token_secret_fingerprint", "f") })
}
