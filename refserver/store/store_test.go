package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// testSession mirrors the server's session: fosite's default session plus a field of its own,
// so the tests see that hydration fills the caller's type.
type testSession struct {
	fosite.DefaultSession
	AuthTime time.Time `json:"auth_time,omitempty"`
}

func (s *testSession) Clone() fosite.Session {
	c := *s
	c.DefaultSession = *s.DefaultSession.Clone().(*fosite.DefaultSession)
	return &c
}

func newSession(subject string) *testSession {
	return &testSession{DefaultSession: fosite.DefaultSession{
		Subject: subject, Username: subject, ExpiresAt: map[fosite.TokenType]time.Time{},
	}}
}

// openStore opens a SQLite store in a temporary folder and returns it with its path. Under
// TestContract/postgres/ it opens a PostgreSQL store on a fresh schema instead, and
// the path is empty (contract_test.go).
func openStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	if onPostgres(t) {
		return openPG(t), ""
	}
	path := filepath.Join(t.TempDir(), "oauth.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// mustClient creates an enabled confidential client with a cheap (cost 4) hash: these tests
// check storage, not hashing.
func mustClient(t testing.TB, st *store.Store, id string) *store.Client {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(id+"-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Client{
		ID: id, Name: "client " + id, SecretHash: h,
		RedirectURIs:            []string{"http://127.0.0.1/callback"},
		GrantTypes:              []string{store.GrantAuthorizationCode, store.GrantRefreshToken, store.GrantClientCredentials},
		Scopes:                  []string{"calc:read", "offline_access"},
		TokenEndpointAuthMethod: "client_secret_basic",
		AccessTokenTTL:          time.Minute,
		Enabled:                 true,
	}
	if err := st.CreateClient(context.Background(), c); err != nil {
		t.Fatalf("CreateClient(%s): %v", id, err)
	}
	return c
}

// newRequest builds a requester like the ones fosite stores: a form with secrets in it, a
// session with expiries, granted scopes and audience.
func newRequest(c fosite.Client, requestID, subject string) *fosite.Request {
	sess := newSession(subject)
	sess.AuthTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := time.Now().UTC().Add(time.Hour).Round(time.Second)
	sess.SetExpiresAt(fosite.AccessToken, exp)
	sess.SetExpiresAt(fosite.RefreshToken, exp.Add(time.Hour))
	sess.SetExpiresAt(fosite.AuthorizeCode, exp.Add(-50*time.Minute))
	return &fosite.Request{
		ID:             requestID,
		RequestedAt:    time.Now().UTC().Round(time.Millisecond),
		Client:         c,
		RequestedScope: fosite.Arguments{"calc:read", "offline_access"},
		GrantedScope:   fosite.Arguments{"calc:read", "offline_access"},
		Form: url.Values{
			"redirect_uri":          {"http://127.0.0.1/callback"},
			"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
			"code_challenge_method": {"S256"},
			"password":              {"hunter2"},
			"client_secret":         {"s3cret"},
			"code_verifier":         {"verifier"},
			"code":                  {"the-code"},
			"refresh_token":         {"the-refresh"},
			"client_assertion":      {"jwt"},
			"token":                 {"tok"},
		},
		Session:           sess,
		RequestedAudience: fosite.Arguments{},
		GrantedAudience:   fosite.Arguments{"https://calc.example"},
	}
}

func checkRequest(t *testing.T, got fosite.Requester, want *fosite.Request) {
	t.Helper()
	if got == nil {
		t.Fatal("no requester returned")
	}
	if got.GetID() != want.ID {
		t.Errorf("request id = %q, want %q", got.GetID(), want.ID)
	}
	if got.GetClient().GetID() != want.Client.GetID() {
		t.Errorf("client = %q, want %q", got.GetClient().GetID(), want.Client.GetID())
	}
	if _, ok := got.GetClient().(*store.Client); !ok {
		t.Errorf("client is %T, want *store.Client", got.GetClient())
	}
	if !got.GetRequestedAt().Equal(want.RequestedAt) {
		t.Errorf("requested at = %v, want %v", got.GetRequestedAt(), want.RequestedAt)
	}
	if fmt.Sprint(got.GetGrantedScopes()) != fmt.Sprint(want.GrantedScope) ||
		fmt.Sprint(got.GetRequestedScopes()) != fmt.Sprint(want.RequestedScope) {
		t.Errorf("scopes = %v/%v, want %v/%v", got.GetRequestedScopes(), got.GetGrantedScopes(), want.RequestedScope, want.GrantedScope)
	}
	if fmt.Sprint(got.GetGrantedAudience()) != fmt.Sprint(want.GrantedAudience) {
		t.Errorf("granted audience = %v, want %v", got.GetGrantedAudience(), want.GrantedAudience)
	}
	form := got.GetRequestForm()
	for _, k := range []string{"password", "client_secret", "code_verifier", "code", "refresh_token", "client_assertion", "token"} {
		if form.Has(k) {
			t.Errorf("form parameter %q was stored; secrets must be dropped", k)
		}
	}
	for _, k := range []string{"redirect_uri", "code_challenge", "code_challenge_method"} {
		if form.Get(k) != want.Form.Get(k) {
			t.Errorf("form %s = %q, want %q", k, form.Get(k), want.Form.Get(k))
		}
	}
	sess, ok := got.GetSession().(*testSession)
	if !ok {
		t.Fatalf("session is %T, want the *testSession passed in", got.GetSession())
	}
	ws := want.Session.(*testSession)
	if sess.Subject != ws.Subject || !sess.AuthTime.Equal(ws.AuthTime) {
		t.Errorf("session = %q/%v, want %q/%v", sess.Subject, sess.AuthTime, ws.Subject, ws.AuthTime)
	}
	if !sess.GetExpiresAt(fosite.AccessToken).Equal(ws.GetExpiresAt(fosite.AccessToken)) {
		t.Errorf("access expiry = %v, want %v", sess.GetExpiresAt(fosite.AccessToken), ws.GetExpiresAt(fosite.AccessToken))
	}
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	st, path := openStore(t)
	empty, err := st.IsEmpty(ctx)
	if err != nil || !empty {
		t.Fatalf("IsEmpty on a new database = %v, %v; want true", empty, err)
	}
	mustClient(t, st, "c1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Re-opening must not re-run 0001 (it would fail: the tables exist) and keeps the data.
	st2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer st2.Close()
	if empty, _ := st2.IsEmpty(ctx); empty {
		t.Fatal("IsEmpty after creating a client and re-opening = true")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := store.Open(ctx, ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	if _, err := store.Open(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

func TestOpenMemory(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := mustClient(t, st, "mem")
	r := newRequest(c, "req-mem", "alice")
	if err := st.CreateAccessTokenSession(ctx, "sig-mem", r); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "sig-mem", newSession("")); err != nil {
		t.Fatal(err)
	}
}

func TestClients(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")

	if err := st.CreateClient(ctx, &store.Client{ID: "c1", Enabled: true}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate CreateClient = %v, want ErrConflict", err)
	}
	if err := st.CreateClient(ctx, &store.Client{}); err == nil {
		t.Error("CreateClient without an id succeeded")
	}
	got, err := st.GetClient(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	gc := got.(*store.Client)
	if gc.Name != c.Name || string(gc.SecretHash) != string(c.SecretHash) || fmt.Sprint(gc.GrantTypes) != fmt.Sprint(c.GrantTypes) ||
		gc.AccessTokenTTL != time.Minute || gc.TokenEndpointAuthMethod != "client_secret_basic" || gc.CreatedAt.IsZero() {
		t.Errorf("GetClient = %+v, want %+v", gc, c)
	}
	// The returned client is a copy: changing it changes nothing stored.
	gc.RedirectURIs[0] = "https://evil.example/"
	again, _ := st.GetClient(ctx, "c1")
	if again.GetRedirectURIs()[0] != "http://127.0.0.1/callback" {
		t.Errorf("mutating a returned client changed the cache: %v", again.GetRedirectURIs())
	}

	if _, err := st.GetClient(ctx, "nope"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("GetClient(unknown) = %v, want fosite.ErrNotFound", err)
	}
	if _, err := st.LookupClient(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LookupClient(unknown) = %v, want ErrNotFound", err)
	}

	c.Enabled = false
	c.Name = "renamed"
	if err := st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetClient(ctx, "c1"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("GetClient(disabled) = %v, want fosite.ErrNotFound", err)
	}
	lc, err := st.LookupClient(ctx, "c1")
	if err != nil || lc.Name != "renamed" || lc.Enabled {
		t.Errorf("LookupClient(disabled) = %+v, %v; want the renamed, disabled client", lc, err)
	}
	if err := st.UpdateClient(ctx, &store.Client{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateClient(unknown) = %v, want ErrNotFound", err)
	}

	mustClient(t, st, "a0")
	list, err := st.ListClients(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "a0" || list[1].ID != "c1" {
		t.Errorf("ListClients = %v, %v; want a0, c1", list, err)
	}

	if err := st.DeleteClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteClient = %v, want ErrNotFound", err)
	}
	if _, err := st.LookupClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LookupClient after delete = %v, want ErrNotFound", err)
	}
}

func TestUsersAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	h, _ := bcrypt.GenerateFromPassword([]byte("alice-pw"), bcrypt.MinCost)
	if err := st.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: h, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: h}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate CreateUser = %v, want ErrConflict", err)
	}
	if err := st.CreateUser(ctx, &store.User{Username: "carol", PasswordHash: h, Enabled: false}); err != nil {
		t.Fatal(err)
	}
	u, err := st.GetUser(ctx, "alice")
	if err != nil || u.Username != "alice" || !u.Enabled || string(u.PasswordHash) != string(h) {
		t.Errorf("GetUser = %+v, %v", u, err)
	}
	if _, err := st.GetUser(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(unknown) = %v, want ErrNotFound", err)
	}
	if us, err := st.ListUsers(ctx); err != nil || len(us) != 2 || us[0].Username != "alice" {
		t.Errorf("ListUsers = %v, %v", us, err)
	}

	// The password check itself (wrong, unknown, disabled) is refserver's ownerPasswords.
}

func TestScopes(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	if err := st.PutScope(ctx, &store.Scope{Name: "calc:read", Description: "old"}); err != nil {
		t.Fatal(err)
	}
	if empty, _ := st.IsEmpty(ctx); empty {
		t.Error("IsEmpty with a scope = true")
	}
	if err := st.PutScope(ctx, &store.Scope{Name: "calc:read", Description: "Read"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutScope(ctx, &store.Scope{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	sc, err := st.GetScope(ctx, "calc:read")
	if err != nil || sc.Description != "Read" {
		t.Errorf("GetScope = %+v, %v; want the updated description", sc, err)
	}
	if _, err := st.GetScope(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetScope(unknown) = %v, want ErrNotFound", err)
	}
	if l, err := st.ListScopes(ctx); err != nil || len(l) != 2 || l[0].Name != "a" {
		t.Errorf("ListScopes = %v, %v", l, err)
	}
	if err := st.PutScope(ctx, &store.Scope{}); err == nil {
		t.Error("PutScope without a name succeeded")
	}
}

func TestAuthorizeCodeLifecycle(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")
	if err := st.CreateAuthorizeCodeSession(ctx, "code-sig", r); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetAuthorizeCodeSession(ctx, "code-sig", newSession(""))
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, r)

	if err := st.InvalidateAuthorizeCodeSession(ctx, "code-sig"); err != nil {
		t.Fatal(err)
	}
	// fosite needs the requester WITH the error to revoke the tokens issued from the code.
	got, err = st.GetAuthorizeCodeSession(ctx, "code-sig", newSession(""))
	if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Fatalf("Get used code: err = %v, want ErrInvalidatedAuthorizeCode", err)
	}
	checkRequest(t, got, r)
	if err := st.InvalidateAuthorizeCodeSession(ctx, "code-sig"); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Errorf("second Invalidate = %v, want ErrInvalidatedAuthorizeCode", err)
	}
	if _, err := st.GetAuthorizeCodeSession(ctx, "nope", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("Get unknown code = %v, want fosite.ErrNotFound", err)
	}
	if err := st.InvalidateAuthorizeCodeSession(ctx, "nope"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("Invalidate unknown code = %v, want fosite.ErrNotFound", err)
	}
	if err := st.CreateAuthorizeCodeSession(ctx, "code-sig", r); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate signature = %v, want ErrConflict", err)
	}
}

func TestAccessTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")
	if err := st.CreateAccessTokenSession(ctx, "at-1", r); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(ctx, "at-2", r); err != nil {
		t.Fatal(err)
	}
	other := newRequest(c, "req-2", "bob")
	if err := st.CreateAccessTokenSession(ctx, "at-other", other); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetAccessTokenSession(ctx, "at-1", newSession(""))
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, r)

	// Revocation is by grant family: both tokens of req-1 go, req-2's stays.
	if err := st.RevokeAccessToken(ctx, "req-1"); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []string{"at-1", "at-2"} {
		got, err := st.GetAccessTokenSession(ctx, sig, newSession(""))
		if !errors.Is(err, fosite.ErrInactiveToken) || got == nil {
			t.Errorf("Get revoked %s = %v, %v; want requester + ErrInactiveToken", sig, got, err)
		}
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-other", newSession("")); err != nil {
		t.Errorf("another family's token: %v", err)
	}
	// Revocation discovery passes a nil session.
	if got, err := st.GetAccessTokenSession(ctx, "at-other", nil); err != nil || got.GetSession().GetSubject() != "bob" {
		t.Errorf("Get with nil session = %v, %v", got, err)
	}
	if err := st.DeleteAccessTokenSession(ctx, "at-other"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-other", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("Get deleted token = %v, want fosite.ErrNotFound", err)
	}
	if err := st.DeleteAccessTokenSession(ctx, "at-other"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestRefreshRotationAndFamilyRevocation(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "fam", "alice")
	if err := st.CreateAccessTokenSession(ctx, "at-1", r); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRefreshTokenSession(ctx, "rt-1", "at-1", r); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetRefreshTokenSession(ctx, "rt-1", newSession(""))
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, r)

	// What fosite's refresh handler does, in a transaction.
	tctx, err := st.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RotateRefreshToken(tctx, "fam", "rt-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(tctx, "at-2", r); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRefreshTokenSession(tctx, "rt-2", "at-2", r); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(tctx); err != nil {
		t.Fatal(err)
	}

	got, err = st.GetRefreshTokenSession(ctx, "rt-1", newSession(""))
	if !errors.Is(err, fosite.ErrInactiveToken) || got == nil || got.GetID() != "fam" {
		t.Fatalf("Get rotated refresh token = %v, %v; want requester + ErrInactiveToken", got, err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-1", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("old access token after rotation: %v, want ErrInactiveToken", err)
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt-2", newSession("")); err != nil {
		t.Errorf("new refresh token: %v", err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-2", newSession("")); err != nil {
		t.Errorf("new access token: %v", err)
	}
	// Rotating the already-rotated token again (a concurrent refresh) fails.
	if err := st.RotateRefreshToken(ctx, "fam", "rt-1"); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("rotate an inactive token = %v, want ErrInactiveToken", err)
	}
	if err := st.RotateRefreshToken(ctx, "fam", "nope"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("rotate an unknown token = %v, want fosite.ErrNotFound", err)
	}
	// That failed rotation must not have touched the live pair.
	if _, err := st.GetRefreshTokenSession(ctx, "rt-2", newSession("")); err != nil {
		t.Errorf("new refresh token after a failed rotation: %v", err)
	}

	// Reuse of rt-1 is detected by fosite, which revokes the family: rt-2 and at-2 die.
	if err := st.DeleteRefreshTokenSession(ctx, "rt-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeRefreshToken(ctx, "fam"); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeAccessToken(ctx, "fam"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt-1", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("deleted refresh token: %v, want fosite.ErrNotFound", err)
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt-2", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("revoked family refresh token: %v, want ErrInactiveToken", err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-2", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("revoked family access token: %v, want ErrInactiveToken", err)
	}
}

func TestPKCERecordOutlivesDelete(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")
	if err := st.CreatePKCERequestSession(ctx, "code-sig", r); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetPKCERequestSession(ctx, "code-sig", newSession(""))
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, got, r)
	if err := st.DeletePKCERequestSession(ctx, "code-sig"); err != nil {
		t.Fatal(err)
	}
	// Still found: the code stays bound to its challenge (no PKCE downgrade on a retry).
	got, err = st.GetPKCERequestSession(ctx, "code-sig", newSession(""))
	if err != nil || got.GetRequestForm().Get("code_challenge") == "" {
		t.Errorf("PKCE record after delete = %v, %v; want it still there with its challenge", got, err)
	}
	if _, err := st.GetPKCERequestSession(ctx, "nope", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("unknown PKCE record = %v, want fosite.ErrNotFound", err)
	}
}

func TestDisabledOrDeletedClientKillsItsTokens(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")
	if err := st.CreateAccessTokenSession(ctx, "at", r); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRefreshTokenSession(ctx, "rt", "at", r); err != nil {
		t.Fatal(err)
	}
	// Warm the client cache, then disable: the change must be seen at once.
	if _, err := st.GetAccessTokenSession(ctx, "at", newSession("")); err != nil {
		t.Fatal(err)
	}
	c.Enabled = false
	if err := st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("token of a disabled client = %v, want fosite.ErrNotFound", err)
	}
	c.Enabled = true
	if err := st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	// Disabling revoked them: enabling the client again brings none back (issue 10).
	if _, err := st.GetAccessTokenSession(ctx, "at", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("access token of a re-enabled client = %v, want fosite.ErrInactiveToken", err)
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("refresh token of a re-enabled client = %v, want fosite.ErrInactiveToken", err)
	}
	if err := st.DeleteClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("token of a deleted client = %v, want fosite.ErrNotFound", err)
	}
	// Re-creating the id must not resurrect the old tokens.
	mustClient(t, st, "c1")
	if _, err := st.GetRefreshTokenSession(ctx, "rt", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("token of a deleted then re-created client = %v, want fosite.ErrNotFound", err)
	}
}

