package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBenchFlags(t *testing.T) {
	o, err := parseBenchFlags([]string{"--replicas", "2", "--db", "postgres://u@127.0.0.1:5432/db"}, io.Discard)
	if err != nil || o.Replicas != 2 || o.DB == "" || len(o.Only) != len(benchNames) || o.Only[0] != "bare_handler" {
		t.Fatalf("parse: %+v, %v", o, err)
	}
	for args, want := range map[string]string{
		"--replicas 0":        "--replicas must be between 1 and 16",
		"--replicas 17":       "--replicas must be between 1 and 16",
		"--db oauthconf.db":   "--db must be a postgres:// URL",
		"--only client_creds": `unknown measurement "client_creds"`,
		"--duration 0s":       "--duration must be positive",
		"--concurrency 0":     "--concurrency must be between 1 and 1024",
	} {
		_, err := parseBenchFlags(strings.Fields(args), io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", args, err, want)
		}
	}
}

// A short run over two replicas: every measurement prints its line with the yardstick first,
// and the code exchange is seen to reach the database.
func TestBenchTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a database at bcrypt cost 10")
	}
	var out strings.Builder
	o := &benchOptions{Duration: 300 * time.Millisecond, Concurrency: 2, Replicas: 2, Only: benchNames}
	if err := bench(context.Background(), o, &out, io.Discard); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(benchNames) || !strings.HasPrefix(lines[0], "bench bare_handler rps=") {
		t.Fatalf("expected %d lines, the bare handler first, got:\n%s", len(benchNames), out.String())
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "db=sqlite replicas=2 ") || !strings.Contains(l, " db_stmts_per_req=") {
			t.Errorf("line without the database, the replicas or the statements: %s", l)
		}
	}
	if strings.Contains(lines[3], "db_stmts_per_req=0.0") {
		t.Errorf("the code exchange sent no statement to the database: %s", lines[3])
	}
}
