package browser

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/callback"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// fakeAS is a tiny authorization server: /authorize sends an anonymous browser to /login, a
// logged-in one to /consent (unless the client is "trusted"), and the approval form redirects
// to the redirect URI with a code in the query, or a token in the fragment for
// response_type=token. An unknown redirect URI gets an error page, as RFC 6749 4.1.2.1 wants.
func fakeAS(t *testing.T, allowedRedirect func(string) bool) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !allowedRedirect(q.Get("redirect_uri")) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<html><body><h1>Invalid request</h1><p>The redirect_uri is not registered.</p></body></html>`)
			return
		}
		if c, err := r.Cookie("sid"); err != nil || c.Value != "alice" {
			http.Redirect(w, r, "/login?"+url.Values{"next": {r.URL.String()}}.Encode(), http.StatusFound)
			return
		}
		if q.Get("client_id") == "trusted" {
			redirectBack(w, r, q, true)
			return
		}
		http.Redirect(w, r, "/consent?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		next := r.URL.Query().Get("next")
		if r.Method == http.MethodPost && r.FormValue("username") == "alice" && r.FormValue("password") == "pw" {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "alice", Path: "/"})
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		fmt.Fprintf(w, `<html><body><form method="post" action="/login?next=%s">
<label>User <input id="username" name="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="login" type="submit">Sign in</button></form></body></html>`, html.EscapeString(url.QueryEscape(next)))
	})
	mux.HandleFunc("/consent", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			q, _ := url.ParseQuery(r.FormValue("q"))
			redirectBack(w, r, q, r.FormValue("decision") == "approve")
			return
		}
		fmt.Fprintf(w, `<html><body><p>Allow the client?</p><form method="post">
<input type="hidden" name="q" value="%s">
<button id="approve" name="decision" value="approve">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button></form></body></html>`, html.EscapeString(r.URL.RawQuery))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func redirectBack(w http.ResponseWriter, r *http.Request, q url.Values, approved bool) {
	resp := url.Values{"state": {q.Get("state")}}
	if approved && q.Get("response_type") == "token" {
		resp.Set("access_token", "tok-123")
		resp.Set("token_type", "Bearer")
		http.Redirect(w, r, q.Get("redirect_uri")+"#"+resp.Encode(), http.StatusFound)
		return
	}
	if approved {
		resp.Set("code", "code-123")
	} else {
		resp.Set("error", "access_denied")
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+resp.Encode(), http.StatusFound)
}

func testProfile() *profile.Profile {
	return &profile.Profile{
		Browser: profile.BrowserActions{
			Login: []profile.Action{
				{Fill: "#username", With: "{{user.username}}"},
				{Fill: "[name=password]", With: "{{user.password}}"},
				{Click: "text=Sign in"},
			},
			Approve: []profile.Action{{Click: "#approve"}},
			Deny:    []profile.Action{{WaitFor: "#deny"}, {Click: "button[value=deny]"}},
		},
		Timeouts: profile.Timeouts{BrowserStep: 5 * time.Second},
	}
}

