// Package ident formats and parses fixgate's human-friendly record IDs
// (PRB-12, INC-981 …) and validates the names of named records (CIs,
// environments, users).
package ident

import (
	"strconv"
	"strings"

	"fixgate/internal/fault"
)

// Kind is a record type with a numeric ID.
type Kind struct {
	Prefix string // "PRB"
	Name   string // "problem"
}

var (
	Problem     = Kind{"PRB", "problem"}
	KnownError  = Kind{"KE", "known error"}
	Incident    = Kind{"INC", "incident"}
	Change      = Kind{"CHG", "change"}
	Release     = Kind{"REL", "release"}
	Deployment  = Kind{"DEP", "deployment"}
	PIR         = Kind{"PIR", "post-implementation review"}
	Approval    = Kind{"APR", "approval"}
	Component   = Kind{"CV", "component version"}
	Signature   = Kind{"SIG", "signature"}
	Gate        = Kind{"GATE", "gate evaluation"}
	Cycle       = Kind{"CYC", "release cycle"}
	Assessment  = Kind{"ASSESS", "control assessment"}
	AllNumbered = []Kind{Problem, KnownError, Incident, Change, Release, Deployment, PIR, Approval, Component, Signature, Gate, Cycle, Assessment}
)

// Format returns "PREFIX-n".
func (k Kind) Format(n int64) string { return k.Prefix + "-" + strconv.FormatInt(n, 10) }

// Parse returns n from "PREFIX-n" (prefix case-insensitive; a bare number is
// accepted too). Returns an Invalid error naming field otherwise.
func (k Kind) Parse(field, s string) (int64, error) {
	rest := s
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if !strings.EqualFold(s[:i], k.Prefix) {
			return 0, fault.Field(field, "%q is not a %s id (want %s-<number>)", s, k.Name, k.Prefix)
		}
		rest = s[i+1:]
	}
	if rest == "" || len(rest) > 18 || rest[0] == '0' || rest[0] == '+' {
		return 0, fault.Field(field, "%q is not a %s id (want %s-<number>)", s, k.Name, k.Prefix)
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n <= 0 {
		return 0, fault.Field(field, "%q is not a %s id (want %s-<number>)", s, k.Name, k.Prefix)
	}
	return n, nil
}

// KindOf returns the numbered kind whose prefix starts s ("REL-3" → Release).
func KindOf(s string) (Kind, bool) {
	i := strings.IndexByte(s, '-')
	if i < 0 {
		return Kind{}, false
	}
	for _, k := range AllNumbered {
		if strings.EqualFold(s[:i], k.Prefix) {
			return k, true
		}
	}
	return Kind{}, false
}

// MaxNameLen bounds the names of CIs, environments and users.
const MaxNameLen = 63

// ValidName returns an Invalid error naming field unless s is a name:
// 1–63 characters of lower-case letters, digits, '-', '_' and '.', starting
// with a letter or digit.
func ValidName(field, s string) error {
	if s == "" {
		return fault.Field(field, "is required")
	}
	if len(s) > MaxNameLen {
		return fault.Field(field, "%q is longer than %d characters", s, MaxNameLen)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_' || r == '.')
		if !ok {
			return fault.Field(field, "%q is not a valid name (lower-case letters, digits, '-', '_', '.'; starting with a letter or digit)", s)
		}
	}
	return nil
}
