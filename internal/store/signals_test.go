package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/incident"
	"fixgate/internal/jobs"
	"fixgate/internal/knownerror"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var (
	sigBot = audit.Actor{User: "bot", Role: "pipeline", RequestID: "t"}
	sigVal = audit.Actor{User: "val", Role: "validator", RequestID: "t"}
	sigBob = audit.Actor{User: "bob", Role: "engineer", RequestID: "t"}
)

// sigAlert is one alert of a test notification.
type sigAlert struct {
	status string
	labels map[string]string
	starts time.Time
	ends   time.Time
}

// sigPayload decodes a notification as Alertmanager would send it.
func sigPayload(t testing.TB, alerts ...sigAlert) *alertmanager.Payload {
	t.Helper()
	var as []map[string]any
	for _, a := range alerts {
		end := "0001-01-01T00:00:00Z"
		if !a.ends.IsZero() {
			end = a.ends.Format(time.RFC3339Nano)
		}
		as = append(as, map[string]any{"status": a.status, "labels": a.labels, "annotations": map[string]string{},
			"startsAt": a.starts.Format(time.RFC3339Nano), "endsAt": end, "generatorURL": "http://prom/graph",
			"fingerprint": alertmanager.Fingerprint(a.labels)})
	}
	body, _ := json.Marshal(map[string]any{"version": "4", "groupKey": "{}:{}", "status": alerts[0].status, "receiver": "fixgate",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://am", "truncatedAlerts": 0, "alerts": as})
	p, err := alertmanager.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sigIngest(t *testing.T, s *store.Store, p *alertmanager.Payload) store.IngestResult {
	t.Helper()
	res, err := s.IngestAlerts(context.Background(), sigBot, p)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var sigLabels = map[string]string{"alertname": "HighErrorRate", "service": "checkout-api", "env": "prod-eu", "severity": "critical"}

// sigResolved sets up PRB-1 (priority 2, RCA by bob) fixed by REL-1
// (created by alice) deployed to prod-eu as DEP-1, which resolved it with a
// 14-day observation period, KE-1 for it, and the signature SIG-1
// {alertname="HighErrorRate",service="checkout-api"}. The clock ends one
// minute after the resolution.
func sigResolved(t *testing.T, s *store.Store, clock *storetest.Clock) {
	t.Helper()
	seed(t, s)
	ctx := context.Background()
	if _, _, err := s.CreateUser(ctx, alice, auth.User{Name: "val", Roles: []auth.Role{auth.Validator}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "Checkout 500s", Priority: 2, CIs: []string{"checkout-api"},
		Environments: []string{"prod-eu"}}, nil); err != nil {
		t.Fatal(err)
	}
	move := func(to string) {
		t.Helper()
		if _, err := s.UpdateProblem(ctx, alice, 1, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(to, "alice", c.Now, problem.DefaultObservation[p.Priority])
		}); err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
	}
	move(problem.Assess)
	move(problem.RCA)
	if _, err := s.UpdateProblem(ctx, sigBob, 1, 0, "problem.rca", func(p *problem.Problem, c store.ProblemContext) error {
		return p.RecordRCA("code_defect", "nil map in retry path", "", "bob", c.Now, problem.DefaultCategories)
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ValidateRCA(ctx, alice, 1, 0, "holds"); err != nil {
		t.Fatal(err)
	}
	move(problem.FixInProgress)
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
		t.Fatal(err)
	}
	id := engRunning(t, s, "REL-1", "prod-eu") // DEP-1, through the gate
	clock.Advance(time.Minute)
	engEnd(t, s, id, deploy.Succeeded) // resolves PRB-1: REL-1 succeeded in production
	if _, err := s.CreateKnownError(ctx, alice, knownerror.KnownError{Title: "Checkout 500s", Problem: "PRB-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSignature(ctx, alice, 1, `{service="checkout-api", alertname="HighErrorRate"}`); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
}

func sigProblem(t *testing.T, s *store.Store) problem.Problem {
	t.Helper()
	p, err := s.GetProblem(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sigOutbox(t *testing.T, s *store.Store, event string) []store.OutboxEvent {
	t.Helper()
	evs, err := s.ListOutbox(context.Background(), event, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func sigIncidents(t *testing.T, s *store.Store) []incident.Incident {
	t.Helper()
	is, err := s.ListIncidents(context.Background(), store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func sigActions(t *testing.T, s *store.Store, typ, id string) []string {
	t.Helper()
	evs, err := s.AuditEventsFor(context.Background(), typ, id, 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func TestIngestDedupOpensAndResolvesIncident(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	subscribeAll(t, s)
	lbl := map[string]string{"alertname": "DiskFull", "service": "checkout-api", "env": "prod-eu"}
	start := clock.T.Add(-time.Minute)
	firing := sigPayload(t, sigAlert{status: "firing", labels: lbl, starts: start})
	res := sigIngest(t, s, firing)
	if res != (store.IngestResult{Received: 1, New: 1, IncidentsOpened: 1}) {
		t.Fatalf("first delivery: %+v", res)
	}
	audits := auditCount(t, s)
	if res := sigIngest(t, s, firing); res != (store.IngestResult{Received: 1, Duplicates: 1}) {
		t.Fatalf("resend: %+v", res)
	}
	if n := auditCount(t, s); n != audits {
		t.Fatalf("a resend wrote %d audit events", n-audits)
	}
	incs := sigIncidents(t, s)
	if len(incs) != 1 || incs[0].Status != incident.Open || incs[0].Source != incident.SourceAlertmanager || incs[0].Severity != 3 ||
		incs[0].Labels["alertname"] != "DiskFull" || incs[0].Fingerprint != alertmanager.Fingerprint(lbl) || !incs[0].OpenedAt.Equal(start) {
		t.Fatalf("incidents after resend: %+v", incs)
	}
	sigs, _ := s.ListSignals(context.Background(), store.SignalFilter{})
	if len(sigs) != 1 || sigs[0].Incident != "INC-1" || sigs[0].Env != "prod-eu" || sigs[0].CI != "checkout-api" {
		t.Fatalf("signals: %+v", sigs)
	}
	if n := len(sigOutbox(t, s, store.EventIncidentOpened)); n != 1 {
		t.Fatalf("incident.opened rows: %d", n)
	}
	clock.Advance(10 * time.Minute)
	resolved := sigPayload(t, sigAlert{status: "resolved", labels: lbl, starts: start, ends: clock.T.Add(-time.Minute)})
	if res := sigIngest(t, s, resolved); res != (store.IngestResult{Received: 1, New: 1, IncidentsResolved: 1}) {
		t.Fatalf("resolution: %+v", res)
	}
	if res := sigIngest(t, s, resolved); res.Duplicates != 1 || res.IncidentsResolved != 0 {
		t.Fatalf("resent resolution: %+v", res)
	}
	incs = sigIncidents(t, s)
	if len(incs) != 1 || incs[0].Status != incident.Resolved || incs[0].ResolvedAt == nil || !incs[0].ResolvedAt.Equal(clock.T.Add(-time.Minute)) {
		t.Fatalf("after resolution: %+v", incs)
	}
	if got := sigActions(t, s, "incident", "INC-1"); !slices.Equal(got, []string{"incident.create", "incident.resolve"}) {
		t.Fatalf("incident audit: %v", got)
	}
	// An unknown environment: the signal is kept, no incident is opened.
	odd := sigPayload(t, sigAlert{status: "firing", labels: map[string]string{"alertname": "X", "env": "mars", "service": "checkout-api"}, starts: clock.T})
	if res := sigIngest(t, s, odd); res.New != 1 || res.IncidentsOpened != 0 {
		t.Fatalf("unknown env: %+v", res)
	}
	if n := len(sigIncidents(t, s)); n != 1 {
		t.Fatalf("unknown env opened an incident: %d", n)
	}
}

func TestRecurrenceDuringObservationReopensProblem(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	subscribeAll(t, s)
	ctx := context.Background()
	clock.Advance(2 * time.Hour)
	res := sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T.Add(-time.Minute)}))
	if res.New != 1 || res.IncidentsOpened != 1 || res.Recurrences != 1 {
		t.Fatalf("ingest: %+v", res)
	}
	p := sigProblem(t, s)
	if p.Status != problem.FixInProgress || p.RecurrenceCount != 1 {
		t.Fatalf("problem after recurrence: %s count %d", p.Status, p.RecurrenceCount)
	}
	inc, err := s.GetIncident(ctx, 1)
	if err != nil || inc.Problem != "PRB-1" || inc.Deployment != "DEP-1" || inc.Severity != 1 {
		t.Fatalf("incident: %+v %v", inc, err)
	}
	var sig int64
	if err := s.DB().QueryRow(`SELECT signature_id FROM incidents WHERE id = 1`).Scan(&sig); err != nil || sig != 1 {
		t.Fatalf("incident signature: %d %v", sig, err)
	}
	sigs, _ := s.ListSignals(ctx, store.SignalFilter{Problem: 1})
	if len(sigs) != 1 || sigs[0].Signature != "SIG-1" || sigs[0].Decision != "recurrence" || len(sigs[0].Deployments) != 1 ||
		sigs[0].Deployments[0].DeploymentID != 1 {
		t.Fatalf("signal: %+v", sigs)
	}
	ke, _ := s.GetKnownError(ctx, 1)
	if len(ke.Outcomes) != 1 || ke.Outcomes[0].Outcome != knownerror.Recurred || ke.Outcomes[0].Release != "REL-1" || ke.Outcomes[0].Deployment != "DEP-1" {
		t.Fatalf("known error outcomes: %+v", ke.Outcomes)
	}
	rec := sigOutbox(t, s, store.EventProblemRecurred)
	if len(rec) != 1 || !strings.Contains(rec[0].Payload, `"recurrence_count":1`) || !strings.Contains(rec[0].Payload, `"deployment":"DEP-1"`) {
		t.Fatalf("outbox: %+v", rec)
	}
	if got := sigActions(t, s, "problem", "PRB-1"); !slices.Contains(got, "problem.recur") {
		t.Fatalf("problem audit: %v", got)
	}
	if got := sigActions(t, s, "known_error", "KE-1"); !slices.Contains(got, "known_error.outcome") {
		t.Fatalf("known error audit: %v", got)
	}
	// The same alert resent, and a second alert while the fix is back in progress: no second recurrence.
	sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T.Add(-time.Minute)}))
	other := map[string]string{"alertname": "HighErrorRate", "service": "checkout-api", "env": "prod-eu", "pod": "b"}
	if res := sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: other, starts: clock.T})); res.Recurrences != 0 {
		t.Fatalf("second alert: %+v", res)
	}
	if p := sigProblem(t, s); p.RecurrenceCount != 1 {
		t.Fatalf("count after second alert: %d", p.RecurrenceCount)
	}
}

func TestMatchAfterObservationDoesNotReopen(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	clock.Advance(15 * 24 * time.Hour)
	res := sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T}))
	if res.Recurrences != 0 || res.IncidentsOpened != 1 {
		t.Fatalf("ingest: %+v", res)
	}
	if p := sigProblem(t, s); p.Status != problem.Resolved || p.RecurrenceCount != 0 {
		t.Fatalf("problem: %s %d", p.Status, p.RecurrenceCount)
	}
	sigs, _ := s.ListSignals(context.Background(), store.SignalFilter{})
	if len(sigs) != 1 || sigs[0].Decision != "after_observation" || len(sigs[0].Deployments) != 0 {
		t.Fatalf("signal: %+v", sigs)
	}
	if n := len(sigOutbox(t, s, store.EventProblemRecurred)); n != 0 {
		t.Fatalf("problem.recurred rows: %d", n)
	}
}

func TestAPIIncidentIsMatchedToSignature(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	ctx := context.Background()
	in, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "errors", CI: "checkout-api", Env: "prod-eu", Severity: 2,
		Labels: map[string]string{"alertname": "HighErrorRate"}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Problem != "PRB-1" || in.Deployment != "DEP-1" {
		t.Fatalf("incident: %+v", in)
	}
	if p := sigProblem(t, s); p.Status != problem.FixInProgress || p.RecurrenceCount != 1 {
		t.Fatalf("problem: %s %d", p.Status, p.RecurrenceCount)
	}
	// An incident that matches nothing stays unlinked.
	in, err = s.CreateIncident(ctx, alice, incident.Incident{Title: "slow", CI: "checkout-api", Env: "prod-eu", Severity: 3})
	if err != nil || in.Problem != "" {
		t.Fatalf("unmatched: %+v %v", in, err)
	}
}

func TestSignaturesAddListRemove(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	ctx := context.Background()
	n := auditCount(t, s)
	if _, err := s.AddSignature(ctx, alice, 1, `{alertname=~"("}`); fault.As(err) == nil || fault.As(err).Field != "matcher" {
		t.Fatalf("bad regex: %v", err)
	}
	if _, err := s.AddSignature(ctx, alice, 1, `{alertname="HighErrorRate",service="checkout-api"}`); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := s.AddSignature(ctx, alice, 9, `{alertname="X"}`); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("unknown problem: %v", err)
	}
	if got := auditCount(t, s); got != n {
		t.Fatalf("refusals wrote %d audit events", got-n)
	}
	g, err := s.AddSignature(ctx, alice, 1, `{ error_code =~ "5.." , alertname = "Api" }`)
	if err != nil || g.ID != "SIG-2" || g.Matcher != `{alertname="Api",error_code=~"5.."}` {
		t.Fatalf("add: %+v %v", g, err)
	}
	if _, err := s.RemoveSignature(ctx, alice, 1, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveSignature(ctx, alice, 1, 1); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("second removal: %v", err)
	}
	list, err := s.ListSignatures(ctx, 1)
	if err != nil || len(list) != 1 || list[0].ID != "SIG-2" {
		t.Fatalf("list: %+v %v", list, err)
	}
	res := sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T}))
	if res.Recurrences != 0 {
		t.Fatalf("removed signature still matches: %+v", res)
	}
	res = sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: map[string]string{"alertname": "Api", "error_code": "503"}, starts: clock.T}))
	if res.Recurrences != 1 {
		t.Fatalf("new signature does not match: %+v", res)
	}
}

