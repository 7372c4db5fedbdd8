package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/testbin"
)

// TestRolloutAlertmanagerIntegration: the real Alertmanager delivers to
// `fixgate serve` (its webhook receiver posting to /api/v1/hooks/alertmanager
// with a pipeline user's bearer token, as an operator configures it). A fix
// for PRB-1 (signature {alertname="CheckoutErrors",service="checkout-api"})
// is deployed to prod-eu along one stage at 100 % with the recurrence
// template and `deploy start --wait` exits 0; the problem is resolved and
// the 30 s watch runs. An alert that does not match the signature arrives
// and changes nothing; then one that matches arrives inside the watch: the
// deployment is rolled back on the fast path (one rollback action, no
// canary steps) to the version verified before, the problem is back in
// fix_in_progress with its recurrence count raised exactly once, the
// release is rolled_back, and `deploy wait` exits 1. The time from the
// alert's arrival at fixgate to the rollback driver's start is logged.
func TestRolloutAlertmanagerIntegration(t *testing.T) {
	t.Parallel()
	bins := testbin.Need(t, testbin.Alertmanager)
	r := newRig(t, rigOpts{envPath: "watched", watch: "30s"})
	ctx := context.Background()
	prb := r.fixProblem("Checkout 500s", 3)
	if _, err := r.st.AddSignature(ctx, rigPat, prb, `{alertname="CheckoutErrors",service="checkout-api"}`); err != nil {
		t.Fatal(err)
	}
	old := r.release("1.0.0")
	r.approve(old)
	r.seedDeployed(old, true)
	rel := r.release("1.0.1", "PRB-1")
	r.approve(rel)
	r.serve("")
	defer func() {
		if t.Failed() {
			r.dump("DEP-2")
		}
	}()
	am := testbin.StartAlertmanager(t, bins[0], r.url+"/api/v1/hooks/alertmanager", r.bot)

	code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu", "--wait", "--timeout", "30s")
	if code != 0 || !strings.Contains(out, "DEP-2 succeeded") {
		t.Fatalf("deploy start --wait: exit %d\n%s\n%s", code, out, errOut)
	}
	if p := r.problem(prb); p.Status != problem.Resolved || p.RecurrenceCount != 0 {
		t.Fatalf("problem %s (%d recurrences) after the fix succeeded in production", p.Status, p.RecurrenceCount)
	}

	signals := func() []store.SignalOut {
		items, err := r.st.ListSignals(ctx, store.SignalFilter{Page: store.Page{Limit: 100}})
		r.must(err)
		return items
	}
	// An alert on the same service that matches no signature: no rollback.
	other := map[string]string{"alertname": "DiskAlmostFull", "service": "checkout-api", "env": "prod-eu", "severity": "warning"}
	testbin.PostAlert(t, am, other, time.Now().UTC(), time.Time{})
	testbin.WaitFor(t, 20*time.Second, "fixgate has the unrelated alert", func() bool { return len(signals()) >= 1 })
	time.Sleep(1500 * time.Millisecond) // time for anything the alert could set off (the ingest decides rollbacks on arrival)
	if d := r.deployment("DEP-2"); d.Status != deploy.Succeeded {
		t.Fatalf("an alert matching no signature moved DEP-2 to %s", d.Status)
	}

	lbls := map[string]string{"alertname": "CheckoutErrors", "service": "checkout-api", "env": "prod-eu", "severity": "critical"}
	testbin.PostAlert(t, am, lbls, time.Now().UTC(), time.Time{})
	code, out, errOut = r.cli("deploy", "wait", "DEP-2", "--until", "verified", "--timeout", "20s")
	if code != 1 || !strings.Contains(errOut, "DEP-2 is rolled_back") {
		t.Fatalf("deploy wait: exit %d, want 1\n%s\n%s", code, out, errOut)
	}

	calls := r.calls("DEP-2")
	if got := started(calls); !slices.Equal(got, []string{"deploy:full:100", "rollback:full:0"}) {
		t.Fatalf("driver calls %v, want the deploy and one rollback", got)
	}
	var rb driverCall
	for _, c := range calls {
		if c.Action == "rollback" && c.Phase == "start" {
			rb = c
		}
	}
	if rb.Prev != "1.0.0" || rb.Version != "1.0.1" {
		t.Fatalf("rollback %s: FIXGATE_PREVIOUS_VERSION must be 1.0.0", rb)
	}
	d := r.deployment("DEP-2")
	if d.Status != deploy.RolledBack || d.VerifiedAt != nil || !strings.Contains(d.RollbackCause, "recurrence") || d.RollbackDoneAt == nil {
		t.Fatalf("deployment %+v", d)
	}
	var arrived time.Time
	for _, s := range signals() {
		if s.Labels["alertname"] == "CheckoutErrors" {
			if s.Problem != "PRB-1" || s.Signature == "" {
				t.Fatalf("the alert was not matched to PRB-1's signature: %+v", s)
			}
			arrived = s.ReceivedAt
		}
	}
	if arrived.IsZero() {
		t.Fatal("fixgate has no CheckoutErrors signal")
	}
	t.Logf("matching alert stored by fixgate %s → rollback driver started %s: %s", arrived.Format("15:04:05.000"),
		rb.At.Format("15:04:05.000"), rb.At.Sub(arrived).Round(time.Millisecond))
	// the product promise: a rollback within a second of the evidence (the store decides it in the
	// transaction that stores the alert and wakes the engine; this includes starting the driver process)
	if lat := rb.At.Sub(arrived); lat < 0 || lat > time.Second {
		t.Errorf("the rollback driver started %s after the alert arrived", lat)
	}
	p := r.problem(prb)
	if p.Status != problem.FixInProgress || p.RecurrenceCount != 1 {
		t.Fatalf("problem %s with %d recurrences, want fix_in_progress and exactly 1", p.Status, p.RecurrenceCount)
	}
	if s := r.releaseStatus(rel); s != release.RolledBack {
		t.Fatalf("release %s, want rolled_back", s)
	}
	l := r.log("DEP-2")
	var failed bool
	for _, m := range l.Measurements {
		failed = failed || m.Stage == "watch" && m.Check == "recurrence" && m.Outcome == "failed"
	}
	if !failed {
		t.Fatalf("no failed recurrence measurement in the watch: %+v", l.Measurements)
	}
}
