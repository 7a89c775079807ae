package refserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/audit"
)

// lockedBuffer is an io.Writer safe for the server's concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type auditLine map[string]any

func (l auditLine) s(k string) string { v, _ := l[k].(string); return v }

func (b *lockedBuffer) lines(t *testing.T) []auditLine {
	t.Helper()
	var out []auditLine
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var m auditLine
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// find returns the lines of event with outcome ("" = any).
func find(lines []auditLine, event, outcome string) []auditLine {
	var out []auditLine
	for _, l := range lines {
		if l.s("event") == event && (outcome == "" || l.s("outcome") == outcome) {
			out = append(out, l)
		}
	}
	return out
}

func newAuditEnv(t *testing.T) (*testEnv, *lockedBuffer) {
	buf := &lockedBuffer{}
	e := newTestEnv(t, func(c *Config) { c.Audit = audit.New(buf) })
	return e, buf
}

func TestAuditTokenEndpointEvents(t *testing.T) {
	e, buf := newAuditEnv(t)
	cc := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:write"}})
	if cc.Header.Get(RequestIDHeader) == "" {
		t.Error("no X-Request-Id on the token response")
	}
	e.token(ccID, "wrong-secret-0123", url.Values{"grant_type": {"client_credentials"}})
	pw := e.mustToken(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {"alice-Secret-1"}, "scope": {"calc:read offline_access"}})
	e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"not-her-password"}})
	rt := pw.str("refresh_token")
	refreshed := e.mustToken(ropcID, ropcSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	e.introspect(ropcID, ropcSecret, refreshed.str("access_token"))
	e.introspect(ropcID, ropcSecret, "no-such-token")
	e.revoke(ccID, ccSecret, refreshed.str("access_token")) // another client's token: refused
	e.revoke(ropcID, ropcSecret, refreshed.str("refresh_token"), "token_type_hint", "refresh_token")

	lines := buf.lines(t)
	for _, want := range []struct{ event, outcome string }{
		{"client_authentication", "ok"}, {"client_authentication", "failed"},
		{"token_issued", "ok"}, {"token_refreshed", "ok"}, {"login", "ok"}, {"login", "failed"},
		{"token_introspected", "active"}, {"token_introspected", "inactive"},
		{"token_revoked", "ok"}, {"token_revoked", "failed"},
	} {
		if len(find(lines, want.event, want.outcome)) == 0 {
			t.Errorf("no %s/%s event in the audit log:\n%s", want.event, want.outcome, buf)
		}
	}
	issued := find(lines, "token_issued", "ok")
	if issued[0].s("client_id") != ccID || issued[0].s("grant_type") != "client_credentials" || issued[0].s("user") != "client:"+ccID {
		t.Errorf("client credentials token_issued: unexpected fields %v", issued[0])
	}
	if issued[0].s("request_id") != cc.Header.Get(RequestIDHeader) {
		t.Errorf("request_id %q differs from the X-Request-Id %q", issued[0].s("request_id"), cc.Header.Get(RequestIDHeader))
	}
	if f := find(lines, "client_authentication", "failed"); f[0].s("client_id") != ccID {
		t.Errorf("failed client authentication names client %q, expected %q", f[0].s("client_id"), ccID)
	}
	if f := find(lines, "login", "failed"); f[0].s("user") != "alice" || f[0].s("client_id") != ropcID {
		t.Errorf("failed password-grant login: unexpected fields %v", f[0])
	}
	log := buf.String()
	for _, secret := range []string{ccSecret, ropcSecret, "alice-Secret-1", "not-her-password", "wrong-secret-0123",
		cc.str("access_token"), pw.str("access_token"), rt, refreshed.str("access_token"), refreshed.str("refresh_token")} {
		if strings.Contains(log, secret) {
			t.Errorf("the audit log contains the secret or token %q", secret)
		}
		if _, sig, ok := strings.Cut(secret, "."); ok && strings.Contains(log, sig) {
			t.Errorf("the audit log contains the signature of token %q", secret)
		}
	}
}

