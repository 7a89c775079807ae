// Package browser drives the target's own pages (login, approval, error pages) in a real
// headless Chromium through playwright-go, as a resource owner would. One Browser serves a whole
// run; every scenario gets a Session: a fresh browser context (no shared cookies) and one page.
//
// Nothing is ever downloaded: the Playwright driver (npm playwright-core 1.52.0 plus node) and
// Debian's Chromium are installed by `make setup`, and playwright.Install, which reaches a CDN,
// is never called.
package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

// DriverVersion is the Playwright driver playwright-go v0.5200.1 speaks to.
const DriverVersion = "1.52.0"

// Options say where the driver and the browser are.
type Options struct {
	// DriverDir holds node and package/cli.js (PLAYWRIGHT_DRIVER_PATH).
	DriverDir string
	// ExecutablePath is the Chromium binary (OAUTHCONF_CHROMIUM; default
	// /usr/bin/chromium-headless-shell when installed, else /usr/bin/chromium).
	ExecutablePath string
	// AllowedPorts are the target's ports (profile.BrowserPorts). Chromium refuses some ports
	// outright (6000, 5060, 6665-6669 and others: net::ERR_UNSAFE_PORT); these are passed in
	// --explicitly-allowed-ports so that a target on one of them can be tested, and only its
	// own ports are unblocked.
	AllowedPorts []int
	// Spares is how many fresh sessions are kept open ahead of time (default 2, the runner's
	// default concurrency: two scenarios starting together both find one ready).
	Spares int
	// Screenshots makes Authorize take a screenshot of every page it acts on
	// (Outcome.Screenshots). Off by default: taking them is what costs (a PNG encode per page),
	// and a passing scenario needs none; a failed one gets its last page from the scenario's
	// after hook (Session.Screenshot).
	Screenshots bool
	// TrustedSPKI are base64 SHA-256 hashes of the public keys of server certificates that the
	// suite itself verified against the profile's tls.ca_file (runner: verifiedSPKIs). Chromium
	// has no switch to trust a CA file, and the machine's trust store is not ours to change: so
	// Chromium is told to accept exactly these keys (--ignore-certificate-errors-spki-list),
	// never to ignore certificate errors in general.
	TrustedSPKI []string
}

// DefaultOptions reads PLAYWRIGHT_DRIVER_PATH and OAUTHCONF_CHROMIUM (see chromiumCandidates
// for the default). Without
// PLAYWRIGHT_DRIVER_PATH it uses the project's .cache/playwright-driver/1.52.0 (where
// `make setup` puts it) when run from inside the module, so `go test ./...` works without make.
func DefaultOptions() Options {
	o := Options{DriverDir: os.Getenv("PLAYWRIGHT_DRIVER_PATH"), ExecutablePath: os.Getenv("OAUTHCONF_CHROMIUM")}
	if o.DriverDir == "" {
		o.DriverDir = projectDriverDir()
	}
	if o.ExecutablePath == "" {
		o.ExecutablePath = defaultChromium()
	}
	return o
}

// Chromium binaries DefaultOptions looks for, best first. chromium-headless-shell (the Debian
// package of that name, the same Chromium version) is Chromium's headless build without the
// browser's own UI, and what Playwright itself runs for headless Chromium. The full browser
// in headless mode starts an extra renderer for its top-chrome WebUI with every browser
// context: twelve login-and-approve flows took 25 s of CPU with it against 6 s with the
// shell, on this project's two-core machine.
var chromiumCandidates = []string{"/usr/bin/chromium-headless-shell", "/usr/bin/chromium"}

func defaultChromium() string {
	for _, p := range chromiumCandidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return chromiumCandidates[len(chromiumCandidates)-1]
}

// projectDriverDir finds .cache/playwright-driver/VERSION next to the enclosing go.mod.
func projectDriverDir() string {
	if d := driverBesideExecutable(); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "playwright-driver", DriverVersion)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// driverBesideExecutable is the checkout's driver for a binary built into it (bin/oauthconf by
// `make build`), so that the binary works from any directory without the Makefile's exports.
func driverBesideExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	d := filepath.Join(filepath.Dir(filepath.Dir(exe)), ".cache", "playwright-driver", DriverVersion)
	if _, err := os.Stat(filepath.Join(d, "package", "cli.js")); err != nil {
		return ""
	}
	return d
}

// Check reports, in one sentence naming `make setup`, why the driver or Chromium cannot be used.
func (o Options) Check() error {
	var problems []string
	if o.DriverDir == "" {
		problems = append(problems, "PLAYWRIGHT_DRIVER_PATH is not set")
	} else {
		if _, err := os.Stat(filepath.Join(o.DriverDir, "package", "cli.js")); err != nil {
			problems = append(problems, fmt.Sprintf("the Playwright driver %s is not installed in %s", DriverVersion, o.DriverDir))
		} else if _, err := os.Stat(filepath.Join(o.DriverDir, "node")); err != nil && os.Getenv("PLAYWRIGHT_NODEJS_PATH") == "" {
			problems = append(problems, fmt.Sprintf("%s has no node link", o.DriverDir))
		}
	}
	if o.ExecutablePath == "" {
		problems = append(problems, "no Chromium executable is set (OAUTHCONF_CHROMIUM)")
	} else if _, err := exec.LookPath(o.ExecutablePath); err != nil {
		problems = append(problems, fmt.Sprintf("Chromium is not installed at %s", o.ExecutablePath))
	}
	if len(problems) > 0 {
		return fmt.Errorf("browser: %s: run `make setup` (it installs Debian's chromium and the Playwright driver; then export PLAYWRIGHT_DRIVER_PATH and OAUTHCONF_CHROMIUM as the Makefile does)", strings.Join(problems, "; "))
	}
	return nil
}

