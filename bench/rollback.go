package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/engine"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/prom"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// Rollback case (issue 11): how soon after the evidence the rollback
// driver starts, with rollbackOthers deployments under analysis and
// noiseRate unrelated alerts per second arriving (open loop).
const (
	rollbackRuns   = 100
	rollbackOthers = 100
	noiseBatch     = 20 // alerts per unrelated notification (-noise alerts/s)
	rollbackGoal   = 250 * time.Millisecond
)

// rbServer is the server under test, in process as `fixgate serve` wires
// it: store, API (Alertmanager hook), rollout engine with the webhook
// driver (private addresses allowed) and Prometheus client, and the
// store's event-driven rollback hooks.
type rbServer struct {
	dsn    string
	st     *store.Store
	pol    *policy.Policy
	recv   *receiver
	fprom  *fakeProm
	hook   string // URL of the driver's receiver
	promU  string
	base   string // API URL
	tok    string
	client *http.Client
	stop   []func()
	runner *engine.Runner
	halt   context.CancelFunc
	mu     sync.Mutex
	starts map[string][]time.Duration // cause class → OnRollbackStart latencies
}

// benchRollback measures (a) alert arrival → rollback driver start, (b)
// failing Prometheus answer → rollback driver start, (c) a restart with
// rollbackOthers deployments in flight.
func benchRollback(ctx context.Context, c config) error {
	gate := "SQLite write gate on"
	if os.Getenv("FIXGATE_BENCH_WRITE_GATE") == "off" {
		gate = "SQLite write gate off (FIXGATE_BENCH_WRITE_GATE=off)"
	}
	if os.Getenv("FIXGATE_BENCH_INGEST_TIME") == "off" {
		gate += ", ingest groups not bounded in time (FIXGATE_BENCH_INGEST_TIME=off)"
	}
	fmt.Printf("\n[rollback] %s; %s; %d runs each; %d other deployments under analysis; %d unrelated alerts/s (open loop); %s\n",
		dbLabel(c.db), gate, rollbackRuns, rollbackOthers, c.noise, uptimeLoad())
	s, err := newRBServer(ctx, c.db)
	if err != nil {
		return err
	}
	defer s.close()
	t0 := time.Now()
	fixes, fails, err := s.prepare(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("  %d problem-fix and %d failing releases prepared (%s)\n", len(fixes), len(fails), time.Since(t0).Round(time.Millisecond))
	if err := s.startOthers(ctx, "1.0.", rollbackOthers, analysed); err != nil {
		return err
	}
	s.idleRate(ctx, 10*time.Second)
	preA, preB, err := s.prestart(ctx, fixes, fails)
	if err != nil {
		return err
	}
	noise := startNoise(s.client, s.base, s.tok, c.noise)
	rate := s.startRate(ctx)
	stopProfile := profilePhase("traffic")
	evA, errA := s.eventRuns(ctx, fixes, preA)
	evB, errB := s.measurementRuns(ctx, fails, preB)
	stopProfile()
	ns := noise.stop()
	fmt.Printf("  background: %d unrelated notifications (%d alerts) sent, %d errors, answer p50 %s p99 %s, send lag max %s; %s\n",
		ns.sent, ns.sent*noiseBatch, ns.errors, ns.p50, ns.p99, ns.lag, uptimeLoad())
	fmt.Printf("  during (a) and (b): %s\n", rate.report(ctx))
	if errA != nil {
		fmt.Printf("  (a) NOT completed after %d runs: %v\n", len(evA.latency), errA)
	}
	report("(a) alert POST sent → rollback driver start", evA.latency)
	report("    alert POST answered (client)", evA.answer)
	fmt.Printf("    deployment rolling_back when the POST was answered: %d of %d\n", evA.sameRequest, len(evA.latency))
	report("    server: alert reached the store → driver start (fixgate_rollback_start_seconds{cause=recurrence})", s.latencies("recurrence"))
	if errB != nil {
		fmt.Printf("  (b) NOT completed after %d runs: %v\n", len(evB), errB)
	}
	report("(b) failing Prometheus answer → rollback driver start", evB)
	report("    server: measurement returned → driver start (fixgate_rollback_start_seconds{cause=measurement})", s.latencies("measurement"))
	if errA != nil || errB != nil {
		return fmt.Errorf("runs did not complete")
	}
	return s.restartRun(ctx)
}

func report(what string, d []time.Duration) {
	p50, p99 := percentile(d, 0.5), percentile(d, 0.99)
	fmt.Printf("  %s: n=%d p50 %s p99 %s max %s (goal p99 <= %s: %s)\n", what, len(d), p50.Round(time.Microsecond),
		p99.Round(time.Microsecond), percentile(d, 1).Round(time.Microsecond), rollbackGoal, verdict(p99 <= rollbackGoal))
}

// loadAvg is the machine's load average (/proc/loadavg via uptime).
func uptimeLoad() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		return "load unknown"
	}
	s := strings.TrimSpace(string(out))
	if i := strings.Index(s, "load average"); i >= 0 {
		return s[i:]
	}
	return s
}

