// Package matcher parses and evaluates problem signatures: Prometheus-style
// label selectors such as
//
//	{alertname="HighErrorRate",service="checkout",env=~"prod-.*",error_code!~"4.."}
//
// that recognise the alerts and incidents of a problem. It does no I/O.
//
// Semantics follow Prometheus: a label that is absent matches as the empty
// string, regular expressions are fully anchored (^(?:re)$, RE2 syntax), and
// a selector matches a label set when every matcher does.
package matcher

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Op is a matcher operator.
type Op string

// The four operators.
const (
	Equal     Op = "="
	NotEqual  Op = "!="
	Regex     Op = "=~"
	NotRegex  Op = "!~"
	opUnknown Op = ""
)

// Limits of one selector, so that a signature stays something a person can
// read and the index stays cheap.
const (
	MaxSelectorBytes = 4096
	MaxMatchers      = 32
)

// Matcher is one label constraint. Build it with Parse or New; the zero
// value matches nothing useful.
type Matcher struct {
	Name  string
	Op    Op
	Value string
	re    *regexp.Regexp // compiled, anchored; set for Regex and NotRegex
}

// New returns a matcher, compiling the anchored regular expression for =~
// and !~. The value must compile on its own first, so that a value such as
// "a)|(b" cannot escape the anchoring. The error names neither field nor
// column; Parse adds them.
func New(name string, op Op, value string) (Matcher, error) {
	if !ValidLabelName(name) {
		return Matcher{}, fmt.Errorf("label name %q is not [a-zA-Z_][a-zA-Z0-9_]*", name)
	}
	if op != Equal && op != NotEqual && op != Regex && op != NotRegex {
		return Matcher{}, fmt.Errorf("unknown operator %q (want =, !=, =~ or !~)", op)
	}
	m := Matcher{Name: name, Op: op, Value: value}
	if op == Regex || op == NotRegex {
		if _, err := regexp.Compile(value); err != nil {
			return Matcher{}, err
		}
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, err
		}
		m.re = re
	}
	return m, nil
}

// Matches reports whether v (the label's value, "" when absent) satisfies m.
func (m Matcher) Matches(v string) bool {
	switch m.Op {
	case Equal:
		return v == m.Value
	case NotEqual:
		return v != m.Value
	case Regex, NotRegex:
		re := m.regexp()
		return re != nil && re.MatchString(v) == (m.Op == Regex)
	}
	return false
}

// regexp returns the compiled expression; a Matcher written as a literal
// (not built by New or Parse) is compiled on each call, and an invalid
// one returns nil (and Matches false).
func (m Matcher) regexp() *regexp.Regexp {
	if m.re != nil {
		return m.re
	}
	if c, err := New(m.Name, m.Op, m.Value); err == nil {
		return c.re
	}
	return nil
}

// String returns name, operator and the value quoted with Go escapes
// (strconv.Quote), e.g. env=~"prod-.*".
func (m Matcher) String() string { return m.Name + string(m.Op) + strconv.Quote(m.Value) }

// Equal reports whether m and o are the same constraint.
func (m Matcher) Equal(o Matcher) bool { return m.Name == o.Name && m.Op == o.Op && m.Value == o.Value }

func compare(a, b Matcher) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(string(a.Op), string(b.Op)); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}

// Selector is a set of matchers in canonical order (sorted by name,
// operator, value; duplicates removed). Parse returns it canonical.
type Selector []Matcher

// Canonical returns the matchers sorted by name, operator and value with
// exact duplicates removed. Equal signatures have equal canonical forms.
func Canonical(ms []Matcher) Selector {
	out := slices.Clone(ms)
	slices.SortFunc(out, compare)
	return slices.CompactFunc(out, Matcher.Equal)
}

// String returns the canonical text {a="1",b=~"x.*"}: parsing it gives an
// equal selector, and equal selectors give the same text.
func (s Selector) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.String())
	}
	b.WriteByte('}')
	return b.String()
}

// MarshalText encodes the canonical text, so a Selector is a JSON string.
func (s Selector) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses text with Parse; errors are Invalid naming "signature".
func (s *Selector) UnmarshalText(text []byte) error {
	sel, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = sel
	return nil
}

// Equal reports whether s and o hold the same matchers in the same order
// (canonical selectors: the same constraints).
func (s Selector) Equal(o Selector) bool { return slices.EqualFunc(s, o, Matcher.Equal) }

// Matches reports whether every matcher accepts labels (absent = "").
func (s Selector) Matches(labels map[string]string) bool {
	for _, m := range s {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return len(s) > 0
}

// MatchesEmpty reports whether m accepts the empty string, i.e. also an
// alert that lacks the label.
func (m Matcher) MatchesEmpty() bool { return m.Matches("") }

// ValidLabelName reports whether s is a Prometheus label name:
// [a-zA-Z_][a-zA-Z0-9_]*.
func ValidLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
