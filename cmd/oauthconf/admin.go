package main

// `oauthconf admin`: the reference server's admin API from the command line
// (refserver/admin/openapi.yaml). It prints the API's JSON answers.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const adminUsage = `usage: oauthconf admin [connection flags] <resource> <action> [arguments] [flags]

connection flags (before the resource):
  --url URL              the reference server (default http://127.0.0.1:8080)
  --user NAME            the administrator (default admin)
  --password-file FILE   a file holding the administrator's password; without it the
                         OAUTHCONF_ADMIN_PASSWORD environment variable is used

resources and actions:
  clients  list | get ID | create --name N [--public] [--redirect-uri U]... [--grant G]...
           [--scope S]... [--auth-method M] [--trusted] | delete ID | enable ID | disable ID
           | secret ID (prints a new secret once) | revoke-tokens ID
  scopes   list | get NAME | create NAME [--description D] [--resource R]... | delete NAME
           | associate NAME CLIENT_ID | dissociate NAME CLIENT_ID
  users    list | get NAME | create NAME --password-file F [--group G]... | delete NAME
  groups   list | get NAME | create NAME [--member M]... | delete NAME
  acls     list | get NAME | create NAME [--allow G]... [--deny G]... | delete NAME
  tokens   list [--client ID] [--subject USER] [--all] | revoke KIND ID
  settings get
  api      METHOD PATH [JSON-BODY]   any operation of the API, e.g. api PUT /admin/api/settings '{...}'

The API is described at URL/admin/api/openapi.yaml.
`

// adminConn is how to reach the admin API.
type adminConn struct {
	base, user, password string
	hc                   *http.Client
	out, errOut          io.Writer
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func adminCmd(args []string) int {
	return adminMain(args, os.Stdout, os.Stderr, os.Getenv)
}

func adminMain(args []string, out, errOut io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() { fmt.Fprint(errOut, adminUsage) }
	base := fs.String("url", "http://127.0.0.1:8080", "the reference server")
	user := fs.String("user", "admin", "the administrator")
	pwFile := fs.String("password-file", "", "a file holding the administrator's password")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) < 2 && !(len(rest) == 1 && rest[0] == "help") {
		fmt.Fprint(errOut, adminUsage)
		return exitUsage
	}
	if rest[0] == "help" {
		fmt.Fprint(out, adminUsage)
		return exitOK
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(errOut, "oauthconf admin: --url %q is not an http(s) URL such as http://127.0.0.1:8080\n", *base)
		return exitUsage
	}
	password, err := readSecret(*pwFile, getenv("OAUTHCONF_ADMIN_PASSWORD"), "--password-file", "OAUTHCONF_ADMIN_PASSWORD")
	if err != nil {
		fmt.Fprintf(errOut, "oauthconf admin: %v\n", err)
		return exitUsage
	}
	c := &adminConn{base: strings.TrimRight(*base, "/"), user: *user, password: password,
		hc: &http.Client{Timeout: 30 * time.Second}, out: out, errOut: errOut}
	method, path, body, err := adminRequest(rest[0], rest[1], rest[2:], getenv)
	if err != nil {
		fmt.Fprintf(errOut, "oauthconf admin: %v\n\n%s", err, adminUsage)
		return exitUsage
	}
	return c.call(method, path, body)
}

// readSecret reads a password from a file (trailing newline removed) or the environment.
func readSecret(file, env, flagName, envName string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flagName, err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("%s %s is empty", flagName, file)
		}
		return pw, nil
	}
	if env != "" {
		return env, nil
	}
	return "", fmt.Errorf("give the password with %s FILE or the %s environment variable (never as a flag value: it would show in the process list)", flagName, envName)
}

// adminRequest turns a resource, an action and its arguments into an API request.
func adminRequest(resource, action string, args []string, getenv func(string) string) (method, path string, body any, err error) {
	fs := flag.NewFlagSet(resource+" "+action, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		name, description, authMethod, client, subject, pwFile string
		public, trusted, all                                   bool
		redirects, grants, scopes, resources, groups, members  listFlag
		allow, deny                                            listFlag
	)
	fs.StringVar(&name, "name", "", "")
	fs.StringVar(&description, "description", "", "")
	fs.StringVar(&authMethod, "auth-method", "", "")
	fs.StringVar(&client, "client", "", "")
	fs.StringVar(&subject, "subject", "", "")
	fs.StringVar(&pwFile, "password-file", "", "")
	fs.BoolVar(&public, "public", false, "")
	fs.BoolVar(&trusted, "trusted", false, "")
	fs.BoolVar(&all, "all", false, "")
	fs.Var(&redirects, "redirect-uri", "")
	fs.Var(&grants, "grant", "")
	fs.Var(&scopes, "scope", "")
	fs.Var(&resources, "resource", "")
	fs.Var(&groups, "group", "")
	fs.Var(&members, "member", "")
	fs.Var(&allow, "allow", "")
	fs.Var(&deny, "deny", "")
	// Positional arguments first, flags after them (or the other way round).
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", "", nil, fmt.Errorf("%s %s: %v", resource, action, err)
		}
		args = fs.Args()
		if len(args) > 0 {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	need := func(n int, what string) error {
		if len(pos) != n {
			return fmt.Errorf("%s %s takes %s", resource, action, what)
		}
		return nil
	}
	esc := url.PathEscape
	switch resource + " " + action {
	case "clients list", "scopes list", "users list", "groups list", "acls list":
		return "GET", "/admin/api/" + resource, nil, need(0, "no arguments")
	case "clients get", "scopes get", "users get", "groups get", "acls get":
		return "GET", "/admin/api/" + resource + "/" + esc(first(pos)), nil, need(1, "one name or id")
	case "clients delete", "scopes delete", "users delete", "groups delete", "acls delete":
		return "DELETE", "/admin/api/" + resource + "/" + esc(first(pos)), nil, need(1, "one name or id")
	case "clients enable", "clients disable", "clients secret", "clients revoke-tokens":
		return "POST", "/admin/api/clients/" + esc(first(pos)) + "/" + action, nil, need(1, "a client id")
	case "clients create":
		if name == "" {
			return "", "", nil, errors.New("clients create needs --name")
		}
		return "POST", "/admin/api/clients", map[string]any{
			"name": name, "description": description, "public": public, "redirect_uris": nonNilList(redirects),
			"grant_types": nonNilList(grants), "scopes": nonNilList(scopes), "token_endpoint_auth_method": authMethod, "trusted": trusted,
		}, need(0, "flags only")
	case "scopes create":
		return "POST", "/admin/api/scopes", map[string]any{"name": first(pos), "description": description, "resources": nonNilList(resources)},
			need(1, "the scope name")
	case "scopes associate":
		return "POST", "/admin/api/scopes/" + esc(first(pos)) + "/clients", map[string]any{"client_id": second(pos)}, need(2, "a scope and a client id")
	case "scopes dissociate":
		return "DELETE", "/admin/api/scopes/" + esc(first(pos)) + "/clients/" + esc(second(pos)), nil, need(2, "a scope and a client id")
	case "users create":
		pw, err := readSecret(pwFile, "", "--password-file", "")
		if err != nil {
			return "", "", nil, fmt.Errorf("users create: the user's %v", err)
		}
		return "POST", "/admin/api/users", map[string]any{"username": first(pos), "password": pw, "groups": nonNilList(groups)}, need(1, "the username")
	case "groups create":
		return "POST", "/admin/api/groups", map[string]any{"name": first(pos), "description": description, "members": nonNilList(members)}, need(1, "the group name")
	case "acls create":
		return "POST", "/admin/api/acls", map[string]any{"name": first(pos), "description": description, "allow": nonNilList(allow), "deny": nonNilList(deny)},
			need(1, "the ACL name")
	case "tokens list":
		q := url.Values{}
		if client != "" {
			q.Set("client_id", client)
		}
		if subject != "" {
			q.Set("subject", subject)
		}
		if all {
			q.Set("all", "true")
		}
		p := "/admin/api/tokens"
		if len(q) > 0 {
			p += "?" + q.Encode()
		}
		return "GET", p, nil, need(0, "flags only")
	case "tokens revoke":
		return "POST", "/admin/api/tokens/" + esc(first(pos)) + "/" + esc(second(pos)) + "/revoke", nil, need(2, "a kind (access_token, refresh_token, authorize_code) and a token id")
	case "settings get":
		return "GET", "/admin/api/settings", nil, need(0, "no arguments")
	}
	if resource == "api" {
		// action is the method here.
		if len(pos) < 1 || len(pos) > 2 || !strings.HasPrefix(pos[0], "/admin/api/") {
			return "", "", nil, errors.New("api takes METHOD PATH [JSON-BODY], the path starting with /admin/api/")
		}
		var b any
		if len(pos) == 2 {
			if !json.Valid([]byte(pos[1])) {
				return "", "", nil, errors.New("api: the body is not valid JSON")
			}
			b = json.RawMessage(pos[1])
		}
		return strings.ToUpper(action), pos[0], b, nil
	}
	return "", "", nil, fmt.Errorf("unknown command %q %q", resource, action)
}

func first(p []string) string {
	if len(p) > 0 {
		return p[0]
	}
	return ""
}

func second(p []string) string {
	if len(p) > 1 {
		return p[1]
	}
	return ""
}

func nonNilList(l listFlag) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// call sends the request and prints the answer: the JSON on success, the error and each
// field's message on failure.
func (c *adminConn) call(method, path string, body any) int {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			fmt.Fprintf(c.errOut, "oauthconf admin: %v\n", err)
			return exitFail
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, rd)
	if err != nil {
		fmt.Fprintf(c.errOut, "oauthconf admin: %v\n", err)
		return exitUsage
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.user, c.password)
	res, err := c.hc.Do(req)
	if err != nil {
		fmt.Fprintf(c.errOut, "oauthconf admin: cannot reach %s: %v (is the server running? see --url)\n", c.base, err)
		return exitFail
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if len(bytes.TrimSpace(raw)) == 0 {
			fmt.Fprintf(c.out, "done (%d %s)\n", res.StatusCode, http.StatusText(res.StatusCode))
		} else {
			_, _ = c.out.Write(raw)
		}
		return exitOK
	}
	var e struct {
		Error       string            `json:"error"`
		Description string            `json:"error_description"`
		Fields      map[string]string `json:"fields"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		fmt.Fprintf(c.errOut, "oauthconf admin: %s %s: HTTP %d: %s\n", method, path, res.StatusCode, strings.TrimSpace(string(raw)))
		return exitFail
	}
	msg := e.Description
	if res.StatusCode == http.StatusUnauthorized {
		msg = "the administrator's username or password is wrong (see --user and --password-file)"
	}
	fmt.Fprintf(c.errOut, "oauthconf admin: %s (HTTP %s %s)\n", msg, strconv.Itoa(res.StatusCode), e.Error)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(c.errOut, "  %s: %s\n", k, e.Fields[k])
	}
	return exitFail
}
