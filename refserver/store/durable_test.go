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

// A code or token stored for a disabled user or client (issued by a request that passed its
// checks just before the disable committed) is stored inactive.
func TestTokensOfDisabledOwnersAreStoredInactive(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &Client{ID: "c", Public: true, TokenEndpointAuthMethod: "none", GrantTypes: []string{GrantAuthorizationCode}, Enabled: true}
	off := &Client{ID: "off", Public: true, TokenEndpointAuthMethod: "none", GrantTypes: []string{GrantAuthorizationCode}, Enabled: false}
	for _, cl := range []*Client{c, off} {
		if err := st.CreateClient(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []*User{{Username: "on", PasswordHash: []byte("x"), Enabled: true}, {Username: "disabled", PasswordHash: []byte("x")}} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	req := func(cl *Client, id, subject string) *fosite.Request {
		now := time.Now().UTC()
		return &fosite.Request{ID: id, RequestedAt: now, Client: cl, Form: url.Values{},
			Session: &fosite.DefaultSession{Subject: subject, ExpiresAt: map[fosite.TokenType]time.Time{fosite.AccessToken: now.Add(time.Hour)}}}
	}
	for _, tc := range []struct {
		sig        string
		r          *fosite.Request
		wantActive bool
	}{
		{"enabled", req(c, "r1", "on"), true},
		{"no owner", req(c, "r2", ""), true},
		{"disabled user", req(c, "r3", "disabled"), false},
		{"disabled client", req(off, "r4", "on"), false},
	} {
		if err := st.CreateAccessTokenSession(ctx, tc.sig, tc.r); err != nil {
			t.Fatal(err)
		}
		ts, err := st.ListTokens(ctx, TokenFilter{Kind: KindAccessToken, ClientID: tc.r.Client.GetID()})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ti := range ts {
			if ti.Signature == tc.sig {
				found = true
				if ti.Active != tc.wantActive {
					t.Errorf("%s: stored active=%v, want %v", tc.sig, ti.Active, tc.wantActive)
				}
			}
		}
		if !found {
			t.Errorf("%s: not listed", tc.sig)
		}
	}
}
