package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/oauthconf/oauthconf/steps/browser"
	"github.com/oauthconf/oauthconf/steps/profile"
)

// initOptions are the flags of `oauthconf init`.
type initOptions struct {
	Issuer           string
	Out              string
	LoginClientID    string
	LoginRedirectURI string
	Timeout          time.Duration
	// AuthorizationEndpoint and TokenEndpoint stand in for the metadata of a server that
	// publishes none (and override the metadata's when it does).
	AuthorizationEndpoint string
	TokenEndpoint         string
}

const initUsage = `usage: oauthconf init --issuer URL [--out FILE] [--login-client-id ID --login-redirect-uri URI]
       [--authorization-endpoint URL --token-endpoint URL]

Writes a starter target profile from the server's metadata (RFC 8414, or OpenID discovery):
issuer, capabilities, auth methods, scopes and the client roles the suite needs, with every
value only you know marked CHANGE-ME. For a server that publishes no metadata, give its
endpoints with --authorization-endpoint and --token-endpoint: the profile then declares them,
with capabilities to check by hand. With --login-client-id and --login-redirect-uri it also
opens an authorization request in the browser and guesses the login form's fields from the
first page it shows. Then fill in the CHANGE-ME places and run
  oauthconf run --target FILE --list
to see what will run and why.

flags:
`

func initCmd(args []string) int {
	ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	return initWith(ctx, args, os.Stdout, os.Stderr)
}

func initWith(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseInitFlags(args, stderr)
	if err != nil {
		return flagError(stderr, "init", err)
	}
	doc, from, err := discover(ctx, o.Issuer, o.Timeout)
	var none *noMetadataError
	switch {
	case errors.As(err, &none) && o.TokenEndpoint != "":
		// RFC 8414 is optional: a server without metadata is profiled from its endpoints.
		doc, from = nil, ""
	case errors.As(err, &none):
		fmt.Fprintf(stderr, "oauthconf init: %v\n", err)
		fmt.Fprintf(stderr, "oauthconf init: for a server without metadata, give its endpoints: oauthconf init --issuer %s --authorization-endpoint URL --token-endpoint URL\n", o.Issuer)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "oauthconf init: %v\n", err)
		return exitUsage
	}
	if doc != nil {
		// The endpoints given on the command line win over the metadata's.
		if o.AuthorizationEndpoint != "" {
			doc["authorization_endpoint"] = o.AuthorizationEndpoint
		}
		if o.TokenEndpoint != "" {
			doc["token_endpoint"] = o.TokenEndpoint
		}
	}
	var login *loginGuess
	var loginErr error
	if o.LoginClientID != "" {
		login, loginErr = guessLogin(o, doc)
		if loginErr != nil {
			fmt.Fprintf(stderr, "oauthconf init: warning: could not guess the login form: %v\n", loginErr)
		}
	}
	text := starterProfile(o, doc, from, login, loginErr)
	if o.Out == "" || o.Out == "-" {
		fmt.Fprint(stdout, text)
		return exitOK
	}
	if err := os.WriteFile(o.Out, []byte(text), 0o600); err != nil {
		fmt.Fprintf(stderr, "oauthconf init: writing the profile: %v\n", err)
		return exitUsage
	}
	source := from
	if doc == nil {
		source = "the endpoints given (the server publishes no metadata)"
	}
	fmt.Fprintf(stdout, "wrote %s from %s\nnext: replace every CHANGE-ME in it, then run\n  oauthconf run --target %s --list\n", o.Out, source, o.Out)
	return exitOK
}

