// Package labels holds label sets: string key/value pairs that describe
// incidents, alerts and known errors, with Prometheus label-name rules so
// that Alertmanager labels can be stored as they arrive. It does no I/O.
package labels

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"

	"fixgate/internal/fault"
)

// Limits of one label set.
const (
	MaxLabels     = 64
	MaxNameBytes  = 128
	MaxValueBytes = 1024
)

// Set is a label set. A nil Set is empty; JSON encodes it sorted by name
// (encoding/json sorts map keys).
type Set map[string]string

// ValidName reports whether s is a Prometheus label name:
// [a-zA-Z_][a-zA-Z0-9_]*, at most MaxNameBytes long.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// checkPair returns an Invalid error naming field (and the label) unless
// name is a label name and value valid UTF-8 of at most MaxValueBytes.
func checkPair(field, name, value string) error {
	if !ValidName(name) {
		return fault.Field(field, "label name %q is not valid (letters, digits and '_', not starting with a digit, at most %d bytes)",
			clip(name), MaxNameBytes)
	}
	if !utf8.ValidString(value) {
		return fault.Field(field, "label %q: value is not valid UTF-8", name)
	}
	if len(value) > MaxValueBytes {
		return fault.Field(field, "label %q: value is longer than %d bytes", name, MaxValueBytes)
	}
	return nil
}

// clip shortens s for an error message and makes it valid UTF-8.
func clip(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// ParsePair splits "name=value" (the CLI's --label) at the first '='.
// The value may be empty or contain '='. Returns an Invalid error naming field.
func ParsePair(field, s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fault.Field(field, "%q is not name=value", clip(s))
	}
	if err := checkPair(field, name, value); err != nil {
		return "", "", err
	}
	return name, value, nil
}

// ParseSet builds a set from "name=value" pairs. A name given twice is
// refused (the caller probably mistyped), as are more than MaxLabels pairs.
func ParseSet(field string, pairs []string) (Set, error) {
	if len(pairs) > MaxLabels {
		return nil, fault.Field(field, "at most %d labels, got %d", MaxLabels, len(pairs))
	}
	out := make(Set, len(pairs))
	for _, p := range pairs {
		k, v, err := ParsePair(field, p)
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fault.Field(field, "label %q is given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// Validate returns an Invalid error naming field and the first bad label
// (in name order), or nil.
func (s Set) Validate(field string) error {
	if len(s) > MaxLabels {
		return fault.Field(field, "at most %d labels, got %d", MaxLabels, len(s))
	}
	for _, k := range s.Names() {
		if err := checkPair(field, k, s[k]); err != nil {
			return err
		}
	}
	return nil
}

// Names returns the label names, sorted.
func (s Set) Names() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Clone returns a copy; the copy of a nil set is an empty, non-nil set.
func (s Set) Clone() Set {
	out := make(Set, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// Equal reports whether both sets hold the same pairs (nil equals empty).
func (s Set) Equal(o Set) bool {
	if len(s) != len(o) {
		return false
	}
	for k, v := range s {
		if w, ok := o[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Has reports whether s holds every pair of sub.
func (s Set) Has(sub Set) bool {
	for k, v := range sub {
		if w, ok := s[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// String is the canonical encoding: {a="1", b="x\"y"} sorted by name,
// values quoted with \\, \" and \n escaped as in the Prometheus text format.
// Two sets are equal exactly when their encodings are.
func (s Set) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range s.Names() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(escaper.Replace(s[k]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Fingerprint is a stable identifier of the set: the first 16 hex digits
// of the SHA-256 of its canonical encoding ("" for an empty set).
func (s Set) Fingerprint() string {
	if len(s) == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(s.String()))
	return hex.EncodeToString(sum[:8])
}
