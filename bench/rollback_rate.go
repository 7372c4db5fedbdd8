package main

import (
	"context"
	"fmt"
	"time"
)

// commitRate samples, over one window, the write transactions the rollout
// engine asked of the store (engine.Runner.Writes) and, on PostgreSQL, the
// database's committed transactions (pg_stat_database.xact_commit, every
// writer and reader), plus this process's CPU.
type commitRate struct {
	s       *rbServer
	t0      time.Time
	engine  int64
	db      int64
	cpu     time.Duration
	pgKnown bool
}

func (s *rbServer) startRate(ctx context.Context) *commitRate {
	m := newCPUMeter(ctx, s.st)
	return &commitRate{s: s, t0: time.Now(), engine: s.runner.Writes(), db: m.commits(ctx), cpu: selfCPU(), pgKnown: m.postgreSQL}
}

// report is the rates since startRate.
func (c *commitRate) report(ctx context.Context) string {
	el := time.Since(c.t0).Seconds()
	out := fmt.Sprintf("engine writes %.0f/s, process CPU %.0f %%", float64(c.s.runner.Writes()-c.engine)/el,
		100*(selfCPU()-c.cpu).Seconds()/el)
	if c.pgKnown {
		time.Sleep(1500 * time.Millisecond) // backends publish their counters when idle, at most once a second
		m := newCPUMeter(ctx, c.s.st)
		out += fmt.Sprintf(", PostgreSQL transactions %.0f/s", float64(m.commits(ctx)-c.db)/el)
	}
	return out
}

// idleRate measures the engine's writes with the others under analysis
// and nothing else happening, over d.
func (s *rbServer) idleRate(ctx context.Context, d time.Duration) {
	r := s.startRate(ctx)
	time.Sleep(d)
	fmt.Printf("  %d under analysis, no other traffic, %s: %s; %s\n", rollbackOthers, d, r.report(ctx), uptimeLoad())
}
