package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/incident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// benchGate measures POST /api/v1/gates/evaluate (input gathered from the
// database, evaluated, stored and audited) against /healthz on the same
// server under c.clients clients, on a dataset with 200 CIs in a dependency
// graph; then the same gate on a large history (10k releases, 1M incidents,
// times -scale) against a small one (100 releases, 10k incidents): the p50
// must stay within 1.5×. Last, in-process gate.Evaluate per second.
func benchGate(ctx context.Context, c config) error {
	fmt.Printf("\n[gate] 200 CIs in a dependency graph, %d clients, %s per phase, %s\n", c.clients, c.duration, dbLabel(c.db))
	small, smallCold, err := gateRun(ctx, c, 100, 10_000, true)
	if err != nil {
		return err
	}
	large, largeCold, err := gateRun(ctx, c, int(10_000*c.scale), int(1_000_000*c.scale), false)
	if err != nil {
		return err
	}
	fmt.Printf("  p50 large / small history: %.2f polling, %.2f gathering every time (goal <= 1.5)\n",
		float64(large.p50)/float64(small.p50), float64(largeCold.p50)/float64(smallCold.p50))
	return nil
}

// gateRun fills a fresh database and measures the gate over HTTP: polling
// (no time given: the server may reuse the unchanged input), then with an
// explicit time in every request (the input is gathered every time: the
// cost of the first call after any change).
func gateRun(ctx context.Context, c config, releases, incidents int, withHealth bool) (poll, cold loadResult, err error) {
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return poll, cold, err
	}
	defer done()
	t0 := time.Now()
	tok, err := gateDataset(ctx, st, releases, incidents)
	if err != nil {
		return poll, cold, err
	}
	fmt.Printf("  history %d releases, %d incidents (filled in %s)\n", releases, incidents, time.Since(t0).Round(time.Second))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return poll, cold, err
	}
	srv := api.NewHTTPServer("", withUnstoredGate(api.New(api.Config{Store: st, Logger: accessLogger()}).Handler(), st))
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.clients * 2}}
	body := []byte(`{"release":"REL-1","environment":"prod-eu"}`)
	if err := checkAllowed(client, base, tok, body); err != nil {
		return poll, cold, err
	}
	var health, unstored loadResult
	if withHealth {
		health = post(client, c, base+"/healthz", "", nil)
		unstored = post(client, c, base+unstoredGatePath, "", body)
	}
	stop := startProfile(withHealth)
	ev := post(client, c, base+"/api/v1/gates/evaluate", tok, body)
	stop()
	if withHealth {
		fmt.Printf("  /healthz              %8.0f req/s  p50 %-9s p99 %-9s errors %d\n", health.rate, health.p50, health.p99, health.errors)
		fmt.Printf("  gate, nothing stored  %8.0f req/s  p50 %-9s p99 %-9s errors %d  (ceiling: no auth, no record, no audit event)\n",
			unstored.rate, unstored.p50, unstored.p99, unstored.errors)
	}
	fmt.Printf("  POST gates/evaluate   %8.0f req/s  p50 %-9s p99 %-9s errors %d  (polling)\n", ev.rate, ev.p50, ev.p99, ev.errors)
	if withHealth {
		fmt.Printf("  ratio evaluate / healthz: %.3f (goal >= 0.25); p99 goal <= 5ms\n", ev.rate/health.rate)
	}
	at := []byte(`{"release":"REL-1","environment":"prod-eu","at":"` + time.Now().UTC().Format(time.RFC3339) + `"}`)
	cold = post(client, c, base+"/api/v1/gates/evaluate", tok, at)
	fmt.Printf("  POST gates/evaluate   %8.0f req/s  p50 %-9s p99 %-9s errors %d  (with \"at\": gathered every time)\n",
		cold.rate, cold.p50, cold.p99, cold.errors)
	return ev, cold, inProcess(ctx, st)
}

