package refserver

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Issue 10 item 6: a failed login as a name that is no account's is not logged as typed (a
// password typed into the username field must not reach the audit log); the log shows
// "unknown:" and a keyed fingerprint, the same for the same name. A failed login of an
// existing user still names the user.
func TestAuditDoesNotLogUnknownUsernamesAsTyped(t *testing.T) {
	e, buf := newAuditEnv(t)
	const typedPassword = "Hunter2-Typed-Into-Username"
	for i := 0; i < 2; i++ {
		r := e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {typedPassword}, "password": {"x"}})
		expectError(t, r, http.StatusBadRequest, "invalid_grant")
	}
	expectError(t, e.token(ropcID, ropcSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong"}}),
		http.StatusBadRequest, "invalid_grant")
	// The admin API with a password in the username.
	e.do(request{Method: http.MethodGet, Path: "/admin/api/clients", BasicID: typedPassword, BasicSecret: "x"})
	// The login page.
	page := e.do(request{Method: http.MethodGet, Path: PathLogin})
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no CSRF token on the login page: %s", page.Body)
	}
	csrf := html.UnescapeString(m[1])
	cookies := (&http.Response{Header: page.Header}).Cookies()
	h := http.Header{}
	for _, c := range cookies {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	e.do(request{Path: PathLogin, Header: h, Form: url.Values{"csrf_token": {csrf}, "username": {typedPassword}, "password": {"x"}}})

	log := buf.String()
	if strings.Contains(log, typedPassword) {
		t.Errorf("the audit log holds the name as typed:\n%s", log)
	}
	failed := find(buf.lines(t), "login", "failed")
	var unknown []string
	sawAlice := false
	for _, l := range failed {
		if u := l.s("user"); strings.HasPrefix(u, "unknown:") {
			unknown = append(unknown, u)
		} else if u == "alice" {
			sawAlice = true
		}
	}
	if len(unknown) != 3 || unknown[0] != unknown[1] || unknown[1] != unknown[2] {
		t.Errorf("failed logins of an unknown name: want 3 equal unknown:<fingerprint> users, got %v\n%s", unknown, log)
	}
	if !sawAlice {
		t.Errorf("the failed login of the existing user alice is not named:\n%s", log)
	}
	var adminFailed int
	for _, l := range find(buf.lines(t), "admin_change", "failed") {
		if l.s("admin") != "" {
			adminFailed++
			if !strings.HasPrefix(l.s("admin"), "unknown:") {
				t.Errorf("a failed admin sign-in with an unknown name logs %q", l.s("admin"))
			}
		}
	}
	if adminFailed == 0 {
		t.Errorf("the failed admin API call was not logged:\n%s", log)
	}
}
