package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// prestart, when FIXGATE_BENCH_ROLLBACK_PRESTART=1, starts every run's
// deployment before the unrelated traffic begins (each then waits under
// analysis for its run: up to 300 deployments under analysis instead of
// 100), so that no deployment starts while the traffic arrives: a start
// evaluates the gate, whose target_health reads every firing alert of the
// environment (store/gate_health.go, aloneAlerts), and the unrelated
// alerts are all firing there. Otherwise it returns nil and each run starts
// its own deployment, as in session 5.
func (s *rbServer) prestart(ctx context.Context, fixes, fails []string) (a, b []string, err error) {
	if os.Getenv("FIXGATE_BENCH_ROLLBACK_PRESTART") != "1" {
		return nil, nil, nil
	}
	t0 := time.Now()
	for _, rels := range []struct {
		rels []string
		out  *[]string
	}{{fixes, &a}, {fails, &b}} {
		for _, rel := range rels.rels {
			d, err := s.start(ctx, rel, analysed)
			if err != nil {
				return nil, nil, err
			}
			*rels.out = append(*rels.out, d.ID)
		}
	}
	fmt.Printf("  prestart: the runs' %d deployments started before the unrelated traffic (%s); %s\n", len(a)+len(b),
		time.Since(t0).Round(time.Millisecond), uptimeLoad())
	return a, b, nil
}

// eventResult is case (a)'s figures.
type eventResult struct {
	latency, answer []time.Duration
	sameRequest     int
}

// eventRuns: for each run, a problem-fix release's deployment under
// analysis (pre[i], or started now), then an Alertmanager notification
// matching its problem's signature; the latency runs from the POST's send
// to the rollback action's arrival at the driver's receiver.
func (s *rbServer) eventRuns(ctx context.Context, rels, pre []string) (eventResult, error) {
	var r eventResult
	for i, rel := range rels {
		dep := ""
		if pre != nil {
			dep = pre[i]
		} else if d, err := s.start(ctx, rel, analysed); err != nil {
			return r, err
		} else {
			dep = d.ID
		}
		id, _ := ident.Deployment.Parse("id", dep)
		body := alertBody(fmt.Sprint("Regress-", i), runCI("a", i), fmt.Sprint("run-", i), 1)
		t0 := time.Now()
		res, err := s.client.Do(post1(s.base+"/api/v1/hooks/alertmanager", s.tok, body))
		if err != nil {
			return r, err
		}
		res.Body.Close()
		answered := time.Since(t0)
		if res.StatusCode != 200 {
			return r, fmt.Errorf("alert for %s: %s", dep, res.Status)
		}
		if now, err := s.st.GetDeployment(ctx, id); err == nil && now.Status != deploy.Running {
			r.sameRequest++
		}
		at, err := s.recv.wait(dep, driver.Rollback, 10*time.Second)
		if err != nil {
			return r, fmt.Errorf("%w: %s", err, s.describe(ctx, id))
		}
		r.latency, r.answer = append(r.latency, at.Sub(t0)), append(r.answer, answered)
	}
	return r, nil
}

// measurementRuns: for each run, a release whose Prometheus check fails
// from its next measurement on (the fake Prometheus is armed for its
// version, then its deployment is started, or was, pre[i]); the latency
// runs from the fake Prometheus's failing answer to the rollback action's
// arrival.
func (s *rbServer) measurementRuns(ctx context.Context, rels, pre []string) ([]time.Duration, error) {
	var out []time.Duration
	for i, rel := range rels {
		version := fmt.Sprint("2.0.", i)
		s.fprom.arm(version)
		dep := ""
		if pre != nil {
			dep = pre[i]
		} else {
			d, _, err := s.st.StartDeployment(ctx, benchAlice, store.StartRequest{Release: rel, Env: "prod-eu", Stages: analysed}, s.pol, 0)
			if err != nil {
				return out, err
			}
			dep = d.ID
		}
		id, _ := ident.Deployment.Parse("id", dep)
		s.runner.Wake(id)
		at, err := s.recv.wait(dep, driver.Rollback, 10*time.Second)
		if err != nil {
			return out, fmt.Errorf("%w: %s", err, s.describe(ctx, id))
		}
		answered, ok := s.fprom.answered(version)
		if !ok {
			return out, fmt.Errorf("%s rolled back without a failing answer", dep)
		}
		out = append(out, at.Sub(answered))
	}
	return out, nil
}
