package report

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/browser"
)

// TestHTMLReadsAtAGlanceInChromium opens a report.html holding a very long URL and response
// body in headless Chromium at 1280 px: nothing may scroll sideways (with every fold opened),
// the verdict per level and the failures grouped by cause come first, the evidence is folded
// until opened, and the page loads nothing from elsewhere.
func TestHTMLReadsAtAGlanceInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	longURL := "http://127.0.0.1:45123/callback?code=" + strings.Repeat("Zx81kQ2pLw9sT3vB", 40) + "&state=" + strings.Repeat("s", 300)
	body := `{"error":"invalid_request","error_description":"` + strings.Repeat("a-very-long-unbroken-description-", 60) + `"}`
	exchange := "> GET " + longURL + " HTTP/1.1\n< HTTP/1.1 400 Bad Request\n< Content-Type: application/json\n\n" + body
	data := cuke(t,
		cukeScenario{name: "A denied request redirects with access_denied", line: 3, tags: []string{"@RFC6749-4.1.2.1", "@MUST", "@browser"},
			desc: denyQuote, status: []string{"passed", "failed"}, err: "expected a redirect to " + longURL + ", got 400\n" + body,
			attach: []cukeAttach{{"text/plain", exchange}, {"image/png", "\x89PNG\r\n"}}, attachAt: 1},
		cukeScenario{name: "The same deviation in another flow", line: 6, tags: []string{"@RFC6749-4.1.2.1", "@MUST"},
			desc: denyQuote, status: []string{"failed"}, err: "expected a redirect to " + strings.Replace(longURL, "45123", "45999", 1) + ", got 400"},
		cukeScenario{name: "A 401 carries WWW-Authenticate", line: 9, tags: []string{"@RFC6750-3", "@SHOULD"}, status: []string{"failed"},
			err: "no WWW-Authenticate header: " + strings.Repeat("x", 2000)},
		cukeScenario{name: "passes", line: 12, tags: []string{"@RFC7009-2.1", "@MUST"}, status: []string{"passed"}},
		cukeScenario{name: "blocked", line: 15, tags: []string{"@RFC7009-2.1", "@MUST"}, status: []string{"skipped"},
			attach: []cukeAttach{record("blocked", "no token was issued: "+longURL, "RFC6749-4.1.3")}},
	)
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, ""), Tags: longURL})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := r.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}

	b, err := browser.Launch(browser.DefaultOptions())
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer b.Close()
	s, err := b.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page := s.Page()
	if err := page.SetViewportSize(1280, 900); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var external []string
	if err := page.Route("**/*", func(rt playwright.Route) {
		if u := rt.Request().URL(); !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			mu.Lock()
			external = append(external, u)
			mu.Unlock()
			_ = rt.Abort()
			return
		}
		_ = rt.Continue()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Goto("file://"+filepath.Join(dir, HTMLFile), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) any {
		t.Helper()
		v, err := page.Evaluate(js)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	count := func(sel string) int {
		t.Helper()
		n, err := page.Locator(sel).Count()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if open := eval(`[...document.querySelectorAll("details")].filter(d => d.open).length`); open != 0 {
		t.Errorf("%v <details> open on load: the evidence must stay folded until opened", open)
	}
	if n := count(`tr.level[data-level="MUST"]`) + count(`tr.level[data-level="SHOULD"]`); n != 2 {
		t.Errorf("%d level rows, want MUST and SHOULD", n)
	}
	if n := count("div.cause"); n != 2 {
		t.Errorf("%d failure causes, want 2 (one deviation in two scenarios, and the SHOULD one)", n)
	}
	if n := count(`div.cause[data-requirement="RFC6749-4.1.2.1"] ul.affected li`); n != 2 {
		t.Errorf("the RFC6749-4.1.2.1 cause lists %d scenarios, want 2", n)
	}
	if n := count("svg.chart g.rfc"); n != 3 {
		t.Errorf("the chart has %d RFC rows, want 3", n)
	}
	// The verdict per level, then the failures, then the chart, then the matrix.
	order := eval(`["#levels", "#failures", "svg.chart", "table.matrix"].map(s => document.querySelector(s).getBoundingClientRect().top)`)
	tops, _ := order.([]any)
	for i := 1; i < len(tops); i++ {
		if toFloat(tops[i-1]) >= toFloat(tops[i]) {
			t.Errorf("the page's order is not levels, failures, chart, matrix: tops %v", tops)
			break
		}
	}
	width := func(when string) {
		t.Helper()
		if w := toFloat(eval(`document.documentElement.scrollWidth`)); w > 1280 {
			t.Errorf("%s: document.documentElement.scrollWidth = %v > 1280: something scrolls sideways", when, w)
		}
	}
	width("folded")
	eval(`document.querySelectorAll("details").forEach(d => d.open = true)`)
	width("every fold opened")
	if n := toFloat(eval(`[...document.querySelectorAll("pre")].filter(p => p.scrollWidth > p.clientWidth + 1).length`)); n > 0 {
		t.Errorf("%v <pre> blocks scroll sideways inside themselves", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(external) > 0 {
		t.Errorf("report.html loads external assets: %v", external)
	}
	if st, err := os.Stat(filepath.Join(dir, HTMLFile)); err == nil {
		t.Logf("report.html: %d bytes", st.Size())
	}
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return -1
}
