package knownerror

import (
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/labels"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	k := KnownError{Title: " Pool exhaustion ", Problem: "prb-2", Labels: labels.Set{"ci": "checkout-api"}}
	if err := k.Validate(); err != nil || k.Title != "Pool exhaustion" || k.Problem != "PRB-2" || k.Outcomes == nil {
		t.Fatalf("%+v %v", k, err)
	}
	for field, bad := range map[string]KnownError{
		"title":   {},
		"labels":  {Title: "x", Labels: labels.Set{"a-b": "1"}},
		"problem": {Title: "x", Problem: "INC-1"},
	} {
		if fe := fault.As(bad.Validate()); fe == nil || fe.Field != field {
			t.Errorf("%s: %v", field, fe)
		}
	}
}

func TestLifecycleGuards(t *testing.T) {
	k := KnownError{Title: "x", Status: Draft}
	if err := k.Move(Published); fault.CodeOf(err) != fault.PreconditionFailed || k.Status != Draft {
		t.Fatalf("publish without symptoms: %v", err)
	}
	k.Symptoms, k.Workaround = "timeouts", "restart pool"
	if err := k.Move(Published); err != nil {
		t.Fatal(err)
	}
	if err := k.Move(Retired); err != nil {
		t.Fatal(err)
	}
	err := k.Move(Draft)
	if fe := fault.As(err); fe == nil || fe.Code != fault.Conflict || fe.Extra["current_status"] != Retired {
		t.Fatalf("retired → draft: %v", err)
	}
	if err := k.Move(Published); err != nil {
		t.Fatalf("republish: %v", err)
	}
}

func TestAddOutcome(t *testing.T) {
	k := KnownError{Title: "x"}
	k.Validate()
	o, err := k.AddOutcome(Outcome{Release: "rel-4", Outcome: Fixed, Note: " ok "}, now)
	if err != nil || o.Release != "REL-4" || o.Note != "ok" || !o.At.Equal(now) || len(k.Outcomes) != 1 {
		t.Fatalf("%+v %v", o, err)
	}
	for field, bad := range map[string]Outcome{
		"outcome":    {Release: "REL-1", Outcome: "maybe"},
		"release":    {Outcome: Fixed},
		"deployment": {Deployment: "REL-1", Outcome: Fixed},
		"at":         {Release: "REL-1", Outcome: Fixed, At: now.Add(time.Hour)},
	} {
		if _, err := k.AddOutcome(bad, now); fault.As(err) == nil || fault.As(err).Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if len(k.Outcomes) != 1 {
		t.Fatalf("refused outcomes were appended: %d", len(k.Outcomes))
	}
}
