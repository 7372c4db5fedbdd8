package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// benchAPI compares GET /api/v1/problems/{id} with /healthz on the same
// server under the same number of concurrent clients.
func benchAPI(ctx context.Context, c config) error {
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return err
	}
	defer done()
	tok, _, err := st.Bootstrap(ctx, "")
	if err != nil {
		return err
	}
	const problems = 2000
	a := audit.System("bench")
	for i := 0; i < problems; i++ {
		if _, err := st.CreateProblem(ctx, a, problem.Problem{Title: fmt.Sprint("problem ", i), Priority: 1 + i%4}, nil); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := api.NewHTTPServer("", api.New(api.Config{Store: st, Logger: accessLogger()}).Handler())
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.clients * 2}}
	healthReq := getRequest(func(*rand.Rand) string { return base + "/healthz" }, "")
	problemReq := getRequest(func(r *rand.Rand) string { return fmt.Sprintf("%s/api/v1/problems/PRB-%d", base, 1+r.IntN(problems)) }, tok)
	// Warm up (not measured): PostgreSQL may still be vacuuming what the fill wrote.
	warm := c
	warm.duration = time.Second
	load(client, warm, healthReq)
	load(client, warm, problemReq)
	meter := newCPUMeter(ctx, st)
	health := load(client, c, healthReq)
	healthCPU := meter.lap(ctx, health.n)
	stop := startProfile(true)
	get := load(client, c, problemReq)
	stop()
	getCPU := meter.lap(ctx, get.n)
	fmt.Printf("\n[api] %d clients, %s per phase, %s\n", c.clients, c.duration, st.Dialect())
	fmt.Printf("  /healthz                 %8.0f req/s  p50 %-9s p99 %-9s errors %d  %s\n", health.rate, health.p50, health.p99, health.errors, healthCPU)
	fmt.Printf("  GET /api/v1/problems/{id} %7.0f req/s  p50 %-9s p99 %-9s errors %d  %s\n", get.rate, get.p50, get.p99, get.errors, getCPU)
	fmt.Printf("  ratio GET problem / healthz: %.2f (for reference); GET p99 goal <= 5ms with -clients 1; CPU per request healthz / GET: %.2f\n",
		get.rate/health.rate, float64(healthCPU.self+healthCPU.pg)/float64(getCPU.self+getCPU.pg))
	if c.rounds > 1 {
		alternate(c, func() loadResult { return load(client, c, healthReq) }, func() loadResult { return load(client, c, problemReq) })
	}
	return nil
}

// alternate runs the baseline and the measured phase one after the other
// c.rounds times and prints each round's ratio and their median, so a drift
// of the machine's speed between two long phases does not decide the ratio.
func alternate(c config, baseline, measured func() loadResult) {
	ratios := make([]float64, 0, c.rounds)
	for i := 0; i < c.rounds; i++ {
		b, m := baseline(), measured()
		ratios = append(ratios, m.rate/b.rate)
		fmt.Printf("  round %d: baseline %8.0f req/s, measured %8.0f req/s (p99 %s), ratio %.2f\n", i+1, b.rate, m.rate, m.p99, m.rate/b.rate)
	}
	sort.Float64s(ratios)
	n := len(ratios)
	median := (ratios[(n-1)/2] + ratios[n/2]) / 2
	fmt.Printf("  median ratio over %d alternating rounds: %.2f (lowest %.2f, highest %.2f)\n", n, median, ratios[0], ratios[n-1])
}

type loadResult struct {
	n        int // answered requests
	rate     float64
	p50, p99 time.Duration
	errors   int
}

// getRequest returns a request builder for GETs of url(r), with token when set.
func getRequest(url func(*rand.Rand) string, token string) func(*rand.Rand) *http.Request {
	return func(r *rand.Rand) *http.Request {
		req, _ := http.NewRequest("GET", url(r), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
}

// load runs c.clients goroutines sending the requests newReq builds for
// c.duration, and reports the rate, p50/p99 and the non-200 answers.
func load(client *http.Client, c config, newReq func(*rand.Rand) *http.Request) loadResult {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(c.duration)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < c.clients; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				req := newReq(r)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}(uint64(i))
	}
	wg.Wait()
	elapsed := time.Since(start)
	return loadResult{n: len(lat), rate: float64(len(lat)) / elapsed.Seconds(), p50: percentile(lat, 0.5).Round(time.Microsecond),
		p99: percentile(lat, 0.99).Round(time.Microsecond), errors: errs}
}

// cpuMeter reads the CPU time this process (server and load clients) and,
// on PostgreSQL, the server backends of the bench database have used, so a
// phase can be reported as CPU per request: on a shared machine that moves
// much less than the rates.
type cpuMeter struct {
	st         *store.Store
	self       time.Duration
	pg         time.Duration
	backends   map[int]time.Duration // pid → CPU at the last lap
	xacts      int64                 // pg_stat_database.xact_commit at the last lap
	postgreSQL bool
}

func newCPUMeter(ctx context.Context, st *store.Store) *cpuMeter {
	m := &cpuMeter{st: st, postgreSQL: st.Dialect() == store.Postgres}
	m.self = selfCPU()
	m.backends = m.backendCPU(ctx)
	m.xacts = m.commits(ctx)
	return m
}

// cpuLap is one phase's CPU per answered request.
type cpuLap struct {
	self, pg time.Duration
	pgKnown  bool
	queries  float64 // statements (transactions) per request
}

func (l cpuLap) String() string {
	if !l.pgKnown {
		return fmt.Sprintf("CPU/req: process %s", l.self)
	}
	return fmt.Sprintf("CPU/req: process %s, postgres backends %s; queries/req %.2f", l.self, l.pg, l.queries)
}

// lap returns the CPU used since the previous lap divided by n requests.
func (m *cpuMeter) lap(ctx context.Context, n int) cpuLap {
	if n == 0 {
		n = 1
	}
	self := selfCPU()
	l := cpuLap{self: (self - m.self) / time.Duration(n), pgKnown: m.postgreSQL}
	m.self = self
	if m.postgreSQL {
		now := m.backendCPU(ctx)
		var used time.Duration
		for pid, t := range now {
			used += t - m.backends[pid] // a backend started in the phase counts from 0
		}
		l.pg = used / time.Duration(n)
		m.backends = now
		time.Sleep(1500 * time.Millisecond) // backends publish their counters when idle, at most once a second
		x := m.commits(ctx)
		l.queries = float64(x-m.xacts) / float64(n)
		m.xacts = x
	}
	return l
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU reads user+system time of the backends connected to the
// store's database from /proc (PostgreSQL on the same machine, Linux).
func (m *cpuMeter) backendCPU(ctx context.Context) map[int]time.Duration {
	out := map[int]time.Duration{}
	if !m.postgreSQL {
		return out
	}
	rows, err := m.st.DB().QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			out[pid] = procCPU(pid)
		}
	}
	return out
}

// procCPU returns utime+stime of pid (clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// commits reads the committed transactions of the store's database: each
// single-statement query outside a transaction is one.
func (m *cpuMeter) commits(ctx context.Context) int64 {
	var n int64
	if m.postgreSQL {
		m.st.DB().QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	}
	return n
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
