package store_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func aprActor(user string, role auth.Role) audit.Actor {
	return audit.Actor{User: user, Role: string(role), RequestID: "t"}
}

// aprSeed adds approvers to seed's users: rm (release manager), carol (CAB),
// dave (engineer + CAB), erin (problem manager).
func aprSeed(t *testing.T, s *store.Store) {
	t.Helper()
	seed(t, s)
	ctx := context.Background()
	for name, roles := range map[string][]auth.Role{"rm": {auth.ReleaseManager}, "carol": {auth.CABMember},
		"dave": {auth.Engineer, auth.CABMember}, "erin": {auth.ProblemManager}} {
		if _, _, err := s.CreateUser(ctx, alice, auth.User{Name: name, Roles: roles}); err != nil {
			t.Fatal(err)
		}
	}
}

func aprCount(t *testing.T, s *store.Store) (int, int64) {
	t.Helper()
	list, err := s.ListApprovals(context.Background(), store.ApprovalFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list), depAuditCount(t, s)
}

// aprFixRelease creates PRB-1 with its RCA recorded by dave, validated by
// vic, resolved by bob with a deviation erin approved, and REL-1 (created
// by rm) resolving it.
func aprFixRelease(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 2}, nil); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func(p *problem.Problem, c store.ProblemContext) error{
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(problem.Assess, "erin", c.Now, 0)
		},
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.RCA, "erin", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.RecordRCA("code_defect", "nil map", "", "dave", c.Now, problem.DefaultCategories)
		},
		func(p *problem.Problem, c store.ProblemContext) error { return p.ValidateRCA("vic", c.Now) },
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(problem.FixInProgress, "erin", c.Now, 0)
		},
	} {
		if _, err := s.UpdateProblem(ctx, alice, 1, 0, "problem.test", step); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ResolveProblem(ctx, aprActor("bob", auth.ProblemManager), 1, 0,
		&problem.Deviation{Reason: "fixed by a config change outside fixgate", ApprovedBy: "erin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, aprActor("rm", auth.ReleaseManager), release.Release{Version: "1.0.1", Type: release.ProblemFix,
		Resolves: []string{"PRB-1"}}); err != nil {
		t.Fatal(err)
	}
}

func TestApprovalSeparationOfDuties(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	aprFixRelease(t, s)
	ctx := context.Background()
	// the bootstrap admin creates REL-2 (a feature release)
	if _, err := s.CreateRelease(ctx, aprActor("admin", auth.Admin), release.Release{Version: "2.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	n0, a0 := aprCount(t, s)
	for _, c := range []struct {
		name   string
		actor  audit.Actor
		record string
	}{
		{"creator approves own release", aprActor("rm", auth.ReleaseManager), "REL-1"},
		{"RCA author with CAB role", aprActor("dave", auth.CABMember), "REL-1"},
		{"resolver of the problem", aprActor("bob", auth.CABMember), "REL-1"},
		{"admin who created the release", aprActor("admin", auth.Admin), "REL-2"},
	} {
		_, err := s.CreateApproval(ctx, c.actor, approval.Approval{Record: c.record, Decision: approval.Approve}, 0)
		if fe := fault.As(err); fe == nil || fe.Code != fault.Forbidden || fe.Extra["rule"] != "separation_of_duties" {
			t.Errorf("%s: got %v, want forbidden by separation of duties", c.name, err)
		}
	}
	if n, a := aprCount(t, s); n != n0 || a != a0 {
		t.Fatalf("refused approvals wrote %d approvals, %d audit events", n-n0, a-a0)
	}
	x, err := s.CreateApproval(ctx, aprActor("carol", auth.CABMember), approval.Approval{Record: "rel-1", Decision: approval.Approve,
		Comment: "fine"}, 1)
	if err != nil || x.ID != "APR-1" || x.Record != "REL-1" || x.RecordType != "release" || x.RecordRevision != 1 ||
		x.Approver != "carol" || x.Role != "cab_member" || x.At.IsZero() {
		t.Fatalf("approval %+v %v", x, err)
	}
	got, err := s.GetApproval(ctx, 1)
	if err != nil || got != x {
		t.Fatalf("stored %+v, want %+v (%v)", got, x, err)
	}
	if ev, _ := s.AuditEventsFor(ctx, "approval", "APR-1", 5); len(ev) != 1 || ev[0].Action != "approval.approve" || ev[0].Actor != "carol" {
		t.Fatalf("audit %+v", ev)
	}
	// rm may approve REL-2, which the admin created
	if _, err := s.CreateApproval(ctx, aprActor("rm", auth.ReleaseManager), approval.Approval{Record: "REL-2", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
}

func TestApprovalInputAndRecordChecks(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	aprFixRelease(t, s)
	ctx := context.Background()
	mustCode := func(name string, err error, code fault.Code, field string) {
		t.Helper()
		if fe := fault.As(err); fe == nil || fe.Code != code || fe.Field != field {
			t.Errorf("%s: got %v, want %s %q", name, err, code, field)
		}
	}
	carol := aprActor("carol", auth.CABMember)
	_, err := s.CreateApproval(ctx, carol, approval.Approval{Record: "PRB-1", Decision: approval.Approve}, 0)
	mustCode("problem id", err, fault.Invalid, "record")
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-x", Decision: approval.Approve}, 0)
	mustCode("malformed id", err, fault.Invalid, "record")
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-9", Decision: approval.Approve}, 0)
	mustCode("unknown release", err, fault.NotFound, "")
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "CHG-9", Decision: approval.Approve}, 0)
	mustCode("unknown change", err, fault.NotFound, "")
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-1", Decision: approval.Reject, Comment: "  "}, 0)
	mustCode("reject without a reason", err, fault.Invalid, "comment")
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-1", Decision: "maybe"}, 0)
	mustCode("unknown decision", err, fault.Invalid, "decision")
	_, err = s.CreateApproval(ctx, aprActor("alice", auth.Auditor), approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0)
	mustCode("auditor role", err, fault.Invalid, "role")
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 4)
	mustCode("stale revision read", err, fault.PreconditionFailed, "")
	depExec(t, s, `UPDATE releases SET status = 'canceled' WHERE id = 1`)
	_, err = s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0)
	mustCode("canceled release", err, fault.Conflict, "")
	if n, _ := aprCount(t, s); n != 0 {
		t.Fatalf("refused approvals wrote %d", n)
	}
}

