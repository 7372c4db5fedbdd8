package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
)

// gateCIs is the size of the CI graph.
const gateCIs = 200

// The releases the gate-rate case asks about: the fix (prepared to pass)
// and what is live (blocked). Not REL-1: SQLite 3.54 plans a "col = ?"
// term of a join or an ORDER BY query differently for 0 and 1, so a
// statement bound to 1 after another value (or the reverse) is parsed and
// planned again; asking for REL-1 and REL-2 in turn did that on every
// request (bench/README.md, session 6), which real release numbers do not.
const (
	gateFixRelease  = "REL-4"
	gateLiveRelease = "REL-3"
)

// gateDataset builds 200 CIs (ci-i depends on up to three CIs of higher
// number, each with an approved 1.0.0 whose dependencies follow the graph),
// the users, REL-3: a well-prepared problem-fix of ci-000 (validated RCA,
// approved components, CAB approval, change with a canary model), 1.0.0 of
// ci-000 live in prod-eu, then the history: releases, canceled problems on
// ci-000 and prod-eu, and incidents. It returns the pipeline's token.
func gateDataset(ctx context.Context, st *store.Store, releases, incidents int) (string, error) {
	a := audit.System("bench")
	if _, _, err := st.Bootstrap(ctx, ""); err != nil {
		return "", err
	}
	tokens := map[string]string{}
	for name, role := range map[string]auth.Role{"pm": auth.ProblemManager, "eng": auth.Engineer, "cab": auth.CABMember,
		"rm": auth.ReleaseManager, "bot": auth.Pipeline} {
		_, tok, err := st.CreateUser(ctx, a, auth.User{Name: name, Roles: []auth.Role{role}})
		if err != nil {
			return "", err
		}
		tokens[name] = tok
	}
	if _, err := st.CreateEnvironment(ctx, a, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		return "", err
	}
	if err := gateGraph(ctx, st, a); err != nil {
		return "", err
	}
	if err := gateFix(ctx, st); err != nil {
		return "", err
	}
	return tokens["bot"], gateHistory(ctx, st, a, releases, incidents)
}

func ciName(i int) string { return fmt.Sprintf("ci-%03d", i) }

func ciDeps(i int) []string {
	var out []string
	for _, j := range []int{i*2 + 1, i*2 + 2, i + 7} {
		if j < gateCIs && j > i && (len(out) == 0 || out[len(out)-1] != ciName(j)) {
			out = append(out, ciName(j))
		}
	}
	return out
}

func gateGraph(ctx context.Context, st *store.Store, a audit.Actor) error {
	for i := gateCIs - 1; i >= 0; i-- {
		deps := ciDeps(i)
		if _, err := st.CreateCI(ctx, a, ci.CI{Name: ciName(i), Kind: "service", Criticality: "medium", DependsOn: slices.Clone(deps)}); err != nil {
			return err
		}
		var cd []ci.Dependency
		for _, d := range deps {
			cd = append(cd, ci.Dependency{CI: d, Constraint: "^1.0.0"})
		}
		versions := []string{"1.0.0"}
		if i == 0 {
			versions = append(versions, "1.0.1")
		}
		for _, v := range versions {
			if _, err := st.CreateComponent(ctx, a, ci.Version{CI: ciName(i), Version: v, Dependencies: cd}); err != nil {
				return err
			}
			if _, err := st.MoveComponent(ctx, a, ciName(i)+"@"+v, 0, ci.Approved); err != nil {
				return err
			}
		}
	}
	return nil
}

