// Package interop is the interop test bed: authorization servers this project did not write,
// each started from its own shipped example or command, and the conformance suite run against
// each through its profile in fixtures/targets/. Every failure a run reports is held against
// fixtures/interop/<server>.expected.yaml, which lists the requirements the server really
// fails, each with the RFC sentence and the evidence. `make interop` installs the servers
// (into .cache/interop) and runs TestInterop.
package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is one third-party authorization server of the test bed.
type Server struct {
	// Name is the file stem of its profile (fixtures/targets/<Name>.yaml) and of its expected
	// failures (fixtures/interop/<Name>.expected.yaml).
	Name string
	// Version says what is installed, for the reports.
	Version string
	// Binary is the installed command; Env names the variable that overrides it (make interop
	// sets it from the Makefile's versions), Default is where make interop installs it,
	// relative to the cache folder.
	Env, Default string
	// Ports is how many free loopback ports the server needs.
	Ports int
	// Command is the server's own command line for these ports (binary resolved).
	Command func(binary string, ports []int) *exec.Cmd
	// Rewrite maps text of the checked-in profile (written for the server's default ports)
	// to the text for these ports.
	Rewrite func(ports []int) []string
	// Concurrency of the run (scenarios at once).
	Concurrency int
}

// Servers is the test bed.
var Servers = []Server{
	{
		// github.com/zitadel/oidc/v3 example/server: the library's example OpenID provider,
		// built with go install from the Go module proxy. Configured by its environment
		// (example/server/config): PORT, REDIRECT_URI (comma-separated, given to all three
		// clients), USERS_FILE. Its issuer is http://localhost:PORT/ and it listens on
		// ":PORT" (every interface: not configurable).
		Name:    "zitadel-oidc-example",
		Version: "github.com/zitadel/oidc/v3 v3.52.0 example/server",
		Env:     "OAUTHCONF_INTEROP_ZITADEL",
		Default: "zitadel-oidc-v3.52.0/server",
		Ports:   2, // the provider, and the fixed callback port of its web clients
		Command: func(bin string, ports []int) *exec.Cmd {
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(),
				"PORT="+strconv.Itoa(ports[0]),
				// The web clients ("web", "api") match redirect URIs exactly, so they get one
				// with a fixed port; the native client matches a loopback URI on any port
				// (RFC 8252 7.3), so the port-less one serves it.
				fmt.Sprintf("REDIRECT_URI=http://127.0.0.1:%d/callback,http://127.0.0.1/callback", ports[1]))
			return cmd
		},
		Rewrite: func(ports []int) []string {
			return []string{"localhost:9998", fmt.Sprintf("localhost:%d", ports[0]),
				"127.0.0.1:9999", fmt.Sprintf("127.0.0.1:%d", ports[1])}
		},
		// One at a time: the web clients' redirect URI has a fixed port, which only one
		// scenario at a time can listen on.
		Concurrency: 1,
	},
	{
		// oauth2-mock-server from npm: a mock for client tests that approves every request.
		// Its own command, `oauth2-mock-server -a HOST -p PORT`. Its issuer is
		// http://localhost:PORT whatever the listening address.
		Name:    "oauth2-mock-server",
		Version: "oauth2-mock-server 8.2.3 (npm)",
		Env:     "OAUTHCONF_INTEROP_MOCK",
		// make interop passes the installed command (Env): the Node.js servers are installed
		// under .cache/interop/node-<hash of the lock file and the start script>.
		Default: "node/node_modules/.bin/oauth2-mock-server",
		Ports:   1,
		Command: func(bin string, ports []int) *exec.Cmd {
			return exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(ports[0]))
		},
		Rewrite: func(ports []int) []string {
			return []string{"localhost:8080", fmt.Sprintf("localhost:%d", ports[0])}
		},
		Concurrency: 2,
	},
	{
		// oidc-provider from npm (node-oidc-provider), an OpenID Certified provider library.
		// It has no command: fixtures/interop/node/oidc-provider-bed.mjs is its README's
		// quick start with the bed's clients, installed next to the library by make
		// interop-install. Its development login and consent pages (devInteractions, on by
		// default) give the bed an approval page with a Cancel (deny) action. Its issuer is
		// http://localhost:PORT; it listens on 127.0.0.1.
		Name:    "node-oidc-provider",
		Version: "oidc-provider 9.13.3 (npm)",
		Env:     "OAUTHCONF_INTEROP_OIDC_PROVIDER",
		Default: "node/oidc-provider-bed.mjs",
		Ports:   1,
		Command: func(script string, ports []int) *exec.Cmd {
			cmd := exec.Command("node", script)
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(ports[0]))
			return cmd
		},
		Rewrite: func(ports []int) []string {
			return []string{"localhost:8081", fmt.Sprintf("localhost:%d", ports[0])}
		},
		// Every client is native (any loopback port): scenarios can run side by side.
		Concurrency: 2,
	},
}

// Binary is where the server's command is: $Env, or Default under cache.
func (s Server) Binary(cache string) string {
	if b := os.Getenv(s.Env); b != "" {
		return b
	}
	return filepath.Join(cache, s.Default)
}

// Process is a started server.
type Process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// Start runs the server's command. The process dies with the test process (SIGKILL when its
// parent goes, e.g. on a test timeout), and Stop ends it.
func Start(s Server, binary string, ports []int) (*Process, error) {
	cmd := s.Command(binary, ports)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	p := &Process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Output is what the server printed so far.
func (p *Process) Output() string { return p.out.String() }

// WaitReady waits until url answers 200 (the server's metadata), the process exits, or the
// timeout runs out. It polls: the condition is the server's answer, not the passing of time.
func (p *Process) WaitReady(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("answered %s", resp.Status)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("the server exited (%v) before %s answered; it printed:\n%s", p.err, url, p.Output())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %s (last: %v); the server printed:\n%s", url, timeout, last, p.Output())
		case <-tick.C:
		}
	}
}

// Stop ends the server: SIGTERM, then SIGKILL when it has not exited within five seconds.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	return nil
}

// FreePorts finds n free loopback ports below the kernel's ephemeral range (32768-60999 on
// Linux). A port from that range would be safe for one bind, but the callback port is bound
// again by every scenario, and meanwhile any outgoing connection may take it as its local port
// ("bind: address already in use"). 20000-32767 holds none of the ports Chromium refuses.
// Another process may take one before the server binds it; the server then fails to start and
// says so.
func FreePorts(n int) ([]int, error) {
	const lo, hi = 20000, 32768
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	start := lo + rand.IntN(hi-lo)
	for i := 0; i < hi-lo && len(ports) < n; i++ {
		port := lo + (start-lo+i)%(hi-lo)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		lns = append(lns, l)
		ports = append(ports, port)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("found only %d free loopback ports between %d and %d, need %d", len(ports), lo, hi-1, n)
	}
	return ports, nil
}

// RewriteProfile is the checked-in profile with the run's ports.
func RewriteProfile(data []byte, pairs []string) []byte {
	return []byte(strings.NewReplacer(pairs...).Replace(string(data)))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
