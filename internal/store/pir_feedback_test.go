package store_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/incident"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func TestImportedIncidentIsMatchedLikeAPIOne(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	subscribeAll(t, s)
	ctx := context.Background()
	clock.Advance(time.Hour)
	rows := []incident.Incident{
		{ExternalID: "SN-1", Title: "errors", CI: "checkout-api", Env: "prod-eu", Severity: 2, OpenedAt: clock.T.Add(-time.Minute),
			Labels: map[string]string{"alertname": "HighErrorRate"}},
		{ExternalID: "SN-2", Title: "slow", CI: "checkout-api", Env: "prod-eu", Severity: 3, OpenedAt: clock.T.Add(-time.Minute)},
	}
	created, _, _, bad, err := s.ImportIncidents(ctx, alice, rows)
	if err != nil || created != 2 || len(bad) != 0 {
		t.Fatalf("import: %d %v %v", created, bad, err)
	}
	in, err := s.GetIncident(ctx, 1)
	if err != nil || in.Problem != "PRB-1" || in.Deployment != "DEP-1" {
		t.Fatalf("matched incident: %+v %v", in, err)
	}
	var sig int64
	if err := s.DB().QueryRow(`SELECT signature_id FROM incidents WHERE id = 1`).Scan(&sig); err != nil || sig != 1 {
		t.Fatalf("signature: %d %v", sig, err)
	}
	if in, _ := s.GetIncident(ctx, 2); in.Problem != "" {
		t.Fatalf("unmatched incident linked: %+v", in)
	}
	if p := sigProblem(t, s); p.Status != problem.FixInProgress || p.RecurrenceCount != 1 {
		t.Fatalf("problem: %s %d", p.Status, p.RecurrenceCount)
	}
	// Imported rows are history: matched and recurring, but not announced as opened.
	if n := len(sigOutbox(t, s, store.EventIncidentOpened)); n != 0 {
		t.Fatalf("incident.opened rows: %d", n)
	}
	if n := len(sigOutbox(t, s, store.EventProblemRecurred)); n != 1 {
		t.Fatalf("problem.recurred rows: %d", n)
	}
	// Re-importing the same file changes nothing: no new link, recurrence or notification.
	created, updated, skipped, _, err := s.ImportIncidents(ctx, alice, rows)
	if err != nil || created != 0 || updated != 0 || skipped != 2 {
		t.Fatalf("re-import: %d %d %d %v", created, updated, skipped, err)
	}
	if p := sigProblem(t, s); p.RecurrenceCount != 1 {
		t.Fatalf("re-import recurred: %d", p.RecurrenceCount)
	}
	if n := len(sigOutbox(t, s, store.EventIncidentOpened)) + len(sigOutbox(t, s, store.EventProblemRecurred)); n != 1 {
		t.Fatalf("re-import enqueued: %d notifications in all, want the first recurrence only", n)
	}
}

// kpiIncident creates an incident of PRB-1 opened at at (no labels: it
// matches no signature).
func kpiIncident(t *testing.T, s *store.Store, at time.Time) {
	t.Helper()
	if _, err := s.CreateIncident(context.Background(), alice, incident.Incident{Title: "x", CI: "checkout-api", Env: "prod-eu",
		Severity: 3, Problem: "PRB-1", OpenedAt: at}); err != nil {
		t.Fatal(err)
	}
}

