package store_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var (
	resPat   = audit.Actor{User: "pat", Role: string(auth.ProblemManager), RequestID: "t"}
	resQuinn = audit.Actor{User: "quinn", Role: string(auth.ProblemManager), RequestID: "t"}
)

// resManagers adds the problem managers pat and quinn.
func resManagers(t *testing.T, s *store.Store) {
	t.Helper()
	for _, n := range []string{"pat", "quinn"} {
		if _, _, err := s.CreateUser(context.Background(), alice, auth.User{Name: n, Roles: []auth.Role{auth.ProblemManager}}); err != nil {
			t.Fatal(err)
		}
	}
}

// resFixing seeds the store and takes PRB-1 (priority 2, RCA by bob) to rca.
func resFixing(t *testing.T, s *store.Store) {
	t.Helper()
	seed(t, s)
	resManagers(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "Checkout 500s", Priority: 2, CIs: []string{"checkout-api"}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, fn := range []func(p *problem.Problem, c store.ProblemContext) error{
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.Assess, "pat", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.RCA, "pat", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.RecordRCA("code_defect", "nil map in retry path", "", "bob", c.Now, problem.DefaultCategories)
		},
	} {
		if _, err := s.UpdateProblem(ctx, alice, 1, 0, "problem.test", fn); err != nil {
			t.Fatal(err)
		}
	}
}

func resMove(s *store.Store, to string) error {
	_, err := s.UpdateProblem(context.Background(), resPat, 1, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(to, "pat", c.Now, 0)
	})
	return err
}

// resDeploy deploys rel to env through the rollout engine's store steps
// (started under the open policy, its action run) and ends it in end.
func resDeploy(t *testing.T, s *store.Store, id int64, rel, env, end string) {
	t.Helper()
	if d := engDeploy(t, s, rel, env, end); d.ID != ident.Deployment.Format(id) {
		t.Fatalf("deployed as %s, want DEP-%d", d.ID, id)
	}
}

// TestFixInProgressNeedsValidatedRCA: the move is refused, writing nothing,
// until a problem manager other than the author validated the RCA.
func TestFixInProgressNeedsValidatedRCA(t *testing.T) {
	s, _ := storetest.Open(t)
	resFixing(t, s)
	n := auditCount(t, s)
	if err := resMove(s, problem.FixInProgress); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("unvalidated RCA: got %v, want precondition failed", err)
	}
	if p := sigProblem(t, s); p.Status != problem.RCA || auditCount(t, s) != n {
		t.Fatalf("refused move wrote: status %s, audit %d → %d", p.Status, n, auditCount(t, s))
	}
	if _, _, err := s.ValidateRCA(context.Background(), resQuinn, 1, 0, "matches the heap dumps"); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
}

// TestHandResolveNeedsApprovedDeviation: without a production fix, resolved
// needs a deviation approved by another problem manager; refusals write
// nothing; the accepted deviation is a resolution row, audited and listed
// with the other deviations.
func TestHandResolveNeedsApprovedDeviation(t *testing.T) {
	s, _ := storetest.Open(t)
	resFixing(t, s)
	ctx := context.Background()
	if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
	n := auditCount(t, s)
	why := "config hot-fixed on the hosts; the release follows"
	for _, c := range []struct {
		name  string
		dev   *problem.Deviation
		code  fault.Code
		field string
	}{
		{"no deviation", nil, fault.PreconditionFailed, ""},
		{"no reason", &problem.Deviation{ApprovedBy: "quinn"}, fault.Invalid, "deviation.reason"},
		{"approved by the requester", &problem.Deviation{Reason: why, ApprovedBy: "pat"}, fault.Forbidden, ""},
		{"approver not a problem manager", &problem.Deviation{Reason: why, ApprovedBy: "bob"}, fault.Forbidden, ""},
		{"unknown approver", &problem.Deviation{Reason: why, ApprovedBy: "nobody"}, fault.Invalid, "deviation.approved_by"},
	} {
		_, err := s.ResolveProblem(ctx, resPat, 1, 0, c.dev)
		if fe := fault.As(err); fe == nil || fe.Code != c.code || fe.Field != c.field {
			t.Errorf("%s: got %v, want %s %s", c.name, err, c.code, c.field)
		}
	}
	// UpdateProblem cannot resolve, whatever its fn claims.
	_, err := s.UpdateProblem(ctx, resPat, 1, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Resolve("pat", c.Now, time.Hour, problem.Facts{Fix: "DEP-9"})
	})
	if fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("UpdateProblem resolving: got %v", err)
	}
	if p := sigProblem(t, s); p.Status != problem.FixInProgress || auditCount(t, s) != n {
		t.Fatalf("refusals wrote: status %s, audit %d → %d", p.Status, n, auditCount(t, s))
	}
	p, err := s.ResolveProblem(ctx, resPat, 1, 0, &problem.Deviation{Reason: why, ApprovedBy: "quinn"})
	if err != nil || p.Status != problem.Resolved || p.ResolvedBy != "pat" || p.ObservationUntil == nil {
		t.Fatalf("approved deviation: %+v %v", p, err)
	}
	devs, _, err := s.ListDeviations(ctx, store.DeviationFilter{Record: "problem"})
	if err != nil || len(devs) != 1 {
		t.Fatalf("problem deviations: %+v %v", devs, err)
	}
	if d := devs[0]; d.ID != "PRB-1#1" || d.Problem != "PRB-1" || d.StepSkipped != store.DeviationProductionFix ||
		d.Reason != why || d.ApprovedBy != "quinn" || d.RequestedBy != "pat" {
		t.Fatalf("deviation %+v", d)
	}
	if got := sigActions(t, s, "problem_resolution", "PRB-1#1"); !slices.Equal(got, []string{"problem.resolved_by_deviation"}) {
		t.Fatalf("resolution audit: %v", got)
	}
	if got := sigActions(t, s, "problem", "PRB-1"); got[len(got)-1] != "problem.resolve" {
		t.Fatalf("problem audit: %v", got)
	}
}