func newRBServer(ctx context.Context, db string) (*rbServer, error) {
	dsn, cleanup, err := freshDSN(db)
	if err != nil {
		return nil, err
	}
	s := &rbServer{dsn: dsn, stop: []func(){cleanup}, starts: map[string][]time.Duration{},
		recv:   &receiver{first: map[string]time.Time{}, count: map[string]int{}, waiters: map[string]chan time.Time{}},
		fprom:  &fakeProm{armed: map[string]bool{}, failedAt: map[string]time.Time{}},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	for _, h := range []struct {
		h   http.Handler
		url *string
	}{{s.recv, &s.hook}, {s.fprom, &s.promU}} {
		u, done, err := serveLocal(h.h)
		if err != nil {
			s.close()
			return nil, err
		}
		*h.url, s.stop = u, append(s.stop, done)
	}
	if s.pol, err = rollbackPolicy(s.hook); err == nil {
		err = s.open(ctx, "bench-1")
	}
	if err == nil {
		s.tok, err = rollbackRefs(ctx, s.st)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// open opens the store and starts the API and a runner named holder.
func (s *rbServer) open(ctx context.Context, holder string) error {
	var opts []store.Option
	if os.Getenv("FIXGATE_BENCH_WRITE_GATE") == "off" {
		opts = append(opts, store.WithoutWriteGate())
	}
	if os.Getenv("FIXGATE_BENCH_INGEST_TIME") == "off" {
		opts = append(opts, store.WithoutIngestTimeBound())
	}
	st, err := store.Open(ctx, s.dsn, opts...)
	if err != nil {
		return err
	}
	s.st = st
	pc, err := prom.New(s.promU)
	if err != nil {
		return err
	}
	drv, err := driver.New("hook", s.pol.Drivers["hook"], driver.Options{AllowPrivate: true,
		Getenv: func(string) string { return "bench-secret" }})
	if err != nil {
		return err
	}
	polFn := func(context.Context) (*policy.Policy, int64, error) { return s.pol, 0, nil }
	warn := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s.runner = &engine.Runner{Store: st, Holder: holder, Log: warn, Policy: polFn, Prometheus: engine.Prometheus{Client: pc},
		Drivers: func(*policy.Policy, string) (driver.Driver, error) { return drv, nil }, OnRollbackStart: s.started}
	st.SetRollouts(store.Rollouts{Policy: polFn, Decided: s.runner.RollbackDecided})
	rctx, cancel := context.WithCancel(ctx)
	ran := make(chan struct{})
	halt := func() { cancel(); <-ran }
	s.halt = halt
	go func() { s.runner.Run(rctx); close(ran) }()
	srv := api.NewHTTPServer("", api.New(api.Config{Store: st, Logger: accessLogger(), Wake: s.runner.Wake}).Handler())
	u, done, err := serveLocal(srv.Handler)
	s.base = u
	s.stop = append(s.stop, func() { st.Close() }, done, halt) // close runs them last first: the runner stops before the store closes
	return err
}

func (s *rbServer) close() {
	for i := len(s.stop) - 1; i >= 0; i-- {
		s.stop[i]()
	}
}

func (s *rbServer) started(cause string, d time.Duration) {
	s.mu.Lock()
	s.starts[cause] = append(s.starts[cause], d)
	s.mu.Unlock()
}

func (s *rbServer) latencies(cause string) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.starts[cause]...)
}

// start starts release rel in prod-eu on path and waits until its first
// stage runs (its deploy action done, the stage's analysis begun).
func (s *rbServer) start(ctx context.Context, rel string, path []deploy.Stage) (deploy.Deployment, error) {
	d, _, err := s.st.StartDeployment(ctx, benchAlice, store.StartRequest{Release: rel, Env: "prod-eu", Stages: path}, s.pol, 0)
	if err != nil {
		return d, err
	}
	if d.Status != deploy.Running {
		return d, fmt.Errorf("%s of %s is %s", d.ID, rel, d.Status)
	}
	id, _ := ident.Deployment.Parse("id", d.ID)
	s.runner.Wake(id)
	return d, s.stageStarted(ctx, id)
}

// stageStarted waits until deployment id runs its first stage.
func (s *rbServer) stageStarted(ctx context.Context, id int64) error {
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if d, err := s.st.GetDeployment(ctx, id); err != nil || d.StageStartedAt != nil {
			return err
		}
	}
	return fmt.Errorf("DEP-%d: its first stage did not start within 60s", id)
}

