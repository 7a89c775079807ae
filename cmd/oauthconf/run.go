package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/oauthconf/oauthconf/refserver/launch"
	"github.com/oauthconf/oauthconf/steps/runner"
)

// runCmd is `oauthconf run`: the conformance suite against a target.
func runCmd(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		// The first Ctrl-C cancels the scenarios; restoring the default lets a second one
		// end the process at once.
		<-ctx.Done()
		stop()
	}()
	return runWith(ctx, args, os.Stdout, os.Stderr, withEmbedded(runner.Run))
}

// withEmbedded runs the suite against the embedded reference server when no --target is given:
// the command starts it (refserver/launch) and hands it to run started, so that the harness
// never builds the server it judges; it is stopped when run returns.
func withEmbedded(run runFunc) runFunc {
	return func(ctx context.Context, opts runner.Options) (*runner.Result, error) {
		if opts.TargetPath != "" || opts.Target != nil {
			return run(ctx, opts)
		}
		out := opts.Output
		if out == nil {
			out = os.Stdout
		}
		// Started in the background: the runner waits for it (Target.Ready) while its browser
		// launches.
		// OAUTHCONF_EMBEDDED_DB puts the embedded server on another database, a postgres://
		// URL (`go run ./cmd/pgcluster -- env OAUTHCONF_EMBEDDED_DB={url} bin/oauthconf run`
		// runs the whole suite on a throwaway PostgreSQL); default a fresh SQLite file.
		target, err := launch.StartEmbedded(ctx, launch.EmbeddedOptions{DB: os.Getenv(embeddedDBEnv)})
		if err != nil {
			return &runner.Result{ExitCode: runner.ExitUsage}, err
		}
		defer func() {
			if cerr := target.Close(); cerr != nil {
				fmt.Fprintf(out, "warning: stopping the embedded reference server: %v\n", cerr)
			}
		}()
		opts.Target = target
		return run(ctx, opts)
	}
}

// embeddedDBEnv names the embedded reference server's database (withEmbedded).
const embeddedDBEnv = "OAUTHCONF_EMBEDDED_DB"

// runFunc is runner.Run; tests pass a fake to check the flag handling alone.
type runFunc func(context.Context, runner.Options) (*runner.Result, error)

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, run runFunc) int {
	opts, err := parseRunFlags(args, stderr)
	if err != nil {
		return flagError(stderr, "run", err)
	}
	opts.Output = stdout
	start := time.Now()
	res, err := run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "oauthconf run: %v\n", err)
		fmt.Fprintf(stdout, "wall time %s\n", time.Since(start).Round(10*time.Millisecond))
		if res != nil && res.ExitCode != exitOK {
			return res.ExitCode
		}
		return exitUsage
	}
	return res.ExitCode
}

const runUsage = `usage: oauthconf run [flags]

Runs the conformance suite. Exit status: 0 no MUST scenario failed; 1 a MUST scenario failed (or a SHOULD
one, with --fail-on should), or the suite has an undefined or pending step; 2 a usage, profile or target
error. Inconclusive, blocked and not applicable scenarios never fail a run.

flags:
`

func parseRunFlags(args []string, stderr io.Writer) (runner.Options, error) {
	var opts runner.Options
	fs := flag.NewFlagSet("oauthconf run", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one message of our own instead of the flag package's usage dump
	fs.StringVar(&opts.TargetPath, "target", "", "target profile `FILE` (YAML); default: start the reference server in-process and use fixtures/targets/refserver.yaml")
	fs.StringVar(&opts.Tags, "tags", "", "run only the scenarios matching this tag `expression`, e.g. \"@pkce && ~@browser\"")
	fs.IntVar(&opts.Concurrency, "concurrency", runner.DefaultConcurrency, "scenarios run at once")
	fs.StringVar(&opts.ReportDir, "report-dir", "reports", "`folder` for junit.xml, cucumber.json, conformance.json and report.html")
	fs.BoolVar(&opts.List, "list", false, "show which scenarios would run against the target and which would not, and why, without running any")
	fs.Int64Var(&opts.Randomize, "seed", 0, "random order `seed` to replay a run's order (default: a new one, printed)")
	fs.StringVar(&opts.FailOn, "fail-on", runner.FailOnMust, "weakest `level` whose failures fail the run: must or should")
	fs.StringVar(&opts.Screenshots, "screenshots", runner.ScreenshotsFailures, "`which` scenarios attach browser screenshots: failures (their last page) or all (after every browser step)")
	if err := parseFlags(fs, args, runUsage, stderr); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q (flags only; the target is given with --target FILE)", fs.Arg(0))
	}
	if opts.Concurrency < 1 {
		return opts, fmt.Errorf("--concurrency must be at least 1, got %d", opts.Concurrency)
	}
	if opts.Randomize < 0 {
		return opts, fmt.Errorf("--seed must be positive, got %d", opts.Randomize)
	}
	opts.FailOn = strings.ToLower(opts.FailOn) // --fail-on MUST reads as well
	if opts.FailOn != runner.FailOnMust && opts.FailOn != runner.FailOnShould {
		return opts, fmt.Errorf("--fail-on must be %q or %q, got %q", runner.FailOnMust, runner.FailOnShould, opts.FailOn)
	}
	if opts.Screenshots != runner.ScreenshotsFailures && opts.Screenshots != runner.ScreenshotsAll {
		return opts, fmt.Errorf("--screenshots must be %q or %q, got %q", runner.ScreenshotsFailures, runner.ScreenshotsAll, opts.Screenshots)
	}
	if opts.TargetPath != "" {
		if st, err := os.Stat(opts.TargetPath); err != nil {
			return opts, fmt.Errorf("--target %s: %w", opts.TargetPath, errors.Unwrap(err))
		} else if st.IsDir() {
			return opts, fmt.Errorf("--target %s is a folder; give the profile's YAML file", opts.TargetPath)
		}
	}
	return opts, nil
}