func parseInitFlags(args []string, stderr io.Writer) (initOptions, error) {
	var o initOptions
	fs := flag.NewFlagSet("oauthconf init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Issuer, "issuer", "", "the authorization server's issuer `URL` (required)")
	fs.StringVar(&o.Out, "out", "", "write the profile to `FILE` (default: standard output)")
	fs.StringVar(&o.LoginClientID, "login-client-id", "", "a client `ID` registered at the server, to open its login page in the browser and guess the form")
	fs.StringVar(&o.LoginRedirectURI, "login-redirect-uri", "", "a redirect `URI` registered for --login-client-id")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "bound on each request and page load")
	fs.StringVar(&o.AuthorizationEndpoint, "authorization-endpoint", "", "the authorization endpoint `URL`, for a server without metadata")
	fs.StringVar(&o.TokenEndpoint, "token-endpoint", "", "the token endpoint `URL`, for a server without metadata")
	if err := parseFlags(fs, args, initUsage, stderr); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; the server is given with --issuer URL)", fs.Arg(0))
	}
	if o.Issuer == "" {
		return o, errors.New("--issuer is required (the authorization server's issuer URL, e.g. https://as.example.com)")
	}
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("--issuer %q is not an absolute http(s) URL", o.Issuer)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return o, fmt.Errorf("--issuer %q has a query or fragment; RFC 8414 2 says an issuer has neither", o.Issuer)
	}
	if (o.LoginClientID == "") != (o.LoginRedirectURI == "") {
		return o, errors.New("--login-client-id and --login-redirect-uri go together (the browser needs both for an authorization request)")
	}
	if o.LoginRedirectURI != "" {
		if r, err := url.Parse(o.LoginRedirectURI); err != nil || r.Scheme == "" || r.Host == "" {
			return o, fmt.Errorf("--login-redirect-uri %q is not an absolute URL", o.LoginRedirectURI)
		}
	}
	if o.Timeout <= 0 {
		return o, fmt.Errorf("--timeout must be positive, got %s", o.Timeout)
	}
	for _, e := range []struct{ flag, value string }{{"--authorization-endpoint", o.AuthorizationEndpoint}, {"--token-endpoint", o.TokenEndpoint}} {
		if e.value == "" {
			continue
		}
		if r, err := url.Parse(e.value); err != nil || (r.Scheme != "http" && r.Scheme != "https") || r.Host == "" || r.Fragment != "" {
			return o, fmt.Errorf("%s %q is not an absolute http(s) URL without a fragment", e.flag, e.value)
		}
	}
	return o, nil
}

// discover reads the server's metadata the way the runner will (profile.Resolve: RFC 8414,
// then OpenID discovery, no redirects, the issuer checked), so that what init writes is what a
// run sees. It returns the document and where it came from.
func discover(ctx context.Context, issuer string, timeout time.Duration) (map[string]any, string, error) {
	p := &profile.Profile{Issuer: issuer, Timeouts: profile.Timeouts{Request: timeout}}
	// Claiming metadata makes Resolve fail, with every URL tried, when there is none.
	yes := true
	p.Capabilities.Metadata = &yes
	if err := p.Resolve(ctx, &http.Client{}); err != nil {
		if !errors.Is(err, profile.ErrNoMetadata) {
			return nil, "", fmt.Errorf("reading the metadata of %s: %w", issuer, err)
		}
		// Resolve's message speaks of the profile (capabilities.metadata); init has none yet.
		tried := err.Error()
		if i := strings.IndexByte(tried, '\n'); i >= 0 {
			tried = tried[i:]
		}
		return nil, "", &noMetadataError{fmt.Sprintf("%s publishes no metadata document (RFC 8414, or OpenID discovery):%s", issuer, tried)}
	}
	return p.Metadata, p.MetadataURL, nil
}

// noMetadataError: the server answered, without a metadata document.
type noMetadataError struct{ msg string }

func (e *noMetadataError) Error() string { return e.msg }

