package steps

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// forgeryAS is an authorization server whose approval page is as real pages are: a <base href>,
// a relative form action, and its buttons named "action" (which makes form.action the button,
// not the URL). Its session cookie names the user; the approval form carries a per-user
// anti-forgery value. checked says whether the approval POST checks that value against the
// session; a server that does not issues a code for any well-formed POST.
func forgeryAS(t *testing.T, checked bool) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var posts []string // "Origin csrf" of every approval POST
	users := map[string]string{"alice": "pw", "bob": "pw2"}
	token := func(user string) string { return "csrf-" + user + "-0123456789abcdef" }
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("sid")
		if err != nil || users[c.Value] == "" {
			http.Redirect(w, r, "/login?"+url.Values{"next": {r.URL.String()}}.Encode(), http.StatusFound)
			return
		}
		fmt.Fprintf(w, `<html><head><base href="/app/"></head><body><p>Allow the client?</p>
<form method="post" action="consent">
<input type="hidden" name="q" value="%s">
<input type="hidden" name="csrf" value="%s">
<button id="approve" name="action" value="approve">Allow</button>
<button id="deny" name="action" value="deny">Deny</button></form></body></html>`,
			html.EscapeString(r.URL.RawQuery), token(c.Value))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		next := r.URL.Query().Get("next")
		if r.Method == http.MethodPost {
			if p := users[r.FormValue("username")]; p != "" && p == r.FormValue("password") {
				http.SetCookie(w, &http.Cookie{Name: "sid", Value: r.FormValue("username"), Path: "/", HttpOnly: true})
				http.Redirect(w, r, next, http.StatusSeeOther)
				return
			}
		}
		fmt.Fprintf(w, `<html><body><form method="post" action="/login?next=%s">
<input id="username" name="username"><input id="password" name="password" type="password">
<button id="login" type="submit">Sign in</button></form></body></html>`, html.EscapeString(url.QueryEscape(next)))
	})
	mux.HandleFunc("/app/consent", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		posts = append(posts, r.Header.Get("Origin")+" "+r.FormValue("csrf"))
		mu.Unlock()
		if checked {
			c, err := r.Cookie("sid")
			if err != nil || r.FormValue("csrf") != token(c.Value) {
				http.Error(w, "the request could not be verified", http.StatusForbidden)
				return
			}
		}
		q, _ := url.ParseQuery(r.FormValue("q"))
		resp := url.Values{"state": {q.Get("state")}}
		if r.FormValue("action") == "approve" {
			resp.Set("code", "code-for-"+r.FormValue("csrf"))
		} else {
			resp.Set("error", "access_denied")
		}
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+resp.Encode(), http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), posts...)
	}
}

// The forged-approval checks read the form's target as a browser does (the action attribute
// against the base URI), build the cross-site form from the attacker's own session, and tell a
// server that checks its anti-forgery value from one that does not.
func TestForgedApprovalOnARealPage(t *testing.T) {
	opts := browser.DefaultOptions()
	if err := opts.Check(); err != nil {
		t.Fatalf("%v\n(the browser tests need Chromium and the Playwright driver; `make test` runs `make setup` first)", err)
	}
	b, err := browser.Launch(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })

	run := func(t *testing.T, checked bool, how string) (context.Context, error) {
		as, posts := forgeryAS(t, checked)
		t.Cleanup(func() {
			// Every POST from another origin carried the attacker's (bob's) value, never alice's.
			for _, p := range posts() {
				origin, csrf, _ := strings.Cut(p, " ")
				if origin != as.URL && csrf != "csrf-bob-0123456789abcdef" {
					t.Errorf("a cross-site approval carried %q, not the attacker's own value", csrf)
				}
			}
		})
		p := &profile.Profile{
			Issuer:    as.URL,
			Endpoints: profile.Endpoints{Authorization: as.URL + "/authorize", Token: as.URL + "/token"},
			Clients: map[string]profile.Client{
				"confidential": {ID: "c1", Secret: "s", RedirectURI: "http://127.0.0.1/callback", AuthMethod: "client_secret_basic"},
			},
			Users: map[string]profile.User{
				profile.UserValid:  {Username: "alice", Password: "pw"},
				profile.UserSecond: {Username: "bob", Password: "pw2"},
			},
			Scopes: profile.Scopes{Allowed: []string{"read"}},
			Browser: profile.BrowserActions{
				Login:   []profile.Action{{Fill: "#username", With: "{{user.username}}"}, {Fill: "#password", With: "{{user.password}}"}, {Click: "#login"}},
				Approve: []profile.Action{{Click: "#approve"}},
				Deny:    []profile.Action{{Click: "#deny"}},
			},
			Timeouts: profile.Timeouts{BrowserStep: 10 * time.Second},
		}
		w := newWorld(&Env{Profile: p, Browser: b})
		t.Cleanup(func() { _, _ = w.after(context.Background(), nil, nil) })
		if err := w.startAuthorization("confidential"); err != nil {
			t.Fatal(err)
		}
		ctx, err := w.forgedSubmission(context.Background(), "approval", how)
		if err != nil {
			t.Fatalf("the forged submission (%s) did not happen: %v", how, err)
		}
		return w.noCodeReachedClient(ctx)
	}

	for _, how := range []string{"from another site", "with its anti-forgery value removed", "with its anti-forgery value from another session"} {
		t.Run("checked/"+how, func(t *testing.T) {
			if _, err := run(t, true, how); err != nil {
				t.Errorf("a server that checks its anti-forgery value failed: %v", err)
			}
		})
		t.Run("unchecked/"+how, func(t *testing.T) {
			_, err := run(t, false, how)
			var v *verdict.Error
			if err == nil || errors.As(err, &v) {
				t.Fatalf("a server that issues a code for any submission was not caught: %v", err)
			}
			if !strings.Contains(err.Error(), "expected no authorization code") {
				t.Errorf("unexpected failure: %v", err)
			}
		})
	}
}
