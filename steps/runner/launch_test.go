package runner

import (
	"testing"

	"github.com/oauthconf/oauthconf/steps/browser"
)

func TestMissingPort(t *testing.T) {
	for _, tc := range []struct {
		have, want []int
		missing    bool
	}{
		{nil, nil, false},
		{[]int{8080}, []int{8080}, false},
		{[]int{8080, 6666}, []int{6666}, false},
		{[]int{8080}, []int{8080, 6666}, true},
		{nil, []int{6666}, true},
	} {
		if got := missingPort(tc.have, tc.want); got != tc.missing {
			t.Errorf("missingPort(%v, %v) = %v", tc.have, tc.want, got)
		}
	}
}

// A browser launched before the metadata was read is launched again when the metadata names a
// port it was not allowed (Chromium fixes its port block at launch); otherwise it is kept.
func TestLaunchTakesOrRelaunches(t *testing.T) {
	opts := browser.DefaultOptions()
	if err := opts.Check(); err != nil {
		t.Fatalf("%v (make test runs make setup first)", err)
	}
	opts.AllowedPorts = []int{6666}
	l := launchBrowser(opts)
	b, _, err := l.take([]int{6666})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l.discard() // the deferred call of a run: a no-op once taken
	s, err := b.NewSession()
	if err != nil {
		t.Fatalf("the browser taken is not usable after discard: %v", err)
	}
	_ = s.Close()

	l = launchBrowser(opts)
	b2, _, err := l.take([]int{6666, 6667})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if b2 == l.b {
		t.Fatal("a browser launched without port 6667 was kept for a target on it")
	}
	s, err = b2.NewSession()
	if err != nil {
		t.Fatalf("the relaunched browser does not work: %v", err)
	}
	_ = s.Close()
}
