package steps

import (
	"context"
	"fmt"
	"net/url"

	"github.com/cucumber/godog"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
	"github.com/oauthconf/oauthconf/steps/report"
)

// Warnings about behaviour that no RFC sentence makes the server's fault. The sentences these
// scenarios quote bind the client (RFC 6749 2.3.1 "MUST NOT be included in the request URI",
// 3.2 "The client MUST use the HTTP "POST" method", 3.1 "MUST NOT be included more than
// once", RFC 7636 4.2's syntax of the challenge) or name a default (RFC 8414 3 "By default"):
// a server that refuses such a request is fine, and one that accepts it breaks no sentence, so
// the scenario passes with a WARNING attached (a text/plain attachment starting with
// report.WarningPrefix, as the @warning scenarios of RFC 9700 attach theirs).

func (w *World) registerWarnings(sc stepAdder) {
	sc.Step(`^the report warns if the token endpoint issued an access token: (.+)$`, w.warnsIfTokenIssued)
	sc.Step(`^the report warns if the client received an authorization code: (.+)$`, w.warnsIfCodeReceived)
	sc.Step(`^the metadata is at the RFC 8414 well-known URL, or the report warns where it is$`, w.rfc8414OrWarn)
}

func warnAttach(ctx context.Context, text string) context.Context {
	return godog.Attach(ctx, godog.Attachment{Body: []byte(report.WarningPrefix + text), FileName: "warning.txt", MediaType: "text/plain"})
}

// warnsIfTokenIssued: any answer without a token is a refusal (a 4xx with or without an OAuth
// error, a 405 for a GET); a token is the server accepting what the client should not have
// sent: a warning.
func (w *World) warnsIfTokenIssued(ctx context.Context, text string) (context.Context, error) {
	r := w.last
	if r == nil {
		return ctx, fmt.Errorf("no request was sent")
	}
	if r.Status >= 200 && r.Status < 300 && r.AccessToken() != "" {
		return warnAttach(ctx, fmt.Sprintf("%s (the token endpoint answered HTTP %d with an access token)", text, r.Status)), nil
	}
	return ctx, nil
}

// warnsIfCodeReceived: an error redirect, an error page, or no redirect at all is a refusal; a
// code or token at the client is the server taking one of the values and going on: a warning.
// One case stays a failure (RFC 6749 3.1.2.4, 4.1.2.1): with redirect_uri repeated, a code
// delivered to a URI that is not the client's registered one.
func (w *World) warnsIfCodeReceived(ctx context.Context, text string) (context.Context, error) {
	if err := w.requireAuthResp(); err != nil {
		return ctx, err
	}
	a := w.authResp
	if !a.reached {
		return ctx, nil
	}
	issued := ""
	for _, leak := range []string{"code", "access_token"} {
		if a.params.Get(leak) != "" || a.query.Get(leak) != "" || a.fragment.Get(leak) != "" {
			issued = leak
			break
		}
	}
	if issued == "" {
		return ctx, nil
	}
	if u, err := url.Parse(w.authReq.String()); err == nil && len(u.Query()["redirect_uri"]) > 1 {
		registered, err := w.redirectURIFor(w.authRole)
		if err != nil {
			return ctx, err
		}
		// The user agent reached the requested URI (authResponse.reached): the code went there.
		if at := w.requestedRedirect(); at != registered {
			return ctx, w.authFail("the server issued %s to %s, which is not the client's registered redirect URI %s (RFC 6749 3.1.2.4)", issued, redactedURL(at), redactedURL(registered))
		}
	}
	return warnAttach(ctx, fmt.Sprintf("%s (the client received %s)", text, issued)), nil
}

// rfc8414OrWarn: RFC 8414 3 names "/.well-known/oauth-authorization-server" as the default and
// lets "Different applications utilizing OAuth authorization servers in application-specific
// ways [...] define and register different well-known URI suffixes" (OpenID discovery's is
// one); RFC 9700 2.6 recommends publishing the metadata, which the target does. A target that
// publishes metadata elsewhere passes with a warning; one that publishes none fails.
func (w *World) rfc8414OrWarn(ctx context.Context) (context.Context, error) {
	r := w.last
	if r == nil {
		return ctx, fmt.Errorf("no request was sent")
	}
	if r.Status == 200 && oauthclient.ExpectJSON(r) == nil {
		return ctx, nil
	}
	u, _ := w.rfc8414URL()
	if w.p.MetadataURL != "" && w.p.MetadataURL != u {
		return warnAttach(ctx, fmt.Sprintf("the metadata is published at %s, not at the RFC 8414 default well-known URL %s (HTTP %d there); clients that only know RFC 8414's default will not find it", w.p.MetadataURL, u, r.Status)), nil
	}
	return ctx, oauthclient.Failf(r, "expected the metadata at the RFC 8414 well-known URL %s (HTTP 200, JSON), got HTTP %d, and the target publishes no metadata elsewhere", u, r.Status)
}
