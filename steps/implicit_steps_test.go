package steps

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/profile"
	"github.com/oauthconf/oauthconf/steps/verdict"
)

// An implicit response must not carry a refresh token, whatever the server calls it: a
// token-like value is tried at the token endpoint; taken as a refresh token, it fails.
func TestImplicitRefreshTokenWhateverItsName(t *testing.T) {
	const hidden = "rt-9f8e7d6c5b4a39281706"
	var accepts bool
	w := fakeTarget(t, func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		if accepts && r.FormValue("grant_type") == "refresh_token" && r.FormValue("refresh_token") == hidden {
			_, _ = rw.Write([]byte(`{"access_token":"at-2","token_type":"Bearer"}`))
			return
		}
		rw.WriteHeader(400)
		_, _ = rw.Write([]byte(`{"error":"invalid_grant"}`))
	})
	w.p.Clients["implicit"] = profile.Client{ID: "imp", RedirectURI: "http://127.0.0.1/cb"}
	w.authRole = "implicit"
	respond := func(fragment string) {
		v, _ := url.ParseQuery(fragment)
		w.authResp = &authResponse{via: "browser", reached: true, params: v, fragment: v, query: url.Values{}}
	}
	warned := func(ctx context.Context) bool {
		// godog keeps attachments in the context: a warning was attached if any is there.
		return len(godog.Attachments(ctx)) > 0
	}

	respond("access_token=at-1&token_type=Bearer&state=s&expires_in=3600")
	if ctx, err := w.noRefreshTokenInImplicitResponse(context.Background()); err != nil || warned(ctx) {
		t.Fatalf("a plain implicit response: %v (warned %v)", err, warned(ctx))
	}
	respond("access_token=at-1&token_type=Bearer&refresh_token=r1")
	if _, err := w.noRefreshTokenInImplicitResponse(context.Background()); err == nil || !strings.Contains(err.Error(), "MUST NOT issue a refresh token") {
		t.Fatalf("refresh_token by name: %v", err)
	}
	respond("access_token=at-1&token_type=Bearer&offline=" + hidden)
	ctx, err := w.noRefreshTokenInImplicitResponse(context.Background())
	if err != nil || !warned(ctx) {
		t.Fatalf("a token-like value the token endpoint refuses: want a warning, got %v (warned %v)", err, warned(ctx))
	}
	accepts = true
	_, err = w.noRefreshTokenInImplicitResponse(context.Background())
	var v *verdict.Error
	if err == nil || errors.As(err, &v) || !strings.Contains(err.Error(), `"offline"`) {
		t.Fatalf("a token-like value the token endpoint takes as a refresh token: %v", err)
	}
	if strings.Contains(err.Error(), hidden) {
		t.Errorf("the report shows the refresh token: %v", err)
	}
}
