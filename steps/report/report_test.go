package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/profile"
)

func TestAggregate(t *testing.T) {
	for _, c := range []struct {
		in   []Status
		want Status
	}{
		{nil, NotApplicable},
		{[]Status{NotApplicable, NotApplicable}, NotApplicable},
		{[]Status{Pass}, Pass},
		{[]Status{Pass, NotApplicable}, Pass},
		{[]Status{NotApplicable, Pass, Pass}, Pass},
		{[]Status{Pass, Fail, NotApplicable}, Fail},
		{[]Status{Fail, Waived}, Fail},
		{[]Status{Waived, Pass}, Waived},
		{[]Status{NotApplicable, Waived}, Waived},
	} {
		if got := Aggregate(c.in); got != c.want {
			t.Errorf("Aggregate(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestCompareSections(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"4.1.2", "4.1.10", -1}, {"4.1", "4.1.2", -1}, {"10.5", "2.3.1", 1}, {"4.1", "A.11", -1}, {"3.1", "3.1", 0},
	} {
		if got := compareSections(c.a, c.b); got != c.want {
			t.Errorf("compareSections(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// cuke builds a cucumber JSON document: one feature with the given scenarios.
type cukeScenario struct {
	name   string
	line   int
	tags   []string
	desc   string
	status []string // one per step
	err    string
	attach []cukeAttach
	// attachAt is the step (index) that carries attach (default: the first).
	attachAt int
}

type cukeAttach struct{ mime, data string }

func cuke(t *testing.T, scenarios ...cukeScenario) []byte {
	t.Helper()
	var elems []map[string]any
	for _, s := range scenarios {
		var tags []map[string]any
		for _, tg := range s.tags {
			tags = append(tags, map[string]any{"name": tg, "line": 1})
		}
		var steps []map[string]any
		for i, st := range s.status {
			res := map[string]any{"status": st, "duration": 1000000}
			if st == "failed" {
				res["error_message"] = s.err
			}
			step := map[string]any{"keyword": "Given ", "name": fmt.Sprintf("step %d", i+1), "line": s.line + i + 1, "result": res}
			if i == s.attachAt && len(s.attach) > 0 {
				var emb []map[string]any
				for _, a := range s.attach {
					name := "a"
					if strings.HasPrefix(a.data, "> ") {
						name = "http-exchange-1.txt" // as the World names them
					}
					emb = append(emb, map[string]any{"name": name, "mime_type": a.mime, "data": base64.StdEncoding.EncodeToString([]byte(a.data))})
				}
				step["embeddings"] = emb
			}
			steps = append(steps, step)
		}
		elems = append(elems, map[string]any{"name": s.name, "line": s.line, "type": "scenario", "tags": tags, "steps": steps,
			"description": s.desc})
	}
	b, err := json.Marshal([]map[string]any{{"uri": "x.feature", "name": "X", "elements": elems}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testProfile(t *testing.T, extra string) *profile.Profile {
	t.Helper()
	p, err := profile.Parse([]byte(`
issuer: http://127.0.0.1:9
clients: {client_credentials: {id: cc, secret: s}}
scopes: {allowed: [read]}
capabilities: {grants: [client_credentials]}
` + extra))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildStatusesWaiversAndWarnings(t *testing.T) {
	p := testProfile(t, `
waivers:
  - {requirement: RFC6749-5.2, reason: "known bug TICKET-1"}
  - {scenario: "passes although waived", reason: "flaky once"}
  - {requirement: RFC7009-2.1, reason: "never fails"}
`)
	data := cuke(t,
		cukeScenario{name: "passes", line: 3, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"passed"}},
		cukeScenario{name: "fails", line: 6, tags: []string{"@RFC6749-4.4.2", "@SHOULD"}, status: []string{"passed", "failed"},
			err: "expected 400, got 200\n--- HTTP exchange ---\n> POST /token", attach: []cukeAttach{{"text/plain", "> POST /token\n< HTTP 200"}}},
		cukeScenario{name: "fails but waived", line: 9, tags: []string{"@RFC6749-5.2", "@MUST"}, status: []string{"failed"}, err: "expected invalid_client"},
		cukeScenario{name: "passes although waived", line: 12, tags: []string{"@RFC6749-3.2", "@MAY"}, status: []string{"passed"}},
		cukeScenario{name: "needs password", line: 15, tags: []string{"@RFC6749-4.3.2", "@MUST", "@grant-password"}, status: []string{"skipped"}},
		cukeScenario{name: "warns", line: 18, tags: []string{"@RFC9700-2.4", "@SHOULD", "@warning"}, status: []string{"passed"},
			attach: []cukeAttach{{"text/plain", "WARNING: the target offers ROPC"}, {"image/png", "\x89PNG"}}},
		cukeScenario{name: "undefined but waived", line: 21, tags: []string{"@RFC6749-5.2", "@MUST"}, status: []string{"undefined"}},
	)
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r, err := Build(Input{Cucumber: data, Profile: p, StartedAt: start, Duration: 3 * time.Second, ToolVersion: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]Scenario{}
	for _, s := range r.Scenarios {
		st[s.Name] = s
	}
	want := map[string]Status{"passes": Pass, "fails": Fail, "fails but waived": Waived, "passes although waived": Pass,
		"needs password": NotApplicable, "warns": Pass, "undefined but waived": HarnessDefect}
	for name, w := range want {
		if st[name].Outcome != w {
			t.Errorf("scenario %q: %s, want %s", name, st[name].Outcome, w)
		}
	}
	if s := st["fails but waived"]; s.Waiver != "known bug TICKET-1" || s.Observed != "expected invalid_client" || !strings.HasSuffix(s.Failure, "observed: expected invalid_client") {
		t.Errorf("waived scenario keeps neither its waiver nor its failure: %+v", s)
	}
	if s := st["passes although waived"]; !s.WaiverUnnecessary {
		t.Errorf("a waived scenario that passed must note the waiver as unnecessary: %+v", s)
	}
	if s := st["needs password"]; !strings.Contains(s.Reason, "password") {
		t.Errorf("not applicable without the capability's reason: %q", s.Reason)
	}
	if s := st["warns"]; len(s.Warnings) != 1 || s.Warnings[0] != "the target offers ROPC" {
		t.Errorf("warnings = %q", s.Warnings)
	}

	reqs := map[string]Requirement{}
	var ids []string
	for _, q := range r.Requirements {
		reqs[q.ID] = q
		ids = append(ids, q.ID)
	}
	wantReq := map[string]Status{"RFC6749-4.4.2": Fail, "RFC6749-5.2": HarnessDefect, "RFC6749-3.2": Pass, "RFC6749-4.3.2": NotApplicable, "RFC9700-2.4": Pass}
	for id, w := range wantReq {
		if reqs[id].Outcome != w {
			t.Errorf("requirement %s: %s, want %s", id, reqs[id].Outcome, w)
		}
	}
	if q := reqs["RFC6749-4.4.2"]; q.Level != "MUST" || q.RFC != "RFC6749" || q.Section != "4.4.2" || len(q.Scenarios) != 2 {
		t.Errorf("RFC6749-4.4.2 = %+v (the level is the strongest of its scenarios')", q)
	}
	if got := strings.Join(ids, " "); got != "RFC6749-3.2 RFC6749-4.3.2 RFC6749-4.4.2 RFC6749-5.2 RFC9700-2.4" {
		t.Errorf("requirement order = %s", got)
	}
	if q := reqs["RFC9700-2.4"]; len(q.Warnings) != 1 {
		t.Errorf("the requirement does not carry its scenario's warning: %+v", q)
	}
	if s := r.Summary; s.Scenarios != (Counts{Total: 7, Pass: 3, Fail: 1, NotApplicable: 1, Waived: 1, HarnessDefect: 1}) || s.Warnings != 1 ||
		s.Requirements != (Counts{Total: 5, Pass: 2, Fail: 1, NotApplicable: 1, HarnessDefect: 1}) {
		t.Errorf("summary = %+v", s)
	}
	if len(r.Waivers) != 3 || len(r.Waivers[0].Waived) != 1 || r.Waivers[0].Unnecessary || !r.Waivers[1].Unnecessary || !r.Waivers[2].Unnecessary {
		t.Errorf("waivers = %+v", r.Waivers)
	}
	if r.SchemaVersion != SchemaVersion || r.Tool.Version != "v1.2.3" || !r.StartedAt.Equal(start) || r.DurationSeconds != 3 {
		t.Errorf("header = %q %+v %s %v", r.SchemaVersion, r.Tool, r.StartedAt, r.DurationSeconds)
	}
}

func TestWriteJSONIsTyped(t *testing.T) {
	data := cuke(t, cukeScenario{name: "passes", line: 3, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"passed"}})
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "tool", "target", "started_at", "duration_seconds", "capabilities", "summary", "requirements", "scenarios"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("conformance.json has no %q", k)
		}
	}
	req := doc["requirements"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "rfc", "section", "level", "outcome", "scenarios"} {
		if _, ok := req[k]; !ok {
			t.Errorf("a requirement has no %q: %v", k, req)
		}
	}
	sum := doc["summary"].(map[string]any)
	if lv, ok := sum["levels"].([]any); !ok || len(lv) < 2 || lv[0].(map[string]any)["level"] != "MUST" {
		t.Errorf("summary.levels = %v", sum["levels"])
	}
	sc := doc["scenarios"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name", "location", "level", "requirements", "outcome"} {
		if _, ok := sc[k]; !ok {
			t.Errorf("a scenario has no %q: %v", k, sc)
		}
	}
	if doc["schema_version"] != "oauthconf.conformance/v2" {
		t.Errorf("schema_version = %v", doc["schema_version"])
	}
	if strings.Contains(buf.String(), "Steps") {
		t.Error("conformance.json carries the steps (meant for report.html only)")
	}
}

func TestWriteHTMLIsSelfContainedAndEscaped(t *testing.T) {
	data := cuke(t,
		cukeScenario{name: "fails <script>alert(1)</script>", line: 3, tags: []string{"@RFC6749-4.4.2", "@MUST"}, status: []string{"failed"},
			err: "expected 400", attach: []cukeAttach{{"text/plain", "> POST /token\n> Authorization: Basic [redacted]"}, {"image/png", "\x89PNG\r\n"}}},
		cukeScenario{name: "warns", line: 6, tags: []string{"@RFC9700-2.4", "@SHOULD"}, status: []string{"passed"},
			attach: []cukeAttach{{"text/plain", "WARNING: implicit grant offered"}}},
	)
	r, err := Build(Input{Cucumber: data, Profile: testProfile(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<tr class="requirement" data-requirement="RFC6749-4.4.2" data-status="fail">`,
		`<div class="cause MUST" data-requirement="RFC6749-4.4.2">`,
		`<tr class="level" data-level="MUST">`,
		`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n")) + `"`,
		"Authorization: Basic [redacted]",
		`class="warning">WARNING: implicit grant offered`,
		"&lt;script&gt;",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "<link", `src="http`, `href="http`, "url(http"} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q: it must be self-contained and escaped", bad)
		}
	}
	if n := strings.Count(html, `<tr class="requirement"`); n != len(r.Requirements) {
		t.Errorf("%d matrix rows for %d requirements", n, len(r.Requirements))
	}
}
