package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/incident"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// healthWorld builds, on top of seed (checkout-api, prod-eu): staging;
// an alert on cache-db in prod-eu that fired before cache-db was registered
// (so it opened no incident), and one that fired there and resolved; the
// graph web → shop-api → payments-lib → {payments-db, cache-db}; REL-1
// shipping shop-api@1.0.0. It returns the store and its clock.
func healthWorld(t *testing.T) (*store.Store, *storetest.Clock) {
	t.Helper()
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	start := clock.Now().Add(-time.Hour)
	cache := map[string]string{"alertname": "CacheEvictions", "service": "cache-db", "env": "prod-eu", "severity": "critical"}
	gone := map[string]string{"alertname": "CacheSlow", "service": "cache-db", "env": "prod-eu", "severity": "critical"}
	sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: cache, starts: start}, sigAlert{status: "firing", labels: gone, starts: start}))
	sigIngest(t, s, sigPayload(t, sigAlert{status: "resolved", labels: gone, starts: start, ends: clock.Now()}))
	mustDo(t, func() error {
		_, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "staging", Tier: environment.Staging})
		return err
	})
	for _, c := range []ci.CI{{Name: "payments-db"}, {Name: "cache-db"}, {Name: "payments-lib", DependsOn: []string{"payments-db", "cache-db"}},
		{Name: "shop-api", DependsOn: []string{"payments-lib"}}, {Name: "web", DependsOn: []string{"shop-api"}}} {
		c.Kind = "service"
		mustDo(t, func() error { _, err := s.CreateCI(ctx, alice, c); return err })
	}
	mustDo(t, func() error {
		_, err := s.CreateComponent(ctx, alice, ci.Version{CI: "shop-api", Version: "1.0.0"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature, Components: []string{"shop-api@1.0.0"}})
		return err
	})
	return s, clock
}

func openIncident(t *testing.T, s *store.Store, ciName, env string, sev int) string {
	t.Helper()
	inc, err := s.CreateIncident(context.Background(), alice, incident.Incident{Title: ciName + " down", CI: ciName, Env: env, Severity: sev})
	if err != nil {
		t.Fatal(err)
	}
	return inc.ID
}

// TestGateInputTargetHealth: the open incidents and firing alerts of the
// target environment on the release's CIs and their dependencies, and
// nothing else (another environment, a dependent CI, resolved incidents and
// alerts, an alert whose incident a person resolved, the resolved alert of
// an incident a person reopened).
func TestGateInputTargetHealth(t *testing.T) {
	s, clock := healthWorld(t)
	ctx := context.Background()
	db := openIncident(t, s, "payments-db", "prod-eu", 2) // INC-1: counts
	openIncident(t, s, "payments-db", "staging", 1)       // INC-2: another environment
	openIncident(t, s, "web", "prod-eu", 1)               // INC-3: a dependent, not a dependency
	old := openIncident(t, s, "shop-api", "prod-eu", 1)   // INC-4: resolved below
	lag := map[string]string{"alertname": "ReplicationLag", "service": "payments-lib", "env": "prod-eu", "severity": "high"}
	sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: lag, starts: clock.Now()})) // opens INC-5
	disk := map[string]string{"alertname": "DiskFull", "service": "payments-db", "env": "prod-eu", "severity": "high"}
	sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: disk, starts: clock.Now()})) // opens INC-6
	sigIngest(t, s, sigPayload(t, sigAlert{status: "resolved", labels: disk, starts: clock.Now(), ends: clock.Now()}))
	move := func(id int64, to string) {
		t.Helper()
		_, err := s.UpdateIncident(ctx, alice, id, 0, "incident.move", func(i *incident.Incident, c store.IncidentContext) error {
			return i.Move(to, c.Now)
		})
		mustDo(t, func() error { return err })
	}
	move(4, incident.Resolved)
	move(6, incident.Open) // reopened by a person: open, but its alert no longer fires

	in, revs, err := s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}, policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	var incs []string
	for _, i := range in.OpenIncidents {
		incs = append(incs, i.ID)
	}
	if !slices.Equal(incs, []string{db, "INC-5", "INC-6"}) || slices.Contains(incs, old) || revs[db] != 1 {
		t.Fatalf("open incidents %v (revs %v)", incs, revs)
	}
	if i := in.OpenIncidents[0]; i.CI != "payments-db" || i.Environment != "prod-eu" || i.Severity != 2 || i.Source != "api" || i.OpenedAt.IsZero() {
		t.Fatalf("incident %+v", i)
	}
	if len(in.FiringAlerts) != 2 {
		t.Fatalf("firing alerts %+v", in.FiringAlerts)
	}
	a, alone := in.FiringAlerts[0], in.FiringAlerts[1]
	if a.Name != "ReplicationLag" || a.Incident != "INC-5" || a.Severity != 2 || a.CI != "payments-lib" || a.Signal == 0 {
		t.Fatalf("alert of INC-5 %+v", a)
	}
	if alone.Name != "CacheEvictions" || alone.Incident != "" || alone.Severity != 1 || alone.CI != "cache-db" || alone.Environment != "prod-eu" {
		t.Fatalf("alert without incident %+v", alone)
	}
	v := gate.Evaluate(policy.Default(), in, clock.Now())
	if v.RuleResult(gate.RuleTargetHealth) != gate.Fail || v.Decision != gate.Blocked {
		t.Fatalf("target_health: %+v", v.Rules)
	}

	// A person resolves INC-5 while its alert still fires: neither counts any more.
	move(5, incident.Resolved)
	in, _, err = s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}, policy.Default())
	if err != nil || len(in.OpenIncidents) != 2 || len(in.FiringAlerts) != 1 || in.FiringAlerts[0].Name != "CacheEvictions" {
		t.Fatalf("after resolving INC-5: %v %+v %+v", err, in.OpenIncidents, in.FiringAlerts)
	}
	// staging: only INC-2; the alerts are all in prod-eu.
	in, _, err = s.GateInput(ctx, store.GateQuery{Release: 1, Env: "staging", At: clock.Now()}, policy.Default())
	if err != nil || len(in.OpenIncidents) != 1 || in.OpenIncidents[0].Environment != "staging" || len(in.FiringAlerts) != 0 {
		t.Fatalf("staging: %v %+v %+v", err, in.OpenIncidents, in.FiringAlerts)
	}
}

