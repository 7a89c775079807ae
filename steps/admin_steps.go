package steps

// Steps of the @refserver scenarios (features/refserver_admin.feature): an administrator at the
// reference server's admin console (in the browser) and admin API, the management model's
// scopes and ACLs at the resource server, and the security audit log the embedded server
// writes. Every scenario makes its own clients and users (random names), so they run
// concurrently with everything else; the seeded groups and ACLs are only read.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/profile"
)

// adminState is what the administrator made in this scenario.
type adminState struct {
	signedIn bool
	// The client registered in this scenario.
	clientID, clientSecret string
	// users made by the administrator, by the label the scenario gives them.
	users map[string]profile.User
}

func (w *World) registerAdmin(sc stepAdder) {
	sc.Step(`^the administrator signs in to the admin console$`, w.adminSignIn)
	sc.Step(`^the administrator registers a confidential client for the "([a-z_]+)" grant with scope "([^"]+)" (in the console|through the admin API)$`, w.adminRegistersClient)
	sc.Step(`^the console showed the new client's secret once$`, w.secretShownOnce)
	sc.Step(`^the registered client (requests a token|has an access token) with its client credentials(?: for scope "([^"]+)")?$`, w.registeredClientToken)
	sc.Step(`^the registered client introspects the access token$`, w.registeredClientIntrospects)
	sc.Step(`^the administrator revokes the registered client's access token in the console's tokens view$`, w.adminRevokesInConsole)
	sc.Step(`^the "client credentials" client has an access token for scope "([^"]+)"$`, w.ccTokenForScope)
	sc.Step(`^the client calls (GET|POST) "([^"]+)" at the reference server with the access token$`, w.callPath)
	sc.Step(`^the administrator creates a user "([a-z]+)" (in the group "[^"]+"|in no group) through the admin API$`, w.adminCreatesUser)
	sc.Step(`^the "password" client requests a token with the password of user "([a-z]+)" for scope "([^"]+)"$`, w.passwordTokenForUser)
	sc.Step(`^the administrator creates a user named like the registered client's (id|service user) in the group "([^"]+)" through the admin API$`, w.adminCreatesLookalikeUser)
	sc.Step(`^the admin API refuses the request naming the field "([a-z_]+)"$`, w.adminAPIRefuses)
	sc.Step(`^the audit log has an? "([a-z_]+)" event "([a-z_]+)" for (the registered client|the user "[a-z]+"|the client-credentials client|"[^"]+")(?: with reason "([a-z]+)")?$`, w.auditHas)
}

func (w *World) stepTimeout() time.Duration {
	if t := w.p.Timeouts.BrowserStep; t > 0 {
		return t
	}
	return profile.DefaultBrowserStepTimeout
}

func msOf(d time.Duration) *float64 { return playwright.Float(float64(d.Milliseconds())) }

// adminAccount is the profile's administrator.
func (w *World) adminAccount() (*profile.Admin, error) {
	if w.p.Admin == nil || w.p.Admin.Username == "" {
		return nil, fmt.Errorf("the target profile names no administrator (admin.username, admin.password)")
	}
	return w.p.Admin, nil
}

func (w *World) adminSignIn() error {
	a, err := w.adminAccount()
	if err != nil {
		return err
	}
	s, err := w.ensureSession()
	if err != nil {
		return err
	}
	t := w.stepTimeout()
	if _, err := s.Goto(w.p.Issuer+"/admin/login", t); err != nil {
		return fmt.Errorf("opening the admin console: %w", err)
	}
	page := s.Page()
	if err := page.Locator("#admin-username").Fill(a.Username, playwright.LocatorFillOptions{Timeout: msOf(t)}); err != nil {
		return fmt.Errorf("the admin sign-in page has no #admin-username: %w", err)
	}
	if err := page.Locator("#admin-password").Fill(a.Password, playwright.LocatorFillOptions{Timeout: msOf(t)}); err != nil {
		return fmt.Errorf("the admin sign-in page has no #admin-password: %w", err)
	}
	if err := page.Locator("#admin-login").Click(playwright.LocatorClickOptions{Timeout: msOf(t)}); err != nil {
		return err
	}
	// Signed in: the console leaves the sign-in page.
	if err := s.WaitURL(func(u string) bool { return !strings.Contains(u, "/admin/login") }, t); err != nil {
		msg, _ := page.Locator("#login-error").TextContent()
		return fmt.Errorf("the administrator could not sign in to the console: %s", strings.TrimSpace(msg))
	}
	w.admin.signedIn = true
	return nil
}

