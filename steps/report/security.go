package report

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/oauthconf/oauthconf/steps/profile"
)

// The security view reads the same outcomes as the RFC matrix from the other side: for each
// attack of RFC 9700 (the OAuth 2.0 Security Best Current Practice, January 2025) section 4,
// whether the scenarios that bear on the authorization server's part of its countermeasures
// passed. It adds no verdict of its own: an attack is "mitigated" only as far as the scenarios
// that ran observed it, and the view lists them, so a reader can check every mark.

// The marks an attack can get.
const (
	// Mitigated: every scenario that bears on it passed or was not applicable (at least one
	// passed); one that was inconclusive or blocked makes it Undetermined instead.
	Mitigated = "mitigated"
	// PartlyMitigated: no MUST scenario that bears on it failed, but one at SHOULD or MAY did
	// (or one without a level): the defence the RFC requires holds, a recommended one is missing.
	PartlyMitigated = "partly_mitigated"
	// NotMitigated: a MUST scenario that bears on it failed: a countermeasure the RFC requires
	// is missing, so the attack has a way through whatever else passed.
	NotMitigated = "not_mitigated"
	// NotApplicable: the target does not offer what the attack needs (every scenario that bears
	// on it was not applicable), or the countermeasures are the client's alone.
	NotApplicable_ = "not_applicable"
	// Undetermined: not (wholly) observed: the suite has no check of the server's part, or a
	// check that bears on it was inconclusive or blocked and none failed. Never read as mitigated.
	Undetermined = "undetermined"
)

// Security is the security view of a run (conformance.json "security").
type Security struct {
	Source  string   `json:"source"`
	Counts  []Count  `json:"counts"`
	Attacks []Attack `json:"attacks"`
	// Deprecated lists the features RFC 9700 deprecates and whether the target still offers
	// each; the headline names the offered ones.
	Deprecated []Deprecated `json:"deprecated"`
	// Fixes are the failed requirements ranked by how many attacks fixing them would close.
	Fixes []Fix `json:"fixes,omitempty"`
}

// Count is how many attacks got a mark.
type Count struct {
	Mark string `json:"mark"`
	N    int    `json:"n"`
}

// Attack is one attack of RFC 9700 section 4 and its mark.
type Attack struct {
	Section string `json:"section"` // "4.1"
	Title   string `json:"title"`
	Mark    string `json:"mark"`
	// Why says what the mark rests on: the counts, or why nothing bears on it.
	Why string `json:"why"`
	// ServerPart is what RFC 9700 asks of the authorization server (or resource server)
	// against this attack, in the RFC's words where it has them.
	ServerPart string        `json:"server_part"`
	Scenarios  []ScenarioRef `json:"scenarios,omitempty"`
}

// Deprecated is a feature RFC 9700 tells servers and clients to leave.
type Deprecated struct {
	Feature string `json:"feature"`
	Offered bool   `json:"offered"`
	// Ground is the RFC sentence that deprecates it.
	Ground string `json:"ground"`
	// Evidence says how the suite knows (the profile, the metadata or a scenario).
	Evidence string `json:"evidence"`
}

// Fix is a failed requirement and the attacks its failures leave open.
type Fix struct {
	Requirement string `json:"requirement"`
	Level       string `json:"level"`
	// Quote is the requirement's sentence, as the first failing scenario quotes it.
	Quote string `json:"quote,omitempty"`
	// Closes are the attacks that would be mitigated by this fix alone (every failure that
	// bears on them is of this requirement).
	Closes []string `json:"closes"`
	// Bears are all the attacks its failures bear on.
	Bears     []string `json:"bears"`
	Scenarios []string `json:"scenarios"`
}

// Headline is one line naming the deprecated features the target still offers.
func (s *Security) Headline() string {
	var offered []string
	for _, d := range s.Deprecated {
		if d.Offered {
			offered = append(offered, d.Feature)
		}
	}
	if len(offered) == 0 {
		return "deprecated features offered: none of " + fmt.Sprint(len(s.Deprecated)) + " checked"
	}
	return "deprecated features still offered: " + strings.Join(offered, "; ")
}