// startProfile writes a CPU profile of the evaluate phase to the file named
// by FIXGATE_BENCH_CPUPROFILE, when set (first run only).
func startProfile(first bool) func() {
	path := os.Getenv("FIXGATE_BENCH_CPUPROFILE")
	if path == "" || !first {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// checkAllowed makes sure the benchmark measures a complete, allowed evaluation.
func checkAllowed(client *http.Client, base, tok string, body []byte) error {
	req, _ := http.NewRequest("POST", base+"/api/v1/gates/evaluate", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.Contains(b, []byte(`"decision":"allowed"`)) {
		return fmt.Errorf("the benchmark release is not allowed: %d %s", res.StatusCode, b)
	}
	fmt.Printf("  (an answer is %d bytes)\n", len(b))
	return nil
}

// inProcess reports gate.Evaluate per second on the benchmark input, and
// GateInput (the queries) per second.
func inProcess(ctx context.Context, st *store.Store) error {
	pol := policy.Default()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: time.Now()}
	in, _, err := st.GateInput(ctx, q, pol)
	if err != nil {
		return err
	}
	n, t0 := 0, time.Now()
	for time.Since(t0) < time.Second {
		gate.Evaluate(pol, in, time.Now())
		n++
	}
	evalRate := float64(n) / time.Since(t0).Seconds()
	n, t0 = 0, time.Now()
	for time.Since(t0) < time.Second {
		if _, _, err := st.GateInput(ctx, q, pol); err != nil {
			return err
		}
		n++
	}
	fmt.Printf("  in-process: gate.Evaluate %.0f/s (%d CIs, %d catalogue CIs); GateInput %.0f/s (one goroutine)\n",
		evalRate, len(in.CIs), len(in.Catalogue), float64(n)/time.Since(t0).Seconds())
	return nil
}

// post runs c.clients goroutines POSTing body to url (GET without a body) for c.duration.
func post(client *http.Client, c config, url, token string, body []byte) loadResult {
	return load(client, c, func(*rand.Rand) *http.Request {
		req, _ := http.NewRequest("GET", url, nil)
		if body != nil {
			req, _ = http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	})
}

// gateCIs is the size of the CI graph.
const gateCIs = 200

// gateDataset builds 200 CIs (ci-i depends on up to three CIs of higher
// number, each with an approved 1.0.0 whose dependencies follow the graph),
// the users, REL-1: a well-prepared problem-fix of ci-000 (validated RCA,
// approved components, CAB approval, change with a canary model), 1.0.0 of
// ci-000 live in prod-eu, then the history: releases, closed problems on
// ci-000 and prod-eu, and incidents. It returns the pipeline's token.
func gateDataset(ctx context.Context, st *store.Store, releases, incidents int) (string, error) {
	a := audit.System("bench")
	if _, _, err := st.Bootstrap(ctx, ""); err != nil {
		return "", err
	}
	tokens := map[string]string{}
	for name, role := range map[string]auth.Role{"pm": auth.ProblemManager, "eng": auth.Engineer, "cab": auth.CABMember,
		"rm": auth.ReleaseManager, "bot": auth.Pipeline} {
		_, tok, err := st.CreateUser(ctx, a, auth.User{Name: name, Roles: []auth.Role{role}})
		if err != nil {
			return "", err
		}
		tokens[name] = tok
	}
	if _, err := st.CreateEnvironment(ctx, a, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		return "", err
	}
	if err := gateGraph(ctx, st, a); err != nil {
		return "", err
	}
	if err := gateFix(ctx, st); err != nil {
		return "", err
	}
	return tokens["bot"], gateHistory(ctx, st, a, releases, incidents)
}

func ciName(i int) string { return fmt.Sprintf("ci-%03d", i) }

func ciDeps(i int) []string {
	var out []string
	for _, j := range []int{i*2 + 1, i*2 + 2, i + 7} {
		if j < gateCIs && j > i && (len(out) == 0 || out[len(out)-1] != ciName(j)) {
			out = append(out, ciName(j))
		}
	}
	return out
}

func gateGraph(ctx context.Context, st *store.Store, a audit.Actor) error {
	for i := gateCIs - 1; i >= 0; i-- {
		deps := ciDeps(i)
		if _, err := st.CreateCI(ctx, a, ci.CI{Name: ciName(i), Kind: "service", Criticality: "medium", DependsOn: slices.Clone(deps)}); err != nil {
			return err
		}
		var cd []ci.Dependency
		for _, d := range deps {
			cd = append(cd, ci.Dependency{CI: d, Constraint: "^1.0.0"})
		}
		versions := []string{"1.0.0"}
		if i == 0 {
			versions = append(versions, "1.0.1")
		}
		for _, v := range versions {
			if _, err := st.CreateComponent(ctx, a, ci.Version{CI: ciName(i), Version: v, Dependencies: cd}); err != nil {
				return err
			}
			if _, err := st.MoveComponent(ctx, a, ciName(i)+"@"+v, 0, ci.Approved); err != nil {
				return err
			}
		}
	}
	return nil
}

// gateFix creates REL-1 (the fix, prepared to pass), REL-2 (what is live) and DEP-1.
func gateFix(ctx context.Context, st *store.Store) error {
	pm, eng := audit.Actor{User: "pm", Role: "problem_manager"}, audit.Actor{User: "eng", Role: "engineer"}
	rm, cab := audit.Actor{User: "rm", Role: "release_manager"}, audit.Actor{User: "cab", Role: "cab_member"}
	p, err := st.CreateProblem(ctx, pm, problem.Problem{Title: "ci-000 leaks memory", Priority: 3, CIs: []string{ciName(0)}}, nil)
	if err != nil {
		return err
	}
	steps := []struct {
		who audit.Actor
		fn  func(*problem.Problem, store.ProblemContext) error
	}{
		{pm, func(x *problem.Problem, c store.ProblemContext) error { return x.Move(problem.Assess, "pm", c.Now, 0) }},
		{pm, func(x *problem.Problem, c store.ProblemContext) error { return x.Move(problem.RCA, "pm", c.Now, 0) }},
		{eng, func(x *problem.Problem, c store.ProblemContext) error {
			return x.RecordRCA("code_defect", "cache never evicts", "", "eng", c.Now, problem.DefaultCategories)
		}},
		{pm, func(x *problem.Problem, c store.ProblemContext) error { return x.ValidateRCA("pm", c.Now) }},
		{pm, func(x *problem.Problem, c store.ProblemContext) error {
			return x.Move(problem.FixInProgress, "pm", c.Now, 0)
		}},
	}
	for i, s := range steps {
		action := "problem.update"
		if i == 3 {
			action = "problem.validate_rca"
		}
		if _, err := st.UpdateProblem(ctx, s.who, 1, 0, action, s.fn); err != nil {
			return err
		}
	}
	if _, err := st.CreateRelease(ctx, rm, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{p.ID},
		Components: []string{ciName(0) + "@1.0.1"}}); err != nil {
		return err
	}
	if _, err := st.CreateRelease(ctx, rm, release.Release{Version: "1.0.0", Type: release.Feature, Components: []string{ciName(0) + "@1.0.0"}}); err != nil {
		return err
	}
	if _, err := st.CreateDeployment(ctx, rm, deploy.Deployment{Release: "REL-2", Env: "prod-eu"}); err != nil {
		return err
	}
	for _, to := range []string{deploy.Running, deploy.Succeeded} {
		if _, err := st.MoveDeployment(ctx, rm, 1, 0, to, ""); err != nil {
			return err
		}
	}
	if _, err := st.CreateChange(ctx, rm, change.Change{Title: "fix the leak", Type: change.Normal, Release: "REL-1", Env: "prod-eu",
		ChangeModel: "memory-leak-patch"}); err != nil {
		return err
	}
	for _, who := range []audit.Actor{cab, pm} { // risk medium: two peers
		if _, err := st.CreateApproval(ctx, who, approval.Approval{Record: "REL-1", RecordType: approval.RecordRelease, Decision: "approve"}, 0); err != nil {
			return err
		}
	}
	return nil
}

// gateHistory adds closed problems attached to ci-000 and prod-eu, releases
// resolving them, and incidents: rows the gate must not read.
func gateHistory(ctx context.Context, st *store.Store, a audit.Actor, releases, incidents int) error {
	for i := 0; i < releases; i += 1000 {
		n := min(1000, releases-i)
		ps := make([]problem.Problem, n)
		for j := range ps {
			ps[j] = problem.Problem{Title: fmt.Sprint("old problem ", i+j), Priority: 1 + j%4, CIs: []string{ciName(0)}, Environments: []string{"prod-eu"}}
		}
		ps, err := st.CreateProblems(ctx, a, ps)
		if err != nil {
			return err
		}
		rs := make([]release.Release, n)
		for j := range rs {
			rs[j] = release.Release{Version: fmt.Sprintf("0.%d.%d", (i+j)/100, (i+j)%100), Type: release.ProblemFix, Resolves: []string{ps[j].ID}}
		}
		if _, err := st.CreateReleases(ctx, a, rs); err != nil {
			return err
		}
	}
	// history is closed: bulk-close it directly (going through five moves per problem would only slow the fill)
	if _, err := st.DB().ExecContext(ctx, `UPDATE problems SET status = 'closed' WHERE id > 1`); err != nil {
		return err
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < incidents; i += 5000 {
		rows := make([]incident.Incident, 0, 5000)
		for j := i; j < min(i+5000, incidents); j++ {
			inc := benchIncident(j, at)
			inc.CI = ciName(j % gateCIs)
			rows = append(rows, inc)
		}
		if _, _, _, bad, err := st.ImportIncidents(ctx, a, rows); err != nil || len(bad) > 0 {
			return fmt.Errorf("import incidents: %v %v", err, bad)
		}
	}
	return nil
}