func TestApprovalsOfStaleRevisionsNoLongerCount(t *testing.T) {
	s, clock := storetest.Open(t)
	aprSeed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	carol, erin := aprActor("carol", auth.CABMember), aprActor("erin", auth.ProblemManager)
	if _, err := s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	v, err := s.ApprovalVerdict(ctx, "REL-1")
	if err != nil || len(v.Approvals) != 1 || v.Blocked() || v.Stale != 0 || v.Revision != 1 {
		t.Fatalf("verdict at rev 1: %+v %v", v, err)
	}
	// the release's content changes after carol approved: her approval is stale
	depExec(t, s, `UPDATE releases SET type = 'mixed', rev = rev + 1 WHERE id = 1`)
	v, _ = s.ApprovalVerdict(ctx, "REL-1")
	if len(v.Approvals) != 0 || v.Stale != 1 || v.Revision != 2 {
		t.Fatalf("verdict after the change: %+v", v)
	}
	clock.Advance(time.Minute)
	x, err := s.CreateApproval(ctx, carol, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 2)
	if err != nil || x.RecordRevision != 2 {
		t.Fatalf("re-approval: %+v %v", x, err)
	}
	if _, err := s.CreateApproval(ctx, erin, approval.Approval{Record: "REL-1", Decision: approval.Reject, Comment: "no rollback plan"}, 0); err != nil {
		t.Fatal(err)
	}
	v, _ = s.ApprovalVerdict(ctx, "REL-1")
	if len(v.Approvals) != 1 || v.Approvals[0].Approver != "carol" || !v.Blocked() || v.Rejection[0].Approver != "erin" {
		t.Fatalf("verdict with a rejection: %+v", v)
	}
	// erin settles her concern: her latest decision on this revision counts
	if _, err := s.CreateApproval(ctx, erin, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	v, _ = s.ApprovalVerdict(ctx, "REL-1")
	if len(v.Approvals) != 2 || v.Blocked() {
		t.Fatalf("verdict after erin approves: %+v", v)
	}
	list, _ := s.ListApprovals(ctx, store.ApprovalFilter{Record: "rel-1"})
	byErin, _ := s.ListApprovals(ctx, store.ApprovalFilter{Approver: "erin"})
	if len(list) != 4 || len(byErin) != 2 || list[0].RecordRevision != 1 || list[3].RecordRevision != 2 {
		t.Fatalf("list %+v / %+v", list, byErin)
	}
	if _, err := s.ApprovalVerdict(ctx, "REL-7"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("verdict of unknown: %v", err)
	}
}

func TestChangeApprovals(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	aprFixRelease(t, s)
	ctx := context.Background()
	depExec(t, s, `INSERT INTO changes (title, type, release_id, env, status, requested_by, rev, created_at, updated_at)
		VALUES ('deploy fix', 'normal', 1, 'prod-eu', 'authorize', 'alice', 3, $1, $1)`, storetest.Start.Format(time.RFC3339))
	n0, a0 := aprCount(t, s)
	for _, who := range []audit.Actor{aprActor("alice", auth.CABMember), aprActor("rm", auth.ReleaseManager), aprActor("dave", auth.CABMember)} {
		_, err := s.CreateApproval(ctx, who, approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0)
		if fault.CodeOf(err) != fault.Forbidden {
			t.Errorf("%s approves CHG-1: %v, want forbidden", who.User, err)
		}
	}
	if n, a := aprCount(t, s); n != n0 || a != a0 {
		t.Fatal("refused change approvals were written")
	}
	x, err := s.CreateApproval(ctx, aprActor("carol", auth.CABMember), approval.Approval{Record: "chg-1", Decision: approval.Approve}, 0)
	if err != nil || x.Record != "CHG-1" || x.RecordType != "change" || x.RecordRevision != 3 {
		t.Fatalf("change approval %+v %v", x, err)
	}
	depExec(t, s, `UPDATE changes SET rev = 4, status = 'scheduled' WHERE id = 1`)
	if v, _ := s.ApprovalVerdict(ctx, "CHG-1"); len(v.Approvals) != 1 || v.Stale != 0 || v.Revision != 4 {
		t.Fatalf("a lifecycle move keeps the approval: %+v", v)
	}
	depExec(t, s, `UPDATE changes SET rev = 5, env = NULL WHERE id = 1`)
	if v, _ := s.ApprovalVerdict(ctx, "CHG-1"); len(v.Approvals) != 0 || v.Stale != 1 {
		t.Fatalf("change verdict after its content changed: %+v", v)
	}
	depExec(t, s, `UPDATE changes SET status = 'closed' WHERE id = 1`)
	if _, err := s.CreateApproval(ctx, aprActor("carol", auth.CABMember), approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("approve a closed change: %v", err)
	}
}
