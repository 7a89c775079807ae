// Command pgcluster starts a throwaway PostgreSQL cluster (refserver/pgcluster: a temporary
// data directory, a free loopback port, an unprivileged user under root) and stops and removes
// it afterwards. `make pg` and `make serve DB=postgres` run it.
//
//	pgcluster                 print the cluster's URL and wait for Ctrl-C
//	pgcluster -- CMD ARGS...  run CMD with every {url} in ARGS replaced by the URL (and
//	                          OAUTHCONF_PG_URL set), then stop the cluster
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/oauthconf/oauthconf/refserver/pgcluster"
)

const usage = `usage: pgcluster [-- COMMAND ARGS...]

Starts a throwaway PostgreSQL cluster on a free loopback port, prints its URL, and stops and
removes it when COMMAND ends (every {url} in ARGS is replaced by the URL, and OAUTHCONF_PG_URL
is set) or, without a command, on Ctrl-C.
`

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	var command []string
	switch {
	case len(args) == 0:
	case args[0] == "--" && len(args) > 1:
		command = args[1:]
	default:
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	c, err := pgcluster.Start(startCtx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgcluster: %v\n", err)
		return 1
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgcluster: stopping: %v\n", err)
		}
	}()
	u, _ := url.Parse(c.URL)
	fmt.Fprintf(os.Stderr, "pgcluster: PostgreSQL at %s (data in %s; removed on exit)\n", u.Redacted(), c.Dir)
	if command == nil {
		fmt.Println(c.URL)
		fmt.Fprintln(os.Stderr, "pgcluster: Ctrl-C stops it")
		<-ctx.Done()
		return 0
	}
	for i, a := range command {
		command[i] = strings.ReplaceAll(a, "{url}", c.URL)
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "OAUTHCONF_PG_URL="+c.URL)
	// The command gets Ctrl-C from the terminal itself (same process group) and ends; the
	// cluster, in its own session, is stopped here after it.
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		if ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "pgcluster: %s: %v\n", command[0], err)
		}
		return 1
	}
	return 0
}
