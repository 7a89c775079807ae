package oauthclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every value of a token response is redacted in the reports, whatever its name, and wherever
// it appears again.
func TestTokenResponseRedactedWhateverItsName(t *testing.T) {
	const (
		offline = "offline-9f8e7d6c5b4a3928"
		session = "sess/+=7d6c5b4a39281706"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			_, _ = w.Write([]byte(`{"access_token":"at-0123456789","token_type":"Bearer","expires_in":3600,"scope":"read","offline_token":"` + offline + `","x_session":"` + session + `"}`))
			return
		}
		_, _ = w.Write([]byte(`{"echo":"` + r.URL.RawQuery + `"}`))
	}))
	defer srv.Close()
	c := New(0)
	r, err := c.Get(context.Background(), srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	text := r.Exchange.String()
	for _, secret := range []string{offline, session, "at-0123456789"} {
		if strings.Contains(text, secret) {
			t.Errorf("the token response's rendering shows %q:\n%s", secret, text)
		}
	}
	for _, public := range []string{`"token_type":"Bearer"`, `"expires_in":3600`, `"scope":"read"`, `"offline_token":"[redacted]"`} {
		if !strings.Contains(text, public) {
			t.Errorf("the rendering lost %s:\n%s", public, text)
		}
	}
	// Sent again under a name no list knows, in the URL: still redacted, raw and encoded.
	r2, err := c.Get(context.Background(), srv.URL+"/other?subject="+offline+"&s="+strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(session))
	if err != nil {
		t.Fatal(err)
	}
	if text := r2.Exchange.String(); strings.Contains(text, offline) || strings.Contains(text, "7d6c5b4a39281706") {
		t.Errorf("a value from a token response shows again:\n%s", text)
	}
}

// An implicit response in a fragment is a token response: every value but the public ones is
// redacted, whatever its name.
func TestFragmentRedactedWhateverItsName(t *testing.T) {
	ex := &Exchange{Method: "GET", URL: "http://127.0.0.1:5/cb#access_token=at-1&token_type=Bearer&state=st&rt=secret-value-123&expires_in=60"}
	line, _, _ := strings.Cut(ex.String(), "\n")
	if strings.Contains(line, "secret-value-123") || strings.Contains(line, "at-1") {
		t.Errorf("fragment not redacted: %s", line)
	}
	for _, public := range []string{"token_type=Bearer", "state=st", "expires_in=60"} {
		if !strings.Contains(line, public) {
			t.Errorf("the rendering lost %s: %s", public, line)
		}
	}
}

func TestRedactText(t *testing.T) {
	got := RedactText("Redirect received\ncode=ory_ac_abc.def&iss=http%3A%2F%2Fx&state=s1 access_token=at-1")
	if strings.Contains(got, "ory_ac_abc") || strings.Contains(got, "at-1") || !strings.Contains(got, "state=s1") {
		t.Errorf("RedactText: %s", got)
	}
}
