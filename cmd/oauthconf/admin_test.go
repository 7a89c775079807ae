package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/launch"
)

// The administrator of fixtures/refserver/seed.yaml.
const seedAdminPassword = "admin-Secret-0123456789"

func TestAdminCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := launch.Start(ctx, launch.DBOptions{Seed: fixtures.SeedYAML()}, launch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pwFile := filepath.Join(dir, "admin-password")
	if err := os.WriteFile(pwFile, []byte(seedAdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	userPw := filepath.Join(dir, "user-password")
	if err := os.WriteFile(userPw, []byte("dave-Secret-4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := adminMain(append([]string{"--url", srv.Issuer, "--password-file", pwFile}, args...), &out, &errOut, noEnv)
		return code, out.String(), errOut.String()
	}

	if code, out, errOut := run("clients", "list"); code != exitOK || !strings.Contains(out, `"conf-code"`) {
		t.Fatalf("clients list: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut := run("clients", "create", "--name", "CLI client", "--redirect-uri", "https://cli.example/cb",
		"--grant", "authorization_code", "--scope", "calc:read")
	var created map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &created) != nil || created["client_secret"] == "" || created["client_id"] == "" {
		t.Fatalf("clients create: exit %d: %s %s", code, out, errOut)
	}
	id := created["client_id"].(string)
	if code, _, errOut := run("clients", "disable", id); code != exitOK {
		t.Errorf("clients disable: exit %d: %s", code, errOut)
	}
	// Bad input: the API's message per field is printed, and the exit status is 1.
	code, _, errOut = run("clients", "create", "--name", "bad", "--redirect-uri", "https://cli.example/cb#frag", "--grant", "authorization_code")
	if code != exitFail || !strings.Contains(errOut, "redirect_uris[0]:") {
		t.Errorf("bad client: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("users", "create", "dave", "--password-file", userPw, "--group", "calculator-users"); code != exitOK {
		t.Errorf("users create: exit %d: %s", code, errOut)
	}
	if code, out, _ := run("users", "get", "dave"); code != exitOK || !strings.Contains(out, "calculator-users") || strings.Contains(out, "dave-Secret-4") {
		t.Errorf("users get: exit %d: %s", code, out)
	}
	if code, out, _ := run("api", "GET", "/admin/api/settings"); code != exitOK || !strings.Contains(out, "access_token_ttl") {
		t.Errorf("api GET settings: exit %d: %s", code, out)
	}
	if code, out, _ := run("tokens", "list", "--client", "conf-code"); code != exitOK || !strings.Contains(out, `"tokens"`) {
		t.Errorf("tokens list: exit %d: %s", code, out)
	}
	if code, out, _ := run("clients", "delete", id); code != exitOK || !strings.Contains(out, "204") {
		t.Errorf("clients delete: exit %d: %s", code, out)
	}

	// Wrong credentials, a missing password, unknown commands.
	var o, e bytes.Buffer
	if code := adminMain([]string{"--url", srv.Issuer, "clients", "list"}, &o, &e, func(k string) string {
		if k == "OAUTHCONF_ADMIN_PASSWORD" {
			return "wrong-password"
		}
		return ""
	}); code != exitFail || !strings.Contains(e.String(), "username or password is wrong") {
		t.Errorf("wrong password: exit %d: %s", code, e.String())
	}
	e.Reset()
	if code := adminMain([]string{"--url", srv.Issuer, "clients", "list"}, &o, &e, noEnv); code != exitUsage || !strings.Contains(e.String(), "--password-file") {
		t.Errorf("no password: exit %d: %s", code, e.String())
	}
	if code, _, errOut := run("clients", "explode"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown action: exit %d: %s", code, errOut)
	}
	if code, _, _ := run("clients", "get"); code != exitUsage {
		t.Errorf("missing id: exit %d", code)
	}
}
