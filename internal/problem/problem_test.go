package problem

import (
	"testing"
	"time"

	"fixgate/internal/fault"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestIllegalMoveNamesStateAndAllowedMoves(t *testing.T) {
	p := &Problem{Status: New}
	err := p.Move(Closed, "bob", t0, 0)
	fe := fault.As(err)
	if fe == nil || fe.Code != fault.Conflict {
		t.Fatalf("got %v, want conflict", err)
	}
	if fe.Extra["current_status"] != New {
		t.Fatalf("current_status = %v", fe.Extra["current_status"])
	}
	if got := fe.Extra["allowed_moves"].([]string); len(got) != 2 || got[0] != Assess {
		t.Fatalf("allowed_moves = %v", got)
	}
	if p.Status != New {
		t.Fatalf("status changed to %s", p.Status)
	}
}

func TestFixNeedsRCA(t *testing.T) {
	p := &Problem{Status: RCA}
	if err := p.Move(FixInProgress, "bob", t0, 0); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("got %v, want precondition failed", err)
	}
	if err := p.RecordRCA("capacity", "pool too small", "", "bob", t0, DefaultCategories); err != nil {
		t.Fatal(err)
	}
	if err := p.Move(FixInProgress, "bob", t0, 0); fault.CodeOf(err) != fault.PreconditionFailed || p.Status != RCA {
		t.Fatalf("unvalidated RCA: got %v, status %s; want precondition failed", err, p.Status)
	}
	if err := p.ValidateRCA("pat", t0); err != nil {
		t.Fatal(err)
	}
	if err := p.Move(FixInProgress, "bob", t0, 0); err != nil {
		t.Fatal(err)
	}
}

func TestResolveStartsObservationAndRecurrenceCounts(t *testing.T) {
	p := &Problem{Status: FixInProgress, Priority: 2, RCA: RCARecord{Summary: "x", ValidatedBy: "pat", ValidatedAt: &t0}}
	if err := p.Resolve("system", t0, DefaultObservation[2], Facts{Fix: "DEP-1"}); err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(14 * 24 * time.Hour); !p.ObservationUntil.Equal(want) {
		t.Fatalf("observation until %v, want %v", p.ObservationUntil, want)
	}
	if err := p.Close(t0.Add(time.Hour)); fault.CodeOf(err) != fault.PreconditionFailed || p.Status != Resolved {
		t.Fatalf("closing during observation: got %v", err)
	}
	if err := p.Move(Closed, "eve", t0.Add(30*24*time.Hour), 0); fault.CodeOf(err) != fault.PreconditionFailed || p.Status != Resolved {
		t.Fatalf("Move to closed must refuse and point to Close: got %v", err)
	}
	if err := p.Move(FixInProgress, "system", t0.Add(2*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	if p.RecurrenceCount != 1 || p.ObservationUntil != nil {
		t.Fatalf("recurrence %d, observation %v", p.RecurrenceCount, p.ObservationUntil)
	}
	if p.RCA.Validated() || p.RCA.Summary != "x" {
		t.Fatalf("a recurrence must withdraw the validation and keep the RCA: %+v", p.RCA)
	}
}

func TestHandResolveNeedsDeviationFromAnotherProblemManager(t *testing.T) {
	pm := []string{"problem_manager"}
	for _, c := range []struct {
		name string
		dev  *Deviation
		code fault.Code
	}{
		{"no deviation", nil, fault.PreconditionFailed},
		{"no reason", &Deviation{ApprovedBy: "pat", ApproverRoles: pm}, fault.Invalid},
		{"approved by the requester", &Deviation{Reason: "hotfix applied by hand", ApprovedBy: "rita", ApproverRoles: pm}, fault.Forbidden},
		{"approver not a problem manager", &Deviation{Reason: "hotfix applied by hand", ApprovedBy: "erin", ApproverRoles: []string{"engineer"}}, fault.Forbidden},
	} {
		p := &Problem{Status: FixInProgress, RCA: RCARecord{Summary: "x", ValidatedBy: "pat", ValidatedAt: &t0}}
		if err := p.Resolve("rita", t0, time.Hour, Facts{Deviation: c.dev}); fault.CodeOf(err) != c.code || p.Status != FixInProgress {
			t.Errorf("%s: got %v (status %s), want %s", c.name, err, p.Status, c.code)
		}
	}
	p := &Problem{Status: FixInProgress, RCA: RCARecord{Summary: "x"}}
	dev := &Deviation{Reason: "hotfix applied by hand", ApprovedBy: "pat", ApproverRoles: pm}
	if err := p.Resolve("rita", t0, time.Hour, Facts{Deviation: dev}); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("unvalidated RCA: got %v, want precondition failed", err)
	}
	p.RCA.ValidatedBy, p.RCA.ValidatedAt = "pat", &t0
	if err := p.Resolve("rita", t0, time.Hour, Facts{Deviation: dev}); err != nil || p.Status != Resolved || p.ResolvedBy != "rita" {
		t.Fatalf("approved deviation: %v, status %s", err, p.Status)
	}
	q := &Problem{Status: FixInProgress}
	if err := q.Move(Resolved, "rita", t0, time.Hour); fault.CodeOf(err) != fault.PreconditionFailed || q.Status != FixInProgress {
		t.Fatalf("Move to resolved must refuse: %v", err)
	}
}

func TestRCARejectsUnknownCategoryAndResetsValidation(t *testing.T) {
	p := &Problem{Status: RCA, RCA: RCARecord{Category: "data", Summary: "x", ValidatedBy: "pm", ValidatedAt: &t0}}
	if err := p.RecordRCA("gremlins", "x", "", "bob", t0, DefaultCategories); fault.As(err).Field != "category" {
		t.Fatalf("got %v", err)
	}
	if !p.RCA.Validated() {
		t.Fatal("failed RCA update changed the record")
	}
	if err := p.RecordRCA("data", "new analysis", "", "bob", t0, DefaultCategories); err != nil {
		t.Fatal(err)
	}
	if p.RCA.Validated() {
		t.Fatal("a new RCA kept the old validation")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		p     Problem
		field string
	}{
		{Problem{Title: " ", Priority: 1}, "title"},
		{Problem{Title: "x", Priority: 5}, "priority"},
		{Problem{Title: "x", Priority: 1, CIs: []string{"Bad Name"}}, "cis"},
	} {
		if err := c.p.Validate(); fault.As(err) == nil || fault.As(err).Field != c.field {
			t.Errorf("%+v: got %v, want field %s", c.p, err, c.field)
		}
	}
}

func TestValidateRCASeparationOfDuties(t *testing.T) {
	p := &Problem{ID: "PRB-1", Status: RCA}
	if err := p.ValidateRCA("pat", t0); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("no RCA: got %v", err)
	}
	p.RecordRCA("capacity", "pool too small", "", "erin", t0, DefaultCategories)
	if err := p.ValidateRCA("erin", t0); fault.CodeOf(err) != fault.Forbidden || p.RCA.Validated() {
		t.Fatalf("author validating: got %v, validated=%v", err, p.RCA.Validated())
	}
	if err := p.ValidateRCA("pat", t0); err != nil || !p.RCA.Validated() || p.RCA.ValidatedBy != "pat" {
		t.Fatalf("validation by another: %v %+v", err, p.RCA)
	}
}
