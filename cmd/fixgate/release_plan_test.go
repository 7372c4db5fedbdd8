package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// TestReleasePlanAndNextCLI: --depends-on takes a kind; release plan
// prints the table (or the JSON items); release create --next proposes
// the version and says its basis, and refuses --version with it.
func TestReleasePlanAndNextCLI(t *testing.T) {
	s, rita, _ := tagServer(t)
	ctx := context.Background()
	admin := audit.Actor{User: "admin", Role: "admin"}
	if _, err := s.CreateCI(ctx, admin, ci.CI{Name: "payments-lib"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProblem(ctx, admin, problem.Problem{Title: "rounding", Priority: 2, CIs: []string{"payments-lib"}}, nil); err != nil {
		t.Fatal(err)
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		code, out, stderr := runCLI(t, append(rita, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d: %s %s", args, code, want, out, stderr)
		}
		return out + stderr
	}
	cli(0, "component", "create", "payments-lib@2.1.4")
	if out := cli(2, "component", "create", "checkout-api@1.4.2", "--depends-on", "payments-lib:^2.1:links"); !strings.Contains(out, "depends-on") {
		t.Fatalf("bad kind: %s", out)
	}
	cli(0, "component", "create", "checkout-api@1.4.2", "--depends-on", "payments-lib:^2.1:embeds")
	if v, _ := s.GetComponent(ctx, "checkout-api@1.4.2"); v.Dependencies[0].Kind != ci.Embeds {
		t.Fatalf("kind not sent: %+v", v)
	}

	out := cli(0, "release", "plan", "--resolves", "PRB-2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "CI ") || !strings.Contains(lines[1], "payments-lib  2.1.4") ||
		!strings.Contains(lines[2], "checkout-api  1.4.2            1.4.3             payments-lib  embeds payments-lib") {
		t.Fatalf("plan table:\n%s", out)
	}
	var plan struct{ Items []release.PlanItem }
	if err := json.Unmarshal([]byte(cli(0, "-o", "json", "release", "plan", "--resolves", "PRB-2")), &plan); err != nil || len(plan.Items) != 2 ||
		plan.Items[1].Reason != "embeds payments-lib" {
		t.Fatalf("plan json: %+v %v", plan, err)
	}
	cli(2, "release", "plan")

	if out := cli(2, "release", "create", "--type", "problem-fix", "--resolves", "PRB-2", "--next", "--version", "2.1.5"); !strings.Contains(out, "--version or --next") {
		t.Fatalf("both: %s", out)
	}
	cli(0, "release", "create", "--type", "feature", "--version", "2.1.4", "--component", "payments-lib@2.1.4")
	out = cli(0, "release", "create", "--type", "problem-fix", "--resolves", "PRB-2", "--next")
	if !strings.Contains(out, "version:        2.1.5") || !strings.Contains(out, "version_basis:  REL-2 2.1.4, the latest release of payments-lib") {
		t.Fatalf("next:\n%s", out)
	}
}
