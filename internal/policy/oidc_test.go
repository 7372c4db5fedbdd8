package policy_test

import (
	"slices"
	"strings"
	"testing"

	"fixgate/internal/auth"
	"fixgate/internal/policy"
)

func TestOIDCKey(t *testing.T) {
	p, err := policy.Parse([]byte("oidc:\n  roles:\n    fixgate-admins: admin\n    sre: engineer\n    cab: cab_member\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := p.OIDC
	if o == nil || o.RoleClaim != "groups" || o.UsernameClaim != "preferred_username" {
		t.Fatalf("defaults not filled: %+v", o)
	}
	claims := map[string]any{"groups": []any{"sre", "cab", "unmapped", 7, "sre"}, "preferred_username": "alice"}
	if got := o.MapRoles(claims); !slices.Equal(got, []auth.Role{auth.CABMember, auth.Engineer}) {
		t.Errorf("roles = %v", got)
	}
	if got := o.MapRoles(map[string]any{"groups": "fixgate-admins"}); !slices.Equal(got, []auth.Role{auth.Admin}) {
		t.Errorf("a single group as a string: %v", got)
	}
	if got := o.MapRoles(map[string]any{"groups": []any{"nobody"}}); got != nil {
		t.Errorf("no mapped group gave %v", got)
	}
	if got := (*policy.OIDC)(nil).MapRoles(claims); got != nil {
		t.Errorf("no oidc key gave %v", got)
	}
	if name, err := o.Username(claims); err != nil || name != "alice" {
		t.Errorf("username: %q %v", name, err)
	}
	for _, bad := range []any{"Alice", "a b", "", nil, 3} {
		if _, err := o.Username(map[string]any{"preferred_username": bad}); err == nil {
			t.Errorf("username %v accepted", bad)
		}
	}
	if p.Hash() == policy.Default().Hash() {
		t.Error("the oidc key does not change the policy hash")
	}
}

func TestOIDCKeyRefusals(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"oidc:\n  roles:\n    sre: superuser\n", `line 3: oidc.roles.sre: unknown role "superuser"`},
		{"oidc:\n  role_claim: groups\n", "oidc.roles: needs at least one"},
		{"oidc:\n  roles: {sre: engineer}\n  group_claim: x\n", "line 3: oidc.group_claim: unknown key"},
		{"oidc:\n  roles: {sre: [engineer]}\n", "line 2"},
	} {
		_, err := policy.Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
	if policy.Default().OIDC != nil {
		t.Error("the built-in policy maps single sign-on groups")
	}
}
