package oauthclient

import (
	"fmt"
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate header field (RFC 9110 11.6.1, RFC 7235 4.1):
//
//	WWW-Authenticate = #challenge
//	challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param       = token BWS "=" BWS ( token / quoted-string )
//
// A field may hold several challenges separated by commas, and a response may have several
// fields (RFC 9449 7.2's own example is `WWW-Authenticate: Bearer, DPoP algs="ES256"`).
type Challenge struct {
	// Scheme as sent; schemes compare case-insensitively (RFC 9110 11.1).
	Scheme string
	// Token68 is the challenge's token68, if it has one instead of auth-params.
	Token68 string
	// Params are the auth-params, by lower-cased name, quoted-strings unquoted.
	Params map[string]string
	// Names are the auth-param names in the order sent, as sent.
	Names []string
}

// ParseChallenges reads every challenge of every WWW-Authenticate field value. A value that
// does not follow the grammar ends its field's parsing with an error naming where; the
// challenges read before it are still returned.
func ParseChallenges(values []string) ([]Challenge, error) {
	var out []Challenge
	var errs []string
	for _, v := range values {
		cs, err := parseField(v)
		out = append(out, cs...)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// FindChallenge returns the first challenge with the scheme (case-insensitive).
func FindChallenge(cs []Challenge, scheme string) (Challenge, bool) {
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, scheme) {
			return c, true
		}
	}
	return Challenge{}, false
}

type fieldParser struct {
	s   string
	pos int
}

func parseField(v string) ([]Challenge, error) {
	p := &fieldParser{s: v}
	var out []Challenge
	for {
		p.skipListSeparators()
		if p.done() {
			return out, nil
		}
		scheme := p.token()
		if scheme == "" {
			return out, p.errorf("expected an auth-scheme")
		}
		c := Challenge{Scheme: scheme, Params: map[string]string{}}
		sp := p.skipSpaces()
		if !p.done() && p.peek() != ',' {
			if sp == 0 {
				return append(out, c), p.errorf("expected a space after the auth-scheme %q", scheme)
			}
			if !p.atParam() {
				t := p.token68()
				if t == "" {
					return append(out, c), p.errorf("expected a token68 or auth-params after %q", scheme)
				}
				c.Token68 = t
				p.skipSpaces()
				if !p.done() && p.peek() != ',' {
					return append(out, c), p.errorf("unexpected text after the token68 of %q", scheme)
				}
				out = append(out, c)
				continue
			}
		}
		// #auth-param: params separated by commas, until a comma followed by something that is
		// not "token =" (the next challenge's scheme) or the end.
		for {
			p.skipSpaces()
			if !p.atParam() {
				break
			}
			name := p.token()
			p.skipSpaces()
			p.pos++ // "="
			p.skipSpaces()
			var val string
			if !p.done() && p.peek() == '"' {
				q, err := p.quoted()
				if err != nil {
					return append(out, c), err
				}
				val = q
			} else if val = p.token(); val == "" {
				return append(out, c), p.errorf("expected a token or a quoted-string as the value of %q", name)
			}
			key := strings.ToLower(name)
			if _, dup := c.Params[key]; !dup {
				c.Params[key] = val
			}
			c.Names = append(c.Names, name)
			p.skipSpaces()
			if p.done() {
				break
			}
			if p.peek() != ',' {
				return append(out, c), p.errorf("expected a comma after the auth-param %q", name)
			}
			// Empty list elements are allowed ("a=1, , b=2"): look past every comma.
			save := p.pos
			p.skipListSeparators()
			if !p.atParam() {
				p.pos = save
				break
			}
		}
		out = append(out, c)
	}
}

func (p *fieldParser) done() bool { return p.pos >= len(p.s) }
func (p *fieldParser) peek() byte { return p.s[p.pos] }

func (p *fieldParser) errorf(format string, args ...any) error {
	return fmt.Errorf("WWW-Authenticate %q: %s at offset %d", p.s, fmt.Sprintf(format, args...), p.pos)
}

func (p *fieldParser) skipSpaces() int {
	n := 0
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
		n++
	}
	return n
}

