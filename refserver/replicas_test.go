package refserver

import (
	"context"
	"net/url"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// twin builds a second server over e's database file, with a store of its own: another
// replica, whose caches are its own and whose pre-update hook sees none of e's writes.
func (e *testEnv) twin() *testEnv {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	srv, err := newServer(e.cfg, st)
	if err != nil {
		e.t.Fatal(err)
	}
	srv.clientAuth.compare, srv.owners.compare = memoBcrypt, memoBcrypt
	return &testEnv{t: e.t, srv: srv, st: st, path: e.path, cfg: e.cfg}
}

// Issue 15 item 4, through the endpoints: replica B answers at once what replica A changed,
// although B looked the same things up a moment before (its caches were warm).
func TestReplicasAgreeAtOnce(t *testing.T) {
	ctx := context.Background()
	cc := url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}

	t.Run("revocation", func(t *testing.T) {
		a := newTestEnv(t)
		b := a.twin()
		tok := a.mustToken(ccID, ccSecret, cc).str("access_token")
		for range 2 {
			if !b.active(ccID, ccSecret, tok) {
				t.Fatal("B: the fresh token is inactive")
			}
		}
		if r := a.revoke(ccID, ccSecret, tok); r.Status != 200 {
			t.Fatalf("A: revoke: %s", r)
		}
		if b.active(ccID, ccSecret, tok) {
			t.Error("B: a token revoked through A is still active")
		}
	})

	t.Run("client disabled", func(t *testing.T) {
		a := newTestEnv(t)
		b := a.twin()
		tok := a.mustToken(ccID, ccSecret, cc).str("access_token")
		for range 2 {
			b.mustToken(ccID, ccSecret, cc)
			if !b.active(ccID, ccSecret, tok) {
				t.Fatal("B: the fresh token is inactive")
			}
		}
		c, err := a.st.LookupClient(ctx, ccID)
		must(t, err)
		c.Enabled = false
		must(t, a.st.UpdateClient(ctx, c))
		if r := b.token(ccID, ccSecret, cc); r.Status == 200 {
			t.Errorf("B: a client disabled through A still gets tokens: %s", r)
		}
		if r := b.introspect(ccID, ccSecret, tok); r.Status == 200 && r.JSON["active"] == true {
			t.Errorf("B: a disabled client's token is still active: %s", r)
		}
	})

	t.Run("user disabled", func(t *testing.T) {
		a := newTestEnv(t)
		b := a.twin()
		pw := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-Secret-1"}, "scope": {"calc:read"}}
		tok := a.mustToken(ropcID, ropcSecret, pw).str("access_token")
		for range 2 {
			b.mustToken(ropcID, ropcSecret, pw)
			if !b.active(ropcID, ropcSecret, tok) {
				t.Fatal("B: the fresh token is inactive")
			}
		}
		u, err := a.st.GetUser(ctx, "alice")
		must(t, err)
		u.Enabled = false
		must(t, a.st.UpdateUser(ctx, u))
		if r := b.token(ropcID, ropcSecret, pw); r.Status == 200 {
			t.Errorf("B: a user disabled through A still gets tokens: %s", r)
		}
		if b.active(ropcID, ropcSecret, tok) {
			t.Error("B: a disabled user's token is still active")
		}
	})

	t.Run("settings", func(t *testing.T) {
		a := newTestEnv(t, withAdmin(t))
		b := a.twin()
		for range 2 {
			if got, _ := b.mustToken(ccID, ccSecret, cc).JSON["expires_in"].(float64); got < 3598 {
				t.Fatalf("B: expires_in before the change = %v, want 3600", got)
			}
		}
		if r := a.adminAPI(adminUser, adminPass, "PUT", "/admin/api/settings", map[string]any{
			"access_token_ttl": 120, "refresh_token_ttl": 600, "auth_code_ttl": 60, "pkce_required_for_public": true, "approval_title": "Allow?",
		}); r.Status != 200 {
			t.Fatalf("A: put settings: %s", r)
		}
		if got, _ := b.mustToken(ccID, ccSecret, cc).JSON["expires_in"].(float64); got > 120 {
			t.Errorf("B: expires_in right after A saved 120 s = %v", got)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
