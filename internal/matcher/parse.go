package matcher

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"fixgate/internal/fault"
)

// Field is the input field that parse errors name.
const Field = "signature"

// Parse reads a selector: optional braces around comma-separated matchers
// name OP value, OP one of = != =~ !~, values double-quoted with Go/PromQL
// escapes (\" \\ \n \t \xNN \uNNNN …) or unquoted as Alertmanager accepts them
// (see value), whitespace allowed between tokens and a trailing comma
// accepted: every form Alertmanager 0.25's matcher parser takes. It refuses an empty selector and one whose every
// matcher also matches an absent label: a signature must constrain something.
// Errors are Invalid, name the field "signature" and give the 1-based column.
func Parse(s string) (Selector, error) {
	if len(s) > MaxSelectorBytes {
		return nil, fault.Field(Field, "is longer than %d bytes", MaxSelectorBytes)
	}
	if !utf8.ValidString(s) {
		off := 0
		for off < len(s) {
			r, n := utf8.DecodeRuneInString(s[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, errAt(s, off, "invalid UTF-8")
	}
	p := &parser{src: s}
	ms, err := p.selector()
	if err != nil {
		return nil, err
	}
	if len(ms) > MaxMatchers {
		return nil, fault.Field(Field, "has %d matchers; at most %d", len(ms), MaxMatchers)
	}
	sel := Canonical(ms)
	if len(sel) == 0 {
		return nil, errAt(s, p.closeAt, "empty selector: a signature must constrain something")
	}
	for _, m := range sel {
		if !m.MatchesEmpty() {
			return sel, nil
		}
	}
	return nil, fault.Field(Field, "every matcher also matches alerts that lack the label (%s); "+
		"add one that requires a value, such as alertname=\"…\"", sel)
}

// MustParse is Parse for literals known to be valid; it panics otherwise.
func MustParse(s string) Selector {
	sel, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

type parser struct {
	src     string
	pos     int
	closeAt int // offset of the closing brace (or end), for "empty selector"
}

func errAt(src string, off int, format string, args ...any) error {
	col := utf8.RuneCountInString(src[:off]) + 1
	return fault.Field(Field, "column %d: %s", col, fmt.Sprintf(format, args...))
}

func (p *parser) fail(format string, args ...any) error { return errAt(p.src, p.pos, format, args...) }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// selector parses ws ( "{" list "}" | list ) ws EOF.
func (p *parser) selector() ([]Matcher, error) {
	p.skipSpace()
	braced := p.peek() == '{'
	if braced {
		p.pos++
	}
	var ms []Matcher
	for {
		p.skipSpace()
		if p.pos == len(p.src) || braced && p.peek() == '}' {
			break
		}
		m, err := p.matcher()
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		p.skipSpace()
		if p.peek() != ',' {
			break
		}
		p.pos++
	}
	p.closeAt = p.pos
	if braced {
		if p.peek() != '}' {
			if p.pos == len(p.src) {
				return nil, p.fail("missing closing '}'")
			}
			return nil, p.fail("expected ',' or '}', found %q", p.rest())
		}
		p.pos++
		p.skipSpace()
	}
	if p.pos != len(p.src) {
		return nil, p.fail("unexpected %q after the selector", p.rest())
	}
	return ms, nil
}

// rest returns a short excerpt of the unparsed input for error messages.
func (p *parser) rest() string {
	r, n := p.src[p.pos:], 0
	for i := range r {
		if n++; n > 12 {
			return r[:i] + "…"
		}
	}
	return r
}

func (p *parser) matcher() (Matcher, error) {
	start := p.pos
	for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if name == "" {
		return Matcher{}, p.fail("expected a label name, found %q", p.rest())
	}
	if !ValidLabelName(name) {
		p.pos = start
		return Matcher{}, p.fail("label name %q must not start with a digit", name)
	}
	p.skipSpace()
	op := p.op()
	if op == opUnknown {
		return Matcher{}, p.fail("expected =, !=, =~ or !~ after %q", name)
	}
	p.skipSpace()
	valueAt := p.pos
	value, err := p.value()
	if err != nil {
		return Matcher{}, err
	}
	m, err := New(name, op, value)
	if err != nil {
		return Matcher{}, errAt(p.src, valueAt, "matcher %s%s%s: invalid regular expression: %v",
			name, op, p.src[valueAt:p.pos], reReason(err))
	}
	return m, nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) op() Op {
	for _, op := range []Op{Regex, NotRegex, NotEqual, Equal} { // two-byte operators first
		if strings.HasPrefix(p.src[p.pos:], string(op)) {
			p.pos += len(op)
			return op
		}
	}
	return opUnknown
}

// value reads a matcher's value: double-quoted with escapes, or unquoted
// as Alertmanager accepts it (amtool, silences, routes: alertname=HighErrorRate,
// env=prod eu): the text up to the next ',' or '}' or the end, taken
// literally without surrounding blanks. An unquoted value cannot hold ',',
// '}' or '"', nor start with '=', '~' or a single quote (Alertmanager would
// take {a==1} as the value "=1" and {a='1'} with its quotes: here both are
// refused as typos); quote those. Nothing before a ',' is the empty value.
func (p *parser) value() (string, error) {
	if p.peek() == '"' {
		return p.quoted()
	}
	start := p.pos
	for p.pos < len(p.src) && strings.IndexByte(",}\"\n", p.src[p.pos]) < 0 {
		p.pos++
	}
	if p.peek() == '"' {
		return "", p.fail("a '\"' inside an unquoted value: quote the whole value")
	}
	if p.peek() == '\n' {
		return "", p.fail("newline in a value (quote it and write \\n)")
	}
	v := strings.TrimRight(p.src[start:p.pos], " \t\r")
	if v != "" && strings.IndexByte("=~'", v[0]) >= 0 { // a doubled operator or single quotes: a typo, not a value
		return "", errAt(p.src, start, "unquoted value %q starts with %q: write the value in double quotes", v, v[0])
	}
	return v, nil
}

// quoted reads a double-quoted string with Go escapes.
func (p *parser) quoted() (string, error) {
	if p.peek() != '"' {
		if p.pos == len(p.src) {
			return "", p.fail("expected a double-quoted value, found the end")
		}
		return "", p.fail("expected a double-quoted value, found %q", p.rest())
	}
	start := p.pos
	i := p.pos + 1
	for ; i < len(p.src) && p.src[i] != '"'; i++ {
		switch p.src[i] {
		case '\\':
			i++
		case '\n':
			return "", errAt(p.src, i, "newline in quoted value (write \\n)")
		}
	}
	if i >= len(p.src) {
		return "", p.fail("unterminated quoted value")
	}
	p.pos = i + 1
	v, err := strconv.Unquote(p.src[start:p.pos])
	if err != nil {
		return "", errAt(p.src, start, "invalid escape in quoted value %s (use \\\" \\\\ \\n \\t \\xNN \\uNNNN)", p.src[start:p.pos])
	}
	if !utf8.ValidString(v) {
		return "", errAt(p.src, start, "quoted value %s is not valid UTF-8", p.src[start:p.pos])
	}
	return v, nil
}

// reReason strips Go's "error parsing regexp: " prefix.
func reReason(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}
