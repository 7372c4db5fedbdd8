package api

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/audit"
	"fixgate/internal/driver"
	"fixgate/internal/engine"
	"fixgate/internal/policy"
	"fixgate/internal/store/storetest"
)

// replica starts another server (a restart, or a second replica) on ta's
// store, started with --policy start (nil: none), and returns a testAPI
// that sends its requests there.
func (ta *testAPI) replica(start *policy.Policy) *testAPI {
	ta.t.Helper()
	srv := New(Config{Store: ta.store, DataDir: ta.t.TempDir(), Policy: start})
	if err := srv.InitPolicy(context.Background()); err != nil {
		ta.t.Fatal(err)
	}
	srv.policy.every = time.Nanosecond
	other := *ta
	other.srv, other.http = srv, httptest.NewServer(srv.Handler())
	ta.t.Cleanup(other.http.Close)
	return &other
}

// TestGateVerdictNamesTheStoredPolicyVersion: every path that records a
// gate verdict (POST /gates/evaluate, deploy start, the engine's
// evaluation before a promotion) records the number of the stored policy
// version it judged under, with that version's hash, on every replica:
// after another replica stores a new version, after a restart with a
// changed --policy (a new version, numbered after the others) and after a
// restart with the same one (no new version, the number stays).
func TestGateVerdictNamesTheStoredPolicyVersion(t *testing.T) {
	ta := newTestAPI(t)
	ta.srv.policy.every = time.Nanosecond // look at the stored version on every request
	ctx := context.Background()
	for _, v := range []string{"1.0.0", "1.0.1"} {
		ta.must("rm", "POST", "/api/v1/releases", `{"version":"`+v+`","type":"feature"}`, 201)
	}
	parsed := func(version int, custom ...policy.CustomRule) *policy.Policy { // as a server reads it
		t.Helper()
		p := storetest.OpenPolicy()
		p.Version, p.Gate.Custom = version, custom
		b, err := yaml.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = policy.Parse(b); err != nil {
			t.Fatal(err)
		}
		return p
	}
	polA := parsed(1)
	polB := parsed(7, policy.CustomRule{Name: "under-b", Expr: "false", Message: "judged under B", Severity: "warn"})
	elsewhere := func(p *policy.Policy) int64 { // another replica stores p
		t.Helper()
		b, err := yaml.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		sp, created, err := ta.store.SavePolicy(ctx, audit.System("replica-2"), string(b), p.Hash(), 0)
		if err != nil || !created {
			t.Fatalf("store on another replica: %v %v", created, err)
		}
		return sp.Version
	}
	check := func(where string, ev map[string]any, version int64, p *policy.Policy) {
		t.Helper()
		verdict := ev["verdict"].(map[string]any)
		underB := rules(t, ev)["custom:under-b"] == "warn"
		if ev["policy_version"] != float64(version) || ev["policy_hash"] != p.Hash() || verdict["policy_hash"] != p.Hash() ||
			verdict["policy_version"] != float64(p.Version) || underB != (p == polB) {
			t.Fatalf("%s: evaluation %v under policy version %v (%v), verdict's file version %v; want stored version %d (%s), file version %d",
				where, ev["id"], ev["policy_version"], ev["policy_hash"], verdict["policy_version"], version, p.Hash(), p.Version)
		}
		stored, err := ta.store.GetPolicy(ctx, version)
		if err != nil || stored.Hash != p.Hash() {
			t.Fatalf("%s: stored version %d is %v %v", where, version, stored.Hash, err)
		}
	}
	evaluate := func(on *testAPI) map[string]any {
		t.Helper()
		return on.must("bot", "POST", "/api/v1/gates/evaluate", `{"release":"REL-1","environment":"prod-eu"}`, 200)
	}

	b, err := yaml.Marshal(polA)
	if err != nil {
		t.Fatal(err)
	}
	ta.must("admin", "PUT", "/api/v1/policy", string(b), 200, "Content-Type: application/yaml")
	check("after PUT /policy", evaluate(ta), 1, polA)
	v := elsewhere(polB)
	check("after another replica stored a version", evaluate(ta), v, polB)

	restarted := ta.replica(polA) // serve --policy with the first file again: a new version, numbered after B
	if v = 3; restarted.srv.policy.cur.Load().stored.Version != v {
		t.Fatalf("restart with a changed --policy stored version %d, want %d", restarted.srv.policy.cur.Load().stored.Version, v)
	}
	check("on the restarted server", evaluate(restarted), v, polA)
	check("on the replica that did not restart", evaluate(ta), v, polA)
	check("after a restart with the same --policy", evaluate(ta.replica(polA)), v, polA)
	check("after a restart without --policy", evaluate(ta.replica(nil)), v, polA)

	start := ta.must("bot", "POST", "/api/v1/deployments/start",
		`{"release":"REL-2","env":"prod-eu","driver":"pipe","stages":[{"name":"canary","weight":10},{"name":"full","weight":100}]}`, 201)
	check("deploy start", start["gate"].(map[string]any), v, polA)

	// the engine judges again before the promotion, under the version in force then
	ta.must("bot", "POST", "/api/v1/deployments/DEP-1/report", `{"stage":"canary","status":"succeeded"}`, 200)
	ta.must("rm", "POST", "/api/v1/deployments/DEP-1/promote", `{}`, 200)
	v = elsewhere(polB)
	runner := &engine.Runner{Store: ta.store, Policy: ta.srv.Policy, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Drivers: func(*policy.Policy, string) (driver.Driver, error) { return driver.Reported{}, nil }}
	if err := runner.Step(ctx, 1); err != nil {
		t.Fatal(err)
	}
	evs := depItems(ta.must("aud", "GET", "/api/v1/gates/evaluations?release=REL-2", "", 200))
	last := evs[len(evs)-1]
	if len(evs) != 2 || last["created_by"] != "fixgate-engine" {
		t.Fatalf("the engine did not judge the promotion: %v", evs)
	}
	check("the engine's evaluation before a promotion", last, v, polB)
	if d := ta.must("aud", "GET", "/api/v1/deployments/DEP-1", "", 200); d["current_stage"] != 1.0 {
		t.Fatalf("not promoted after the allowed evaluation: %v", d)
	}
}
