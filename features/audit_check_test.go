package features_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/audit"
	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// minSecretLen: shorter values (a "x" sent as a wrong password, "1" as an operand) would match
// by chance; every credential the server issues or the fixtures hold is far longer.
const minSecretLen = 12

// secretSet collects every secret and token the suite's HTTP exchanges carried: client secrets
// and passwords sent, codes, verifiers and tokens sent or received.
type secretSet struct {
	mu   sync.Mutex
	seen map[string]string // value -> where it was seen
}

func newSecretSet() *secretSet { return &secretSet{seen: map[string]string{}} }

func (s *secretSet) add(v, where string) {
	if len(v) < minSecretLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; !ok {
		s.seen[v] = where
	}
	// An HMAC token is "key.signature"; the store keeps the signature, which must not be
	// logged whole either.
	if _, sig, ok := strings.Cut(v, "."); ok && len(sig) >= 16 {
		if _, ok := s.seen[sig]; !ok {
			s.seen[sig] = "the signature part of a " + where
		}
	}
}

// credentialParams are the form, query and JSON members that carry a credential.
var credentialParams = []string{"client_secret", "password", "code", "code_verifier", "access_token",
	"refresh_token", "token", "secret", "new_password"}

func (s *secretSet) fromValues(v url.Values, where string) {
	for _, k := range credentialParams {
		for _, x := range v[k] {
			s.add(x, k+" in "+where)
		}
	}
}

func (s *secretSet) fromJSON(b []byte, where string) {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	for _, k := range credentialParams {
		if x, ok := m[k].(string); ok {
			s.add(x, k+" in "+where)
		}
	}
}

// observe is the runner's OnExchange.
func (s *secretSet) observe(ex *oauthclient.Exchange) {
	if h := ex.RequestHeader.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		switch strings.ToLower(scheme) {
		case "basic":
			if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				_, secret, _ := strings.Cut(string(raw), ":")
				if dec, err := url.QueryUnescape(secret); err == nil {
					secret = dec
				}
				s.add(secret, "HTTP Basic secret")
			}
		case "bearer":
			s.add(strings.TrimSpace(cred), "Bearer token")
		}
	}
	if u, err := url.Parse(ex.URL); err == nil {
		s.fromValues(u.Query(), "a request URL")
	}
	if v, err := url.ParseQuery(string(ex.RequestBody)); err == nil {
		s.fromValues(v, "a request body")
	}
	s.fromJSON(ex.RequestBody, "a JSON request body")
	s.fromJSON(ex.ResponseBody, "a response body")
	if loc := ex.ResponseHeader.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil {
			s.fromValues(u.Query(), "a redirect")
			if f, err := url.ParseQuery(u.Fragment); err == nil {
				s.fromValues(f, "a redirect fragment")
			}
		}
	}
}

// fromSeed adds the client secrets, user passwords and admin password of the seed.
func (s *secretSet) fromSeed(t *testing.T) {
	var seed struct {
		Clients []struct{ Secret string }   `yaml:"clients"`
		Users   []struct{ Password string } `yaml:"users"`
		Admin   struct{ Password string }   `yaml:"admin"`
	}
	if err := yaml.Unmarshal(fixtures.SeedYAML(), &seed); err != nil {
		t.Fatalf("reading the seed: %v", err)
	}
	for _, c := range seed.Clients {
		s.add(c.Secret, "a seeded client secret")
	}
	for _, u := range seed.Users {
		s.add(u.Password, "a seeded user password")
	}
	s.add(seed.Admin.Password, "the seeded admin password")
}

// count returns how many values were collected, by kind of origin.
func (s *secretSet) count() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, where := range s.seen {
		out[where]++
	}
	return out
}