func TestTransactions(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")

	tctx, err := st.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(tctx, "rolled-back", r); err != nil {
		t.Fatal(err)
	}
	// The transaction sees its own write; readers outside do not.
	if _, err := st.GetAccessTokenSession(tctx, "rolled-back", newSession("")); err != nil {
		t.Errorf("read inside the transaction: %v", err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "rolled-back", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("uncommitted write visible outside: %v", err)
	}
	if err := st.Rollback(tctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Rollback(tctx); err != nil {
		t.Errorf("second Rollback (fosite does this after a failed commit): %v", err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "rolled-back", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("rolled-back write persisted: %v", err)
	}

	tctx, err = st.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(tctx, "committed", r); err != nil {
		t.Fatal(err)
	}
	// A nested transaction is a savepoint: rolling it back keeps the outer work.
	nctx, err := st.BeginTX(tctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(nctx, "nested", r); err != nil {
		t.Fatal(err)
	}
	if err := st.Rollback(nctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(tctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(tctx); err == nil {
		t.Error("second Commit succeeded")
	}
	if _, err := st.GetAccessTokenSession(ctx, "committed", newSession("")); err != nil {
		t.Errorf("committed write missing: %v", err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "nested", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("rolled-back savepoint write persisted: %v", err)
	}

	// A client created in a rolled-back transaction must not linger in the cache.
	tctx, _ = st.BeginTX(ctx)
	mustClientCtx(t, tctx, st, "ghost")
	if _, err := st.GetClient(tctx, "ghost"); err != nil {
		t.Errorf("client inside its transaction: %v", err)
	}
	if err := st.Rollback(tctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetClient(ctx, "ghost"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("rolled-back client = %v, want fosite.ErrNotFound", err)
	}

	if err := st.Commit(ctx); err == nil {
		t.Error("Commit without a transaction succeeded")
	}
	if err := st.Rollback(ctx); err == nil {
		t.Error("Rollback without a transaction succeeded")
	}
}

func mustClientCtx(t *testing.T, ctx context.Context, st *store.Store, id string) {
	t.Helper()
	if err := st.CreateClient(ctx, &store.Client{ID: id, Enabled: true, Public: true, GrantTypes: []string{store.GrantImplicit}}); err != nil {
		t.Fatal(err)
	}
}

// A canceled request context must release the writer: later writes may not hang.
func TestCanceledTransactionReleasesWriter(t *testing.T) {
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	ctx, cancel := context.WithCancel(context.Background())
	tctx, err := st.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(tctx, "x", newRequest(c, "r", "alice")); err != nil {
		t.Fatal(err)
	}
	cancel()
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := st.CreateAccessTokenSession(wctx, "y", newRequest(c, "r2", "alice")); err != nil {
		t.Fatalf("write after an abandoned transaction: %v", err)
	}
	if _, err := st.GetAccessTokenSession(wctx, "x", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("write of the canceled transaction persisted: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	const workers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				r := newRequest(c, id, "alice")
				if i%4 == 0 {
					// Some go through transactions, as the code and refresh flows do.
					tctx, err := st.BeginTX(ctx)
					if err != nil {
						errs <- err
						return
					}
					if err := st.CreateAccessTokenSession(tctx, "at-"+id, r); err != nil {
						errs <- err
						st.Rollback(tctx)
						return
					}
					if err := st.CreateRefreshTokenSession(tctx, "rt-"+id, "at-"+id, r); err != nil {
						errs <- err
						st.Rollback(tctx)
						return
					}
					if err := st.Commit(tctx); err != nil {
						errs <- err
					}
					continue
				}
				if err := st.CreateAccessTokenSession(ctx, "at-"+id, r); err != nil {
					errs <- err
				}
				if _, err := st.GetAccessTokenSession(ctx, "at-"+id, newSession("")); err != nil {
					errs <- fmt.Errorf("read own write %s: %w", id, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	toks, err := st.ListTokens(ctx, store.TokenFilter{Kind: store.KindAccessToken, Limit: 10000})
	if err != nil || len(toks) != workers*each {
		t.Errorf("access tokens stored = %d, %v; want %d", len(toks), err, workers*each)
	}
}

// Two refreshes racing with the same refresh token: exactly one may rotate it.
func TestConcurrentRotationOnlyOneWins(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c := mustClient(t, st, "c1")
	r := newRequest(c, "fam", "alice")
	if err := st.CreateRefreshTokenSession(ctx, "rt", "", r); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tctx, err := st.BeginTX(ctx)
			if err != nil {
				results <- err
				return
			}
			if err := st.RotateRefreshToken(tctx, "fam", "rt"); err != nil {
				st.Rollback(tctx)
				results <- err
				return
			}
			if err := st.CreateRefreshTokenSession(tctx, fmt.Sprintf("rt-new-%d", i), "", r); err != nil {
				st.Rollback(tctx)
				results <- err
				return
			}
			results <- st.Commit(tctx)
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, fosite.ErrInactiveToken):
			t.Errorf("losing rotation failed with %v, want ErrInactiveToken", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d rotations succeeded, want exactly 1", wins)
	}
}

func TestRestartKeepsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "oauth.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := mustClient(t, st, "c1")
	r := newRequest(c, "req-1", "alice")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAccessTokenSession(ctx, "at-live", r))
	must(st.CreateAuthorizeCodeSession(ctx, "code-used", r))
	must(st.InvalidateAuthorizeCodeSession(ctx, "code-used"))
	r2 := newRequest(c, "req-2", "bob")
	must(st.CreateAccessTokenSession(ctx, "at-revoked", r2))
	must(st.CreateRefreshTokenSession(ctx, "rt-revoked", "at-revoked", r2))
	must(st.RevokeRefreshToken(ctx, "req-2"))
	must(st.RevokeAccessToken(ctx, "req-2"))
	must(st.Close())

	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.GetAccessTokenSession(ctx, "at-live", newSession(""))
	if err != nil {
		t.Fatalf("live token after restart: %v", err)
	}
	checkRequest(t, got, r)
	if got, err := st.GetAuthorizeCodeSession(ctx, "code-used", newSession("")); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) || got == nil {
		t.Errorf("used code after restart = %v, %v; want requester + ErrInvalidatedAuthorizeCode", got, err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "at-revoked", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("revoked access token after restart = %v, want ErrInactiveToken", err)
	}
	if _, err := st.GetRefreshTokenSession(ctx, "rt-revoked", newSession("")); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("revoked refresh token after restart = %v, want ErrInactiveToken", err)
	}
}

func TestListRevokeAllDeleteExpired(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	c1 := mustClient(t, st, "c1")
	c2 := mustClient(t, st, "c2")
	r1 := newRequest(c1, "r1", "alice")
	r2 := newRequest(c2, "r2", "bob")
	expired := newRequest(c2, "r3", "bob")
	expired.Session.SetExpiresAt(fosite.AccessToken, time.Now().Add(-time.Minute))
	expired.RequestedAt = time.Now().UTC().Add(-2 * time.Hour)
	for _, x := range []struct {
		sig string
		r   *fosite.Request
	}{{"a1", r1}, {"a2", r2}, {"a3", expired}} {
		if err := st.CreateAccessTokenSession(ctx, x.sig, x.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateRefreshTokenSession(ctx, "f1", "a1", r1); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAuthorizeCodeSession(ctx, "c1code", r1); err != nil {
		t.Fatal(err)
	}

	all, err := st.ListTokens(ctx, store.TokenFilter{})
	if err != nil || len(all) != 5 {
		t.Fatalf("ListTokens = %d rows, %v; want 5", len(all), err)
	}
	if all[len(all)-1].Signature != "a3" {
		t.Errorf("oldest last: got %q last, want a3", all[len(all)-1].Signature)
	}
	for _, ti := range all {
		if ti.Signature == "a1" && (ti.Kind != store.KindAccessToken || ti.ClientID != "c1" || ti.Subject != "alice" ||
			fmt.Sprint(ti.Scopes) != "[calc:read offline_access]" || ti.ExpiresAt.IsZero() || !ti.Active || ti.RequestID != "r1") {
			t.Errorf("TokenInfo a1 = %+v", ti)
		}
	}
	if l, _ := st.ListTokens(ctx, store.TokenFilter{ClientID: "c1"}); len(l) != 3 {
		t.Errorf("client c1 has %d tokens, want 3", len(l))
	}
	if l, _ := st.ListTokens(ctx, store.TokenFilter{Subject: "bob", Kind: store.KindAccessToken}); len(l) != 2 {
		t.Errorf("bob has %d access tokens, want 2", len(l))
	}
	if l, _ := st.ListTokens(ctx, store.TokenFilter{Limit: 2}); len(l) != 2 {
		t.Errorf("Limit 2 gave %d", len(l))
	}
	if _, err := st.ListTokens(ctx, store.TokenFilter{Kind: "bogus"}); err == nil {
		t.Error("unknown kind accepted")
	}

	if err := st.RevokeAllForClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeAllForClient(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAllForClient(unknown) = %v, want ErrNotFound", err)
	}
	if l, _ := st.ListTokens(ctx, store.TokenFilter{ActiveOnly: true}); len(l) != 2 {
		t.Errorf("active tokens after revoking c1: %d, want 2 (a2, a3)", len(l))
	}
	if _, err := st.GetAuthorizeCodeSession(ctx, "c1code", newSession("")); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Errorf("code of a client whose tokens were all revoked: %v", err)
	}

	n, err := st.DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want 1 (a3)", n, err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "a3", newSession("")); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("expired token still there: %v", err)
	}
	if _, err := st.GetAccessTokenSession(ctx, "a2", newSession("")); err != nil {
		t.Errorf("unexpired token deleted: %v", err)
	}
}

func TestClientAssertionJTI(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	if err := st.ClientAssertionJWTValid(ctx, "j1"); err != nil {
		t.Errorf("unseen jti: %v", err)
	}
	if err := st.SetClientAssertionJWT(ctx, "j1", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.ClientAssertionJWTValid(ctx, "j1"); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Errorf("seen jti = %v, want ErrJTIKnown", err)
	}
	if err := st.SetClientAssertionJWT(ctx, "j1", time.Now().Add(time.Minute)); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Errorf("setting a seen jti = %v, want ErrJTIKnown", err)
	}
	if err := st.SetClientAssertionJWT(ctx, "j2", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.ClientAssertionJWTValid(ctx, "j2"); err != nil {
		t.Errorf("expired jti = %v, want valid", err)
	}
}