// startAll starts n feature releases of other-api (versions prefix+i) on
// path and waits until each runs its first stage; it returns their ids.
func (s *rbServer) startAll(ctx context.Context, prefix string, n int, path []deploy.Stage) ([]string, error) {
	var deps []string
	for i := range n {
		rel, err := newRelease(ctx, s.st, "other-api", fmt.Sprint(prefix, i), release.Feature)
		if err != nil {
			return nil, err
		}
		d, _, err := s.st.StartDeployment(ctx, benchAlice, store.StartRequest{Release: rel, Env: "prod-eu", Stages: path}, s.pol, 0)
		if err != nil {
			return nil, err
		}
		id, _ := ident.Deployment.Parse("id", d.ID)
		s.runner.Wake(id)
		deps = append(deps, d.ID)
	}
	for _, dep := range deps {
		id, _ := ident.Deployment.Parse("id", dep)
		if err := s.stageStarted(ctx, id); err != nil {
			return nil, err
		}
	}
	return deps, nil
}

// startOthers starts n feature releases of other-api (versions prefix+i) on path.
func (s *rbServer) startOthers(ctx context.Context, prefix string, n int, path []deploy.Stage) error {
	t0 := time.Now()
	_, err := s.startAll(ctx, prefix, n, path)
	if err != nil {
		return err
	}
	fmt.Printf("  %d deployments of other-api started (%s)\n", n, time.Since(t0).Round(time.Millisecond))
	return nil
}

// prepare stores, before anything runs, the releases of the runs: for
// (a) problem-fix releases 3.0.N of CI run-a-N, each resolving a problem
// with the signature {alertname="Regress-N"}; for (b) feature releases
// 2.0.N of CI run-b-N, whose Prometheus check fails once armed. Each run
// has its CI: the incident a run's critical alert opens on it fails no
// other run's incidents check.
func (s *rbServer) prepare(ctx context.Context) (fixes, fails []string, err error) {
	for i := range rollbackRuns {
		for _, c := range []string{runCI("a", i), runCI("b", i)} {
			if _, err := s.st.CreateCI(ctx, benchAdmin, ci.CI{Name: c, Kind: "service"}); err != nil {
				return nil, nil, err
			}
		}
		rel, err := fixRelease(ctx, s.st, i, fmt.Sprint("3.0.", i))
		if err != nil {
			return nil, nil, err
		}
		fixes = append(fixes, rel)
		if rel, err = newRelease(ctx, s.st, runCI("b", i), fmt.Sprint("2.0.", i), release.Feature); err != nil {
			return nil, nil, err
		}
		fails = append(fails, rel)
	}
	return fixes, fails, nil
}

// runCI is the CI of run i of case (a) or (b).
func runCI(c string, i int) string { return fmt.Sprint("run-", c, "-", i) }

// describe is deployment id's state and last measurement, for an error.
func (s *rbServer) describe(ctx context.Context, id int64) string {
	d, err := s.st.GetDeployment(ctx, id)
	if err != nil {
		return err.Error()
	}
	out := fmt.Sprintf("status %s stage %d started %v next step %v pause %q cause %q", d.Status, d.CurrentStage, d.StageStartedAt,
		d.NextStepAt, d.PauseReason, d.RollbackCause)
	if ms, err := s.st.ListMeasurements(ctx, id); err == nil && len(ms) > 0 {
		m := ms[len(ms)-1]
		out += fmt.Sprintf("; %d measurements, last %s/%s %s: %s", len(ms), m.Template, m.Check, m.Outcome, m.Message)
	}
	return out
}
