// Package auth defines fixgate's roles, the principal a request acts as, and
// token generation and hashing. Tokens are 256-bit random values shown once
// and stored only as their SHA-256.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"

	"fixgate/internal/fault"
)

// Role is what a user may act as.
type Role string

const (
	Admin          Role = "admin"
	ProblemManager Role = "problem_manager"
	ReleaseManager Role = "release_manager"
	Engineer       Role = "engineer"
	CABMember      Role = "cab_member"
	Validator      Role = "validator"
	Auditor        Role = "auditor"
	Pipeline       Role = "pipeline"
)

// AllRoles lists every role in a stable order.
var AllRoles = []Role{Admin, ProblemManager, ReleaseManager, Engineer, CABMember, Validator, Auditor, Pipeline}

// Readers may read every record: all roles.
var Readers = AllRoles

// ParseRole returns ErrInvalid naming field if s is not a role.
func ParseRole(field, s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if !slices.Contains(AllRoles, r) {
		return "", fault.Field(field, "unknown role %q (want one of %s)", s, joinRoles(AllRoles))
	}
	return r, nil
}

func joinRoles(rs []Role) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ", ")
}

// Principal is the authenticated user a request acts for.
type Principal struct {
	User  string `json:"user"`
	Roles []Role `json:"roles"`
}

// Has reports whether p holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// ActingRole returns the first of allowed that p holds, and false if none.
// Audit events record it as the role the user acted in.
func (p Principal) ActingRole(allowed []Role) (Role, bool) {
	for _, r := range allowed {
		if p.Has(r) {
			return r, true
		}
	}
	return "", false
}

// TokenPrefix marks fixgate tokens so secret scanners can find leaked ones.
const TokenPrefix = "fgt_"

// NewToken returns a fresh random token (256 bits) and its stored hash.
func NewToken() (plain, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	plain = TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return plain, HashToken(plain)
}

// HashToken returns the hex SHA-256 of a token. Tokens carry 256 bits of
// entropy, so a fast hash is sufficient and lets lookups use an index.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}