// TestProductionDeploymentResolvesProblem: only a succeeded deployment of a
// problem-fix release into a production environment resolves the problems
// it names, in the deployment's transaction, with an audit event naming the
// deployment and the release.
func TestProductionDeploymentResolvesProblem(t *testing.T) {
	s, clock := storetest.Open(t)
	resFixing(t, s)
	ctx := context.Background()
	if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "staging", Tier: environment.Staging}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []release.Release{{Version: "1.1.0", Type: release.Feature, Resolves: []string{"PRB-1"}},
		{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}} {
		if _, err := s.CreateRelease(ctx, alice, r); err != nil {
			t.Fatal(err)
		}
	}
	resDeploy(t, s, 1, "REL-1", "prod-eu", deploy.Succeeded) // a feature release
	resDeploy(t, s, 2, "REL-2", "staging", deploy.Succeeded) // not production
	resDeploy(t, s, 3, "REL-2", "prod-eu", deploy.Failed)    // did not succeed
	if p := sigProblem(t, s); p.Status != problem.FixInProgress {
		t.Fatalf("resolved by a feature, staging or failed deployment: %s", p.Status)
	}
	clock.Advance(time.Hour)
	resDeploy(t, s, 4, "REL-2", "prod-eu", deploy.Succeeded)
	p := sigProblem(t, s)
	if p.Status != problem.Resolved || p.ResolvedAt == nil || !p.ResolvedAt.Equal(clock.T) ||
		!p.ObservationUntil.Equal(clock.T.Add(problem.DefaultObservation[2])) {
		t.Fatalf("after the production deployment: %+v", p)
	}
	rs, err := s.ProblemResolutions(ctx, 1)
	if err != nil || len(rs) != 1 || rs[0].Kind != store.ResolvedByDeployment || rs[0].Deployment != "DEP-4" || rs[0].Release != "REL-2" {
		t.Fatalf("resolutions %+v %v", rs, err)
	}
	evs, err := s.AuditEventsFor(ctx, "problem_resolution", "PRB-1#1", 10)
	if err != nil || len(evs) != 1 || evs[0].Action != "problem.resolved_by_deployment" ||
		!strings.Contains(evs[0].After, `"deployment":"DEP-4"`) || !strings.Contains(evs[0].After, `"release":"REL-2"`) {
		t.Fatalf("resolution event %+v %v", evs, err)
	}
	// written in SucceedDeployment's transaction: next to its deployment.succeed event, at its time
	dep, err := s.AuditEventsFor(ctx, "deployment", "DEP-4", 20)
	if err != nil || len(dep) == 0 {
		t.Fatalf("deployment audit: %v", err)
	}
	if succ := dep[len(dep)-1]; succ.Action != "deployment.succeed" || max(succ.Seq-evs[0].Seq, evs[0].Seq-succ.Seq) > 3 || !evs[0].At.Equal(succ.At) {
		t.Fatalf("the resolution is not part of the deployment's move: %+v / %+v", succ, evs)
	}
}