func TestAuditResourceAccessAllowedAndDenied(t *testing.T) {
	e, buf := newAuditEnv(t)
	write := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:write"}}).str("access_token")
	read := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:read"}}).str("access_token")
	denied := e.mustToken("cc-denied", "cc-denied-secret-0123456789", url.Values{"grant_type": {"client_credentials"}, "scope": {"calc:write"}}).str("access_token")
	call := func(tok string) int {
		h := http.Header{}
		if tok != "" {
			h.Set("Authorization", "Bearer "+tok)
		}
		return e.do(request{Method: http.MethodGet, Path: PathCalculate + "?op=add&a=1&b=2", Header: h}).Status
	}
	if st := call(write); st != http.StatusOK {
		t.Fatalf("calc:write token: expected 200, got %d", st)
	}
	call(read)
	call(denied)
	call("")
	lines := buf.lines(t)
	if len(find(lines, "resource_access", "allowed")) != 1 {
		t.Errorf("expected one allowed resource_access:\n%s", buf)
	}
	reasons := map[string]bool{}
	for _, l := range find(lines, "resource_access", "denied") {
		reasons[strings.SplitN(l.s("reason"), ":", 2)[0]] = true
	}
	for _, want := range []string{"scope", "acl"} {
		if !reasons[want] {
			t.Errorf("no resource_access denied for reason %s:\n%s", want, buf)
		}
	}
	if !strings.Contains(buf.String(), "token: no access token") {
		t.Errorf("a request without a token is not recorded:\n%s", buf)
	}
}

func TestAuditNilLoggerStillServesRequestIDs(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(request{Method: http.MethodGet, Path: PathMetadata})
	a, b := r.Header.Get(RequestIDHeader), e.do(request{Method: http.MethodGet, Path: PathMetadata}).Header.Get(RequestIDHeader)
	if a == "" || a == b {
		t.Errorf("X-Request-Id: expected a fresh id per request, got %q and %q", a, b)
	}
}

func TestAuditAdminChanges(t *testing.T) {
	e, buf := newAuditEnv(t)
	const adminUser, adminPassword = "admin", "admin-Secret-0123456789"
	created := e.do(request{Path: "/admin/api/users", ContentType: "application/json", BasicID: adminUser, BasicSecret: adminPassword,
		RawBody: `{"username":"erin","password":"Erin-Secret-0123456789","groups":[]}`})
	if created.Status != http.StatusCreated {
		t.Fatalf("creating a user: expected 201, got %s", created)
	}
	e.do(request{Path: "/admin/api/users", ContentType: "application/json", BasicID: adminUser, BasicSecret: adminPassword,
		RawBody: `{"username":"client:x","password":"Erin-Secret-0123456789"}`})
	e.do(request{Path: "/admin/api/users", ContentType: "application/json", BasicID: adminUser, BasicSecret: "wrong-admin-password",
		RawBody: `{"username":"mallory","password":"Mallory-Secret-0123456789"}`})
	tok := e.mustToken(ccID, ccSecret, url.Values{"grant_type": {"client_credentials"}}).str("access_token")
	_, sig, _ := strings.Cut(tok, ".")
	e.do(request{Path: "/admin/api/tokens/access_token/" + sig + "/revoke", BasicID: adminUser, BasicSecret: adminPassword})

	lines := buf.lines(t)
	ok := find(lines, "admin_change", "ok")
	failed := find(lines, "admin_change", "failed")
	if len(ok) != 2 || len(failed) != 2 {
		t.Fatalf("expected 2 ok and 2 failed admin changes (user created; token revoked; bad user; bad password), got %d and %d:\n%s", len(ok), len(failed), buf)
	}
	if ok[0].s("operation") != "POST /admin/api/users" || ok[0].s("admin") != "admin" || ok[0].s("via") != "api" {
		t.Errorf("user creation: unexpected fields %v", ok[0])
	}
	if want := "id=" + audit.SignaturePrefix(sig).String() + " kind=access_token"; ok[1].s("target") != want {
		t.Errorf("token revocation target: expected %q, got %q", want, ok[1].s("target"))
	}
	log := buf.String()
	for _, secret := range []string{adminPassword, "wrong-admin-password", "Erin-Secret-0123456789", "Mallory-Secret-0123456789", tok, sig} {
		if strings.Contains(log, secret) {
			t.Errorf("the audit log contains %q", secret)
		}
	}
}