// checkAuditLog asserts the audit log at path holds no collected secret or token, and that
// every event kind, with its main outcomes, appears (when the whole suite ran).
func checkAuditLog(t reporter, path string, secrets *secretSet, wholeSuite bool) {
	t.Helper()
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the audit log: %v", err)
	}
	secrets.mu.Lock()
	leaked := []string{}
	for v, where := range secrets.seen {
		if bytes.Contains(log, []byte(v)) {
			leaked = append(leaked, where+" ("+v[:4]+"...)")
		}
	}
	total := len(secrets.seen)
	secrets.mu.Unlock()
	sort.Strings(leaked)
	for _, l := range leaked {
		t.Errorf("the audit log contains %s", l)
	}
	if wholeSuite && total < 50 {
		t.Errorf("only %d secrets and tokens were collected from the run: the collection is broken", total)
	}

	seen := map[string]bool{}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec struct{ Event, Outcome, Time, RequestID string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit log line %d is not JSON: %v: %s", lines+1, err, sc.Text())
		}
		lines++
		seen[rec.Event] = true
		seen[rec.Event+"/"+rec.Outcome] = true
	}
	if !wholeSuite {
		t.Logf("audit log: %d lines, searched for %d secrets and tokens; event kinds not checked (-run selects scenarios)", lines, total)
		return
	}
	for _, ev := range audit.Events() {
		if !seen[string(ev)] {
			t.Errorf("no %s event in the audit log", ev)
		}
	}
	for _, want := range []string{"client_authentication/ok", "client_authentication/failed", "login/ok", "login/failed",
		"approval/approved", "approval/denied", "approval/skipped_trusted", "resource_access/allowed", "resource_access/denied",
		"token_introspected/active", "token_introspected/inactive"} {
		if !seen[want] {
			t.Errorf("no %s in the audit log", want)
		}
	}
	kinds := secrets.count()
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("\n  ")
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(strconv.Itoa(kinds[k]))
	}
	t.Logf("audit log: %d lines; searched it for %d secrets and tokens:%s", lines, total, b.String())
}

// reporter is the part of *testing.T checkAuditLog uses, so its own test can catch failures.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// wholeSuite reports whether every scenario runs: go test -run 'TestConformance/<name>' runs
// some only, and then not every event kind can be in the log.
func wholeSuite() bool {
	f := flag.Lookup("test.run")
	return f == nil || !strings.Contains(f.Value.String(), "/")
}

// fakeT records what checkAuditLog reports.
type fakeT struct{ errors []string }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeT) Logf(string, ...any)               {}

// TestCheckAuditLogCatchesALeak proves the check can fail: a token the run saw, or the
// signature half of it, in the log is reported, and so is a missing event kind.
func TestCheckAuditLogCatchesALeak(t *testing.T) {
	secrets := newSecretSet()
	secrets.observe(&oauthclient.Exchange{RequestHeader: http.Header{}, RequestBody: []byte("grant_type=password&password=hunter2-hunter2-hunter2"),
		ResponseBody: []byte(`{"access_token":"ory_at_0123456789abcdef.SIGNATURE0123456789abcdef"}`)})
	for _, leak := range []string{"hunter2-hunter2-hunter2", "ory_at_0123456789abcdef.SIGNATURE0123456789abcdef", "SIGNATURE0123456789abcdef"} {
		path := filepath.Join(t.TempDir(), "audit.log")
		if err := os.WriteFile(path, []byte(`{"event":"login","outcome":"failed","user":"`+leak+`"}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := &fakeT{}
		checkAuditLog(f, path, secrets, false)
		if len(f.errors) == 0 {
			t.Errorf("a log holding %q passed the check", leak)
		}
	}
	path := filepath.Join(t.TempDir(), "clean.log")
	if err := os.WriteFile(path, []byte(`{"event":"login","outcome":"ok","user":"alice"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fakeT{}
	checkAuditLog(f, path, secrets, false)
	if len(f.errors) != 0 {
		t.Errorf("a clean log failed: %v", f.errors)
	}
	f = &fakeT{}
	checkAuditLog(f, path, secrets, true)
	if !strings.Contains(strings.Join(f.errors, "\n"), "no token_issued event") {
		t.Errorf("missing event kinds were not reported: %v", f.errors)
	}
}