func TestPIRKPIsBeforeAfterAndRefresh(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	ctx := context.Background()
	p := sigProblem(t, s)
	res := *p.ResolvedAt                         // priority 2: 14-day observation, windows of 14 days
	kpiIncident(t, s, res.Add(-20*24*time.Hour)) // outside the before window
	kpiIncident(t, s, res.Add(-3*24*time.Hour))
	kpiIncident(t, s, res.Add(-time.Hour))
	clock.Advance(7 * 24 * time.Hour)
	kpiIncident(t, s, clock.T.Add(-time.Hour))
	if sigProblem(t, s).Status != problem.Resolved {
		t.Fatal("an unlabelled incident reopened the problem")
	}
	got, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", KPIs: map[string]float64{"p99_latency_ms": 420}})
	if err != nil {
		t.Fatal(err)
	}
	k := got.KPIs
	if k["p99_latency_ms"] != 420 || k[pir.KPIWindowDays] != 14 || k[pir.KPIIncidentsBefore] != 2 || k[pir.KPIIncidentsAfter] != 1 ||
		k[pir.KPIIncidentRateBefore] != 0.143 {
		t.Fatalf("kpis: %v", k)
	}
	if e := k[pir.KPIAfterElapsedDays]; e < 7 || e > 7.01 || k[pir.KPIIncidentRateAfter] != math.Round(1000/e)/1000 {
		t.Fatalf("after window: %v", k)
	}
	if stored, _ := s.GetPIR(ctx, 1); stored.KPIs[pir.KPIIncidentsBefore] != 2 {
		t.Fatalf("stored kpis: %v", stored.KPIs)
	}
	kpiIncident(t, s, clock.T)
	n := auditCount(t, s)
	if _, err := s.RefreshPIRKPIs(ctx, alice, 1, 5); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale refresh: %v", err)
	}
	if auditCount(t, s) != n {
		t.Fatal("a refused refresh wrote an audit event")
	}
	got, err = s.RefreshPIRKPIs(ctx, alice, 1, 1)
	if err != nil || got.Revision != 2 || got.KPIs[pir.KPIIncidentsAfter] != 2 || got.KPIs["p99_latency_ms"] != 420 {
		t.Fatalf("refresh: %+v %v", got, err)
	}
	if acts := sigActions(t, s, "pir", "PIR-1"); !slices.Equal(acts, []string{"pir.create", "pir.kpis"}) {
		t.Fatalf("audit: %v", acts)
	}
	// A completed review's KPIs are part of its record.
	yes := true
	if _, err := s.UpdatePIR(ctx, alice, 1, 0, "pir.move", func(p *pir.PIR, c store.PIRContext) error {
		p.RootCauseEliminated, p.Findings = &yes, "gone"
		return p.Move(pir.Completed, "alice", c.Now)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefreshPIRKPIs(ctx, alice, 1, 0); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("refresh of a completed review: %v", err)
	}
	// A problem never resolved has nothing to measure around.
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "other", Priority: 3}, nil); err != nil {
		t.Fatal(err)
	}
	got, err = s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-2"})
	if err != nil || len(got.KPIs) != 0 {
		t.Fatalf("unresolved problem's review: %+v %v", got, err)
	}
	if _, err := s.RefreshPIRKPIs(ctx, alice, 2, 0); fault.CodeOf(err) != fault.PreconditionFailed || !strings.Contains(err.Error(), "PRB-2") {
		t.Fatalf("refresh without resolution: %v", err)
	}
}