// gateFix creates REL-1 and REL-2 (old releases of ci-000), REL-3 (what
// is live), REL-4 (the fix, prepared to pass) and DEP-1.
func gateFix(ctx context.Context, st *store.Store) error {
	pm, eng := audit.Actor{User: "pm", Role: "problem_manager"}, audit.Actor{User: "eng", Role: "engineer"}
	rm, cab := audit.Actor{User: "rm", Role: "release_manager"}, audit.Actor{User: "cab", Role: "cab_member"}
	for _, v := range []string{"0.100.0", "0.100.1"} {
		if _, err := st.CreateRelease(ctx, rm, release.Release{Version: v, Type: release.Feature, Components: []string{ciName(0) + "@1.0.0"}}); err != nil {
			return err
		}
	}
	p, err := st.CreateProblem(ctx, pm, problem.Problem{Title: "ci-000 leaks memory", Priority: 3, CIs: []string{ciName(0)}}, nil)
	if err != nil {
		return err
	}
	steps := []struct {
		who audit.Actor
		fn  func(*problem.Problem, store.ProblemContext) error
	}{
		{pm, func(x *problem.Problem, c store.ProblemContext) error { return x.Move(problem.Assess, "pm", c.Now, 0) }},
		{pm, func(x *problem.Problem, c store.ProblemContext) error { return x.Move(problem.RCA, "pm", c.Now, 0) }},
		{eng, func(x *problem.Problem, c store.ProblemContext) error {
			return x.RecordRCA("code_defect", "cache never evicts", "", "eng", c.Now, problem.DefaultCategories)
		}},
		{pm, func(x *problem.Problem, c store.ProblemContext) error { return x.ValidateRCA("pm", c.Now) }},
		{pm, func(x *problem.Problem, c store.ProblemContext) error {
			return x.Move(problem.FixInProgress, "pm", c.Now, 0)
		}},
	}
	for i, s := range steps {
		action := "problem.update"
		if i == 3 {
			action = "problem.validate_rca"
		}
		if _, err := st.UpdateProblem(ctx, s.who, 1, 0, action, s.fn); err != nil {
			return err
		}
	}
	// what is live comes first: a release's version must bump its line's latest
	if _, err := st.CreateRelease(ctx, rm, release.Release{Version: "1.0.0", Type: release.Feature, Components: []string{ciName(0) + "@1.0.0"}}); err != nil {
		return err
	}
	if _, err := st.CreateRelease(ctx, rm, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{p.ID},
		Components: []string{ciName(0) + "@1.0.1"}}); err != nil {
		return err
	}
	if err := gateLive(ctx, st, rm); err != nil {
		return err
	}
	if _, err := st.CreateChange(ctx, rm, change.Change{Title: "fix the leak", Type: change.Normal, Release: gateFixRelease, Env: "prod-eu",
		ChangeModel: "memory-leak-patch"}); err != nil {
		return err
	}
	for _, who := range []audit.Actor{cab, pm} { // risk medium: two peers
		if _, err := st.CreateApproval(ctx, who, approval.Approval{Record: gateFixRelease, RecordType: approval.RecordRelease, Decision: "approve"}, 0); err != nil {
			return err
		}
	}
	return nil
}

// gateLive puts REL-4 live in prod-eu as DEP-1 the way every deployment
// goes: started through the gate (under livePolicy, GATE-1), its one
// stage reported by the pipeline (driver "reported"), then succeeded by the
// rollout engine's store step.
func gateLive(ctx context.Context, st *store.Store, rm audit.Actor) error {
	d, ev, err := st.StartDeployment(ctx, rm, store.StartRequest{Release: gateLiveRelease, Env: "prod-eu", Driver: rollout.ReportedDriver,
		Stages: []deploy.Stage{{Name: "full", Weight: 100}}}, livePolicy(), 0)
	if err != nil {
		return err
	}
	if ev.Decision != gate.Allowed {
		return fmt.Errorf("start of what is live: the gate said %s (%s)", ev.Decision, ev.ID)
	}
	if _, err := st.ReportStage(ctx, rm, 1, "full", rollout.ActionSucceeded, "deployed"); err != nil {
		return err
	}
	engine := audit.Actor{User: "fixgate-engine", Role: "system", RequestID: "bench"}
	if d, err = st.SucceedDeployment(ctx, engine, 1, 0, st.Now().Add(time.Hour)); err == nil && d.Status != deploy.Succeeded {
		err = fmt.Errorf("DEP-1 is %s after succeeding", d.Status)
	}
	return err
}