// CountLine is "3 mitigated, 1 partly mitigated, ...".
func (s *Security) CountLine() string {
	var parts []string
	for _, c := range s.Counts {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, MarkLabel(c.Mark)))
	}
	return strings.Join(parts, ", ")
}

// MarkLabel is a mark as printed.
func MarkLabel(mark string) string { return strings.ReplaceAll(mark, "_", " ") }

// evidence selects the scenarios that bear on an attack: those with any of Tags (a tag
// "RFC9700-4.1" also matches its subsections' tags, RFC9700-4.1.3), restricted, when Name is
// set, to those whose name matches it.
type evidence struct {
	Tags []string
	Name *regexp.Regexp
}

// attackDef is an attack of RFC 9700 section 4 and how the suite sees the server's part.
type attackDef struct {
	Section, Title, ServerPart string
	Evidence                   []evidence
	// Outside, when set, is why no scenario can bear on it: the mark is Undetermined, or
	// NotApplicable when ClientOnly.
	Outside    string
	ClientOnly bool
}

func rx(s string) *regexp.Regexp { return regexp.MustCompile(`(?i)` + s) }

// The attacks of RFC 9700 section 4. Every scenario tagged @RFC9700-4.N (or a subsection)
// bears on attack 4.N without being listed here; the evidence lists the other requirements
// whose scenarios test a countermeasure the section names. The names of scenarios are matched
// by pattern where a requirement tag covers more than the countermeasure (RFC 6749 4.1.2 holds
// both the single use of codes and the state's echo). TestSecurityEvidenceMatchesScenarios
// checks that every pattern still matches a scenario of the features.
var attackDefs = []attackDef{
	{Section: "4.1", Title: "Insufficient redirect URI validation",
		ServerPart: "RFC 9700 2.1: \"When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize exact string matching except for port numbers in `localhost` redirection URIs of native apps (see Section 4.1.3).\"",
		Evidence: []evidence{
			{Tags: []string{"RFC6749-3.1.2.2", "RFC6749-3.1.2.3", "RFC6749-3.1.2.4", "RFC8252-7.3"}},
			// RFC 9700 2.1 also holds the open redirectors, which are attack 4.11's.
			{Tags: []string{"RFC9700-2.1"}, Name: rx(`redirect uri|attacker's uri`)},
			{Tags: []string{"RFC6749-3.1.2"}, Name: rx(`redirect uri`)},
		}},
	{Section: "4.2", Title: "Credential leakage via Referer headers",
		ServerPart: `RFC 9700 4.2.4: "The page rendered as a result of the OAuth authorization response and the authorization endpoint SHOULD NOT include third-party resources or links to external sites."; and codes invalidated after their first use (RFC 6749 4.1.2), which 4.2.4 names as a further measure`,
		Evidence: []evidence{
			{Tags: []string{"RFC6749-4.1.2", "RFC6749-10.5"}, Name: rx(`reused authorization code|parallel redemptions`)},
		}},
	{Section: "4.3", Title: "Credential leakage via browser history",
		ServerPart: `codes refused when used more than once (RFC 6749 4.1.2) and access tokens kept out of URLs (RFC 9700 4.3: the countermeasures it names)`,
		Evidence: []evidence{
			{Tags: []string{"RFC6749-4.1.2", "RFC6749-10.5"}, Name: rx(`reused authorization code|parallel redemptions`)},
			{Tags: []string{"RFC6749-4.2.2"}, Name: rx(`fragment, not the query`)},
		}},
	{Section: "4.4", Title: "Mix-up attacks",
		ServerPart: `the issuer named in the authorization response (RFC 9207 iss), so that a client of several authorization servers can tell which one answered (RFC 9700 4.4)`,
		Evidence: []evidence{
			{Tags: []string{"RFC9207-2", "RFC9207-2.3"}},
		}},
	{Section: "4.5", Title: "Authorization code injection",
		ServerPart: "RFC 9700 2.1.1: \"If a client sends a valid PKCE `code_challenge` parameter in the authorization request, the authorization server MUST enforce the correct usage of `code_verifier` at the token endpoint.\"; and codes bound to the client and the redirect URI (RFC 6749 4.1.3)",
		Evidence: []evidence{
			{Tags: []string{"RFC7636-4.5", "RFC7636-4.6"}},
			{Tags: []string{"RFC9700-2.1.1"}, Name: rx(`code issued with a challenge|verifier`)},
			{Tags: []string{"RFC6749-4.1.3"}},
		}},
	{Section: "4.6", Title: "Access token injection",
		ServerPart: `none that the server can show: the countermeasures (the OpenID Connect at_hash, sender-constrained tokens) are checked by the client`,
		Outside:    "an attack on the client: its countermeasures are the client's to check",
		ClientOnly: true},
	{Section: "4.7", Title: "Cross-site request forgery",
		ServerPart: `RFC 6749 10.12: "The authorization server MUST implement CSRF protection for its authorization endpoint and ensure that a malicious client cannot obtain authorization without the awareness and explicit consent of the resource owner."; and state returned exactly (RFC 6749 4.1.2), on which clients' CSRF protection rests`,
		Evidence: []evidence{
			{Tags: []string{"RFC6749-10.12"}},
			{Tags: []string{"RFC6749-4.1.2"}, Name: rx(`state is echoed|state comes back`)},
		}},
	{Section: "4.8", Title: "PKCE downgrade attack",
		ServerPart: "RFC 9700 2.1.1: \"Authorization servers MUST mitigate PKCE downgrade attacks by ensuring that a token request containing a `code_verifier` parameter is accepted only if a `code_challenge` parameter was present in the authorization request; see Section 4.8.2 for details.\"",
		Evidence: []evidence{
			{Tags: []string{"RFC9700-2.1.1"}, Name: rx(`downgrade|keeps needing its verifier`)},
		}},
	{Section: "4.9", Title: "Access token leakage at the resource server",
		ServerPart: `audience-restricted or sender-constrained access tokens (RFC 9700 4.9, 4.10)`,
		Outside:    "the suite does not yet check audience restriction (RFC 8707) or sender-constrained tokens"},
	{Section: "4.10", Title: "Misuse of stolen access tokens",
		ServerPart: `privilege restriction (RFC 9700 4.10): tokens no wider than what was granted and refused where their scope does not reach; the suite checks scopes, not yet audience restriction or sender-constraining`,
		Evidence: []evidence{
			{Tags: []string{"RFC6749-3.3"}},
			{Tags: []string{"RFC6750-3.1"}, Name: rx(`required scope`)},
			// RFC 6750 5.3: short-lived bearer tokens limit what a stolen one is worth.
			{Tags: []string{"RFC6750-5.3"}},
		}},
	{Section: "4.11", Title: "Open redirection",
		ServerPart: `RFC 9700 2.1: "Clients and authorization servers MUST NOT expose URLs that forward the user's browser to arbitrary URIs obtained from a query parameter (open redirectors) as described in Section 4.11."; and no redirect to an unregistered redirect URI (RFC 6749 4.1.2.1)`,
		Evidence: []evidence{
			{Tags: []string{"RFC6749-4.1.2.1", "RFC6749-3.1.2.4", "RFC9700-2.1"}, Name: rx(`not redirected|not followed|rather than followed|does not forward`)},
		}},
	{Section: "4.12", Title: "307 redirect",
		ServerPart: `RFC 9700 4.12: "Authorization servers that redirect a request that potentially contains the user's credentials therefore MUST NOT use the HTTP 307 status code for redirection."`},
	{Section: "4.13", Title: "TLS terminating reverse proxies",
		ServerPart: `a TLS-terminating proxy in front of the server removes from incoming requests the headers it sets itself (RFC 9700 4.13)`,
		Outside:    "inside the deployment: not observable from the outside"},
	{Section: "4.14", Title: "Refresh token protection",
		ServerPart: `RFC 9700 2.2.2: "Refresh tokens for public clients MUST be sender-constrained or use refresh token rotation as described in Section 4.14."; and refresh tokens bound to their client, with no wider scope on refresh (RFC 6749 6, 10.4)`,
		Evidence: []evidence{
			{Tags: []string{"RFC9700-2.2.2", "RFC6749-10.4"}},
			{Tags: []string{"RFC6749-6"}, Name: rx(`another client|wrong client secret|unknown client_id|does not authenticate|more than the original scope|wider scope`)},
		}},
	{Section: "4.15", Title: "Client impersonating resource owner",
		ServerPart: `clients kept from choosing a client_id or other claim that could be taken for a resource owner's (RFC 9700 4.15)`,
		Outside:    "a matter of client registration policy, which the suite does not exercise"},
	{Section: "4.16", Title: "Clickjacking",
		ServerPart: `RFC 9700 4.16: "Authorization servers MUST prevent clickjacking attacks. Multiple countermeasures are described in [RFC6819], including the use of the X-Frame-Options HTTP response header field and frame-busting JavaScript."`},
	{Section: "4.17", Title: "Attacks on in-browser communication flows",
		ServerPart: `exact origin checks where the authorization response is passed between windows with postMessage (RFC 9700 4.17)`,
		Outside:    "the suite does not use response modes that post messages between windows"},
}