// adminAPI sends a JSON request to the admin API with the administrator's credentials.
func (w *World) adminAPI(ctx context.Context, method, path string, body any) (*oauthclient.Response, error) {
	a, err := w.adminAccount()
	if err != nil {
		return nil, err
	}
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.p.Issuer+path, rd)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(a.Username, a.Password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ex, err := w.http.Do(req)
	if err != nil {
		return nil, err
	}
	return oauthclient.NewResponse(ex), nil
}

func (w *World) adminRegistersClient(ctx context.Context, grant, scope, via string) error {
	name := "suite client " + oauthclient.RandomString(8)
	if via == "through the admin API" {
		resp, err := w.adminAPI(ctx, http.MethodPost, "/admin/api/clients", map[string]any{
			"name": name, "grant_types": []string{grant}, "scopes": strings.Fields(scope),
			"token_endpoint_auth_method": "client_secret_basic",
		})
		if err != nil {
			return err
		}
		if err := oauthclient.ExpectStatus(resp, http.StatusCreated); err != nil {
			return err
		}
		w.admin.clientID, w.admin.clientSecret = resp.String("client_id"), resp.String("client_secret")
		if w.admin.clientID == "" || w.admin.clientSecret == "" {
			return oauthclient.Failf(resp, "expected client_id and client_secret in the answer")
		}
		return nil
	}
	if !w.admin.signedIn {
		if err := w.adminSignIn(); err != nil {
			return err
		}
	}
	page := w.session.Page()
	t := w.stepTimeout()
	if _, err := w.session.Goto(w.p.Issuer+"/admin/clients/new", t); err != nil {
		return err
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"fill #client-name", func() error {
			return page.Locator("#client-name").Fill(name, playwright.LocatorFillOptions{Timeout: msOf(t)})
		}},
		{"check #client-type-confidential", func() error {
			return page.Locator("#client-type-confidential").Check(playwright.LocatorCheckOptions{Timeout: msOf(t)})
		}},
		{"check #grant-" + grant, func() error {
			return page.Locator("#grant-" + grant).Check(playwright.LocatorCheckOptions{Timeout: msOf(t)})
		}},
		{"click #client-save", func() error {
			return page.Locator("#client-save").Click(playwright.LocatorClickOptions{Timeout: msOf(t)})
		}},
	}
	for _, sc := range strings.Fields(scope) {
		sel := `[data-scope="` + sc + `"]`
		steps = append(steps[:len(steps)-1], struct {
			what string
			do   func() error
		}{"check " + sel, func() error {
			return page.Locator(sel).Check(playwright.LocatorCheckOptions{Timeout: msOf(t)})
		}}, steps[len(steps)-1])
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			return fmt.Errorf("registering a client in the console: %s: %w", st.what, err)
		}
	}
	secret := page.Locator("#client-secret")
	if err := secret.WaitFor(playwright.LocatorWaitForOptions{State: playwright.WaitForSelectorStateVisible, Timeout: msOf(t)}); err != nil {
		errs, _ := page.Locator(".errors, .field-error").AllTextContents()
		return fmt.Errorf("the console did not show the new client's secret (%s): %w", strings.Join(errs, "; "), err)
	}
	id, err := page.Locator("#client-id").TextContent()
	if err != nil {
		return err
	}
	sec, err := secret.TextContent()
	if err != nil {
		return err
	}
	w.admin.clientID, w.admin.clientSecret = strings.TrimSpace(id), strings.TrimSpace(sec)
	if w.admin.clientID == "" || w.admin.clientSecret == "" {
		return fmt.Errorf("the console showed an empty client id or secret")
	}
	return nil
}

// secretShownOnce checks the secret is gone from the client's page once the administrator
// leaves the page that showed it: it is stored only as a hash.
func (w *World) secretShownOnce() error {
	if w.session == nil || w.admin.clientSecret == "" {
		return fmt.Errorf("no client was registered in the console in this scenario")
	}
	page := w.session.Page()
	t := w.stepTimeout()
	if err := page.Locator("#client-edit-link").Click(playwright.LocatorClickOptions{Timeout: msOf(t)}); err != nil {
		return fmt.Errorf("the secret page has no #client-edit-link: %w", err)
	}
	if err := page.Locator("#client-form").WaitFor(playwright.LocatorWaitForOptions{State: playwright.WaitForSelectorStateVisible, Timeout: msOf(t)}); err != nil {
		return fmt.Errorf("the client's edit page did not open: %w", err)
	}
	html, err := page.Content()
	if err != nil {
		return err
	}
	if strings.Contains(html, w.admin.clientSecret) {
		return fmt.Errorf("the client's edit page shows the secret again: it must be shown only once")
	}
	return nil
}