// livePolicy is the built-in policy with every gate rule off: what is live
// predates the fix the bench evaluates.
func livePolicy() *policy.Policy {
	p := policy.Default()
	r := &p.Gate.Rules
	for _, sw := range []*policy.Switch{&r.RCAValidated.Switch, &r.ProblemState.Switch, &r.OpenProblems.Switch, &r.ComponentApproval.Switch,
		&r.Segregation, &r.Semver.Switch, &r.SeparationOfDuties, &r.Approvals, &r.MaintenanceWindow.Switch, &r.Canary.Switch,
		&r.Progression, &r.TargetHealth.Switch} {
		sw.Enabled = false
	}
	p.Gate.Custom = nil
	return p
}

// cancelProblems ends ps through the audited batch path, each move judged
// by the problem's lifecycle. Canceled, not closed: a problem closes only
// once resolved by a fix live in production, its observation period over,
// a PIR completed and the fix confirmed, which the fill cannot honestly
// give 10k problems; to the gate (and to pages' status filters other than
// closed) canceled and closed problems are alike: no longer open.
func cancelProblems(ctx context.Context, st *store.Store, a audit.Actor, ps []problem.Problem) error {
	ids := make([]int64, len(ps))
	for j, p := range ps {
		var err error
		if ids[j], err = ident.Problem.Parse("problem", p.ID); err != nil {
			return err
		}
	}
	_, err := st.UpdateProblems(ctx, a, ids, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.Canceled, a.User, c.Now, 0)
	})
	return err
}

// gateOpenIncidents of the history's incidents stay open (severity 4, on
// CIs the release reaches): rule target_health reads them, whatever the size
// of the history.
const gateOpenIncidents = 10

// gateHistory adds problems attached to ci-000 and prod-eu that are no
// longer open (canceled), releases resolving them, and incidents, resolved
// but the last gateOpenIncidents: rows the gate must not read, except those.
func gateHistory(ctx context.Context, st *store.Store, a audit.Actor, releases, incidents int) error {
	for i := 0; i < releases; i += 1000 {
		n := min(1000, releases-i)
		ps := make([]problem.Problem, n)
		for j := range ps {
			ps[j] = problem.Problem{Title: fmt.Sprint("old problem ", i+j), Priority: 1 + j%4, CIs: []string{ciName(0)}, Environments: []string{"prod-eu"}}
		}
		ps, err := st.CreateProblems(ctx, a, ps)
		if err != nil {
			return err
		}
		rs := make([]release.Release, n)
		for j := range rs {
			rs[j] = release.Release{Version: fmt.Sprintf("0.%d.%d", (i+j)/100, (i+j)%100), Type: release.ProblemFix, Resolves: []string{ps[j].ID}}
		}
		if _, err := st.CreateReleases(ctx, a, rs); err != nil {
			return err
		}
		if err := cancelProblems(ctx, st, a, ps); err != nil {
			return err
		}
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < incidents; i += 5000 {
		rows := make([]incident.Incident, 0, 5000)
		for j := i; j < min(i+5000, incidents); j++ {
			inc := benchIncident(j, at)
			inc.CI = ciName(j % gateCIs)
			if j < incidents-gateOpenIncidents { // history: resolved an hour later
				r := inc.OpenedAt.Add(time.Hour)
				inc.ResolvedAt = &r
			} else { // still open, below target_health's min_severity (2): read, not blocking
				inc.Severity = 4
			}
			rows = append(rows, inc)
		}
		if _, _, _, bad, err := st.ImportIncidents(ctx, a, rows); err != nil || len(bad) > 0 {
			return fmt.Errorf("import incidents: %v %v", err, bad)
		}
	}
	return nil
}