// sectionOf is the attack section a RFC 9700 requirement tag falls under: "RFC9700-4.14.2" ->
// "4.14"; "" when the tag is not of section 4.
func sectionOf(req string) string {
	rest, ok := strings.CutPrefix(req, "RFC9700-4.")
	if !ok {
		return ""
	}
	n, _, _ := strings.Cut(rest, ".")
	return "4." + n
}

func (e evidence) matches(s *Scenario) bool {
	hit := false
	for _, r := range s.Requirements {
		for _, t := range e.Tags {
			if r == t || strings.HasPrefix(r, t+".") {
				hit = true
			}
		}
	}
	return hit && (e.Name == nil || e.Name.MatchString(s.Name))
}

func (d attackDef) bears(s *Scenario) bool {
	for _, r := range s.Requirements {
		if sectionOf(r) == d.Section {
			return true
		}
	}
	for _, e := range d.Evidence {
		if e.matches(s) {
			return true
		}
	}
	return false
}

// BuildSecurity derives the security view from the scenarios' outcomes and the profile.
func BuildSecurity(scenarios []Scenario, p *profile.Profile) *Security {
	sec := &Security{Source: "RFC 9700 section 4", Attacks: []Attack{}}
	failed := map[string][]*Scenario{} // attack -> its failed scenarios
	for _, d := range attackDefs {
		a := Attack{Section: d.Section, Title: d.Title, ServerPart: d.ServerPart}
		var pass, fail, mustFail, unobserved, na int
		for i := range scenarios {
			s := &scenarios[i]
			if !d.bears(s) {
				continue
			}
			a.Scenarios = append(a.Scenarios, ScenarioRef{ID: s.ID, Name: s.Name, Location: s.Location,
				Level: s.Level, Outcome: s.Outcome, Message: s.refMessage()})
			switch s.Outcome {
			case Pass:
				pass++
			case Fail, Waived:
				// A waiver accepts the deviation for the conformance verdict; the attack is
				// still open.
				fail++
				if s.Level == "MUST" {
					mustFail++
				}
				failed[d.Section] = append(failed[d.Section], s)
			case NotApplicable:
				na++
			default:
				unobserved++
			}
		}
		counts := countPhrase(pass, fail, mustFail, unobserved, na)
		switch {
		case len(a.Scenarios) == 0 && d.ClientOnly:
			a.Mark, a.Why = NotApplicable_, d.Outside
		case len(a.Scenarios) == 0 && d.Outside != "":
			a.Mark, a.Why = Undetermined, d.Outside
		case len(a.Scenarios) == 0:
			a.Mark, a.Why = Undetermined, "no scenario of this run bears on it (a run restricted by --tags?)"
		case mustFail > 0:
			a.Mark, a.Why = NotMitigated, counts
		case fail > 0:
			a.Mark, a.Why = PartlyMitigated, counts
		case unobserved > 0:
			// Part of it was not observed: passes alone do not make it mitigated.
			a.Mark, a.Why = Undetermined, counts
		case pass > 0:
			a.Mark, a.Why = Mitigated, counts
		default:
			a.Mark = NotApplicable_
			a.Why = "every scenario that bears on it was not applicable to this target: " + firstReason(a.Scenarios)
		}
		sec.Attacks = append(sec.Attacks, a)
	}
	for _, m := range []string{Mitigated, PartlyMitigated, NotMitigated, NotApplicable_, Undetermined} {
		n := 0
		for _, a := range sec.Attacks {
			if a.Mark == m {
				n++
			}
		}
		sec.Counts = append(sec.Counts, Count{Mark: m, N: n})
	}
	sec.Deprecated = deprecated(scenarios, p)
	sec.Fixes = fixes(sec.Attacks, failed)
	return sec
}

