package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/oauthconf/oauthconf/fixtures"
	"github.com/oauthconf/oauthconf/refserver/seed"
	"github.com/oauthconf/oauthconf/refserver/store"
)

// The administrator of fixtures/refserver/seed.yaml.
const (
	testAdmin    = "admin"
	testPassword = "admin-Secret-0123456789"
)

// env is one admin handler over a fresh seeded SQLite store, served by httptest.
type env struct {
	t   *testing.T
	st  *store.Store
	srv *httptest.Server
	doc *openAPI
	h   *handler
}

// seededDB is a database file seeded once for the whole test binary (bcrypt-hashing the seed
// is the slow part); every env starts from a copy of it.
var (
	seededDB   string
	cheapDummy []byte
)

func TestMain(m *testing.M) {
	code, err := runWithSeededDB(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(code)
}

func runWithSeededDB(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "admin-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	seededDB = filepath.Join(dir, "seed.db")
	st, err := store.Open(ctx, seededDB)
	if err != nil {
		return 0, err
	}
	if _, err := seed.Load(ctx, st, fixtures.SeedYAML(), 10); err != nil {
		st.Close()
		return 0, fmt.Errorf("seed: %w", err)
	}
	// The seeded administrator's hash is replaced by one of the same password at the minimum
	// cost, and the unknown-user comparison made cheap too: bcrypt at cost 10 takes seconds
	// under -race. (refserver/seed tests that the seed stores the administrator.)
	if _, err := st.AdminPasswordHash(ctx, testAdmin); err != nil {
		st.Close()
		return 0, fmt.Errorf("the seed has no administrator %q: %w", testAdmin, err)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		return 0, err
	}
	if err := st.PutAdmin(ctx, testAdmin, h); err != nil {
		return 0, err
	}
	if cheapDummy, err = bcrypt.GenerateFromPassword([]byte(randomString(12)), bcrypt.MinCost); err != nil {
		return 0, err
	}
	if err := st.Close(); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// bcryptResults memoizes bcrypt comparisons across the test binary.
var bcryptResults sync.Map // string(hash) + "\x00" + password -> error

func memoBcrypt(hash, pw []byte) error {
	k := string(hash) + "\x00" + string(pw)
	if v, ok := bcryptResults.Load(k); ok {
		err, _ := v.(error)
		return err
	}
	err := bcrypt.CompareHashAndPassword(hash, pw)
	bcryptResults.Store(k, err)
	return err
}

func newEnv(t *testing.T, mod ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "oauth.db")
	if err := seed.CopyDB(seededDB, db); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{
		SessionKey: bytes.Repeat([]byte("k"), 32),
		Defaults: store.Settings{AccessTokenTTL: 3600e9, RefreshTokenTTL: 720 * 3600e9, AuthCodeTTL: 600e9,
			PKCERequiredForPublic: true, ApprovalTitle: "Approve access"},
	}
	for _, m := range mod {
		m(&cfg)
	}
	hnd, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt at cost 10 takes seconds under -race: hash at the minimum cost and memoize
	// comparisons (real bcrypt either way; the handler's own cost is checked in New).
	ah := hnd.(*handler)
	ah.svc.hashFn = func(pw []byte, _ int) ([]byte, error) { return bcrypt.GenerateFromPassword(pw, bcrypt.MinCost) }
	ah.compare = memoBcrypt
	ah.dummyHash = cheapDummy
	srv := httptest.NewServer(hnd)
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, srv: srv, doc: loadOpenAPI(t), h: ah}
}

// resp is one API answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("the answer is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r resp) fields(t *testing.T) map[string]any {
	t.Helper()
	f, _ := r.json(t)["fields"].(map[string]any)
	return f
}

// api calls the admin API as the administrator and checks the exchange against the OpenAPI
// document: the operation is documented, the status is one it documents, and every property
// of the JSON answer is one its schema names.
func (e *env) api(method, path string, body any) resp {
	return e.apiAs(testAdmin, testPassword, method, path, body)
}

func (e *env) apiAs(user, pass, method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, body: b}
	e.doc.check(e.t, method, req.URL.EscapedPath(), out)
	return out
}

// openAPI is the part of the document the tests check against.
type openAPI struct {
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema schema `yaml:"schema"`
			} `yaml:"content"`
		} `yaml:"responses"`
		Schemas map[string]schema `yaml:"schemas"`
	} `yaml:"components"`

	mu  sync.Mutex
	hit map[string]bool // "METHOD /path/template" exercised
}

type schema struct {
	Ref        string            `yaml:"$ref"`
	Type       string            `yaml:"type"`
	Properties map[string]schema `yaml:"properties"`
	Items      *schema           `yaml:"items"`
	Required   []string          `yaml:"required"`
}

type operation struct {
	Responses map[string]struct {
		Ref     string `yaml:"$ref"`
		Content map[string]struct {
			Schema schema `yaml:"schema"`
		} `yaml:"content"`
	} `yaml:"responses"`
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	var d openAPI
	if err := yaml.Unmarshal(openAPIDoc, &d); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	d.hit = map[string]bool{}
	return &d
}

var methods = []string{"get", "post", "put", "delete", "patch"}