func sigCompletePIR(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	yes := true
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", RootCauseEliminated: &yes, Findings: "no recurrence"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdatePIR(ctx, alice, 1, 0, "pir.move", func(p *pir.PIR, c store.PIRContext) error {
		return p.Move(pir.Completed, "alice", c.Now)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestClosureRefusalsThenClose(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	subscribeAll(t, s)
	ctx := context.Background()
	n := auditCount(t, s)
	_, err := s.CloseProblem(ctx, alice, 1, 0, "")
	fe := fault.As(err)
	if fe == nil || fe.Code != fault.PreconditionFailed || !slices.Equal(fe.Extra["missing"].([]string), []string{"observation_period", "pir", "confirmation"}) {
		t.Fatalf("early close: %v %+v", err, fe)
	}
	for _, want := range []string{"observation period runs until", "post-implementation review", "validator outside the release team"} {
		if !strings.Contains(fe.Message, want) {
			t.Fatalf("refusal %q lacks %q", fe.Message, want)
		}
	}
	for _, who := range []audit.Actor{sigBob, alice} { // bob wrote the RCA; alice created the release and resolved it
		if _, err := s.ConfirmFix(ctx, who, 1, "looks fixed"); fault.CodeOf(err) != fault.Forbidden {
			t.Fatalf("%s confirmed: %v", who.User, err)
		}
	}
	if got := auditCount(t, s); got != n {
		t.Fatalf("refusals wrote %d audit events", got-n)
	}
	if c, err := s.ConfirmFix(ctx, sigVal, 1, "error rate flat for a week"); err != nil || c.Validator != "val" {
		t.Fatalf("confirm: %+v %v", c, err)
	}
	sigCompletePIR(t, s)
	chk, _ := s.CheckClosure(ctx, 1)
	if chk.Ready || len(chk.Missing) != 1 || chk.Missing[0].Condition != problem.CondObservation {
		t.Fatalf("check: %+v", chk)
	}
	if ready, _ := s.ReadyToClose(ctx, store.Page{}); len(ready) != 0 {
		t.Fatalf("ready during observation: %+v", ready)
	}
	clock.Advance(14 * 24 * time.Hour)
	if ready, _ := s.ReadyToClose(ctx, store.Page{}); len(ready) != 1 || ready[0].ID != "PRB-1" {
		t.Fatalf("ready after observation: %+v", ready)
	}
	p, err := s.CloseProblem(ctx, alice, 1, 0, "done")
	if err != nil || p.Status != problem.Closed {
		t.Fatalf("close: %+v %v", p, err)
	}
	if n := len(sigOutbox(t, s, store.EventProblemClosed)); n != 1 {
		t.Fatalf("problem.closed rows: %d", n)
	}
	// A closed problem's signatures no longer match.
	if res := sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T})); res.Recurrences != 0 {
		t.Fatalf("closed problem matched: %+v", res)
	}
	if sigs, _ := s.ListSignals(ctx, store.SignalFilter{Problem: 1}); len(sigs) != 0 {
		t.Fatalf("signal linked to a closed problem: %+v", sigs)
	}
}