func (w *World) registeredCreds() (oauthclient.Credentials, error) {
	if w.admin.clientID == "" {
		return oauthclient.Credentials{}, fmt.Errorf("no client was registered in this scenario")
	}
	return oauthclient.Credentials{ID: w.admin.clientID, Secret: w.admin.clientSecret}, nil
}

// keepToken records the access token of a successful token response.
func (w *World) keepToken(resp *oauthclient.Response) {
	w.last = resp
	if resp.Status == http.StatusOK {
		if at := resp.String("access_token"); at != "" {
			w.accessTokens = append(w.accessTokens, at)
		}
		if rt := resp.String("refresh_token"); rt != "" {
			w.refreshTokens = append(w.refreshTokens, rt)
		}
	}
}

func (w *World) registeredClientToken(ctx context.Context, verb, scope string) error {
	creds, err := w.registeredCreds()
	if err != nil {
		return err
	}
	resp, err := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "client_credentials", Scope: scope,
		Client: creds, AuthMethod: oauthclient.AuthBasic}.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.keepToken(resp)
	if verb == "has an access token" {
		return oauthclient.ExpectTokenResponse(resp)
	}
	return nil
}

func (w *World) registeredClientIntrospects(ctx context.Context) error {
	creds, err := w.registeredCreds()
	if err != nil {
		return err
	}
	tok, _, err := w.pickToken("the access token")
	if err != nil {
		return err
	}
	resp, err := oauthclient.TokenOpRequest{Endpoint: w.p.Endpoints.Introspection, Token: tok, Client: creds,
		AuthMethod: oauthclient.AuthBasic}.Introspect(ctx, w.http)
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

func (w *World) adminRevokesInConsole() error {
	if w.admin.clientID == "" {
		return fmt.Errorf("no client was registered in this scenario")
	}
	if !w.admin.signedIn {
		if err := w.adminSignIn(); err != nil {
			return err
		}
	}
	page := w.session.Page()
	t := w.stepTimeout()
	if _, err := w.session.Goto(w.p.Issuer+"/admin/tokens?client_id="+w.admin.clientID, t); err != nil {
		return err
	}
	row := page.Locator(`tr.token-row[data-kind="access_token"][data-client-id="` + w.admin.clientID + `"]`)
	if n, err := row.Count(); err != nil || n != 1 {
		return fmt.Errorf("the tokens view filtered by client %s: expected one access token row, got %d (%v)", w.admin.clientID, n, err)
	}
	if err := row.Locator(`button[type=submit]`).Click(playwright.LocatorClickOptions{Timeout: msOf(t)}); err != nil {
		return fmt.Errorf("clicking the row's Revoke button: %w", err)
	}
	// The view comes back without the row.
	if err := page.Locator("#no-tokens").WaitFor(playwright.LocatorWaitForOptions{State: playwright.WaitForSelectorStateVisible, Timeout: msOf(t)}); err != nil {
		return fmt.Errorf("after the revocation the tokens view still lists a token of %s: %w", w.admin.clientID, err)
	}
	return nil
}

func (w *World) ccTokenForScope(ctx context.Context, scope string) error {
	creds, auth, err := w.creds("client credentials")
	if err != nil {
		return err
	}
	resp, err := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "client_credentials", Scope: scope,
		Client: creds, AuthMethod: auth}.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.keepToken(resp)
	return oauthclient.ExpectTokenResponse(resp)
}

func (w *World) callPath(ctx context.Context, method, path string) error {
	tok, _, err := w.pickToken("the access token")
	if err != nil {
		return err
	}
	resp, err := oauthclient.ResourceRequest{URL: w.p.Issuer + path, Method: method, Token: tok,
		Placement: oauthclient.InHeader}.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.last = resp
	return nil
}

func (w *World) adminCreatesUser(ctx context.Context, label, groups string) error {
	u := profile.User{Username: "suite-" + label + "-" + strings.ToLower(oauthclient.RandomString(8)),
		Password: "Pw-" + oauthclient.RandomString(20)}
	in := map[string]any{"username": u.Username, "password": u.Password, "groups": []string{}}
	if g, ok := strings.CutPrefix(groups, "in the group "); ok {
		in["groups"] = []string{strings.Trim(g, `"`)}
	}
	resp, err := w.adminAPI(ctx, http.MethodPost, "/admin/api/users", in)
	if err != nil {
		return err
	}
	if err := oauthclient.ExpectStatus(resp, http.StatusCreated); err != nil {
		return err
	}
	if w.admin.users == nil {
		w.admin.users = map[string]profile.User{}
	}
	w.admin.users[label] = u
	return nil
}

func (w *World) passwordTokenForUser(ctx context.Context, label, scope string) error {
	u, ok := w.admin.users[label]
	if !ok {
		return fmt.Errorf("no user %q was created in this scenario", label)
	}
	creds, auth, err := w.creds("password")
	if err != nil {
		return err
	}
	resp, err := oauthclient.TokenRequest{Endpoint: w.p.Endpoints.Token, GrantType: "password", Scope: scope,
		Username: u.Username, Password: u.Password, Client: creds, AuthMethod: auth}.Send(ctx, w.http)
	if err != nil {
		return err
	}
	w.keepToken(resp)
	return oauthclient.ExpectTokenResponse(resp)
}

// adminCreatesLookalikeUser tries to make a resource owner whose name is the registered
// client's id, or its service user's ("client:<id>"): RFC 9700 4.15 "the authorization server
// [...] MUST NOT allow clients to influence their client_id or any claim that could cause
// confusion with a genuine resource owner".
func (w *World) adminCreatesLookalikeUser(ctx context.Context, which, group string) error {
	if w.admin.clientID == "" {
		return fmt.Errorf("no client was registered in this scenario")
	}
	name := w.admin.clientID
	if which == "service user" {
		name = "client:" + w.admin.clientID
	}
	resp, err := w.adminAPI(ctx, http.MethodPost, "/admin/api/users", map[string]any{
		"username": name, "password": "Pw-" + oauthclient.RandomString(20), "groups": []string{group}})
	if err != nil {
		return err
	}
	w.last = resp
	if which == "id" {
		return oauthclient.ExpectStatus(resp, http.StatusCreated)
	}
	return nil
}

func (w *World) adminAPIRefuses(field string) error {
	r, err := w.lastResp()
	if err != nil {
		return err
	}
	if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusConflict {
		return oauthclient.Failf(r, "expected the admin API to refuse the request (400, 409 or 422), got %d", r.Status)
	}
	var body struct {
		Fields map[string]string `json:"fields"`
	}
	_ = json.Unmarshal(r.Exchange.ResponseBody, &body)
	if _, ok := body.Fields[field]; !ok && !strings.Contains(string(r.Exchange.ResponseBody), `"`+field+`"`) {
		return oauthclient.Failf(r, "expected the refusal to name the field %q", field)
	}
	return nil
}

// auditRecord is the part of an audit line the scenarios look at.
type auditRecord struct {
	Event     string `json:"event"`
	Outcome   string `json:"outcome"`
	ClientID  string `json:"client_id"`
	User      string `json:"user"`
	Reason    string `json:"reason"`
	Operation string `json:"operation"`
}

// auditHas waits (up to the request timeout: the admin handler logs a change after it has
// answered) for a matching line in the embedded server's audit log.
func (w *World) auditHas(ctx context.Context, event, outcome, whom, reason string) error {
	if w.env.AuditLog == nil {
		return fmt.Errorf("the audit log is not available: the target is not the embedded reference server")
	}
	match := func(r auditRecord) bool {
		if r.Event != event || r.Outcome != outcome {
			return false
		}
		if reason != "" && !strings.HasPrefix(r.Reason, reason+":") {
			return false
		}
		switch {
		case whom == "the registered client":
			return r.ClientID == w.admin.clientID
		case whom == "the client-credentials client":
			c, err := w.client("client credentials")
			return err == nil && r.ClientID == c.ID
		case strings.HasPrefix(whom, "the user "):
			u := w.admin.users[strings.Trim(strings.TrimPrefix(whom, "the user "), `"`)]
			return u.Username != "" && r.User == u.Username
		default:
			return r.Operation == strings.Trim(whom, `"`)
		}
	}
	timeout := w.p.Timeouts.Request
	if timeout <= 0 {
		timeout = profile.DefaultRequestTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		sc := bufio.NewScanner(bytes.NewReader(w.env.AuditLog()))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			var r auditRecord
			if json.Unmarshal(sc.Bytes(), &r) == nil && match(r) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			want := event + " " + outcome
			if reason != "" {
				want += " with reason " + reason
			}
			return fmt.Errorf("expected an audit log line %s for %s within %s, found none", want, whom, timeout)
		case <-tick.C:
		}
	}
}
