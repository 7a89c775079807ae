package oauthclient

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	type ch struct {
		scheme, token68 string
		params          map[string]string
	}
	cases := []struct {
		name   string
		values []string
		want   []ch
		bad    bool
	}{
		{"bearer with params", []string{`Bearer realm="api", error="invalid_token", error_description="The token, expired"`},
			[]ch{{"Bearer", "", map[string]string{"realm": "api", "error": "invalid_token", "error_description": "The token, expired"}}}, false},
		// RFC 9449 7.2's own example.
		{"bearer then dpop", []string{`Bearer, DPoP algs="ES256"`},
			[]ch{{"Bearer", "", map[string]string{}}, {"DPoP", "", map[string]string{"algs": "ES256"}}}, false},
		{"dpop then bearer", []string{`DPoP algs="ES256 PS256", error="invalid_token", Bearer realm="api"`},
			[]ch{{"DPoP", "", map[string]string{"algs": "ES256 PS256", "error": "invalid_token"}}, {"Bearer", "", map[string]string{"realm": "api"}}}, false},
		{"two fields", []string{`Basic realm="x"`, `bearer scope="a b"`},
			[]ch{{"Basic", "", map[string]string{"realm": "x"}}, {"bearer", "", map[string]string{"scope": "a b"}}}, false},
		{"bare bearer", []string{"Bearer"}, []ch{{"Bearer", "", map[string]string{}}}, false},
		{"token values and spaces around =", []string{`Bearer realm = api ,error=invalid_token`},
			[]ch{{"Bearer", "", map[string]string{"realm": "api", "error": "invalid_token"}}}, false},
		{"empty list elements", []string{`, Bearer realm="a", , error="b",, Basic realm="c"`},
			[]ch{{"Bearer", "", map[string]string{"realm": "a", "error": "b"}}, {"Basic", "", map[string]string{"realm": "c"}}}, false},
		{"quoted-pair", []string{`Bearer error_description="say \"no\", then \\ stop"`},
			[]ch{{"Bearer", "", map[string]string{"error_description": `say "no", then \ stop`}}}, false},
		{"token68", []string{`Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaAD==, Bearer realm="r"`},
			[]ch{{"Negotiate", "YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaAD==", map[string]string{}}, {"Bearer", "", map[string]string{"realm": "r"}}}, false},
		{"parameter names are case-insensitive", []string{`Bearer Error="invalid_token"`},
			[]ch{{"Bearer", "", map[string]string{"error": "invalid_token"}}}, false},
		{"unterminated quoted-string", []string{`Bearer realm="api`}, []ch{{"Bearer", "", map[string]string{}}}, true},
		{"garbage after a param", []string{`Bearer realm="api" error="x"`}, []ch{{"Bearer", "", map[string]string{"realm": "api"}}}, true},
		{"not a scheme", []string{`"Bearer"`}, nil, true},
		{"empty", []string{""}, nil, false},
	}
	for _, c := range cases {
		got, err := ParseChallenges(c.values)
		if (err != nil) != c.bad {
			t.Errorf("%s: error %v, want error: %v", c.name, err, c.bad)
		}
		var simple []ch
		for _, g := range got {
			simple = append(simple, ch{g.Scheme, g.Token68, g.Params})
		}
		if !reflect.DeepEqual(simple, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, simple, c.want)
		}
	}
}

func TestExpectChallenge(t *testing.T) {
	resp := func(values ...string) *Response {
		h := http.Header{}
		for _, v := range values {
			h.Add("WWW-Authenticate", v)
		}
		return &Response{Status: 401, Header: h, Exchange: &Exchange{Status: 401, ResponseHeader: h}}
	}
	cases := []struct {
		scheme string
		values []string
		fail   string // "" = passes
	}{
		{"Bearer", []string{`Bearer, DPoP algs="ES256"`}, "one or more auth-param"},
		{"Bearer", []string{`DPoP algs="ES256"`, `Bearer realm="api"`}, ""},
		{"Bearer", []string{`DPoP algs="ES256", Bearer realm="api"`}, ""},
		{"Bearer", []string{`Bearer`}, "one or more auth-param"},
		{"Bearer", []string{`bearer error="invalid_token"`}, ""},
		{"Bearer", nil, "got none"},
		{"Bearer", []string{`Basic realm="x"`}, `with scheme "Bearer"`},
		{"Bearer", []string{`Bearer realm="x`}, "challenge syntax"},
		{"Basic", []string{`Bearer realm="api", Basic realm="oauth"`}, ""},
		{"Basic", []string{`Basic`}, ""}, // RFC 6750's auth-param rule is the Bearer scheme's
	}
	for _, c := range cases {
		err := ExpectChallenge(resp(c.values...), c.scheme)
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("%s in %q: %v", c.scheme, c.values, err)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%s in %q: got %v, want a failure with %q", c.scheme, c.values, err, c.fail)
		}
	}
	if ExpectChallenge(nil, "Bearer") == nil {
		t.Error("no response passed")
	}
}
