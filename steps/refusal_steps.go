package steps

import (
	"context"

	"github.com/oauthconf/oauthconf/steps/oauthclient"
)

// The World's side of oauthclient.JudgeRefusal: every step that names an error code builds its
// expectation here and attaches the warnings the judgement gives (warnAttach), so a code the
// RFCs allow but do not name passes the protection with a WARNING instead of a FAIL.

// expectRefusal is the expectation of a refusal at endpoint with codes (none: any code). The
// first code is held exactly when a sentence the scenario is tagged with requires it with MUST
// (oauthclient.Mandates: RFC 7636 4.4.1, 4.6).
func (w *World) expectRefusal(endpoint oauthclient.Endpoint, codes ...string) oauthclient.Expectation {
	e := oauthclient.Expectation{Endpoint: endpoint}
	for _, c := range codes {
		if c != "" {
			e.Codes = append(e.Codes, c)
		}
	}
	if len(e.Codes) > 0 {
		e.Mandate = oauthclient.MandateFor(w.requirements, e.Codes[0])
	}
	return e
}

// judgeRefusal judges r as a refusal the scenario expects (both parts) and attaches the
// warnings.
func (w *World) judgeRefusal(ctx context.Context, r *oauthclient.Response, e oauthclient.Expectation) (context.Context, error) {
	j := oauthclient.JudgeRefusal(r, e)
	if j.Fail != nil {
		return ctx, j.Fail
	}
	for _, text := range j.Warnings {
		ctx = warnAttach(ctx, text)
	}
	return ctx, nil
}

// endpointNamed maps a step's "token", "revocation" or "introspection" to its Endpoint.
func endpointNamed(name string) oauthclient.Endpoint {
	switch name {
	case "revocation":
		return oauthclient.RevocationEndpoint
	case "introspection":
		return oauthclient.IntrospectionEndpoint
	}
	return oauthclient.TokenEndpoint
}
