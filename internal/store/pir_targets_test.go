package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/incident"
	"fixgate/internal/pir"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// pirTargetsPolicy is a stored policy whose change model config-fix asks
// for an incident rate reduction of at least pct percent.
func pirTargetsPolicy(t *testing.T, s *store.Store, pct string, ifVersion int64) {
	t.Helper()
	yaml := "version: 1\nchange_models:\n  config-fix:\n    default_change_type: normal\n    rollout_path: [{name: full, weight: 100}]\n    targets:\n      incident_rate_reduction: " + pct + "\n"
	if _, _, err := s.SavePolicy(context.Background(), alice, yaml, "sha256:"+pct, ifVersion); err != nil {
		t.Fatal(err)
	}
}

// TestPIRStoresTargetEvaluation: a review evaluates its fix's targets under
// the policy in force when it computes its KPIs, stores the evaluation
// (want, got, outcome, change model, policy version) and audits it; a
// later policy does not change it, and the KPI report keeps the stored
// outcome (naming the review) instead of evaluating the fix again.
func TestPIRStoresTargetEvaluation(t *testing.T) {
	s, clock := storetest.Open(t)
	kpiScenario(t, s, clock) // PRB-1: 2 incidents before its fix by DEP-1 (REL-1), its observation period over
	ctx := context.Background()
	if _, err := s.CreateChange(ctx, alice, change.Change{Title: "Deploy fix", Type: change.Normal, Release: "REL-1",
		ChangeModel: "config-fix"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`UPDATE deployments SET change_id = 1 WHERE id = 1`); err != nil { // fixture shortcut
		t.Fatal(err)
	}
	prb, err := s.GetProblem(ctx, 1)
	if err != nil || prb.ResolvedAt == nil {
		t.Fatalf("PRB-1 %+v %v", prb, err)
	}
	// one incident in the window after the fix: 2 → 1 is a 50 % reduction
	if _, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "checkout 500 once more", CI: "checkout-api", Env: "prod-eu",
		Severity: 2, Problem: "PRB-1", OpenedAt: prb.ResolvedAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	pirTargetsPolicy(t, s, "80", 0) // version 1: 50 % misses 80 %
	p, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-1"})
	if err != nil {
		t.Fatal(err)
	}
	e := p.Targets
	if e == nil || e.ChangeModel != "config-fix" || e.PolicyVersion != 1 || len(e.Results) != 1 || e.Results[0].Outcome != pir.TargetMissed ||
		e.Results[0].Want != 80 || e.Results[0].Got == nil || *e.Results[0].Got != 50 {
		t.Fatalf("evaluation %+v", e)
	}
	if got, err := s.GetPIR(ctx, 1); err != nil || got.Targets == nil || got.Targets.Results[0].Outcome != pir.TargetMissed {
		t.Fatalf("stored %+v %v", got.Targets, err)
	}
	evs, err := s.AuditEventsFor(ctx, "pir", "PIR-1", 10)
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].After, `"incident_rate_reduction"`) || !strings.Contains(evs[0].After, `"fail"`) {
		t.Fatalf("audit %+v %v", evs, err)
	}

	pirTargetsPolicy(t, s, "40", 1) // version 2: 50 % would now pass
	k, err := s.KPIReport(ctx, 90*24*time.Hour, "", "", map[string]policy.Targets{"config-fix": {IncidentRateReduction: ptrF(40)}})
	if err != nil {
		t.Fatal(err)
	}
	sc := k.SuccessCriteria
	if sc.Evaluated != 1 || len(sc.Missed) != 1 || sc.Missed[0].PIR != "PIR-1" || sc.Missed[0].Results[0].Want != 80 {
		t.Fatalf("report %+v: the stored evaluation should stand", sc)
	}
	// A person's edit does not touch it; a refresh of the draft's KPIs evaluates again, under version 2.
	if got, err := s.UpdatePIR(ctx, alice, 1, 0, "pir.update", func(x *pir.PIR, _ store.PIRContext) error {
		x.Findings, x.Targets = "config drift", nil
		return nil
	}); err != nil || got.Targets == nil || got.Targets.PolicyVersion != 1 {
		t.Fatalf("update %+v %v", got.Targets, err)
	}
	got, err := s.RefreshPIRKPIs(ctx, alice, 1, 0)
	if err != nil || got.Targets.PolicyVersion != 2 || got.Targets.Results[0].Outcome != pir.TargetMet {
		t.Fatalf("refresh %+v %v", got.Targets, err)
	}
}

func ptrF(v float64) *float64 { return &v }