func TestClosureRefusedAfterRecurrence(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	ctx := context.Background()
	sigCompletePIR(t, s)
	if _, err := s.ConfirmFix(ctx, sigVal, 1, ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: sigLabels, starts: clock.T}))
	clock.Advance(30 * 24 * time.Hour)
	_, err := s.CloseProblem(ctx, alice, 1, 0, "")
	if fe := fault.As(err); fe == nil || !slices.Equal(fe.Extra["missing"].([]string), []string{"resolved", "confirmation"}) {
		t.Fatalf("close after recurrence: %v", err)
	}
	if _, err := s.ConfirmFix(ctx, sigVal, 1, ""); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("confirm an unresolved problem: %v", err)
	}
}

func TestReadyToCloseJobRunsOncePerLease(t *testing.T) {
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	subscribeAll(t, s)
	ctx := context.Background()
	sigCompletePIR(t, s)
	if _, err := s.ConfirmFix(ctx, sigVal, 1, ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(15 * 24 * time.Hour)
	runners := make([]*jobs.Runner, 3)
	for i := range runners {
		runners[i] = jobs.New(s, nil, false)
		runners[i].Holder = fmt.Sprintf("replica-%d", i)
	}
	step := func() int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ran := 0
		for _, r := range runners {
			wg.Go(func() {
				res, err := r.StepReadyToClose(ctx)
				if err != nil {
					t.Error(err)
				}
				if res != nil {
					mu.Lock()
					ran++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return ran
	}
	if ran := step(); ran != 1 {
		t.Fatalf("step ran %d times, want 1", ran)
	}
	if ran := step(); ran != 0 {
		t.Fatalf("step ran %d times within the lease, want 0", ran)
	}
	if n := len(sigOutbox(t, s, store.EventProblemReadyToClose)); n != 1 {
		t.Fatalf("ready_to_close rows: %d", n)
	}
	clock.Advance(time.Minute + time.Second)
	if ran := step(); ran != 1 {
		t.Fatalf("step ran %d times after the lease expired, want 1", ran)
	}
	if n := len(sigOutbox(t, s, store.EventProblemReadyToClose)); n != 1 {
		t.Fatalf("ready_to_close announced twice: %d", n)
	}
	// With auto-close the next holder closes it.
	clock.Advance(time.Minute + time.Second)
	runners[0].AutoClose = true
	res, err := runners[0].StepReadyToClose(ctx)
	if err != nil || res == nil || !slices.Equal(res.Closed, []string{"PRB-1"}) {
		t.Fatalf("auto-close: %+v %v", res, err)
	}
	if p := sigProblem(t, s); p.Status != problem.Closed {
		t.Fatalf("status %s", p.Status)
	}
}

// BenchmarkAlertmanagerIngest ingests notifications of 50 new firing
// alerts (known env and CI: each opens an incident) against 200 problems
// holding signatures; it reports acknowledged alerts per second.
func BenchmarkAlertmanagerIngest(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_bench"); err != nil {
		b.Fatal(err)
	}
	seedBench(b, s)
	ps := make([]problem.Problem, 200)
	for i := range ps {
		ps[i] = problem.Problem{Title: fmt.Sprintf("p%d", i), Priority: 3}
	}
	if _, err := s.CreateProblems(ctx, alice, ps); err != nil {
		b.Fatal(err)
	}
	for i := range ps {
		if _, err := s.AddSignature(ctx, alice, int64(i+1), fmt.Sprintf(`{alertname="A%d",service="checkout-api"}`, i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		alerts := make([]sigAlert, 50)
		for i := range alerts {
			alerts[i] = sigAlert{status: "firing", starts: clock.T.Add(-time.Duration(n*50+i) * time.Millisecond),
				labels: map[string]string{"alertname": fmt.Sprintf("A%d", (n*50+i)%400), "service": "checkout-api", "env": "prod-eu", "pod": fmt.Sprint(i)}}
		}
		p := sigPayload(b, alerts...)
		if _, err := s.IngestAlerts(ctx, sigBot, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "alerts/s")
}

func seedBench(b *testing.B, s *store.Store) {
	ctx := context.Background()
	if _, err := s.CreateCI(ctx, alice, ci.CI{Name: "checkout-api", Kind: "service"}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
}