func (p *fieldParser) skipListSeparators() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == ',') {
		p.pos++
	}
}

// atParam reports whether "token BWS =" follows, and the "=" is not the padding of a token68
// (a token68 ends with "="s and then the field or a comma).
func (p *fieldParser) atParam() bool {
	i := p.pos
	for i < len(p.s) && isTchar(p.s[i]) {
		i++
	}
	if i == p.pos {
		return false
	}
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t') {
		i++
	}
	if i >= len(p.s) || p.s[i] != '=' {
		return false
	}
	i++
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t') {
		i++
	}
	return i < len(p.s) && (p.s[i] == '"' || isTchar(p.s[i]))
}

func (p *fieldParser) token() string {
	start := p.pos
	for !p.done() && isTchar(p.peek()) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *fieldParser) token68() string {
	start := p.pos
	for !p.done() && isToken68(p.peek()) {
		p.pos++
	}
	for !p.done() && p.peek() == '=' {
		p.pos++
	}
	return p.s[start:p.pos]
}

// quoted reads a quoted-string (RFC 9110 5.6.4), undoing its quoted-pairs.
func (p *fieldParser) quoted() (string, error) {
	start := p.pos
	p.pos++ // the opening quote
	var b strings.Builder
	for !p.done() {
		c := p.peek()
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			if p.pos+1 >= len(p.s) {
				p.pos = start
				return "", p.errorf("unterminated quoted-string")
			}
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.pos = start
	return "", p.errorf("unterminated quoted-string")
}

// isTchar: RFC 9110 5.6.2 tchar.
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken68: RFC 9110 11.2 token68, without its trailing "="s.
func isToken68(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

// ExpectChallenge checks that the response carries a WWW-Authenticate challenge with scheme
// (case-insensitive), in any of its fields and at any place in a field. For Bearer it also
// checks RFC 6750 3: "This scheme MUST be followed by one or more auth-param values." (a bare
// "Bearer" is a frequent framework default, and no challenge RFC 6750 defines).
func ExpectChallenge(r *Response, scheme string) error {
	if r == nil {
		return noResponse()
	}
	vals := r.Header.Values("WWW-Authenticate")
	if len(vals) == 0 {
		return Failf(r, "expected a WWW-Authenticate header with scheme %q, got none", scheme)
	}
	cs, perr := ParseChallenges(vals)
	c, ok := FindChallenge(cs, scheme)
	if !ok {
		if perr != nil {
			return Failf(r, "expected a WWW-Authenticate challenge with scheme %q, got %q, which does not follow the challenge syntax of RFC 9110 11.6.1 (%v)", scheme, vals, perr)
		}
		return Failf(r, "expected a WWW-Authenticate challenge with scheme %q, got %q", scheme, vals)
	}
	if strings.EqualFold(scheme, "Bearer") && len(c.Params) == 0 {
		if perr != nil {
			return Failf(r, "expected a Bearer challenge with one or more auth-param values (RFC 6750 3), got %q, which does not follow the challenge syntax of RFC 9110 11.6.1 (%v)", vals, perr)
		}
		return Failf(r, "expected the Bearer challenge to carry at least one auth-param (RFC 6750 3: \"This scheme MUST be followed by one or more auth-param values.\"), got %q", vals)
	}
	return nil
}

// BearerChallenge returns the auth-params of the response's Bearer challenge (RFC 6750 3), and
// whether it has one.
func BearerChallenge(r *Response) (map[string]string, bool) {
	if r == nil {
		return nil, false
	}
	cs, _ := ParseChallenges(r.Header.Values("WWW-Authenticate"))
	c, ok := FindChallenge(cs, "Bearer")
	return c.Params, ok
}