// TestGateInputReadsAloneAlertsInScope: of the firing alerts that opened
// no incident, the gate reads those of the release's CIs and of the CIs
// they depend on (cache-db, through shop-api → payments-lib), and never
// those of other CIs of the environment (an unregistered service, a CI
// outside the graph: the unrelated traffic of bench/README.md session 6);
// another environment's none.
func TestGateInputReadsAloneAlertsInScope(t *testing.T) {
	s, clock := healthWorld(t)
	ctx := context.Background()
	for _, svc := range []string{"billing", "ledger"} {
		other := map[string]string{"alertname": "Unrelated", "service": svc, "env": "prod-eu", "severity": "critical"}
		sigIngest(t, s, sigPayload(t, sigAlert{status: "firing", labels: other, starts: clock.Now()}))
	}
	mustDo(t, func() error { _, err := s.CreateCI(ctx, alice, ci.CI{Name: "ledger", Kind: "service"}); return err })
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}
	read, err := s.GateAloneRead(ctx, q, policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range read {
		names = append(names, a.CI+" "+a.Name)
	}
	if !slices.Equal(names, []string{"cache-db CacheEvictions"}) {
		t.Fatalf("lone firing alerts read: %v, want only the dependency cache-db's", names)
	}
	in, _, err := s.GateInput(ctx, q, policy.Default())
	if err != nil || len(in.FiringAlerts) != 1 || in.FiringAlerts[0].CI != "cache-db" || in.FiringAlerts[0].Incident != "" {
		t.Fatalf("firing alerts: %v %+v", err, in.FiringAlerts)
	}
	if read, err = s.GateAloneRead(ctx, store.GateQuery{Release: 1, Env: "staging", At: clock.Now()}, policy.Default()); err != nil || len(read) != 0 {
		t.Fatalf("staging: %v %+v", err, read)
	}
}

// TestGateInputDeployments: one deployment per environment, the one that
// counts for progression when there is one; rule progression judges them.
func TestGateInputDeployments(t *testing.T) {
	s, clock := healthWorld(t)
	ctx := context.Background()
	// run deploys REL-1 into env through the gate to end, a minute later
	run := func(env, end string) {
		t.Helper()
		id := engRunning(t, s, "REL-1", env)
		clock.Advance(time.Minute)
		engEnd(t, s, id, end)
		clock.Advance(time.Minute)
	}
	pol, err := policy.Parse([]byte("progression: [staging, prod-eu]\n"))
	mustDo(t, func() error { return err })
	judge := func() (gate.Input, gate.Verdict) {
		t.Helper()
		in, _, err := s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now().Add(time.Hour)}, pol)
		mustDo(t, func() error { return err })
		return in, gate.Evaluate(pol, in, clock.Now())
	}
	if in, v := judge(); len(in.Deployments) != 0 || v.RuleResult(gate.RuleProgression) != gate.Fail {
		t.Fatalf("never deployed: %+v %+v", in.Deployments, v.Rules)
	}
	run("staging", deploy.Succeeded)  // DEP-1
	run("staging", deploy.RolledBack) // DEP-2: newer, does not count
	_, err = s.CreateDeployment(ctx, alice, deploy.Deployment{Release: "REL-1", Env: "prod-eu"})
	mustDo(t, func() error { return err }) // DEP-3: pending
	in, v := judge()
	got := []string{}
	for _, d := range in.Deployments {
		got = append(got, d.ID+" "+d.Environment+" "+d.Status)
	}
	if !slices.Equal(got, []string{"DEP-1 staging succeeded", "DEP-3 prod-eu pending"}) || in.Deployments[0].FinishedAt == nil {
		t.Fatalf("deployments %v", got)
	}
	if v.RuleResult(gate.RuleProgression) != gate.Pass {
		t.Fatalf("progression: %+v", v.Rules)
	}
}

// TestEvaluateGateSeesCommittedChange: an evaluation right after a committed
// change (an incident opened on the target) judges it, and one right after
// the incident was resolved no longer does: no earlier input is reused.
func TestEvaluateGateSeesCommittedChange(t *testing.T) {
	s, clock := healthWorld(t)
	ctx := context.Background()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}
	blames := func(id string) bool {
		t.Helper()
		ev, err := s.EvaluateGate(ctx, alice, q, policy.Default(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(ev.Verdict.Rules, func(r gate.Result) bool {
			return r.Rule == gate.RuleTargetHealth && r.Result == gate.Fail && slices.Contains(r.Records, id)
		})
	}
	id := "INC-1"
	if blames(id) {
		t.Fatal("target_health names an incident before it exists")
	}
	if got := openIncident(t, s, "shop-api", "prod-eu", 1); got != id {
		t.Fatalf("opened %s, want %s", got, id)
	}
	if !blames(id) {
		t.Fatal("the evaluation after the incident was opened did not see it")
	}
	if _, err := s.UpdateIncident(ctx, alice, 1, 0, "incident.move", func(i *incident.Incident, c store.IncidentContext) error {
		return i.Move(incident.Resolved, c.Now)
	}); err != nil {
		t.Fatal(err)
	}
	if blames(id) {
		t.Fatal("the evaluation after the incident was resolved still saw it open")
	}
}
