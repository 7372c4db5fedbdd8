package cab

import (
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

func TestValidate(t *testing.T) {
	at := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		m     Record
		field string
	}{
		{Record{Title: " ", ScheduledAt: at, Attendees: []string{"a"}}, "title"},
		{Record{Title: "w", Attendees: []string{"a"}}, "scheduled_at"},
		{Record{Title: "w", ScheduledAt: at}, "attendees"},
		{Record{Title: "w", ScheduledAt: at, Attendees: []string{"Bad Name"}}, "attendees"},
	} {
		if err := c.m.Validate(); fault.As(err) == nil || fault.As(err).Field != c.field {
			t.Errorf("%+v: %v, want field %s", c.m, err, c.field)
		}
	}
	m := Record{Title: "w", ScheduledAt: at, Attendees: []string{"pm", "cab", "pm"}}
	if err := m.Validate(); err != nil || len(m.Attendees) != 2 || m.Attendees[0] != "cab" {
		t.Fatalf("%v %v", m.Attendees, err)
	}
}

// The agenda keeps what the policy sends to a CAB (default: high and
// critical); problem fixes need a problem_manager among the attendees.
func TestAgendaAndDecision(t *testing.T) {
	pol := policy.Default()
	m := Record{ID: "CAB-1", Status: Scheduled, Attendees: []string{"cab", "dual"}}
	roles := map[string][]string{"cab": {"cab_member"}, "dual": {"engineer", "cab_member"}}
	items := []Item{
		{Change: "CHG-1", RiskClass: "high", ProblemFix: true},
		{Change: "CHG-2", RiskClass: "low"},
		{Change: "CHG-3", RiskClass: "critical"},
	}
	ag := BuildAgenda(pol, m, items, roles)
	if len(ag.Items) != 2 || ag.Items[0].Change != "CHG-1" || ag.Items[1].Change != "CHG-3" || ag.MayApproveFixes || ag.Missing != "problem_manager" {
		t.Fatalf("agenda %+v", ag)
	}
	if _, err := CheckDecision(m, ag, "CHG-1", "cab", roles); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("problem fix without a problem manager: %v", err)
	}
	if _, err := CheckDecision(m, ag, "CHG-3", "cab", roles); err != nil {
		t.Fatalf("not a fix: %v", err)
	}
	if _, err := CheckDecision(m, ag, "CHG-2", "cab", roles); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("off the agenda: %v", err)
	}
	if _, err := CheckDecision(m, ag, "CHG-3", "pm", roles); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("not attending: %v", err)
	}
	m.Attendees = append(m.Attendees, "pm")
	roles["pm"] = []string{"problem_manager"}
	if ag = BuildAgenda(pol, m, items, roles); !ag.MayApproveFixes {
		t.Fatal("a problem manager attends")
	}
	if _, err := CheckDecision(m, ag, "CHG-1", "cab", roles); err != nil {
		t.Fatalf("with a problem manager: %v", err)
	}
}