// operations lists the documented operations as "METHOD /path/template".
func (d *openAPI) operations() []string {
	var out []string
	for p, item := range d.Paths {
		for m := range item {
			if slices.Contains(methods, m) {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// match finds the documented path template for a concrete path: segment by segment, a
// {param} segment matching any one segment. Literal segments win over parameters.
func (d *openAPI) match(path string) string {
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	for tpl := range d.Paths {
		ts := strings.Split(tpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		lit, ok := 0, true
		for i := range ts {
			if strings.HasPrefix(ts[i], "{") {
				continue
			}
			if ts[i] != segs[i] {
				ok = false
				break
			}
			lit++
		}
		if ok && lit > bestLiterals {
			best, bestLiterals = tpl, lit
		}
	}
	return best
}

func (d *openAPI) resolve(s schema) schema {
	for s.Ref != "" {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

func (d *openAPI) check(t *testing.T, method, path string, r resp) {
	t.Helper()
	tpl := d.match(path)
	if tpl == "" {
		if r.status != http.StatusNotFound && r.status != http.StatusUnauthorized {
			t.Errorf("%s %s is not documented in openapi.yaml but answered %d", method, path, r.status)
		}
		return
	}
	node, ok := d.Paths[tpl][strings.ToLower(method)]
	if !ok {
		if r.status != http.StatusMethodNotAllowed && r.status != http.StatusUnauthorized && r.status != http.StatusNotFound {
			t.Errorf("%s %s is not documented in openapi.yaml but answered %d", method, tpl, r.status)
		}
		return
	}
	var op operation
	if err := node.Decode(&op); err != nil {
		t.Fatalf("openapi.yaml %s %s: %v", method, tpl, err)
	}
	d.mu.Lock()
	d.hit[method+" "+tpl] = true
	d.mu.Unlock()
	code := strconv.Itoa(r.status)
	doc, ok := op.Responses[code]
	if !ok {
		t.Errorf("%s %s answered %d, which openapi.yaml does not document for it: %s", method, tpl, r.status, r.body)
		return
	}
	var sch *schema
	if doc.Ref != "" {
		rr := d.Components.Responses[strings.TrimPrefix(doc.Ref, "#/components/responses/")]
		if c, ok := rr.Content["application/json"]; ok {
			sch = &c.Schema
		}
	} else if c, ok := doc.Content["application/json"]; ok {
		sch = &c.Schema
	}
	if sch == nil {
		if len(bytes.TrimSpace(r.body)) > 0 && !strings.Contains(tpl, "openapi") {
			t.Errorf("%s %s answered %d with a body that openapi.yaml does not document: %s", method, tpl, r.status, r.body)
		}
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s answered %d with Content-Type %q, documented application/json", method, tpl, r.status, ct)
		return
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Errorf("%s %s answered %d with invalid JSON: %v", method, tpl, r.status, err)
		return
	}
	d.checkValue(t, method+" "+tpl+" "+code, "$", *sch, v)
}

// checkValue checks that every object property is documented and every required one present.
func (d *openAPI) checkValue(t *testing.T, where, at string, s schema, v any) {
	t.Helper()
	s = d.resolve(s)
	switch x := v.(type) {
	case map[string]any:
		if s.Type != "" && s.Type != "object" {
			t.Errorf("%s: %s is an object, documented %s", where, at, s.Type)
			return
		}
		for _, req := range s.Required {
			if _, ok := x[req]; !ok {
				t.Errorf("%s: %s lacks the required property %q", where, at, req)
			}
		}
		if s.Properties == nil {
			return // a free-form object (fields: additionalProperties)
		}
		for k, val := range x {
			ps, ok := s.Properties[k]
			if !ok {
				t.Errorf("%s: %s has property %q that openapi.yaml does not document", where, at, k)
				continue
			}
			d.checkValue(t, where, at+"."+k, ps, val)
		}
	case []any:
		if s.Type != "array" {
			t.Errorf("%s: %s is an array, documented %s", where, at, s.Type)
			return
		}
		if s.Items != nil {
			for i, e := range x {
				d.checkValue(t, where, at+"["+strconv.Itoa(i)+"]", *s.Items, e)
			}
		}
	}
}

// console is a browser-like client of the console: a cookie jar, no redirects followed.
type console struct {
	t   *testing.T
	e   *env
	hc  *http.Client
	url string
}

func (e *env) console() *console {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &console{t: e.t, e: e, hc: hc, url: e.srv.URL}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (c *console) get(path string) page {
	c.t.Helper()
	res, err := c.hc.Get(c.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	return readPage(c.t, res)
}

func (c *console) post(path string, form map[string][]string) page {
	c.t.Helper()
	res, err := c.hc.PostForm(c.url+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	return readPage(c.t, res)
}

func readPage(t *testing.T, res *http.Response) page {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (status %d): %s", p.status, p.body)
	}
	return m[1]
}

// byID returns the text content of the element with the given id (simple elements only).
func (p page) byID(id string) (string, bool) {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(p.body)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// login signs the console in as the administrator.
func (c *console) login() {
	c.t.Helper()
	p := c.get("/admin/login")
	res := c.post("/admin/login", map[string][]string{"csrf": {p.csrf(c.t)}, "username": {testAdmin}, "password": {testPassword}})
	if res.status != http.StatusSeeOther {
		c.t.Fatalf("login: status %d: %s", res.status, res.body)
	}
}