// Browser is one Chromium for the whole run. It keeps fresh sessions ready (Options.Spares):
// opening a page starts a renderer process (a few hundred milliseconds on two cores), which then
// overlaps with the scenarios' own work instead of adding to it; and it closes sessions in the
// background, so that a scenario's end does not wait for its renderer to go.
type Browser struct {
	pw      *playwright.Playwright
	browser playwright.Browser
	opts    Options

	mu        sync.Mutex
	closed    bool
	spares    []*Session
	pending   int // spares being opened
	preparing sync.WaitGroup
	closing   sync.WaitGroup
}

// Launch starts the driver and a headless Chromium.
func Launch(opts Options) (*Browser, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	pw, err := playwright.Run(&playwright.RunOptions{
		DriverDirectory:     opts.DriverDir,
		SkipInstallBrowsers: true, // the browser is Debian's; never download one
		Verbose:             false,
	})
	if err != nil {
		return nil, fmt.Errorf("browser: starting the Playwright driver in %s: %w (run `make setup`)", opts.DriverDir, err)
	}
	b, err := pw.Chromium.Launch(playwright.BrowserTypeLaunchOptions{
		ExecutablePath: playwright.String(opts.ExecutablePath),
		Headless:       playwright.Bool(true),
		// Playwright adds --no-sandbox, --no-first-run and the background-networking switches.
		Args: launchArgs(opts),
	})
	if err != nil {
		_ = pw.Stop()
		return nil, fmt.Errorf("browser: launching %s: %w (run `make setup`)", opts.ExecutablePath, err)
	}
	br := &Browser{pw: pw, browser: b, opts: opts}
	br.prepare()
	return br, nil
}

// launchArgs are Chromium's switches for opts.
func launchArgs(opts Options) []string {
	args := []string{"--disable-gpu", "--disable-quic"}
	var ports []string
	for _, p := range opts.AllowedPorts {
		if p > 0 && p <= 65535 {
			ports = append(ports, strconv.Itoa(p))
		}
	}
	if len(ports) > 0 {
		args = append(args, "--explicitly-allowed-ports="+strings.Join(ports, ","))
	}
	if len(opts.TrustedSPKI) > 0 {
		args = append(args, "--ignore-certificate-errors-spki-list="+strings.Join(opts.TrustedSPKI, ","))
	}
	return args
}

// Close stops the browser and the driver, after the sessions being opened or closed.
func (b *Browser) Close() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	b.closed = true
	spares := b.spares
	b.spares = nil
	b.mu.Unlock()
	b.preparing.Wait()
	b.closing.Wait()
	var errs []error
	for _, s := range spares {
		errs = append(errs, s.close())
	}
	return errors.Join(append(errs, b.browser.Close(), b.pw.Stop())...)
}

// NewSession returns a fresh browser context (its own cookies and storage) with one page.
func (b *Browser) NewSession() (*Session, error) {
	if b == nil {
		return nil, errors.New("browser: no browser was launched")
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("browser: the browser is closed")
	}
	var s *Session
	if n := len(b.spares); n > 0 {
		s, b.spares = b.spares[0], b.spares[1:]
	}
	b.mu.Unlock()
	b.prepare()
	if s != nil {
		return s, nil
	}
	s, err := b.newSession()
	return s, verdict.SuiteTrouble(err)
}

func (b *Browser) wantSpares() int {
	if b.opts.Spares > 0 {
		return b.opts.Spares
	}
	return 2
}

// prepare opens spare sessions in the background until enough are ready or on their way.
func (b *Browser) prepare() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.closed && len(b.spares)+b.pending < b.wantSpares() {
		b.pending++
		b.preparing.Add(1)
		go func() {
			defer b.preparing.Done()
			s, err := b.newSession()
			b.mu.Lock()
			b.pending--
			if err != nil {
				b.mu.Unlock()
				return // NewSession opens one itself and reports the error
			}
			keep := !b.closed
			if keep {
				b.spares = append(b.spares, s)
			}
			b.mu.Unlock()
			if !keep {
				_ = s.close()
			}
		}()
	}
}

// release closes a session in the background (synchronously once the browser is closing).
func (b *Browser) release(s *Session) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return s.close()
	}
	b.closing.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.closing.Done()
		_ = s.close()
	}()
	return nil
}

func (b *Browser) newSession() (*Session, error) {
	bctx, err := b.browser.NewContext(playwright.BrowserNewContextOptions{
		Viewport: &playwright.Size{Width: 800, Height: 600}, // small screenshots, quick to encode
	})
	if err != nil {
		return nil, fmt.Errorf("browser: new context: %w", err)
	}
	page, err := bctx.NewPage()
	if err != nil {
		_ = bctx.Close()
		return nil, fmt.Errorf("browser: new page: %w", err)
	}
	s := &Session{owner: b, ctx: bctx, page: page, screenshots: b.opts.Screenshots}
	page.OnRequest(s.onRequest)
	page.OnResponse(s.onResponse)
	return s, nil
}
