package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/refserver/audit"
)

func TestServeAuditLogFlag(t *testing.T) {
	o, err := parseServeFlags([]string{"--audit-log", "-"}, io.Discard)
	if err != nil || o.AuditLog != "-" {
		t.Fatalf("--audit-log -: got %+v, %v", o, err)
	}
	var out bytes.Buffer
	l, done, err := openAuditLog("-", &out)
	if err != nil {
		t.Fatal(err)
	}
	l.Log(context.Background(), audit.Record{Event: audit.Login, Outcome: audit.OK, User: "alice"})
	done()
	if !strings.Contains(out.String(), `"event":"login"`) {
		t.Errorf("- did not log to standard output: %q", out.String())
	}

	path := filepath.Join(t.TempDir(), "audit.log")
	l, done, err = openAuditLog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Log(context.Background(), audit.Record{Event: audit.Login, Outcome: audit.Failed})
	done()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"outcome":"failed"`) {
		t.Errorf("the file got %q, %v", b, err)
	}
	if l, _, _ := openAuditLog("", nil); l.Enabled() {
		t.Error("no --audit-log still logs")
	}
	if _, _, err := openAuditLog(filepath.Join(t.TempDir(), "no", "such", "dir", "a.log"), nil); err == nil || !strings.Contains(err.Error(), "--audit-log") {
		t.Errorf("an unwritable path: expected an error naming --audit-log, got %v", err)
	}
}