// knownOf keeps the values of field that the profile knows, in the metadata's order.
func knownOf(doc map[string]any, field string, known []string) []string {
	var out []string
	raw, _ := doc[field].([]any)
	for _, v := range raw {
		if s, ok := v.(string); ok && slices.Contains(known, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func metaString(doc map[string]any, field string) string {
	s, _ := doc[field].(string)
	return s
}

// loginGuess is the login form found on the first page of an authorization request.
type loginGuess struct {
	URL, Title             string
	User, Password, Submit string
	// SubmitByText: the button has no id or name, so it is selected by its text.
	SubmitByText bool
}

// guessLoginJS finds input[type=password], the text or e-mail input before it and the form's
// submit button, and names each by id or name.
const guessLoginJS = `() => {
  const sel = (el) => {
    if (!el) return "";
    if (el.id && /^[A-Za-z][\w-]*$/.test(el.id)) return "#" + el.id;
    if (el.id) return "[id=" + JSON.stringify(el.id) + "]";
    if (el.name) return el.tagName.toLowerCase() + "[name=" + JSON.stringify(el.name) + "]";
    return "";
  };
  const pw = document.querySelector("input[type=password]");
  const out = {url: location.href, title: document.title, user: "", password: "", submit: "", submitText: ""};
  if (!pw) return out;
  out.password = sel(pw);
  const scope = pw.form || document;
  const inputs = Array.from(scope.querySelectorAll("input"));
  for (let i = inputs.indexOf(pw) - 1; i >= 0; i--) {
    const t = (inputs[i].getAttribute("type") || "text").toLowerCase();
    if (t === "text" || t === "email" || t === "tel") { out.user = sel(inputs[i]); break; }
  }
  const submit = scope.querySelector("button[type=submit], input[type=submit], button:not([type])");
  if (submit) {
    out.submit = sel(submit);
    out.submitText = (submit.innerText || submit.value || "").trim();
  }
  return out;
}`

// guessLogin opens an authorization request for the login client in a headless browser and
// reads the form of the first page it shows.
func guessLogin(o initOptions, doc map[string]any) (*loginGuess, error) {
	authz := metaString(doc, "authorization_endpoint")
	if authz == "" {
		authz = o.AuthorizationEndpoint
	}
	if authz == "" {
		return nil, errors.New("the metadata names no authorization_endpoint (give --authorization-endpoint)")
	}
	// A PKCE challenge makes the request acceptable to public clients too; the code is never redeemed.
	verifier := make([]byte, 32)
	_, _ = rand.Read(verifier)
	sum := sha256.Sum256([]byte(base64.RawURLEncoding.EncodeToString(verifier)))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {o.LoginClientID},
		"redirect_uri":          {o.LoginRedirectURI},
		"state":                 {"oauthconf-init"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	// No scope: which ones the client may ask for is not known yet (a scope it may not have
	// ends the request with invalid_scope); an OpenID provider needs openid to show its login.
	if slices.Contains(allStrings(doc, "scopes_supported"), "openid") {
		q.Set("scope", "openid")
	}
	u, err := url.Parse(authz)
	if err != nil {
		return nil, fmt.Errorf("authorization_endpoint %q: %w", authz, err)
	}
	u.RawQuery = mergeQuery(u.RawQuery, q)
	authURL := u.String()

	bopts := browser.DefaultOptions()
	bopts.Spares = 1
	p := &profile.Profile{Issuer: o.Issuer, Endpoints: profile.Endpoints{Authorization: authz},
		Clients: map[string]profile.Client{profile.RoleConfidential: {RedirectURI: o.LoginRedirectURI}}}
	bopts.AllowedPorts = profile.BrowserPorts(p)
	b, err := browser.Launch(bopts)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	s, err := b.NewSession()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var mu sync.Mutex
	var last string // the last main-frame navigation: where the server sent the browser
	s.Page().OnRequest(func(r playwright.Request) {
		if r.IsNavigationRequest() {
			mu.Lock()
			last = r.URL()
			mu.Unlock()
		}
	})
	if _, err := s.Goto(authURL, o.Timeout); err != nil {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(last, o.LoginRedirectURI) {
			return nil, fmt.Errorf("the server sent the browser straight back to the redirect URI (%s) instead of showing a login page: it refused the request (is the client id registered with that redirect URI?)", last)
		}
		return nil, err
	}
	v, err := s.Page().Evaluate(guessLoginJS)
	if err != nil {
		return nil, fmt.Errorf("reading the page %s: %w", s.Page().URL(), err)
	}
	m, _ := v.(map[string]any)
	str := func(k string) string { s, _ := m[k].(string); return s }
	g := &loginGuess{URL: str("url"), Title: str("title"), User: str("user"), Password: str("password"),
		Submit: str("submit")}
	if g.Password == "" {
		return nil, fmt.Errorf("the first page the browser showed (%s, title %q) has no password field with an id or a name: is it the login page? (an error page means the client id or redirect URI is not registered)", g.URL, g.Title)
	}
	if g.Submit == "" {
		if text := str("submitText"); text != "" {
			g.Submit = fmt.Sprintf("button:has-text(%q)", text)
			g.SubmitByText = true
		}
	}
	return g, nil
}

func allStrings(doc map[string]any, field string) []string {
	var out []string
	raw, _ := doc[field].([]any)
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// mergeQuery adds q to an endpoint's own query (RFC 6749 3.1: it MUST be retained).
func mergeQuery(raw string, q url.Values) string {
	if raw == "" {
		return q.Encode()
	}
	return raw + "&" + q.Encode()
}
