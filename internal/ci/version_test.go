package ci

import (
	"strings"
	"testing"

	"fixgate/internal/fault"
)

func TestVersionValidate(t *testing.T) {
	v := Version{CI: "checkout-api", Version: "1.4.3", Digest: "sha256:" + strings.Repeat("a", 64)}
	if err := v.Validate(); err != nil || v.Dependencies == nil {
		t.Fatalf("valid: %+v %v", v, err)
	}
	for _, tc := range []struct {
		v     Version
		field string
	}{
		{Version{CI: "Checkout", Version: "1.0.0"}, "ci"},
		{Version{CI: "a", Version: "v1"}, "version"},
		{Version{CI: "a", Version: "1.0.0", Digest: "md5:abc"}, "digest"},
		{Version{CI: "a", Version: "1.0.0", Digest: "sha256:" + strings.Repeat("A", 64)}, "digest"},
		{Version{CI: "a", Version: "1.0.0", Dependencies: []Dependency{{CI: "b", Constraint: "not a constraint"}}}, "dependencies"},
		{Version{CI: "a", Version: "1.0.0", Dependencies: []Dependency{{CI: "B!", Constraint: "^1"}}}, "dependencies"},
	} {
		if fe := fault.As(tc.v.Validate()); fe == nil || fe.Field != tc.field {
			t.Errorf("%+v: want invalid %s, got %v", tc.v, tc.field, fe)
		}
	}
}

func TestVersionMachine(t *testing.T) {
	v := Version{Status: Candidate}
	if err := v.Move(Approved); err != nil {
		t.Fatal(err)
	}
	if err := v.Move(Candidate); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("back to candidate: %v", err)
	}
	for _, to := range []string{Unstable, Approved, Revoked} {
		if err := v.Move(to); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
	}
	if err := v.Move(Approved); fault.CodeOf(err) != fault.Conflict || v.Status != Revoked {
		t.Fatalf("revoked is final: %v", err)
	}
}

func TestParseRef(t *testing.T) {
	name, ver, err := ParseRef("components", "checkout-api@1.4.3")
	if err != nil || name != "checkout-api" || ver != "1.4.3" {
		t.Fatalf("%s %s %v", name, ver, err)
	}
	for _, bad := range []string{"checkout-api", "@1.0.0", "checkout-api@latest", "Checkout@1.0.0"} {
		if fe := fault.As(func() error { _, _, err := ParseRef("components", bad); return err }()); fe == nil || fe.Field != "components" {
			t.Errorf("%q: want invalid components, got %v", bad, fe)
		}
	}
}
