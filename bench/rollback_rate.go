package main

import (
	"context"
	"fmt"
	"time"
)

// commitRate samples, over one window, the write transactions the rollout
// engine asked of the store (engine.Runner.Writes) and, on PostgreSQL, the
// database's committed transactions (pg_stat_database.xact_commit, every
// writer and reader) and its backends' CPU, plus this process's CPU.
type commitRate struct {
	s      *rbServer
	t0     time.Time
	engine int64
	cpu    *cpuMeter
}

func (s *rbServer) startRate(ctx context.Context) *commitRate {
	return &commitRate{s: s, t0: time.Now(), engine: s.runner.Writes(), cpu: newCPUMeter(ctx, s.st)}
}

// report is the rates since startRate.
func (c *commitRate) report(ctx context.Context) string {
	el := time.Since(c.t0).Seconds()
	writes := float64(c.s.runner.Writes()-c.engine) / el
	l := c.cpu.lap(ctx, 1) // on PostgreSQL it waits for the backends' counters
	out := fmt.Sprintf("engine writes %.0f/s, process CPU %.0f %%", writes, 100*l.self.Seconds()/el)
	if l.pgKnown {
		out += fmt.Sprintf(", PostgreSQL backends CPU %.0f %%, transactions %.0f/s", 100*l.pg.Seconds()/el, l.queries/el)
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
