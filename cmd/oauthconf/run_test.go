package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthconf/oauthconf/steps/runner"
)

func TestRunFlags(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(profile, []byte("issuer: https://as.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got runner.Options
	fake := func(_ context.Context, o runner.Options) (*runner.Result, error) {
		got = o
		return &runner.Result{ExitCode: runner.ExitFailed}, nil
	}
	var stdout, stderr bytes.Buffer
	code := runWith(context.Background(), []string{"--target", profile, "--tags", "@pkce && ~@browser",
		"--concurrency", "3", "--report-dir", "out", "--seed", "7", "--fail-on", "SHOULD", "--screenshots", "all"}, &stdout, &stderr, fake)
	if code != exitFail {
		t.Errorf("exit code = %d, want the run's %d", code, exitFail)
	}
	if got.TargetPath != profile || got.Tags != "@pkce && ~@browser" || got.Concurrency != 3 || got.ReportDir != "out" ||
		got.Randomize != 7 || got.Output != &stdout || got.FailOn != runner.FailOnShould || got.Screenshots != runner.ScreenshotsAll {
		t.Errorf("options = %+v", got)
	}

	got = runner.Options{}
	if code := runWith(context.Background(), nil, &stdout, &stderr, fake); code != exitFail {
		t.Errorf("exit code = %d", code)
	}
	if got.TargetPath != "" || got.Concurrency != runner.DefaultConcurrency || got.ReportDir != "reports" || got.Randomize != 0 || got.List ||
		got.FailOn != runner.FailOnMust || got.Screenshots != runner.ScreenshotsFailures {
		t.Errorf("defaults = %+v", got)
	}

	// --list runs nothing: the runner only lists, and its exit code (0) is the command's.
	got = runner.Options{}
	listing := func(_ context.Context, o runner.Options) (*runner.Result, error) {
		got = o
		return &runner.Result{ExitCode: runner.ExitPassed}, nil
	}
	if code := runWith(context.Background(), []string{"--list", "--target", profile}, &stdout, &stderr, listing); code != exitOK || !got.List {
		t.Errorf("--list: exit code %d, options %+v", code, got)
	}
}

func TestRunBadFlags(t *testing.T) {
	called := false
	fake := func(context.Context, runner.Options) (*runner.Result, error) {
		called = true
		return &runner.Result{}, nil
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"--concurrency", "two"}, `invalid value "two" for flag -concurrency`},
		{[]string{"--seed", "-3"}, "--seed must be positive"},
		{[]string{"--fail-on", "may"}, `--fail-on must be "must" or "should", got "may"`},
		{[]string{"--screenshots", "none"}, `--screenshots must be "failures" or "all", got "none"`},
		{[]string{"--colour"}, "flag provided but not defined: -colour"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--target", "/no/such/profile.yaml"}, "--target /no/such/profile.yaml: no such file or directory"},
		{[]string{"--target", os.TempDir()}, "is a folder"},
	} {
		var stdout, stderr bytes.Buffer
		if code := runWith(context.Background(), c.args, &stdout, &stderr, fake); code != exitUsage {
			t.Errorf("%v: exit code %d, want %d", c.args, code, exitUsage)
		}
		msg := stderr.String()
		if !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 2 {
			t.Errorf("%v: stderr = %q, want one message containing %q and the -h hint", c.args, msg, c.want)
		}
	}
	if called {
		t.Error("the suite ran despite bad flags")
	}
}

func TestRunErrorExitCode(t *testing.T) {
	fake := func(context.Context, runner.Options) (*runner.Result, error) {
		return &runner.Result{ExitCode: runner.ExitUsage}, errors.New("target profile x.yaml: issuer: is required")
	}
	var stdout, stderr bytes.Buffer
	if code := runWith(context.Background(), nil, &stdout, &stderr, fake); code != exitUsage {
		t.Errorf("exit code = %d", code)
	}
	if !strings.Contains(stderr.String(), "oauthconf run: target profile x.yaml: issuer: is required") || !strings.Contains(stdout.String(), "wall time") {
		t.Errorf("stderr %q stdout %q", stderr.String(), stdout.String())
	}
	var help bytes.Buffer
	if code := runWith(context.Background(), []string{"-h"}, &stdout, &help, fake); code != exitOK || !strings.Contains(help.String(), "-report-dir") {
		t.Errorf("-h: %d %q", code, help.String())
	}
}

// TestRunWithoutTargetStartsTheEmbeddedServer: without --target the command starts the
// reference server through the launcher, hands it to the runner started and stops it after;
// with --target it starts nothing.
func TestRunWithoutTargetStartsTheEmbeddedServer(t *testing.T) {
	var issuer string
	var sawProfile, sawMetadata bool
	fake := func(ctx context.Context, o runner.Options) (*runner.Result, error) {
		if o.Target == nil {
			return nil, errors.New("no started target")
		}
		if err := o.Target.Ready(ctx); err != nil {
			return nil, err
		}
		issuer = o.Target.Issuer()
		sawProfile = strings.Contains(string(o.Target.Profile()), "clients:")
		res, err := http.Get(issuer + "/.well-known/oauth-authorization-server")
		if err == nil {
			sawMetadata = res.StatusCode == http.StatusOK
			res.Body.Close()
		}
		return &runner.Result{ExitCode: runner.ExitPassed}, nil
	}
	var stdout, stderr bytes.Buffer
	if code := runWith(context.Background(), nil, &stdout, &stderr, withEmbedded(fake)); code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(issuer, "http://127.0.0.1:") || !sawProfile || !sawMetadata {
		t.Errorf("issuer %q, profile %v, metadata served %v: want the embedded server running during the run", issuer, sawProfile, sawMetadata)
	}
	if res, err := http.Get(issuer + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("the embedded server still answers after the run")
	}

	profile := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(profile, []byte("issuer: https://as.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withTarget := func(_ context.Context, o runner.Options) (*runner.Result, error) {
		if o.Target != nil {
			t.Error("--target given, yet a server was started")
		}
		return &runner.Result{ExitCode: runner.ExitPassed}, nil
	}
	runWith(context.Background(), []string{"--target", profile}, &stdout, &stderr, withEmbedded(withTarget))
}
