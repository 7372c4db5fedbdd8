package incident

import (
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/labels"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func valid() Incident {
	return Incident{Title: " Checkout 500s ", CI: "checkout-api", Env: "prod-eu", Severity: 2,
		Labels: labels.Set{"alertname": "High5xx"}, Problem: "prb-3"}
}

func TestValidateNormalises(t *testing.T) {
	i := valid()
	if err := i.Validate(now); err != nil {
		t.Fatal(err)
	}
	if i.Title != "Checkout 500s" || i.Source != SourceAPI || !i.OpenedAt.Equal(now) || i.Problem != "PRB-3" ||
		i.Fingerprint != (labels.Set{"alertname": "High5xx"}).Fingerprint() {
		t.Fatalf("normalised: %+v", i)
	}
}

func TestValidateNamesField(t *testing.T) {
	future := now.Add(MaxSkew + time.Second)
	before := now.Add(-time.Hour)
	for field, mut := range map[string]func(*Incident){
		"title":       func(i *Incident) { i.Title = " " },
		"source":      func(i *Incident) { i.Source = "email" },
		"ci":          func(i *Incident) { i.CI = "Bad CI" },
		"env":         func(i *Incident) { i.Env = "" },
		"severity":    func(i *Incident) { i.Severity = 9 },
		"labels":      func(i *Incident) { i.Labels = labels.Set{"1x": "y"} },
		"external_id": func(i *Incident) { i.ExternalID = " x" },
		"opened_at":   func(i *Incident) { i.OpenedAt = future },
		"resolved_at": func(i *Incident) { i.OpenedAt = now; i.ResolvedAt = &before },
		"problem":     func(i *Incident) { i.Problem = "REL-1" },
		"deployment":  func(i *Incident) { i.Deployment = "DEP-x" },
	} {
		i := valid()
		mut(&i)
		err := i.Validate(now)
		if fe := fault.As(err); fe == nil || fe.Field != field || fe.Code != fault.Invalid {
			t.Errorf("%s: got %v", field, err)
		}
	}
	i := valid()
	i.OpenedAt = now.Add(MaxSkew) // inside the allowed skew
	if err := i.Validate(now); err != nil {
		t.Fatalf("skew: %v", err)
	}
}

func TestLifecycle(t *testing.T) {
	i := valid()
	if err := i.Validate(now); err != nil {
		t.Fatal(err)
	}
	if err := i.Init(); err != nil || i.Status != Open || i.ResolvedAt != nil {
		t.Fatalf("init: %+v %v", i, err)
	}
	err := i.Move(Open, now)
	if fe := fault.As(err); fe == nil || fe.Code != fault.Conflict || fe.Extra["current_status"] != Open {
		t.Fatalf("open → open: %v", err)
	}
	if err := i.Move(Resolved, now.Add(time.Hour)); err != nil || !i.ResolvedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("resolve: %v", err)
	}
	if err := i.Move(Open, now); err != nil || i.ResolvedAt != nil || i.Status != Open {
		t.Fatalf("reopen: %+v %v", i, err)
	}
	// An imported resolved incident starts resolved at its own time.
	r := valid()
	at := now.Add(-time.Minute)
	r.OpenedAt, r.ResolvedAt = now.Add(-time.Hour), &at
	if err := r.Validate(now); err != nil {
		t.Fatal(err)
	}
	if err := r.Init(); err != nil || r.Status != Resolved || !r.ResolvedAt.Equal(at) {
		t.Fatalf("init resolved: %+v %v", r, err)
	}
}
