package runner

import (
	"slices"
	"time"

	"github.com/oauthconf/oauthconf/steps/browser"
)

// launching is a browser starting in the background, so that it gets ready while the target
// finishes starting (a started runner.Target) and its metadata is read.
type launching struct {
	opts  browser.Options
	done  chan struct{}
	b     *browser.Browser
	err   error
	took  time.Duration
	taken bool
}

func launchBrowser(opts browser.Options) *launching {
	l := &launching{opts: opts, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		start := time.Now()
		l.b, l.err = browser.Launch(opts)
		l.took = time.Since(start)
	}()
	return l
}

// take waits for the browser. When ports (the profile's, now that its metadata is read) holds
// one the browser was launched without, it is launched again with them all: Chromium decides
// which ports it refuses at launch.
func (l *launching) take(ports []int) (*browser.Browser, time.Duration, error) {
	<-l.done
	l.taken = true
	if l.err != nil || !missingPort(l.opts.AllowedPorts, ports) {
		return l.b, l.took, l.err
	}
	_ = l.b.Close()
	opts := l.opts
	opts.AllowedPorts = ports
	start := time.Now()
	b, err := browser.Launch(opts)
	return b, l.took + time.Since(start), err
}

// discard closes the browser of a run that ended before taking it.
func (l *launching) discard() {
	if l == nil || l.taken {
		return
	}
	<-l.done
	if l.b != nil {
		_ = l.b.Close()
	}
}

func missingPort(have, want []int) bool {
	for _, p := range want {
		if !slices.Contains(have, p) {
			return true
		}
	}
	return false
}