// TestRecurrenceWithdrawsValidation: a recurrence keeps the RCA, withdraws
// its validation (the validation row stays, marked withdrawn, audited), and
// the problem is resolved again only after a new validation (with a
// deviation) or a new succeeded production deployment.
func TestRecurrenceWithdrawsValidation(t *testing.T) {
	recur := func(t *testing.T) (*store.Store, *storetest.Clock) {
		s, clock := storetest.Open(t)
		sigResolved(t, s, clock)
		resManagers(t, s)
		clock.Advance(2 * time.Hour)
		if res := sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T.Add(-time.Minute)})); res.Recurrences != 1 {
			t.Fatalf("ingest: %+v", res)
		}
		p := sigProblem(t, s)
		if p.Status != problem.FixInProgress || p.RCA.Validated() || p.RCA.Summary != "nil map in retry path" {
			t.Fatalf("after the recurrence: %s %+v", p.Status, p.RCA)
		}
		vs, err := s.RCAValidations(context.Background(), 1)
		if err != nil || len(vs) != 1 || vs[0].WithdrawnAt == nil || !strings.HasPrefix(vs[0].WithdrawnReason, "recurrence") {
			t.Fatalf("validations %+v %v", vs, err)
		}
		if got := sigActions(t, s, "rca_validation", "PRB-1#1"); !slices.Equal(got, []string{"rca.validation", "rca.withdraw"}) {
			t.Fatalf("validation audit: %v", got)
		}
		dev := &problem.Deviation{Reason: "restarted the pods", ApprovedBy: "quinn"}
		if _, err := s.ResolveProblem(context.Background(), resPat, 1, 0, dev); fault.CodeOf(err) != fault.PreconditionFailed {
			t.Fatalf("re-resolving with the withdrawn validation: got %v", err)
		}
		return s, clock
	}
	t.Run("new validation", func(t *testing.T) {
		s, _ := recur(t)
		ctx := context.Background()
		if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, "re-checked: the analysis holds, the fix missed a path"); err != nil {
			t.Fatal(err)
		}
		p, err := s.ResolveProblem(ctx, resPat, 1, 0, &problem.Deviation{Reason: "second path patched by config", ApprovedBy: "quinn"})
		if err != nil || p.Status != problem.Resolved || p.RecurrenceCount != 1 {
			t.Fatalf("after a new validation: %+v %v", p, err)
		}
	})
	t.Run("new release", func(t *testing.T) {
		s, _ := recur(t)
		if _, err := s.CreateRelease(context.Background(), alice, release.Release{Version: "1.0.2", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
			t.Fatal(err)
		}
		resDeploy(t, s, 2, "REL-2", "prod-eu", deploy.Succeeded)
		if p := sigProblem(t, s); p.Status != problem.Resolved || p.RecurrenceCount != 1 {
			t.Fatalf("after a new production deployment: %s", p.Status)
		}
	})
}

// TestConcurrentProductionDeploymentsResolveOnce: two deployments of one
// fix into two production environments succeeding at the same moment
// resolve the problem once (PostgreSQL: the problem row is locked).
func TestConcurrentProductionDeploymentsResolveOnce(t *testing.T) {
	s, _ := storetest.Open(t)
	resFixing(t, s)
	ctx := context.Background()
	if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-us", Tier: environment.Production}); err != nil {
		t.Fatal(err)
	}
	const rounds = 15
	for i := 0; i < rounds; i++ {
		rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0." + strconv.Itoa(i+1), Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
		if err != nil {
			t.Fatal(err)
		}
		var ids [2]int64
		for j, env := range []string{"prod-eu", "prod-us"} {
			ids[j] = engRunning(t, s, rel.ID, env)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = s.SucceedDeployment(ctx, depPipe, ids[j], 0, s.Now().Add(time.Hour))
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v / %v", i, errs[0], errs[1])
		}
		rs, err := s.ProblemResolutions(ctx, 1)
		if err != nil || len(rs) != i+1 {
			t.Fatalf("round %d: %d resolutions, want %d (%v)", i, len(rs), i+1, err)
		}
		// a recurrence by hand reopens it for the next round
		if err := resMove(s, problem.FixInProgress); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHandResolveRacingDeployment: a hand move to resolved and a production
// deployment succeeding at the same moment resolve the problem once; the
// deployment's move always succeeds, the hand move is refused when second.
func TestHandResolveRacingDeployment(t *testing.T) {
	s, _ := storetest.Open(t)
	resFixing(t, s)
	ctx := context.Background()
	if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
	const rounds = 15
	for i := 0; i < rounds; i++ {
		rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0." + strconv.Itoa(i+1), Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
		if err != nil {
			t.Fatal(err)
		}
		id := engRunning(t, s, rel.ID, "prod-eu")
		if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil { // withdrawn by the last round's reopening
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var depErr, handErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, depErr = s.SucceedDeployment(ctx, depPipe, id, 0, s.Now().Add(time.Hour))
		}()
		go func() {
			defer wg.Done()
			_, handErr = s.ResolveProblem(ctx, resPat, 1, 0, &problem.Deviation{Reason: "hotfix", ApprovedBy: "quinn"})
		}()
		wg.Wait()
		if depErr != nil || (handErr != nil && fault.CodeOf(handErr) != fault.Conflict) {
			t.Fatalf("round %d: deployment %v, hand %v", i, depErr, handErr)
		}
		rs, err := s.ProblemResolutions(ctx, 1)
		if err != nil || len(rs) != i+1 {
			t.Fatalf("round %d: %d resolutions, want %d (%v)", i, len(rs), i+1, err)
		}
		if err := resMove(s, problem.FixInProgress); err != nil {
			t.Fatal(err)
		}
	}
}