// launch starts the browser, failing with the set-up hint when it is not installed.
func launch(t *testing.T) *Browser {
	t.Helper()
	opts := DefaultOptions()
	if err := opts.Check(); err != nil {
		t.Fatalf("%v\n(the browser tests need Chromium and the Playwright driver; `make test` runs `make setup` first)", err)
	}
	b, err := Launch(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestAuthorizeInABrowser(t *testing.T) {
	b := launch(t)
	cb, err := callback.Listen("http://127.0.0.1/cb")
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	as := fakeAS(t, func(uri string) bool { return uri == cb.RedirectURI() || strings.HasPrefix(uri, "http://127.0.0.1:1/") })
	p := testProfile()
	alice := profile.User{Username: "alice", Password: "pw"}
	authURL := func(client, responseType, redirect string) string {
		return as.URL + "/authorize?" + url.Values{"client_id": {client}, "response_type": {responseType},
			"redirect_uri": {redirect}, "state": {"s t&8"}}.Encode()
	}
	session := func(t *testing.T) *Session {
		s, err := b.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}

	t.Run("login and approve", func(t *testing.T) {
		s := session(t)
		s.screenshots = true // as with Options.Screenshots
		withOptional := testProfile()
		// Not on the page: skipped after a short wait.
		withOptional.Browser.Login = append([]profile.Action{{Click: "#remember-me", Optional: true}}, withOptional.Browser.Login...)
		start := time.Now()
		out, err := s.Authorize(authURL("c1", "code", cb.RedirectURI()), Flow{Profile: withOptional, User: alice, Decision: "approve", CallbackPrefix: cb.RedirectURI()})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("flow took %s", time.Since(start))
		if !out.ReachedCallback || !out.LoginShown || !out.ApprovalShown || out.LoginAttempts != 1 {
			t.Fatalf("outcome = %+v", out)
		}
		if out.Query.Get("code") != "code-123" || out.Query.Get("state") != "s t&8" || out.Status != 200 {
			t.Errorf("query = %v, status %d", out.Query, out.Status)
		}
		if len(out.Screenshots) != 3 || !bytes.HasPrefix(out.Screenshots[0], []byte("\x89PNG")) {
			t.Errorf("%d screenshots, want 3 PNGs (landing, after login, after approval)", len(out.Screenshots))
		}
		hits := cb.Hits()
		if len(hits) == 0 || hits[len(hits)-1].Query().Get("code") != "code-123" {
			t.Errorf("the callback listener saw %v", hits)
		}
	})

	t.Run("deny", func(t *testing.T) {
		out, err := session(t).Authorize(authURL("c1", "code", cb.RedirectURI()), Flow{Profile: p, User: alice, Decision: "deny", CallbackPrefix: cb.RedirectURI()})
		if err != nil {
			t.Fatal(err)
		}
		if !out.ReachedCallback || out.Query.Get("error") != "access_denied" || out.Query.Get("code") != "" {
			t.Errorf("outcome = %+v", out)
		}
		if len(out.Screenshots) != 0 {
			t.Errorf("%d screenshots taken without Options.Screenshots", len(out.Screenshots))
		}
	})

	t.Run("stop at approval", func(t *testing.T) {
		out, err := session(t).Authorize(authURL("c1", "code", cb.RedirectURI()), Flow{Profile: p, User: alice, CallbackPrefix: cb.RedirectURI()})
		if err != nil {
			t.Fatal(err)
		}
		if out.ReachedCallback || !out.ApprovalShown || !strings.Contains(out.PageText, "Allow the client?") {
			t.Errorf("outcome = %+v", out)
		}
	})

	t.Run("trusted client skips approval, fragment response", func(t *testing.T) {
		out, err := session(t).Authorize(authURL("trusted", "token", cb.RedirectURI()), Flow{Profile: p, User: alice, Decision: "approve", CallbackPrefix: cb.RedirectURI()})
		if err != nil {
			t.Fatal(err)
		}
		if !out.ReachedCallback || out.ApprovalShown || out.Fragment.Get("access_token") != "tok-123" || out.Fragment.Get("state") != "s t&8" {
			t.Errorf("outcome = %+v (fragment %v)", out, out.Fragment)
		}
		if out.Query.Get("access_token") != "" {
			t.Error("the token must not be in the query")
		}
	})

	t.Run("wrong password shows the login page again", func(t *testing.T) {
		out, err := session(t).Authorize(authURL("c1", "code", cb.RedirectURI()), Flow{Profile: p, User: profile.User{Username: "alice", Password: "nope"}, Decision: "approve", CallbackPrefix: cb.RedirectURI()})
		if err != nil {
			t.Fatal(err)
		}
		if out.ReachedCallback || out.LoginAttempts != 1 || !out.LoginShown {
			t.Errorf("outcome = %+v", out)
		}
	})

	t.Run("unregistered redirect URI shows an error page", func(t *testing.T) {
		evil := "http://127.0.0.1:9/evil"
		start := time.Now()
		out, err := session(t).Authorize(authURL("c1", "code", evil), Flow{Profile: p, User: alice, Decision: "approve", CallbackPrefix: evil, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if out.ReachedCallback || out.LoginShown || out.Status != 400 || !strings.Contains(out.PageText, "not registered") {
			t.Errorf("outcome = %+v", out)
		}
		// An error page is recognised at once, not after the step timeout runs out.
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("classifying the error page took %s", took)
		}
	})

	t.Run("redirect to a port where nothing listens still counts", func(t *testing.T) {
		// The server redirects to the (registered) URI; nothing listens there, so the page
		// does not load, but the navigation shows the response.
		target := "http://127.0.0.1:1/gone"
		out, err := session(t).Authorize(authURL("trusted", "code", target), Flow{Profile: p, User: alice, CallbackPrefix: target})
		if err != nil {
			t.Fatal(err)
		}
		if !out.ReachedCallback || out.Query.Get("code") != "code-123" {
			t.Errorf("outcome = %+v", out)
		}
	})

	t.Run("missing element fails with the step and the selector", func(t *testing.T) {
		bad := testProfile()
		bad.Browser.Login = append(bad.Browser.Login[:2:2], profile.Action{Click: "#no-such-button"})
		out, err := session(t).Authorize(authURL("c1", "code", cb.RedirectURI()), Flow{Profile: bad, User: alice, Decision: "approve", CallbackPrefix: cb.RedirectURI(), Timeout: 2 * time.Second})
		if err == nil || !strings.Contains(err.Error(), "step 3 (click #no-such-button)") || !strings.Contains(err.Error(), "within 2s") ||
			!strings.Contains(err.Error(), as.URL+"/login") || !strings.Contains(err.Error(), "profile's selector is wrong") {
			t.Fatalf("err = %v", err)
		}
		// Ambiguous (a wrong profile, or a server's error page): the suite's trouble, never a FAIL.
		if !verdict.IsSuiteTrouble(err) {
			t.Errorf("a missing element is not marked as the suite's trouble: %v", err)
		}
		if out == nil || !out.LoginShown {
			t.Errorf("outcome = %+v", out)
		}
	})

	t.Run("goto and perform", func(t *testing.T) {
		s := session(t)
		status, err := s.Goto(as.URL+"/login", 10*time.Second)
		if err != nil || status != 200 {
			t.Fatalf("Goto: %d %v", status, err)
		}
		err = s.Perform([]profile.Action{{Fill: "#username", With: "{{user.username}}!"}, {WaitURL: "**/login*"}}, map[string]string{"user.username": "bob"}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Page().Locator("#username").InputValue(); v != "bob!" {
			t.Errorf("filled %q", v)
		}
		err = s.Perform([]profile.Action{{Fill: "#password", With: "{{user.secret}}"}}, map[string]string{}, time.Second)
		if err == nil || !strings.Contains(err.Error(), "no value for {{user.secret}}") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestCheckNamesMakeSetup(t *testing.T) {
	dir := t.TempDir()
	err := Options{DriverDir: dir, ExecutablePath: dir + "/no-chromium"}.Check()
	if err == nil || !strings.Contains(err.Error(), "make setup") || !strings.Contains(err.Error(), "Playwright driver 1.52.0 is not installed") ||
		!strings.Contains(err.Error(), "Chromium is not installed") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Launch(Options{DriverDir: dir, ExecutablePath: "/bin/true"}); err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Fatalf("Launch: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("Launch wrote into the driver directory: %v", entries)
	}
}

// The browser counts a landing on the redirect URI the request named, by its raw path and
// query: a redirect to the registered URI is not one to a variant of it, and a redirect to
// "/%63allback" is one to that variant although Chromium requests "/callback".
func TestLandedComparesTheRawPathAndQuery(t *testing.T) {
	b := launch(t)
	cb, err := callback.Listen("http://127.0.0.1/callback")
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	// /authorize?to=URL redirects the browser to URL, as a server answering the request would.
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", r.URL.Query().Get("to"))
		w.WriteHeader(http.StatusFound)
	}))
	defer as.Close()
	registered := cb.RedirectURI()
	origin := strings.TrimSuffix(registered, "/callback")
	for _, c := range []struct {
		requested, to string
		want          bool
	}{
		{registered, registered + "?code=c1", true},
		{registered + "?extra=1", registered + "?error=invalid_request", false},
		{registered + "?extra=1", registered + "?extra=1&code=c1", true},
		{origin + "/%63allback", registered + "?error=invalid_request", false},
		{origin + "/%63allback", origin + "/%63allback?code=c1", true},
		// A host Chromium will not load (a name ending in a number): the Location shows it.
		{"http://evil.127.0.0.1:5555/callback", "http://evil.127.0.0.1:5555/callback?code=c1", true},
	} {
		s, err := b.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Authorize(as.URL+"/authorize?"+url.Values{"to": {c.to}}.Encode(), Flow{Profile: testProfile(), CallbackPrefix: c.requested})
		_ = s.Close()
		if err != nil {
			t.Fatalf("requested %s, redirected to %s: %v", c.requested, c.to, err)
		}
		if out.ReachedCallback != c.want {
			t.Errorf("requested %s, redirected to %s: reached = %v, want %v (navigations %v, redirects %v)",
				c.requested, c.to, out.ReachedCallback, c.want, out.Navigations, out.Redirects)
		}
		if c.want && out.Query.Get("code") != "c1" {
			t.Errorf("requested %s: query %v", c.requested, out.Query)
		}
	}
}

// WaitURL follows a navigation that starts later (a script's), waits for the new document, and
// gives up with the URL it is stuck on when the page never gets there.
func TestWaitURLAndSettle(t *testing.T) {
	b := launch(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><script>setTimeout(() => { location.href = "/done" }, 300)</script></body></html>`)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><p id="done">done</p></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s, err := b.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A profile's wait_url (a Playwright glob) follows the script's navigation too.
	if _, err := s.Goto(srv.URL+"/start", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Perform([]profile.Action{{WaitURL: "**/done"}}, nil, 5*time.Second); err != nil {
		t.Fatalf("wait_url: %v", err)
	}
	if !strings.HasSuffix(s.Page().URL(), "/done") {
		t.Fatalf("wait_url returned at %s", s.Page().URL())
	}
	if err := s.Perform([]profile.Action{{WaitURL: "**/never"}}, nil, 600*time.Millisecond); err == nil || !strings.Contains(err.Error(), "did not match") {
		t.Fatalf("wait_url for a URL never reached: want an error, got %v", err)
	}
	if _, err := s.Goto(srv.URL+"/start", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitURL(func(u string) bool { return strings.HasSuffix(u, "/done") }, 5*time.Second); err != nil {
		t.Fatalf("WaitURL: %v", err)
	}
	if v, _ := s.Page().Locator("#done").IsVisible(); !v {
		t.Fatalf("WaitURL returned before the new page was there (at %s)", s.Page().URL())
	}
	if err := s.Settle(time.Second); err != nil {
		t.Fatalf("Settle on a loaded page: %v", err)
	}
	err = s.WaitURL(func(u string) bool { return strings.HasSuffix(u, "/never") }, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "/done") {
		t.Fatalf("WaitURL for a URL never reached: want an error naming the page, got %v", err)
	}
}

func TestLoadable(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "localhost": true, "as.example.com": true, "evil.localhost": true,
		"evil.127.0.0.1": false, "evil127.0.0.1": false, "a.0x7f": false, "example.com.": true,
	} {
		if got := loadable(host); got != want {
			t.Errorf("loadable(%q) = %v, want %v", host, got, want)
		}
	}
}
