package change

import (
	"testing"
	"time"

	"fixgate/internal/fault"
)

func TestValidate(t *testing.T) {
	start := time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	for _, tc := range []struct {
		c     Change
		field string
	}{
		{Change{Title: " ", Type: Normal}, "title"},
		{Change{Title: "x", Type: "urgent"}, "type"},
		{Change{Title: "x", Type: Normal, Release: "PRB-1"}, "release"},
		{Change{Title: "x", Type: Normal, Env: "Prod EU"}, "env"},
		{Change{Title: "x", Type: Normal, RiskClass: "extreme"}, "risk_class"},
		{Change{Title: "x", Type: Normal, PlannedStart: &start}, "planned_end"},
		{Change{Title: "x", Type: Normal, PlannedEnd: &end}, "planned_start"},
		{Change{Title: "x", Type: Normal, PlannedStart: &end, PlannedEnd: &start}, "planned_end"},
	} {
		err := tc.c.Validate()
		if fe := fault.As(err); fe == nil || fe.Field != tc.field {
			t.Errorf("%+v: got %v, want invalid %s", tc.c, err, tc.field)
		}
	}
	c := Change{Title: " Deploy ", Type: Standard, Release: "rel-4", PlannedStart: &start, PlannedEnd: &end}
	if err := c.Validate(); err != nil || c.Release != "REL-4" || c.Title != "Deploy" || c.Deviations == nil {
		t.Fatalf("valid change: %+v %v", c, err)
	}
}

func TestMoveRules(t *testing.T) {
	start := time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	ready := func(typ string) Change {
		return Change{Type: typ, Status: Assess, RiskClass: "low", Release: "REL-1", Env: "prod", PlannedStart: &start, PlannedEnd: &end}
	}
	std := ready(Standard)
	if err := std.Move(Scheduled); err != nil || std.Status != Scheduled {
		t.Fatalf("standard change skips authorize: %v", err)
	}
	for _, typ := range []string{Normal, Emergency} {
		c := ready(typ)
		if err := c.Move(Scheduled); fault.CodeOf(err) != fault.Conflict || c.Status != Assess {
			t.Fatalf("%s skipping authorize: %v", typ, err)
		}
	}
	c := ready(Normal)
	c.RiskClass = ""
	if err := c.Move(Authorize); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("unassessed: %v", err)
	}
	c = ready(Normal)
	c.Status, c.PlannedStart, c.PlannedEnd = Authorize, nil, nil
	if err := c.Move(Scheduled); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("unscheduled: %v", err)
	}
	c = ready(Normal)
	c.Status, c.Env = Scheduled, ""
	if err := c.Move(Implement); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("implement without env: %v", err)
	}
	for _, from := range []string{Draft, Assess, Authorize, Scheduled, Implement, Review} {
		c := ready(Normal)
		c.Status = from
		if err := c.Move(Canceled); err != nil {
			t.Errorf("cancel from %s: %v", from, err)
		}
	}
	for _, from := range []string{Draft, Assess, Authorize, Scheduled} {
		c := ready(Normal)
		c.Status = from
		if err := c.Move(Failed); fault.CodeOf(err) != fault.Conflict {
			t.Errorf("fail from %s: %v", from, err)
		}
	}
	for _, from := range []string{Closed, Canceled, Failed} {
		c := ready(Normal)
		c.Status = from
		if !c.Final() || c.Move(Draft) == nil {
			t.Errorf("%s must be final", from)
		}
	}
	if err := c.Move("done"); fault.As(err) == nil || fault.As(err).Field != "status" {
		t.Fatalf("unknown state: %v", err)
	}
}

