package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/audit"
)

func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogWritesOneJSONLineWithEveryField(t *testing.T) {
	var buf bytes.Buffer
	l := audit.New(&buf)
	ctx := audit.WithRequest(context.Background(), "req-1", "127.0.0.1:5000")
	l.Log(ctx, audit.Record{Event: audit.TokenIssued, Outcome: audit.OK, ClientID: "c1", User: "alice",
		Scopes: []string{"calc:read"}, GrantType: "password", Token: audit.FingerprintOf("tok"), Reason: "granted"})
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 1 {
		t.Fatalf("expected 1 line, got %d: %s", len(lines), buf.String())
	}
	m := lines[0]
	want := map[string]any{"event": "token_issued", "outcome": "ok", "client_id": "c1", "user": "alice",
		"remote_addr": "127.0.0.1:5000", "request_id": "req-1", "reason": "granted", "grant_type": "password",
		"token": audit.FingerprintOf("tok").String()}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("field %s: expected %v, got %v", k, v, m[k])
		}
	}
	if _, ok := m["time"]; !ok {
		t.Error("no time field")
	}
	if sc, _ := m["scopes"].([]any); len(sc) != 1 || sc[0] != "calc:read" {
		t.Errorf("scopes: expected [calc:read], got %v", m["scopes"])
	}
	if _, ok := m["admin"]; ok {
		t.Error("an empty optional field was written")
	}
}

func TestNilLoggerDiscards(t *testing.T) {
	var l *audit.Logger
	if l.Enabled() || audit.New(nil).Enabled() {
		t.Fatal("a nil logger reports enabled")
	}
	l.Log(context.Background(), audit.Record{Event: audit.Login}) // must not panic
}

func TestFingerprintHidesTheToken(t *testing.T) {
	tok := "ory_at_abcdefghijklmnopqrstuvwxyz0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	f := audit.FingerprintOf(tok)
	if len(f.String()) != 8 || strings.Contains(tok, f.String()) {
		t.Errorf("fingerprint %q: expected 8 hex digits not taken from the token", f)
	}
	if f != audit.FingerprintOf(tok) || f == audit.FingerprintOf(tok+"x") {
		t.Error("fingerprints are not stable per token")
	}
	if p := audit.SignaturePrefix("ABCDEFGHIJKLMNOP"); p.String() != "sig:ABCDEFGH" {
		t.Errorf("signature prefix: expected sig:ABCDEFGH, got %q", p)
	}
	if audit.FingerprintOf("").String() != "" {
		t.Error("an empty token has a fingerprint")
	}
}

func TestHostileValuesAreCappedAndCannotForgeLines(t *testing.T) {
	var buf bytes.Buffer
	l := audit.New(&buf)
	l.Log(context.Background(), audit.Record{Event: audit.Login, Outcome: audit.Failed,
		User: "eve\n{\"event\":\"forged\"}" + strings.Repeat("x", 5000)})
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 1 {
		t.Fatalf("expected 1 line, got %d", len(lines))
	}
	u := lines[0]["user"].(string)
	if strings.ContainsAny(u, "\n\r") || len(u) > 300 {
		t.Errorf("user not cleaned: %d bytes", len(u))
	}
}

func TestConcurrentRecordsStayWholeLines(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	l := audit.New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) }))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				l.Log(context.Background(), audit.Record{Event: audit.ResourceAccess, Outcome: audit.Allowed, ClientID: "c"})
			}
		}()
	}
	wg.Wait()
	if n := len(decodeLines(t, buf.Bytes())); n != 400 {
		t.Errorf("expected 400 lines, got %d", n)
	}
}

func TestRequestIDs(t *testing.T) {
	a, b := audit.NewRequestID(), audit.NewRequestID()
	if len(a) != 16 || a == b {
		t.Errorf("request ids %q, %q: expected distinct 16-digit ids", a, b)
	}
	if got := audit.RequestID(audit.WithRequest(context.Background(), a, "")); got != a {
		t.Errorf("RequestID: expected %q, got %q", a, got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
