package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// gateGraph200 adds 200 CIs in a dependency graph (ci-i depends on up to
// three CIs of higher number), one version each (two of ci-000) with
// dependencies following the graph, and REL-1 shipping ci-000@1.0.1, which
// reaches the whole graph.
func gateGraph200(tb testing.TB, s *store.Store) {
	tb.Helper()
	ctx := context.Background()
	name := func(i int) string { return fmt.Sprintf("ci-%03d", i) }
	for i := 199; i >= 0; i-- {
		var deps []string
		var cd []ci.Dependency
		for _, j := range []int{i*2 + 1, i*2 + 2, i + 7} {
			if j < 200 && (len(deps) == 0 || deps[len(deps)-1] != name(j)) {
				deps = append(deps, name(j))
				cd = append(cd, ci.Dependency{CI: name(j), Constraint: "^1.0.0"})
			}
		}
		if _, err := s.CreateCI(ctx, alice, ci.CI{Name: name(i), Kind: "service", DependsOn: deps}); err != nil {
			tb.Fatal(err)
		}
		for _, v := range []string{"1.0.0", "1.0.1"}[:versionsOf(i)] {
			if _, err := s.CreateComponent(ctx, alice, ci.Version{CI: name(i), Version: v, Dependencies: cd}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.1", Type: release.Feature, Components: []string{"ci-000@1.0.1"}}); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkGateInput measures gathering the gate input (the queries) for a
// release reaching 200 CIs, plus its evaluation.
func BenchmarkGateInput(b *testing.B) {
	s, clock := storetest.Open(b)
	if _, _, err := s.Bootstrap(context.Background(), "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(context.Background(), alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
	gateGraph200(b, s)
	ctx := context.Background()
	pol := policy.Default()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}
	b.ReportAllocs()
	for b.Loop() {
		in, _, err := s.GateInput(ctx, q, pol)
		if err != nil || len(in.Catalogue) != 200 {
			b.Fatalf("%v %d", err, len(in.Catalogue))
		}
		gate.Evaluate(pol, in, clock.Now())
	}
}

func versionsOf(i int) int {
	if i == 0 {
		return 2
	}
	return 1
}

// BenchmarkEvaluateGate splits an evaluation into gathering the input
// (input) and the whole use case, recorded and audited (evaluate), serially,
// on a release reaching 200 CIs. On PostgreSQL it also reports the CPU of
// the database's backends per operation (pg-µs/op, from /proc).
func BenchmarkEvaluateGate(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
	gateGraph200(b, s)
	pol := policy.Default()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}
	b.Run("input", func(b *testing.B) {
		defer reportBackendCPU(b, s)()
		for b.Loop() {
			if _, _, err := s.GateInput(ctx, q, pol); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("evaluate", func(b *testing.B) {
		defer reportBackendCPU(b, s)()
		for b.Loop() {
			if _, err := s.EvaluateGate(ctx, alice, q, pol, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRoundTrip is the cost of one statement that does nothing
// (SELECT 1), what every statement of an evaluation pays at least.
func BenchmarkRoundTrip(b *testing.B) {
	s, _ := storetest.Open(b)
	defer reportBackendCPU(b, s)()
	for b.Loop() {
		var one int
		if err := s.DB().QueryRow(`SELECT 1`).Scan(&one); err != nil {
			b.Fatal(err)
		}
	}
}

// reportBackendCPU returns a func reporting the CPU this process used
// since the call, per operation (cpu-µs/op), and on PostgreSQL the CPU of
// the backends of s's database (pg-µs/op).
func reportBackendCPU(b *testing.B, s *store.Store) func() {
	self := processCPU()
	if s.Dialect() != store.Postgres {
		return func() { b.ReportMetric(float64((processCPU()-self).Microseconds())/float64(b.N), "cpu-µs/op") }
	}
	start := backendCPU(b, s)
	return func() {
		b.ReportMetric(float64((processCPU()-self).Microseconds())/float64(b.N), "cpu-µs/op")
		used := time.Duration(0)
		for pid, t := range backendCPU(b, s) {
			used += t - start[pid]
		}
		b.ReportMetric(float64(used.Microseconds())/float64(b.N), "pg-µs/op")
	}
}

func backendCPU(b *testing.B, s *store.Store) map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := s.DB().Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+stime) * 10 * time.Millisecond
	}
	return out
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGateInputAlternating gathers the input of two releases in turn,
// as pipelines polling several releases do: REL-1 and REL-2, then REL-3
// and REL-4, all four alike. On SQLite (3.54) the first pair costs about
// twice the second: a "col = ?" term of a join or an ORDER BY query makes a
// statement's plan depend on whether the value is 0 or 1, so binding 1
// after 2 (or the reverse) parses and plans it again; other values do not
// (bench/README.md, session 6).
func BenchmarkGateInputAlternating(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
	gateGraph200(b, s) // REL-1
	for i := range 3 { // a release's version bumps its line's latest
		if _, err := s.CreateRelease(ctx, alice, release.Release{Version: fmt.Sprintf("1.0.%d", 2+i), Type: release.Feature, Components: []string{"ci-000@1.0.1"}}); err != nil {
			b.Fatal(err)
		}
	}
	pol := policy.Default()
	for _, pair := range [][2]int64{{1, 2}, {3, 4}} {
		b.Run(fmt.Sprintf("REL-%d,REL-%d", pair[0], pair[1]), func(b *testing.B) {
			defer reportBackendCPU(b, s)()
			i := 0
			for b.Loop() {
				if _, _, err := s.GateInput(ctx, store.GateQuery{Release: pair[i%2], Env: "prod-eu", At: clock.Now()}, pol); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