func completePIR(t *testing.T, s *store.Store, id int64) {
	t.Helper()
	yes := true
	if _, err := s.UpdatePIR(context.Background(), alice, id, 0, "pir.move", func(p *pir.PIR, c store.PIRContext) error {
		p.RootCauseEliminated, p.Findings = &yes, "gone"
		return p.Move(pir.Completed, "alice", c.Now)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCompletedPIRRefinesChangeModelChecklist(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	ctx := context.Background()
	for _, c := range []change.Change{
		{Title: "Deploy fix", Type: change.Normal, Release: "REL-1", ChangeModel: "memory-leak-fix"},
		{Title: "Abandoned", Type: change.Normal, Release: "REL-1", ChangeModel: "config-fix"},
	} {
		if _, err := s.CreateChange(ctx, alice, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().Exec(`UPDATE changes SET status = 'canceled' WHERE id = 2`); err != nil { // fixture shortcut
		t.Fatal(err)
	}
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-1",
		Checklist: []string{"heap profile under peak load", "retry budget reviewed"}}); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.ChangeModelChecklist(ctx, "memory-leak-fix"); len(items) != 0 {
		t.Fatalf("a draft review added items: %v", items)
	}
	completePIR(t, s, 1)
	items, err := s.ChangeModelChecklist(ctx, "memory-leak-fix")
	if err != nil || len(items) != 2 || items[0].Item != "heap profile under peak load" || items[0].PIR != "PIR-1" ||
		items[0].AddedBy != "alice" || items[0].AddedAt.IsZero() {
		t.Fatalf("checklist: %+v %v", items, err)
	}
	if items, _ := s.ChangeModelChecklist(ctx, "config-fix"); len(items) != 0 {
		t.Fatalf("canceled change's model refined: %v", items)
	}
	if acts := sigActions(t, s, "change_model", "memory-leak-fix"); !slices.Equal(acts, []string{"change_model.checklist"}) {
		t.Fatalf("audit: %v", acts)
	}
	// A second review adds only what is new; a review without release adds nothing.
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-1",
		Checklist: []string{"retry budget reviewed", "canary for 2h"}}); err != nil {
		t.Fatal(err)
	}
	completePIR(t, s, 2)
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Checklist: []string{"unrelated"}}); err != nil {
		t.Fatal(err)
	}
	completePIR(t, s, 3)
	items, _ = s.ChangeModelChecklist(ctx, "memory-leak-fix")
	if len(items) != 3 || items[2].Item != "canary for 2h" || items[2].PIR != "PIR-2" {
		t.Fatalf("after second review: %+v", items)
	}
}

func TestRollbackIsEnqueued(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	subscribeAll(t, s)
	ctx := context.Background()
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.1", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: "REL-1", Env: "prod-eu"}); err != nil {
		t.Fatal(err) // DEP-1: pending
	}
	// Refused rollbacks enqueue nothing: a hand move to rolled_back is refused
	// naming the command, and that command refuses a deployment never started.
	_, err := s.MoveDeployment(ctx, depPipe, 1, 0, deploy.RolledBack, "")
	if fe := fault.As(err); fe == nil || fe.Code != fault.Conflict || !strings.Contains(fe.Message, "deploy rollback") {
		t.Fatalf("hand move pending → rolled_back: %v", err)
	}
	if _, err := s.RollbackDeployment(ctx, depPipe, 1, "error rate 9%"); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("rollback of a pending deployment: %v", err)
	}
	if n := len(sigOutbox(t, s, store.EventDeploymentRolledBack)); n != 0 {
		t.Fatalf("refused move enqueued %d", n)
	}
	if _, err := s.AbortDeployment(ctx, depPipe, 1, ""); err != nil {
		t.Fatal(err)
	}
	// DEP-2 rolled back by a person: announced once the driver restored the previous version
	id := engRunning(t, s, "REL-1", "prod-eu")
	if _, err := s.RollbackDeployment(ctx, depPipe, id, "error rate 9%"); err != nil {
		t.Fatal(err)
	}
	if n := len(sigOutbox(t, s, store.EventDeploymentRolledBack)); n != 0 {
		t.Fatalf("rolling back enqueued %d", n)
	}
	engRun(t, s, id, 2, "")
	if _, err := s.FinishRollback(ctx, depPipe, id, 0); err != nil {
		t.Fatal(err)
	}
	// DEP-3 succeeds: nothing more
	engDeploy(t, s, "REL-1", "prod-eu", deploy.Succeeded)
	evs := sigOutbox(t, s, store.EventDeploymentRolledBack)
	if len(evs) != 1 || !strings.Contains(evs[0].Payload, `"id":"DEP-2"`) || !strings.Contains(evs[0].Payload, "error rate 9%") {
		t.Fatalf("outbox: %+v", evs)
	}
}
