package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/report"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// kpiScenario builds, through the store, a history with known outcomes:
// PRB-1 opened, its RCA validated an hour later, fixed by REL-1 (DEP-1,
// succeeded two hours later) with two incidents linked to it before the
// fix; feature REL-2 rolled back (DEP-2: failing evidence 10 min after its
// start, rollback done 7 min after the evidence); feature REL-3 (DEP-3)
// succeeded and an incident was attributed to it in its watch; feature
// REL-4 (DEP-4) succeeded cleanly. The clock then passes PRB-1's
// observation period.
func kpiScenario(t *testing.T, s *store.Store, clock *storetest.Clock) {
	t.Helper()
	ctx := context.Background()
	resFixing(t, s)
	for _, in := range []incident.Incident{
		{Title: "checkout 500", CI: "checkout-api", Env: "prod-eu", Severity: 2, Problem: "PRB-1",
			OpenedAt: clock.T.Add(-3 * time.Hour), ResolvedAt: ptrTime(clock.T.Add(-150 * time.Minute))},
		{Title: "checkout 500 again", CI: "checkout-api", Env: "prod-eu", Severity: 2, Problem: "PRB-1",
			OpenedAt: clock.T.Add(-2 * time.Hour), ResolvedAt: ptrTime(clock.T)},
	} {
		if _, err := s.CreateIncident(ctx, alice, in); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
	depNewRelease(t, s, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
	for _, v := range []string{"1.1.0", "1.2.0", "1.3.0"} {
		depNewRelease(t, s, release.Release{Version: v, Type: release.Feature})
	}
	clock.Advance(2 * time.Hour)
	resDeploy(t, s, 1, "REL-1", "prod-eu", deploy.Succeeded)
	id := engRunning(t, s, "REL-2", "prod-eu")
	clock.Advance(10 * time.Minute)
	if _, err := s.DecideRollback(ctx, depPipe, id, 0, "error rate", clock.T); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7 * time.Minute)
	engRun(t, s, id, 2, "")
	if _, err := s.FinishRollback(ctx, depPipe, id, 0); err != nil {
		t.Fatal(err)
	}
	resDeploy(t, s, 3, "REL-3", "prod-eu", deploy.Succeeded)
	clock.Advance(10 * time.Minute)
	if _, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "latency", CI: "checkout-api", Env: "prod-eu",
		Severity: 3, OpenedAt: clock.T}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	resDeploy(t, s, 4, "REL-4", "prod-eu", deploy.Succeeded)
	clock.Advance(30 * 24 * time.Hour)
}

func ptrTime(t time.Time) *time.Time { return &t }

// TestKPIReportGolden: the scenario's report, as JSON, is exactly the
// golden file (go test -run KPIReportGolden -update rewrites it), on
// SQLite and on PostgreSQL alike.
func TestKPIReportGolden(t *testing.T) {
	s, clock := storetest.Open(t)
	kpiScenario(t, s, clock)
	k, err := s.KPIReport(context.Background(), 90*24*time.Hour, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "kpi_report.golden.json")
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("KPI report differs from %s:\n%s", path, got)
	}
	// PRB-1's fix (no change model: key "") against targets: both incidents
	// were before the fix and none after, so the reduction is 100 %.
	all := 100.0
	k, err = s.KPIReport(context.Background(), 90*24*time.Hour, "", "", map[string]policy.Targets{"": {IncidentRateReduction: &all}})
	if sc := k.SuccessCriteria; err != nil || sc.Evaluated != 1 || len(sc.Missed) != 0 {
		t.Fatalf("success criteria %+v %v", sc, err)
	}
}

