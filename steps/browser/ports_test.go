package browser

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

func TestLaunchArgs(t *testing.T) {
	if got := launchArgs(Options{}); slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "--explicitly-allowed-ports") }) {
		t.Errorf("no ports, yet %v", got)
	}
	got := launchArgs(Options{AllowedPorts: []int{6666, 0, 5060, 70000}})
	if !slices.Contains(got, "--explicitly-allowed-ports=6666,5060") {
		t.Errorf("args = %v, want --explicitly-allowed-ports=6666,5060", got)
	}
}

// chromiumUnsafePorts are ports Chromium refuses unless explicitly allowed (net/base/port_util.cc,
// kRestrictedPorts), high enough to bind without privileges.
var chromiumUnsafePorts = []int{6666, 6667, 6668, 6669, 6665, 6000, 5060, 5061, 6566, 6679, 6697, 10080, 4045, 3659, 2049}

// A target on a port Chromium blocks is reachable when the browser is launched with its port,
// and without it the error is the suite's trouble (inconclusive), not the server's failure.
func TestUnsafePortNeedsExplicitAllow(t *testing.T) {
	var ln net.Listener
	var tried []string
	for _, p := range chromiumUnsafePorts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln = l
			break
		}
		tried = append(tried, fmt.Sprint(p))
	}
	if ln == nil {
		t.Skipf("every port of Chromium's unsafe list tried is taken here (%s): cannot serve a page on one", strings.Join(tried, ", "))
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `<html><head><title>on an unsafe port</title></head><body><p id="ok">served</p></body></html>`)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	pageURL := fmt.Sprintf("http://127.0.0.1:%d/login", port)

	opts := DefaultOptions()
	if err := opts.Check(); err != nil {
		t.Fatal(err)
	}
	load := func(o Options) (int, error) {
		b, err := Launch(o)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		s, err := b.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.Goto(pageURL, 10*time.Second)
	}

	_, err := load(opts)
	if err == nil || !strings.Contains(err.Error(), "ERR_UNSAFE_PORT") {
		t.Fatalf("without the flag: err = %v, want net::ERR_UNSAFE_PORT (has Chromium changed its list?)", err)
	}
	if !verdict.IsSuiteTrouble(err) {
		t.Errorf("a refused port is not marked as the suite's trouble: %v", err)
	}

	opts.AllowedPorts = []int{port}
	if status, err := load(opts); err != nil || status != 200 {
		t.Fatalf("with --explicitly-allowed-ports=%d: status %d, err %v", port, status, err)
	}
}