func TestCheckEditAndDeviations(t *testing.T) {
	now := time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC)
	before := Change{ID: "CHG-1", Type: Normal, Status: Scheduled, RiskClass: "high", RequestedBy: "eng"}
	c := before
	c.Title = "renamed"
	if err := c.CheckEdit(before); err != nil {
		t.Fatalf("title edit: %v", err)
	}
	c.RiskClass = "low"
	if err := c.CheckEdit(before); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("risk edit after authorization: %v", err)
	}
	started := before
	started.Status = Implement
	c = started
	c.PlannedStart = &now
	if err := c.CheckEdit(started); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("window edit during implementation: %v", err)
	}
	draft := before
	draft.Status = Draft
	c = draft
	c.RiskClass, c.Type = "low", Emergency
	if err := c.CheckEdit(draft); err != nil {
		t.Fatalf("draft edit: %v", err)
	}

	c = before
	if err := c.AddDeviation("cab", "outage", "eng", now); fault.As(err) == nil || fault.As(err).Field != "approved_by" {
		t.Fatalf("self-approval: %v", err)
	}
	if err := c.AddDeviation("", "outage", "pm", now); fault.As(err) == nil || fault.As(err).Field != "step_skipped" {
		t.Fatalf("no step: %v", err)
	}
	if err := c.AddDeviation("cab", " ", "pm", now); fault.As(err) == nil || fault.As(err).Field != "reason" {
		t.Fatalf("no reason: %v", err)
	}
	if err := c.AddDeviation("cab", "outage", "pm", now); err != nil || len(c.Deviations) != 1 || !c.Deviations[0].At.Equal(now) {
		t.Fatalf("deviation: %+v %v", c.Deviations, err)
	}
	c.Status = Closed
	if err := c.AddDeviation("cab", "late", "pm", now); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("deviation on a closed change: %v", err)
	}
}

// A computed class becomes the risk class unless overridden; an override
// other than the computed class needs a justification; going back to the
// computed class clears it.
func TestRiskOverride(t *testing.T) {
	c := Change{ID: "CHG-1"}
	if err := c.OverrideRisk("high", "", "rm"); fault.As(err) == nil || fault.As(err).Field != "risk_justification" {
		t.Fatalf("before assessment without justification: %v", err)
	}
	c.SetComputedRisk("medium")
	if c.RiskClass != "medium" || c.RiskComputed != "medium" {
		t.Fatalf("computed %+v", c)
	}
	if err := c.OverrideRisk("extreme", "x", "rm"); fault.As(err) == nil || fault.As(err).Field != "risk_class" {
		t.Fatalf("unknown class: %v", err)
	}
	if err := c.OverrideRisk("low", " \t", "rm"); fault.As(err) == nil || fault.As(err).Field != "risk_justification" {
		t.Fatalf("blank justification: %v", err)
	}
	if c.RiskClass != "medium" {
		t.Fatalf("a refused override changed the class: %s", c.RiskClass)
	}
	if err := c.OverrideRisk("low", "behind a flag", "rm"); err != nil || c.RiskClass != "low" || c.RiskOverrideBy != "rm" {
		t.Fatalf("override %+v %v", c, err)
	}
	c.SetComputedRisk("high") // a recomputation keeps the override
	if c.RiskClass != "low" || c.RiskComputed != "high" {
		t.Fatalf("recomputed %+v", c)
	}
	if err := c.OverrideRisk("high", "", "pm"); err != nil || c.RiskJustification != "" || c.RiskOverrideBy != "" || c.RiskClass != "high" {
		t.Fatalf("back to computed %+v %v", c, err)
	}
}

// TestFingerprintBindsContentNotStatus: type, release, env, model, window
// and deviations are bound; status, title and risk class are not.
func TestFingerprintBindsContentNotStatus(t *testing.T) {
	start, end := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	base := Change{Type: Normal, Release: "REL-1", Env: "prod-eu", Status: Authorize, PlannedStart: &start, PlannedEnd: &end}
	fp := base.Fingerprint()
	same := base
	same.Status, same.Title, same.RiskClass, same.Revision = Implement, "other", "high", 7
	berlin := start.In(time.FixedZone("CET", 3600))
	same.PlannedStart = &berlin
	if same.Fingerprint() != fp {
		t.Fatal("status, title, risk class and the window's time zone must not change the fingerprint")
	}
	later := end.Add(time.Hour)
	for name, edit := range map[string]func(c *Change){
		"type":      func(c *Change) { c.Type = Emergency },
		"release":   func(c *Change) { c.Release = "REL-2" },
		"env":       func(c *Change) { c.Env = "prod-us" },
		"model":     func(c *Change) { c.ChangeModel = "config-correction" },
		"window":    func(c *Change) { c.PlannedEnd = &later },
		"deviation": func(c *Change) { c.Deviations = []Deviation{{StepSkipped: "cab", Reason: "outage", ApprovedBy: "pm"}} },
	} {
		c := base
		edit(&c)
		if c.Fingerprint() == fp {
			t.Errorf("%s must change the fingerprint", name)
		}
	}
}
