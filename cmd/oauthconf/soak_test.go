package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the oauthconf command, so the soak can run "serve" as
// its child without building the binary first.
func TestMain(m *testing.M) {
	if os.Getenv("OAUTHCONF_TEST_AS_COMMAND") == "1" {
		os.Exit(realMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestSoakShort is a short crash soak (item 7 of issue 10): `make soak` runs a long one.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak takes 15 s; -short skips it")
	}
	var out bytes.Buffer
	res, err := soak(context.Background(), &soakOptions{
		Duration: 15 * time.Second, Rate: 30, Workers: 6, MinUp: 3 * time.Second, MaxUp: 6 * time.Second,
		SeedFile: filepath.Join("..", "..", "fixtures", "refserver", "seed.yaml"),
		bin:      os.Args[0], env: []string{"OAUTHCONF_TEST_AS_COMMAND=1"},
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Violations) > 0 {
		t.Fatalf("%d violations:\n%s", len(res.Violations), strings.Join(res.Violations, "\n"))
	}
	// On a loaded machine a short run does little of each kind; it must at least have killed
	// the server and checked tokens it issued.
	for _, k := range []string{"kills", "tokens_issued", "checked_active"} {
		if res.Counts[k] == 0 {
			t.Errorf("the soak did no %s: %v", k, res.Counts)
		}
	}
}

func TestSoakFlags(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseSoakFlags([]string{"--duration", "0s", "--rate", "-1", "--seed", "/no/such/file"}, &stderr); err == nil ||
		!strings.Contains(err.Error(), "--duration") || !strings.Contains(err.Error(), "--rate") || !strings.Contains(err.Error(), "--seed") {
		t.Errorf("expected every problem named, got %v", err)
	}
}
