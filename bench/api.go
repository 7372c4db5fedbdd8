package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/problem"
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
	srv := api.NewHTTPServer("", api.New(api.Config{Store: st}).Handler())
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.clients * 2}}
	health := load(client, c, getRequest(func(*rand.Rand) string { return base + "/healthz" }, ""))
	stop := startProfile(true)
	get := load(client, c, getRequest(func(r *rand.Rand) string { return fmt.Sprintf("%s/api/v1/problems/PRB-%d", base, 1+r.IntN(problems)) }, tok))
	stop()
	fmt.Printf("\n[api] %d clients, %s per phase, %s\n", c.clients, c.duration, st.Dialect())
	fmt.Printf("  /healthz                 %8.0f req/s  p50 %-9s p99 %-9s errors %d\n", health.rate, health.p50, health.p99, health.errors)
	fmt.Printf("  GET /api/v1/problems/{id} %7.0f req/s  p50 %-9s p99 %-9s errors %d\n", get.rate, get.p50, get.p99, get.errors)
	fmt.Printf("  ratio GET problem / healthz: %.2f (goal >= 0.5)\n", get.rate/health.rate)
	return nil
}

type loadResult struct {
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
	return loadResult{rate: float64(len(lat)) / elapsed.Seconds(), p50: percentile(lat, 0.5).Round(time.Microsecond),
		p99: percentile(lat, 0.99).Round(time.Microsecond), errors: errs}
}
