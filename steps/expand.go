package steps

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/oauthconf/oauthconf/steps/verdict"
)

var placeholderRe = regexp.MustCompile(`\{([a-z_-]+)\}`)

// expand replaces the {placeholders} of a feature file value with the target's values, so
// that the features never name a particular server's clients, scopes or ports.
func (w *World) expand(s string) (string, error) {
	var problems []error
	out := placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		v, err := w.placeholder(name)
		if err != nil {
			problems = append(problems, err)
			return m
		}
		return v
	})
	if len(problems) > 0 {
		// Missing profile data ends the scenario as not applicable, in whichever step meets it.
		return "", asNotApplicable(errors.Join(problems...))
	}
	return out, nil
}

// unknownScopeKnown ends a scenario whose {unknown-scope} the server granted and named: RFC
// 6749 3.3 lets the server define its scopes, so the profile's "unknown" scope is known to this
// server, and the scenario judged nothing.
func unknownScopeKnown(raw, scope, granted string) error {
	if strings.Contains(raw, "{unknown-scope}") && scopeSet(granted)[scope] {
		return verdict.Inconclusive("the server granted the profile's unknown scope %q and named it (granted scope %q): the scope is known to this server (RFC 6749 3.3 lets the server define its scopes); name another in scopes.unknown", scope, granted)
	}
	return nil
}

// notApplicableValue is a placeholder the scenario cannot fill honestly: the profile lacks the
// data (scopes.not_allowed), or the variant is the same URI as the registered one. A step that
// meets it ends the scenario as not applicable (see asNotApplicable), never as a failure.
type notApplicableValue struct{ reason string }

func (e *notApplicableValue) Error() string { return e.reason }

// asNotApplicable turns an expansion error caused by missing profile data into a
// not-applicable verdict; any other error is returned as it is.
func asNotApplicable(err error) error {
	var na *notApplicableValue
	if errors.As(err, &na) {
		return verdict.NotApplicable("%s", na.reason)
	}
	return err
}

func (w *World) placeholder(name string) (string, error) {
	scopes := w.p.Scopes
	pick := func(list []string, i int, field string) (string, error) {
		if len(list) <= i {
			return "", &notApplicableValue{fmt.Sprintf("{%s} needs at least %d value(s) in the profile's %s", name, i+1, field)}
		}
		return list[i], nil
	}
	switch name {
	case "state":
		return w.state, nil
	case "code_verifier":
		return w.verifier, nil
	case "issuer":
		if w.p.Issuer == "" {
			return "", fmt.Errorf("{issuer}: the profile has no issuer")
		}
		return w.p.Issuer, nil
	case "username":
		return w.p.ValidUser().Username, nil
	case "allowed-scope":
		if s := w.p.DefaultScope(); s != "" {
			return s, nil
		}
		return pick(scopes.Allowed, 0, "scopes.allowed")
	case "other-allowed-scope":
		if s := w.p.OtherAllowedScope(); s != "" {
			return s, nil
		}
		return pick(scopes.Allowed, 1, "scopes.allowed")
	case "not-allowed-scope":
		return pick(scopes.NotAllowed, 0, "scopes.not_allowed")
	case "unknown-scope":
		return pick(scopes.Unknown, 0, "scopes.unknown")
	case "made-up-scope":
		// A scope value only meant to be odd (a second error beside an invalid redirect URI),
		// not a claim that the server does not know it.
		if len(scopes.Unknown) > 0 {
			return scopes.Unknown[0], nil
		}
		return "urn:oauthconf:no-such-scope", nil
	case "refresh-scope":
		return scopes.Refresh, nil
	case "authorization-endpoint":
		return w.p.Endpoints.Authorization, nil
	case "token-endpoint":
		return w.p.Endpoints.Token, nil
	case "introspection-endpoint":
		return w.p.Endpoints.Introspection, nil
	case "revocation-endpoint":
		return w.p.Endpoints.Revocation, nil
	}
	if strings.HasPrefix(name, "callback") {
		return w.callbackVariant(name)
	}
	if role, ok := strings.CutSuffix(name, "-client-id"); ok {
		c, err := w.client(strings.ReplaceAll(role, "-", " "))
		if err != nil {
			return "", err
		}
		return c.ID, nil
	}
	return "", fmt.Errorf("unknown placeholder {%s}", name)
}

// callbackVariant is the redirect URI of the current authorization request's client, or a
// variant of it for the exact-matching checks.
func (w *World) callbackVariant(name string) (string, error) {
	role := w.authRole
	if role == "" {
		role = "confidential"
	}
	raw, err := w.redirectURIFor(role)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(raw)
	switch name {
	case "callback":
		return u.String(), nil
	case "callback-origin":
		return u.Scheme + "://" + u.Host, nil
	case "callback-https":
		u.Scheme = "https"
		return u.String(), nil
	case "callback-host-suffix":
		// Another host that ends with the registered one: a server matching hosts by suffix
		// (a real bug) takes it for the registered host.
		u.Host = "evil." + u.Host
		return u.String(), nil
	case "callback-localhost":
		if strings.EqualFold(u.Hostname(), "localhost") {
			return "", &notApplicableValue{"the registered redirect URI already uses the host localhost, so this variant is the registered URI"}
		}
		u.Host = "localhost:" + u.Port()
		return u.String(), nil
	}
	return w.redirectVariant(name, u) // redirect_steps.go: the confusion variants (issue 17)
}

// joinScopes joins scope strings into one scope value as RFC 6749 3.3 writes it: "a list of
// space-delimited, case-sensitive strings", each once, in the order first seen, with no empty
// entry (an unset scopes.refresh must not turn "read" and "write" into "read  write").
func joinScopes(parts ...string) string {
	var out []string
	seen := map[string]bool{}
	for _, p := range parts {
		for _, s := range strings.Fields(p) {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, " ")
}

// scopeSet splits a scope string (RFC 6749 3.3: space-delimited, order does not matter).
func scopeSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

func sameScopes(a, b string) bool {
	sa, sb := scopeSet(a), scopeSet(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
