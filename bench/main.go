// Command bench measures fixgate against baselines on the same machine in
// the same run and prints ratios with p50/p99. See bench/README.md.
//
//	go run ./bench -case api     # GET /api/v1/problems/{id} vs /healthz, 32 clients
//	go run ./bench -case verify  # audit verify over N events
//	go run ./bench -case fill    # bulk fill vs raw batched INSERT
//	go run ./bench -case rollback # evidence (alert, failing measurement) → rollback driver start; restart
//	go run ./bench -case pages   # each GET page of the UI at one client, 10k vs 1M incidents
//	go run ./bench -case plan     # release plan on a 5,000-CI graph vs a plain BFS in memory
//	go run ./bench -case notes    # release notes of 200 problems over a 10,000-commit range vs a plain go-git log walk
//	go run ./bench -case kpi      # KPI report and control facts over 1M incidents, 100k deployments vs their raw SQL aggregate
//
// -db postgres://… runs against PostgreSQL (a fresh database is created and dropped).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

type config struct {
	db       string // "sqlite" or a postgres:// DSN of a server to create databases on
	clients  int
	duration time.Duration
	events   int
	scale    float64
	rates    []int // gate-rate: request rates of the phases
	rounds   int   // api: alternate healthz and GET this many times more, and report the median ratio
	noise    int   // rollback: unrelated alerts per second
}

func main() {
	var c config
	which := flag.String("case", "all", "api, verify, fill, gate-rate, ingest, rollback, pages, plan, notes, kpi or all")
	flag.StringVar(&c.db, "db", "sqlite", `"sqlite" or a postgres:// DSN (databases are created on that server)`)
	flag.IntVar(&c.clients, "clients", 32, "concurrent HTTP clients")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "measuring time per HTTP phase")
	flag.IntVar(&c.events, "events", 1_000_000, "audit events for -case verify")
	flag.Float64Var(&c.scale, "scale", 1, "fill size factor (1 = 1M incidents, 50k problems, 10k releases)")
	flag.IntVar(&c.rounds, "rounds", 1, "api: when > 1, also alternate /healthz and GET this many times (-duration each) and report the median ratio")
	rates := flag.String("rates", "50,500", "gate-rate: comma-separated request rates, one phase each")
	flag.IntVar(&c.noise, "noise", 1000, "rollback: unrelated alerts per second arriving during the runs (open loop, 20 per notification)")
	flag.Parse()
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "bench: bad -rates", *rates)
			os.Exit(2)
		}
		c.rates = append(c.rates, n)
	}
	ctx := context.Background()
	cases := map[string]func(context.Context, config) error{"api": benchAPI, "verify": benchVerify, "fill": benchFill, "gate-rate": benchGateRate,
		"ingest": benchIngest, "rollback": benchRollback, "pages": benchPages, "plan": benchPlan, "notes": benchNotes,
		"kpi": benchKPI}
	order := []string{"api", "verify", "fill", "gate-rate", "ingest", "rollback", "pages", "plan", "notes", "kpi"}
	if *which != "all" {
		if _, ok := cases[*which]; !ok {
			fmt.Fprintln(os.Stderr, "bench: unknown -case", *which)
			os.Exit(2)
		}
		order = []string{*which}
	}
	fmt.Printf("machine: %d CPUs; db: %s\n", numCPU(), dbLabel(c.db))
	for _, name := range order {
		if err := cases[name](ctx, c); err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", name, err)
			os.Exit(1)
		}
	}
}

// percentile returns the p-th percentile (0..1) of sorted durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d)-1) * p)
	return d[i]
}

// accessLogger is the servers' logger in the benchmarks: every request's
// access-log line is formatted as in production (JSON) but written to
// io.Discard, so the terminal's speed does not enter the figures.
func accessLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }
