package refserver

import (
	"net/http"
	"testing"
)

// Issue 16 item 7: the login binding cookie is rotated at sign-in, so a login form token from
// before the sign-in no longer passes.
func TestLoginBindingIsRotatedAtSignIn(t *testing.T) {
	e := newAZEnv(t, nil)
	cheapPasswords(t, e.srv.db)
	b := e.browser(t)
	page := b.get(e.issuer + PathLogin)
	_, before := page.form(t)
	if p := b.login(page, "bob", "bob-Secret-2"); p.resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: status %d", p.resp.StatusCode)
	}
	// The old form (token bound to the old cookie) is refused now.
	before.Set("username", "bob")
	before.Set("password", "bob-Secret-2")
	if p := b.post(e.issuer+PathLogin, before); p.resp.StatusCode != http.StatusForbidden {
		t.Errorf("the login form from before the sign-in: expected 403, got %d", p.resp.StatusCode)
	}
}
