// Command oauthconf runs the OAuth 2.0 conformance suite (run) and the reference server (serve).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: oauthconf <command> [flags]

commands:
  init    write a starter target profile from a server's metadata
  run     run the conformance suite against a target (default: the embedded reference server)
  serve   run the reference OAuth 2.0 server
  bench   load-test the reference server over loopback
  admin   manage a running reference server through its admin API

Run "oauthconf <command> -h" for a command's flags.
`

// Exit statuses: 0 all passed, 1 a failure, 2 a usage or profile error.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// flagError is a command's exit status for an error parsing its flags: 0 after -h (the flag
// package printed the help), else 2 with the error and where to read about the flags.
func flagError(stderr io.Writer, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "oauthconf %s: %v\nRun \"oauthconf %s -h\" for the flags.\n", cmd, err, cmd)
	return exitUsage
}

func main() {
	os.Exit(realMain(os.Args[1:]))
}

func realMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "init":
		return initCmd(args[1:])
	case "run":
		return runCmd(args[1:])
	case "serve":
		return serveCmd(args[1:])
	case "bench":
		return benchCmd(args[1:])
	case "admin":
		return adminCmd(args[1:])
	case "soak":
		return soakCmd(args[1:]) // soak.go: a crash-and-restart soak of serve
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return exitOK
	default:
		fmt.Fprintf(os.Stderr, "oauthconf: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// parseFlags parses a command's flags. For -h it prints the command's usage and its flags to
// stderr and returns flag.ErrHelp, which the caller passes on.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
	}
	return err
}
