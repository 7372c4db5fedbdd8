package pir

import (
	"math"
	"testing"
	"time"

	"fixgate/internal/fault"
)

func TestValidate(t *testing.T) {
	p := PIR{Problem: "prb-1", Release: "rel-2", Checklist: []string{" add canary "}, KPIs: map[string]float64{"incidents_before": 12}}
	if err := p.Validate(); err != nil || p.Problem != "PRB-1" || p.Release != "REL-2" || p.Checklist[0] != "add canary" {
		t.Fatalf("%+v %v", p, err)
	}
	for field, bad := range map[string]PIR{
		"problem":        {},
		"release":        {Problem: "PRB-1", Release: "PRB-1"},
		"kpis":           {Problem: "PRB-1", KPIs: map[string]float64{"Bad Name": 1}},
		"kpis.incidents": {Problem: "PRB-1", KPIs: map[string]float64{"incidents": math.NaN()}},
		"checklist":      {Problem: "PRB-1", Checklist: []string{" "}},
	} {
		if fe := fault.As(bad.Validate()); fe == nil || fe.Field != field {
			t.Errorf("%s: %v", field, fe)
		}
	}
}

func TestCompleteNeedsVerdictAndFindings(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	p := PIR{Problem: "PRB-1", Status: Draft}
	err := p.Move(Completed, "carol", now)
	if fe := fault.As(err); fe == nil || fe.Code != fault.PreconditionFailed || fe.Field != "root_cause_eliminated" || p.Status != Draft {
		t.Fatalf("%v", err)
	}
	yes := true
	p.RootCauseEliminated = &yes
	if fe := fault.As(p.Move(Completed, "carol", now)); fe == nil || fe.Field != "findings" {
		t.Fatalf("%v", fe)
	}
	p.Findings = "no recurrence in 30 days"
	if err := p.Move(Completed, "carol", now); err != nil || p.CompletedBy != "carol" || !p.CompletedAt.Equal(now) {
		t.Fatalf("%+v %v", p, err)
	}
	if fault.CodeOf(p.Editable()) != fault.Conflict || fault.CodeOf(p.Move(Draft, "x", now)) != fault.Conflict {
		t.Fatal("a completed review changed")
	}
}

// TestComputedKPIs: the windows are centred on the resolution with the
// observation period's length; rates are per day, the after rate per
// elapsed day; user KPIs stay.
func TestComputedKPIs(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	until := at.Add(14 * 24 * time.Hour)
	if _, ok := KPIWindows(&at, nil); ok {
		t.Fatal("windows without an observation period")
	}
	w, ok := KPIWindows(&at, &until)
	if !ok {
		t.Fatal("no windows")
	}
	if from, to := w.Before(); !from.Equal(at.Add(-14*24*time.Hour)) || !to.Equal(at) {
		t.Fatalf("before %s–%s", from, to)
	}
	k := map[string]float64{"p99_latency_ms": 420}
	SetComputedKPIs(k, w, 7, 2, at.Add(4*24*time.Hour))
	want := map[string]float64{"p99_latency_ms": 420, KPIWindowDays: 14, KPIIncidentsBefore: 7, KPIIncidentsAfter: 2,
		KPIIncidentRateBefore: 0.5, KPIAfterElapsedDays: 4, KPIIncidentRateAfter: 0.5}
	for name, v := range want {
		if k[name] != v {
			t.Errorf("%s = %v, want %v", name, k[name], v)
		}
	}
	SetComputedKPIs(k, w, 7, 0, at)
	if _, ok := k[KPIIncidentRateAfter]; ok {
		t.Error("an after rate with no elapsed time")
	}
}
