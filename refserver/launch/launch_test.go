package launch

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver"
)

func TestStartServesAndShutdownCleansUp(t *testing.T) {
	ctx := context.Background()
	// No seed: an empty database serves too (and seeding is bcrypt-slow under -race).
	srv, err := Start(ctx, DBOptions{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.Issuer, "http://127.0.0.1:") || srv.DB.Seeded {
		t.Errorf("issuer %q, seeded %v: want a loopback issuer and nothing seeded", srv.Issuer, srv.DB.Seeded)
	}
	res, err := http.Get(srv.Issuer + refserver.PathMetadata)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("metadata: status %d", res.StatusCode)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Error("Done is not closed after Close")
	}
	if _, err := os.Stat(srv.DB.Path); !os.IsNotExist(err) {
		t.Errorf("the temporary database %s is still there (%v)", srv.DB.Path, err)
	}
	if _, err := http.Get(srv.Issuer + refserver.PathHealth); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestStartFromATemplateWithQuirks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tmpl, err := OpenDB(ctx, DBOptions{Path: filepath.Join(dir, "template.db"), Seed: fixtures.SeedYAML()})
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Close(); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(ctx, DBOptions{Path: filepath.Join(dir, "copy.db"), Template: tmpl.Path},
		Options{Config: refserver.Config{Quirks: []string{string(refserver.QuirkCodeReusable)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !tmpl.Seeded || srv.DB.Seeded {
		t.Errorf("template seeded %v, copy seeded %v: want the template seeded and the copy not again", tmpl.Seeded, srv.DB.Seeded)
	}
	if c, err := srv.DB.Store.ListClients(ctx); err != nil || len(c) == 0 {
		t.Errorf("the copy has %d clients (%v), want the template's", len(c), err)
	}
}

func TestStartErrorsNameWhatToFix(t *testing.T) {
	ctx := context.Background()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name string
		db   DBOptions
		o    Options
		want string
	}{
		{"address in use", DBOptions{}, Options{Addr: busy.Addr().String()}, "listening on " + busy.Addr().String()},
		{"bad seed", DBOptions{Seed: []byte("clients: 7\n")}, Options{}, "loading seed data"},
		{"missing template", DBOptions{Template: filepath.Join(t.TempDir(), "none.db")}, Options{}, "copying the template database"},
		{"an unreachable PostgreSQL URL, its password kept out", DBOptions{Path: "postgres://u:sekret@127.0.0.1:1/db?connect_timeout=5"}, Options{},
			"opening database postgres://u:xxxxx@127.0.0.1:1/db?connect_timeout=5: store: cannot reach PostgreSQL at 127.0.0.1:1/db"},
		{"a PostgreSQL URL with a template", DBOptions{Path: "postgres://u:sekret@127.0.0.1:1/db", Template: "t.db"}, Options{},
			"database postgres://u:xxxxx@127.0.0.1:1/db: a template database applies to SQLite files only"},
		{"unknown quirk", DBOptions{}, Options{Config: refserver.Config{Quirks: []string{"no-such-quirk"}}}, "no-such-quirk"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, err := Start(ctx, c.db, c.o)
			if err == nil {
				_ = srv.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "sekret") {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

func TestEmbeddedOffersProfileAndAuditLog(t *testing.T) {
	e, err := StartEmbedded(context.Background(), EmbeddedOptions{Profile: []byte("name: x\n")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if string(e.Profile()) != "name: x\n" {
		t.Errorf("profile %q, want the one given", e.Profile())
	}
	// A failed client authentication is audited.
	res, err := http.PostForm(e.Issuer()+refserver.PathToken, map[string][]string{"grant_type": {"client_credentials"}, "client_id": {"nobody"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(e.AuditLog()) == 0 {
		t.Error("the audit log is empty after a token request")
	}
}

// TestEmbeddedStartFailureShowsAtReady: the port is bound at once, a failed start is reported
// by Ready with what went wrong, and leaves nothing behind.
func TestEmbeddedStartFailureShowsAtReady(t *testing.T) {
	e, err := StartEmbedded(context.Background(), EmbeddedOptions{Seed: []byte("clients: 7\n")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Issuer(), "http://127.0.0.1:") {
		t.Errorf("issuer %q before the start ended: want the bound port", e.Issuer())
	}
	if err := e.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "embedded reference server: loading seed data") {
		t.Errorf("Ready = %v, want the seed's problem", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close after a failed start: %v", err)
	}
	if conn, err := net.Dial("tcp", strings.TrimPrefix(e.Issuer(), "http://")); err == nil {
		conn.Close()
		t.Error("the port is still bound after a failed start")
	}
}