// TestKPIReportFiltersMatchingNothing: an environment, a CI or a period
// with no records gives zeros, null rates and samples of 0, never an error.
func TestKPIReportFiltersMatchingNothing(t *testing.T) {
	s, clock := storetest.Open(t)
	kpiScenario(t, s, clock)
	ctx := context.Background()
	for name, q := range map[string]struct {
		since   time.Duration
		env, ci string
	}{"env": {90 * 24 * time.Hour, "nowhere", ""}, "ci": {90 * 24 * time.Hour, "", "no-such-ci"}, "period": {time.Hour, "", ""}} {
		k, err := s.KPIReport(ctx, q.since, q.env, q.ci, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfr := k.ChangeFailureRate
		for _, r := range []report.FailureRate{cfr.ProblemFix, cfr.Feature, cfr.Mixed} {
			if r.Total != 0 || r.Failed != 0 || r.Rate != nil || len(r.Deployments) != 0 {
				t.Errorf("%s: change failure rate %+v, want zeros", name, r)
			}
		}
		for _, d := range []report.Durations{k.Recovery, k.Detect, k.MTTR, k.Flow.OpenedToRCAValidated, k.Flow.OpenedToClosed} {
			if d.N != 0 || d.MedianSec != nil || d.P90Sec != nil {
				t.Errorf("%s: durations %+v, want a sample of 0", name, d)
			}
		}
		if o := k.Recurrence.Overall; o.Problems != 0 || o.Rate != nil || k.Targeted.Recurring != 0 || k.Targeted.Share != nil {
			t.Errorf("%s: recurrence %+v, targeted %+v", name, o, k.Targeted)
		}
	}
}

// TestKPIReportTrendByMonth: the monthly series puts each deployment in the
// calendar month (UTC) it started in, lists every month of the period
// (zeros where nothing started), and sums to the period's figures.
func TestKPIReportTrendByMonth(t *testing.T) {
	s, clock := storetest.Open(t)
	kpiScenario(t, s, clock) // DEP-1..4 in March; the clock is now in April
	depNewRelease(t, s, release.Release{Version: "1.4.0", Type: release.Feature})
	resDeploy(t, s, 5, "REL-5", "prod-eu", deploy.Failed)
	k, err := s.KPIReport(context.Background(), 90*24*time.Hour, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var months []string
	var failed, total int64
	for _, m := range k.Trend {
		months = append(months, m.Month)
		failed, total = failed+m.Feature.Failed, total+m.Feature.Total
	}
	last := k.Trend[len(k.Trend)-1]
	if len(k.Trend) != 4 || months[0] != "2026-01" || months[3] != "2026-04" {
		t.Fatalf("months %v, want 2026-01 to 2026-04", months)
	}
	if mar := k.Trend[2]; mar.Feature.Failed != 2 || mar.Feature.Total != 3 || mar.ProblemFix.Total != 1 || *mar.ProblemFix.Rate != 0 {
		t.Fatalf("March %+v", mar)
	}
	if last.Feature.Failed != 1 || last.Feature.Total != 1 || *last.Feature.Rate != 1 || k.Trend[0].Feature.Rate != nil {
		t.Fatalf("April %+v, January %+v", last, k.Trend[0])
	}
	if cfr := k.ChangeFailureRate.Feature; failed != cfr.Failed || total != cfr.Total {
		t.Fatalf("months sum to %d/%d, the period says %d/%d", failed, total, cfr.Failed, cfr.Total)
	}
}

// TestKPIReportMTTRReadEitherWay: the incidents' time to resolve is the
// same figure whichever way the store reads it (store.Tx.kpiMTTR: on
// SQLite, a period spanning a quarter of the history or more is read in
// the order of the seconds over the whole history, else as the period's
// range), as are the incidents per problem (in problem order or the
// period's range), and both count only the period's incidents: PRB-1's
// incident resolved 999 s after it opened 431 days ago is in neither
// period.
func TestKPIReportMTTRReadEitherWay(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	kpiScenario(t, s, clock)
	old := clock.T.Add(-431 * 24 * time.Hour)
	if _, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "old", CI: "checkout-api", Env: "prod-eu", Severity: 3,
		Problem: "PRB-1", OpenedAt: old, ResolvedAt: ptrTime(old.Add(999 * time.Second))}); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]struct {
		since time.Duration
		env   string
	}{"the history's order (365 days of 431)": {365 * 24 * time.Hour, ""},
		"the period's range (90 days of 431)": {90 * 24 * time.Hour, ""},
		"the period's range, one environment": {365 * 24 * time.Hour, "prod-eu"}} {
		k, err := s.KPIReport(ctx, q.since, q.env, "", nil)
		if err != nil {
			t.Fatal(name, err)
		}
		if m := k.MTTR; m.N != 2 || m.MedianSec == nil || *m.MedianSec != 1800 || *m.P90Sec != 7200 {
			t.Errorf("%s: MTTR %+v, want n 2, median 1800 s, p90 7200 s", name, m)
		}
		if r := k.Targeted; r.Recurring != 2 { // PRB-1's two incidents of the period, not the old one
			t.Errorf("%s: targeted releases %+v, want 2 recurring incidents", name, r)
		}
	}
}

// TestKPIReportRecurrenceAfterClosure: a problem closed in the period
// recurred when incidents opened after its closure are linked to it or
// carry the fingerprint of one of its incidents from before; an incident
// found both ways counts once, one with another fingerprint only once
// linked.
func TestKPIReportRecurrenceAfterClosure(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	ctx := context.Background()
	create := func(title, fp, prb string, at time.Time) int64 {
		t.Helper()
		in, err := s.CreateIncident(ctx, alice, incident.Incident{Title: title, CI: "checkout-api", Env: "prod-eu", Severity: 3,
			Fingerprint: fp, Problem: prb, OpenedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := ident.Incident.Parse("id", in.ID)
		return n
	}
	create("before the fix", "fp-a", "PRB-1", clock.T.Add(-24*time.Hour))
	if _, err := s.ConfirmFix(ctx, sigVal, 1, "flat"); err != nil {
		t.Fatal(err)
	}
	sigCompletePIR(t, s)
	clock.Advance(14 * 24 * time.Hour)
	if _, err := s.CloseProblem(ctx, alice, 1, 0, "done"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	same, other := create("the same fingerprint", "fp-a", "", clock.T), create("another fingerprint", "fp-b", "", clock.T)
	want := func(step string, n int64) {
		t.Helper()
		k, err := s.KPIReport(ctx, 90*24*time.Hour, "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if a := k.Recurrence.AfterClosure; a.Closed != 1 || a.Recurred != 1 || len(a.Problems) != 1 ||
			a.Problems[0] != (report.ClosedRecurrence{Problem: "PRB-1", Incidents: n}) {
			t.Fatalf("%s: after closure %+v, want PRB-1 with %d incidents", step, a, n)
		}
	}
	want("by fingerprint", 1)
	for i, id := range []int64{same, other} {
		if _, err := s.LinkIncident(ctx, alice, id, 1, 0); err != nil {
			t.Fatal(err)
		}
		want(fmt.Sprintf("linked %d", i+1), int64(i+1))
	}
}
