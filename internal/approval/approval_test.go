package approval

import (
	"testing"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
)

func TestCurrent(t *testing.T) {
	as := []Approval{
		{ID: "APR-1", Approver: "carol", Decision: Approve, RecordRevision: 1},
		{ID: "APR-2", Approver: "erin", Decision: Reject, RecordRevision: 1},
		{ID: "APR-3", Approver: "carol", Decision: Approve, RecordRevision: 2},
		{ID: "APR-4", Approver: "frank", Decision: Reject, RecordRevision: 2},
		{ID: "APR-5", Approver: "frank", Decision: Approve, RecordRevision: 2},
		{ID: "APR-6", Approver: "gina", Decision: Approve, RecordRevision: 2},
		{ID: "APR-7", Approver: "gina", Decision: Reject, RecordRevision: 2},
	}
	v := Current(as, 1, "")
	if len(v.Approvals) != 1 || !v.Blocked() || v.Stale != 5 {
		t.Fatalf("rev 1: %+v", v)
	}
	v = Current(as, 2, "")
	if got := v.Approvers(); len(got) != 2 || got[0] != "carol" || got[1] != "frank" || v.Stale != 2 {
		t.Fatalf("rev 2 approvers %v (%+v)", got, v)
	}
	if !v.Blocked() || v.Rejection[0].ID != "APR-7" {
		t.Fatalf("gina's later rejection must block: %+v", v)
	}
	v = Current(as, 3, "")
	if len(v.Approvals) != 0 || v.Blocked() || v.Stale != 7 {
		t.Fatalf("rev 3: %+v", v)
	}
	if v := Current(nil, 1, ""); v.Approvals == nil || v.Rejection == nil {
		t.Fatal("empty verdict must have empty lists")
	}
}

// TestCurrentBindsContent: decisions bind to the content they approved: a
// new revision with the same content keeps them, other content voids them;
// a decision without a fingerprint (recorded before they existed) binds to
// its revision.
func TestCurrentBindsContent(t *testing.T) {
	as := []Approval{
		{ID: "APR-1", Approver: "carol", Decision: Approve, RecordRevision: 1, RecordContent: "A"},
		{ID: "APR-2", Approver: "erin", Decision: Reject, RecordRevision: 2, RecordContent: "B"},
		{ID: "APR-3", Approver: "old", Decision: Approve, RecordRevision: 3},
	}
	if v := Current(as, 5, "A"); len(v.Approvals) != 1 || v.Approvals[0].ID != "APR-1" || v.Blocked() || v.Stale != 2 {
		t.Fatalf("content A at revision 5 (moved since): %+v", v)
	}
	if v := Current(as, 5, "B"); len(v.Approvals) != 0 || !v.Blocked() || v.Stale != 2 {
		t.Fatalf("content B: %+v", v)
	}
	if v := Current(as, 3, "C"); len(v.Approvals) != 1 || v.Approvals[0].ID != "APR-3" || v.Stale != 2 {
		t.Fatalf("unfingerprinted decision on its revision: %+v", v)
	}
}

func TestCheckSoD(t *testing.T) {
	rel := SoDFacts{Record: "REL-3", ReleaseID: "REL-3", ReleaseCreator: "rm",
		Problems: []ProblemFacts{{ID: "PRB-1", RCAAuthor: "dave"}, {ID: "PRB-2", ResolvedBy: "bob"}}}
	chg := SoDFacts{Record: "CHG-7", ChangeID: "CHG-7", Requester: "alice", ReleaseID: "REL-3", ReleaseCreator: "rm",
		Problems: rel.Problems}
	for _, c := range []struct {
		who  string
		f    SoDFacts
		deny bool
	}{
		{"rm", rel, true}, {"dave", rel, true}, {"bob", rel, true}, {"carol", rel, false},
		{"alice", rel, false}, {"alice", chg, true}, {"rm", chg, true}, {"dave", chg, true}, {"carol", chg, false},
		{"", rel, true},
	} {
		err := CheckSoD(c.who, c.f)
		if c.deny != (fault.CodeOf(err) == fault.Forbidden) || (!c.deny && err != nil) {
			t.Errorf("%q on %s: %v", c.who, c.f.Record, err)
		}
	}
	err := CheckSoD("dave", rel)
	if fe := fault.As(err); fe.Message != "separation of duties: dave recorded the root cause analysis of PRB-1, which REL-3 resolves; someone else must decide about REL-3" {
		t.Errorf("message %q", fe.Message)
	}
}

func TestActingRole(t *testing.T) {
	for _, c := range []struct {
		held  []auth.Role
		asked string
		want  auth.Role
		code  fault.Code
	}{
		{[]auth.Role{auth.CABMember, auth.Admin}, "", auth.Admin, ""},
		{[]auth.Role{auth.Engineer, auth.CABMember}, "", auth.CABMember, ""},
		{[]auth.Role{auth.CABMember, auth.ProblemManager}, "", auth.ProblemManager, ""},
		{[]auth.Role{auth.CABMember, auth.Admin}, "cab_member", auth.CABMember, ""},
		{[]auth.Role{auth.CABMember}, "problem_manager", "", fault.Forbidden},
		{[]auth.Role{auth.Engineer}, "", auth.Engineer, ""}, // a peer (docs/policy.md)
		{[]auth.Role{auth.Validator}, "validator", auth.Validator, ""},
		{[]auth.Role{auth.Auditor, auth.Pipeline}, "", "", fault.Forbidden},
		{[]auth.Role{auth.Auditor}, "auditor", "", fault.Invalid},
	} {
		got, err := ActingRole(c.held, c.asked)
		if got != c.want || fault.CodeOf(err) != c.code {
			t.Errorf("%v asked %q: %s %v", c.held, c.asked, got, err)
		}
	}
}

func TestValidateAndParseRecord(t *testing.T) {
	a := Approval{Record: "chg-7", Decision: Reject, Comment: " no backout plan ", Role: "cab_member"}
	if err := a.Validate(); err != nil || a.Record != "CHG-7" || a.RecordType != RecordChange || a.Comment != "no backout plan" {
		t.Fatalf("%+v %v", a, err)
	}
	for field, a := range map[string]Approval{
		"record":   {Record: "PRB-1", Decision: Approve, Role: "admin"},
		"decision": {Record: "REL-1", Decision: "ok", Role: "admin"},
		"comment":  {Record: "REL-1", Decision: Reject, Role: "admin"},
		"role":     {Record: "REL-1", Decision: Approve, Role: "pipeline"},
	} {
		if fe := fault.As(a.Validate()); fe == nil || fe.Field != field {
			t.Errorf("%s: %v", field, fe)
		}
	}
	for _, s := range []string{"", "REL", "REL-", "REL-0", "REL-1x", "KE-1", "3"} {
		if _, _, _, err := ParseRecord(s); fault.As(err) == nil || fault.As(err).Field != "record" {
			t.Errorf("%q: %v", s, err)
		}
	}
	if err := CheckOpen(RecordRelease, "REL-1", "canceled"); fault.CodeOf(err) != fault.Conflict {
		t.Errorf("canceled release: %v", err)
	}
	if err := CheckOpen(RecordChange, "CHG-1", "authorize"); err != nil {
		t.Errorf("change in authorize: %v", err)
	}
}