// countPhrase is "12 pass, 1 fail, 2 could not observe": the counts a mark rests on, the zero
// ones left out (the pass count always shown).
func countPhrase(pass, fail, mustFail, unobserved, na int) string {
	parts := []string{fmt.Sprintf("%d pass", pass)}
	if fail > 0 {
		parts = append(parts, fmt.Sprintf("%d fail (%d at MUST)", fail, mustFail))
		fail = 0
	}
	for _, c := range []struct {
		n    int
		what string
	}{{fail, "fail"}, {unobserved, "could not observe"}, {na, "not applicable"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return strings.Join(parts, ", ")
}

func firstReason(refs []ScenarioRef) string {
	for _, r := range refs {
		if r.Message != "" {
			return r.Message
		}
	}
	return "(no reason given)"
}

// refMessage is what a ScenarioRef shows: the observed failure, or why it did not run to a
// verdict.
func (s *Scenario) refMessage() string {
	switch s.Outcome {
	case Fail:
		return s.Observed
	case Waived:
		return "waived: " + s.Waiver
	case Pass:
		return ""
	}
	return s.Reason
}

// fixes groups the failures by their first requirement and ranks the groups by the attacks
// they alone keep open, then by the attacks they bear on, then MUST before SHOULD.
func fixes(attacks []Attack, failed map[string][]*Scenario) []Fix {
	byReq := map[string]*Fix{}
	var order []string
	for _, a := range attacks {
		reqs := map[string]bool{}
		for _, s := range failed[a.Section] {
			req := primaryRequirement(s)
			reqs[req] = true
			f := byReq[req]
			if f == nil {
				f = &Fix{Requirement: req, Level: s.Level}
				if len(s.Quotes) > 0 {
					f.Quote = s.Quotes[0].Short(140)
				}
				byReq[req] = f
				order = append(order, req)
			}
			f.Level = stronger(f.Level, s.Level)
			if !slices.Contains(f.Bears, a.Section) {
				f.Bears = append(f.Bears, a.Section)
			}
			if !slices.Contains(f.Scenarios, s.Location) {
				f.Scenarios = append(f.Scenarios, s.Location)
			}
		}
		if len(reqs) == 1 {
			for req := range reqs {
				byReq[req].Closes = append(byReq[req].Closes, a.Section)
			}
		}
	}
	var out []Fix
	for _, req := range order {
		f := byReq[req]
		if f.Closes == nil {
			f.Closes = []string{}
		}
		out = append(out, *f)
	}
	slices.SortStableFunc(out, func(a, b Fix) int {
		return cmp.Or(cmp.Compare(len(b.Closes), len(a.Closes)), cmp.Compare(len(b.Bears), len(a.Bears)),
			cmp.Compare(levelRank[b.Level], levelRank[a.Level]))
	})
	return out
}

// primaryRequirement is the requirement a failure is fixed under: the one its first quote
// names (the sentence its FAIL quotes), else its first requirement tag.
func primaryRequirement(s *Scenario) string {
	if len(s.Quotes) > 0 && s.Quotes[0].Requirement != "" {
		return s.Quotes[0].Requirement
	}
	if len(s.Requirements) > 0 {
		return s.Requirements[0]
	}
	return s.Name
}

// deprecated lists what RFC 9700 deprecates and whether the target offers it: the implicit
// grant (2.1.2) and the password grant (2.4) from the profile's capabilities (or the metadata),
// the plain PKCE method from the declared challenge methods, bearer tokens in the URI query
// (RFC 6750 2.3, RFC 9700 4.3.2) and client secrets in the query from the scenarios that
// tried them and warned when the server accepted.
func deprecated(scenarios []Scenario, p *profile.Profile) []Deprecated {
	var out []Deprecated
	grant := func(tag, feature, ground string) {
		ok, why := p.Supports(tag)
		ev := "the profile or the metadata says the target offers it"
		if !ok {
			ev = why
		}
		out = append(out, Deprecated{Feature: feature, Offered: ok, Ground: ground, Evidence: ev})
	}
	grant("grant-implicit", "the implicit grant", "RFC 9700 2.1.2: \"In order to avoid these issues, clients SHOULD NOT use the implicit grant (response type `token`) or other response types issuing access tokens in the authorization response, unless access token injection in the authorization response is prevented and the aforementioned token leakage vectors are mitigated.\"")
	grant("grant-password", "the resource owner password credentials grant", `RFC 9700 2.4: "The resource owner password credentials grant [RFC6749] MUST NOT be used."`)
	methods, from := challengeMethods(p)
	plain := Deprecated{Feature: "the plain PKCE method", Offered: slices.Contains(methods, "plain"),
		Ground: `plain puts the verifier itself in the authorization request, where it can leak with the request; S256 does not (RFC 7636 4.2, 7.2; RFC 9700 2.1.1 recommends S256)`}
	switch {
	case methods == nil:
		plain.Evidence = "neither the profile nor the metadata names the code challenge methods"
	case plain.Offered:
		plain.Evidence = from + " lists plain"
	default:
		plain.Evidence = from + " lists " + strings.Join(methods, ", ")
	}
	out = append(out, plain)
	out = append(out, acceptedWithWarning(scenarios, "RFC6750-2.3", "access tokens in the URI query at the resource",
		`RFC 9700 4.3.2: "Clients MUST NOT pass access tokens in a URI query parameter in the way described in Section 2.3 of [RFC6750]"`))
	out = append(out, acceptedWithWarning(scenarios, "RFC6749-2.3.1", "client credentials in the URI query",
		`RFC 6749 2.3.1: "The parameters can only be transmitted in the request-body and MUST NOT be included in the request URI."`, rx(`URL query`)))
	return out
}

func challengeMethods(p *profile.Profile) ([]string, string) {
	if m := p.Capabilities.CodeChallengeMethods; m != nil {
		return m, "the profile (capabilities.code_challenge_methods)"
	}
	if arr, ok := p.Metadata["code_challenge_methods_supported"].([]any); ok {
		var m []string
		for _, v := range arr {
			m = append(m, fmt.Sprint(v))
		}
		return m, "the metadata (code_challenge_methods_supported)"
	}
	return nil, ""
}

// acceptedWithWarning reads a "refused, or accepted with a warning" scenario: offered when it
// passed with a warning (the server accepted), not offered when it passed without one, and
// unknown otherwise (the evidence says which).
func acceptedWithWarning(scenarios []Scenario, req, feature, ground string, name ...*regexp.Regexp) Deprecated {
	d := Deprecated{Feature: feature, Ground: ground, Evidence: "no scenario of this run tried it"}
	for i := range scenarios {
		s := &scenarios[i]
		if !slices.Contains(s.Requirements, req) || len(name) > 0 && !name[0].MatchString(s.Name) {
			continue
		}
		switch {
		case s.Outcome == Pass && len(s.Warnings) > 0:
			d.Offered = true
			d.Evidence = fmt.Sprintf("accepted (%s, %s)", s.Location, s.Name)
			return d
		case s.Outcome == Pass:
			d.Evidence = fmt.Sprintf("refused (%s, %s)", s.Location, s.Name)
		default:
			d.Evidence = fmt.Sprintf("not observed: %s (%s)", statusLabel(s.Outcome), s.Location)
		}
	}
	return d
}
