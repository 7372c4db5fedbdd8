package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// TestGateInputBatchReadsWhatEachReads: on PostgreSQL GateInput sends its
// statements as pgx batches and scans pgx's rows; it must read exactly what
// the same statements read one by one through database/sql, on a release
// where every statement returns rows (a resolved problem with a validated
// RCA, an artifact, deployments, a live version, an open problem, open
// incidents with and without a firing alert, a lone firing alert, a change
// with a deviation, approvals of the release and of the change, and a
// catalogue that moved since it was last read). On SQLite both run one by
// one.
func TestGateInputBatchReadsWhatEachReads(t *testing.T) {
	s, clock := healthWorld(t)
	ctx := context.Background()
	gateBatchWorld(t, s, clock.Now())
	for _, q := range []store.GateQuery{{Release: 2, Env: "prod-eu", At: clock.Now().Add(time.Hour)}, {Release: 2, At: clock.Now()},
		{Release: 1, Env: "staging", At: clock.Now()}} {
		batch, brevs, err := s.GateInput(ctx, q, policy.Default())
		if err != nil {
			t.Fatal(err)
		}
		each, erevs, err := s.GateInputEach(ctx, q, policy.Default())
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(each, batch, cmpopts.IgnoreUnexported(gate.Input{})); d != "" { // unexported: a memo
			t.Fatalf("%+v: batch differs (-each +batch):\n%s", q, d)
		}
		if d := cmp.Diff(erevs, brevs); d != "" {
			t.Fatalf("%+v: revisions differ (-each +batch):\n%s", q, d)
		}
	}
	in, _, err := s.GateInput(ctx, store.GateQuery{Release: 2, Env: "prod-eu", At: clock.Now().Add(time.Hour)}, policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Problems) != 1 || in.Problems[0].RCA.ValidatedRole != "problem_manager" || len(in.OpenProblems) != 1 ||
		in.Live["shop-api"] != "1.0.0" || len(in.Deployments) != 1 || len(in.OpenIncidents) != 2 || len(in.FiringAlerts) != 2 ||
		in.Change == nil || len(in.Change.Deviations) != 1 || len(in.Approvals) != 2 || len(in.Catalogue["shop-api"]) != 2 {
		t.Fatalf("the comparison must cover every statement with rows: %+v", in)
	}
}

// gateBatchWorld adds to healthWorld: PRB-1 on shop-api with an RCA
// validated by pm; shop-api@1.0.1 and REL-2 shipping it, resolving PRB-1,
// with an artifact; REL-1 live in prod-eu and REL-2 succeeded in staging;
// an incident opened by hand and one opened by a firing alert on shop-api
// in prod-eu; CHG-1 of REL-2 for prod-eu with a deviation; approvals of
// REL-2 and CHG-1.
func gateBatchWorld(t *testing.T, s *store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for name, role := range map[string]auth.Role{"pm": auth.ProblemManager, "cab": auth.CABMember} {
		mustDo(t, func() error {
			_, _, err := s.CreateUser(ctx, alice, auth.User{Name: name, Roles: []auth.Role{role}})
			return err
		})
	}
	pm := audit.Actor{User: "pm", Role: string(auth.ProblemManager), RequestID: "t"}
	mustDo(t, func() error {
		_, err := s.CreateProblem(ctx, pm, problem.Problem{Title: "shop-api leaks", Priority: 3, CIs: []string{"shop-api"}}, nil)
		return err
	})
	for _, step := range []struct {
		action string
		fn     func(*problem.Problem, store.ProblemContext) error
	}{
		{"problem.update", func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.Assess, "pm", c.Now, 0) }},
		{"problem.update", func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.RCA, "pm", c.Now, 0) }},
		{"problem.update", func(p *problem.Problem, c store.ProblemContext) error {
			return p.RecordRCA("code_defect", "never evicts", "", "bob", c.Now, problem.DefaultCategories)
		}},
		{"problem.validate_rca", func(p *problem.Problem, c store.ProblemContext) error { return p.ValidateRCA("pm", c.Now) }},
	} {
		mustDo(t, func() error { _, err := s.UpdateProblem(ctx, pm, 1, 0, step.action, step.fn); return err })
	}
	mustDo(t, func() error {
		_, err := s.CreateComponent(ctx, alice, ci.Version{CI: "shop-api", Version: "1.0.1"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"},
			Components: []string{"shop-api@1.0.1"}})
		return err
	})
	sha := strings.Repeat("ab", 32)
	mustDo(t, func() error {
		_, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "notes.md", Size: 3}, "other")
		return err
	})
	mustDo(t, func() error { _, err := s.AttachReleaseArtifact(ctx, alice, 2, 0, sha, "other"); return err })
	engDeploy(t, s, "REL-1", "prod-eu", deploy.Succeeded)
	engDeploy(t, s, "REL-2", "staging", deploy.Succeeded)
	openIncident(t, s, "shop-api", "prod-eu", 3)
	api := map[string]string{"alertname": "ApiErrors", "service": "shop-api", "env": "prod-eu", "severity": "critical"}
	sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: api, starts: now.Add(-time.Minute)}))
	mustDo(t, func() error {
		_, err := s.CreateChange(ctx, alice, change.Change{Title: "fix", Type: change.Normal, Release: "REL-2", Env: "prod-eu"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.UpdateChange(ctx, alice, 1, 0, "change.deviation", func(c *change.Change, cc store.ChangeContext) error {
			return c.AddBoundedDeviation("maintenance_window", "hotfix", "bob", nil, nil, cc.Now)
		})
		return err
	})
	cab := audit.Actor{User: "cab", Role: string(auth.CABMember), RequestID: "t"}
	for _, rec := range []string{"REL-2", "CHG-1"} {
		mustDo(t, func() error {
			_, err := s.CreateApproval(ctx, cab, approval.Approval{Record: rec, Decision: approval.Approve}, 0)
			return err
		})
	}
	mustDo(t, func() error {
		_, err := s.CreateComponent(ctx, alice, ci.Version{CI: "web", Version: "9.0.0"})
		return err
	})
}
