package policy

import (
	"slices"
	"strings"

	"fixgate/internal/auth"
	"fixgate/internal/ident"
)

// OIDC is the policy's oidc key: how a person signed in with single sign-on
// (OpenID Connect) becomes a fixgate user. RoleClaim names the ID token
// claim that lists the person's groups (a string or a list of strings);
// Roles maps each group to a role; UsernameClaim names the claim that gives
// the user name. A person none of whose groups is mapped gets no access.
type OIDC struct {
	RoleClaim     string            `yaml:"role_claim" json:"role_claim"`
	UsernameClaim string            `yaml:"username_claim" json:"username_claim"`
	Roles         map[string]string `yaml:"roles" json:"roles"`
}

// Defaults of the oidc key's claims.
const (
	DefaultRoleClaim     = "groups"
	DefaultUsernameClaim = "preferred_username"
)

// validateOIDC fills the default claims and refuses an empty mapping, an
// unknown role or a blank group or claim name.
func (p *Policy) validateOIDC() error {
	o := p.OIDC
	if o == nil {
		return nil
	}
	if o.RoleClaim == "" {
		o.RoleClaim = DefaultRoleClaim
	}
	if o.UsernameClaim == "" {
		o.UsernameClaim = DefaultUsernameClaim
	}
	for path, c := range map[string]string{"oidc.role_claim": o.RoleClaim, "oidc.username_claim": o.UsernameClaim} {
		if strings.TrimSpace(c) != c || len(c) > 100 {
			return bad(path, "must be a claim name without surrounding blanks, at most 100 characters")
		}
	}
	if len(o.Roles) == 0 {
		return bad("oidc.roles", "needs at least one GROUP: ROLE (without one, no one may sign in with single sign-on)")
	}
	for _, g := range sortedKeys(o.Roles) {
		if strings.TrimSpace(g) == "" {
			return bad("oidc.roles", "a group name is blank")
		}
		if !slices.Contains(auth.AllRoles, auth.Role(o.Roles[g])) {
			return bad("oidc.roles."+g, "unknown role %q (want one of %s)", o.Roles[g], roleNames())
		}
	}
	return nil
}

func roleNames() string {
	xs := make([]string, len(auth.AllRoles))
	for i, r := range auth.AllRoles {
		xs[i] = string(r)
	}
	return strings.Join(xs, ", ")
}

// MapRoles returns the roles the groups in claims[RoleClaim] map to,
// sorted and distinct; none (nil) when o is nil, the claim is missing or
// none of its groups is mapped. The claim may be a string or a list.
func (o *OIDC) MapRoles(claims map[string]any) []auth.Role {
	if o == nil {
		return nil
	}
	var groups []string
	switch v := claims[o.RoleClaim].(type) {
	case string:
		groups = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				groups = append(groups, s)
			}
		}
	}
	var out []auth.Role
	for _, g := range groups {
		if r, ok := o.Roles[g]; ok {
			out = append(out, auth.Role(r))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Username returns the user name in claims[UsernameClaim], which must be a
// valid name (ident.ValidName: lower-case letters, digits, '-', '_', '.').
func (o *OIDC) Username(claims map[string]any) (string, error) {
	s, _ := claims[o.UsernameClaim].(string)
	return s, ident.ValidName(o.UsernameClaim, s)
}
