package main

import (
	"context"
	"fmt"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

// restartRun is case (c): rollbackOthers deployments on a path of a canary
// analysed for restartStage (long enough for all to start on a loaded
// machine), then 100 %, are started; once all run their canary the runner stops as on SIGTERM (each step gives its lease back)
// and the store closes; when all are due for promotion a new process's
// store, API and runner (another holder) start. All must resume: each is
// promoted exactly once and succeeds, and no deploy action runs again.
func (s *rbServer) restartRun(ctx context.Context) error {
	const restartStage = 90 * time.Second
	path := []deploy.Stage{{Name: "canary", Weight: 10, Duration: policy.Duration(restartStage), Analysis: []string{"health"}},
		{Name: "full", Weight: 100}}
	deps, err := s.startAll(ctx, "4.0.", rollbackOthers, path)
	if err != nil {
		return err
	}
	s.halt()
	due, err := s.dueAt(ctx, deps, restartStage)
	if err != nil {
		return err
	}
	time.Sleep(time.Until(due) + 100*time.Millisecond) // every canary's analysis is over: all are due for promotion
	s.st.Close()
	if err := s.open(ctx, "bench-2"); err != nil {
		return err
	}
	begun := time.Now() // s.open started the new runner just before
	cpu := newCPUMeter(ctx, s.st)
	stopProfile := profilePhase("restart")
	var first, last time.Duration
	for i, id := range deps {
		at, err := s.recv.wait(id, driver.Promote, 30*time.Second)
		if err != nil {
			n, _ := ident.Deployment.Parse("id", id)
			return fmt.Errorf("after the restart: %w: %s", err, s.describe(ctx, n))
		}
		if d := at.Sub(begun); i == 0 || d < first {
			first = d
		}
		last = max(last, at.Sub(begun))
	}
	stopProfile()
	used := cpu.lap(ctx, len(deps))
	repeated, unfinished := 0, 0
	for _, id := range deps {
		s.recv.mu.Lock()
		if s.recv.count[id+" "+driver.Deploy] != 1 || s.recv.count[id+" "+driver.Promote] != 1 {
			repeated++
		}
		s.recv.mu.Unlock()
		n, _ := ident.Deployment.Parse("id", id)
		if !s.waitStatus(ctx, n, deploy.Succeeded, 30*time.Second) {
			unfinished++
		}
	}
	fmt.Printf("  (c) restart with %d deployments in flight: first resumed action (promote at the driver) %s after the new runner started, "+
		"all %d promoted by %s (%s per deployment until the last promote); %d did not succeed, %d repeated or missed an action; %s\n",
		len(deps), first.Round(time.Millisecond), len(deps), last.Round(time.Millisecond), used, unfinished, repeated, uptimeLoad())
	return nil
}

// waitStatus polls deployment id until it is in status or timeout passes.
func (s *rbServer) waitStatus(ctx context.Context, id int64, status string, timeout time.Duration) bool {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if d, err := s.st.GetDeployment(ctx, id); err == nil && d.Status == status {
			return true
		}
	}
	return false
}

// dueAt is when the last of deps is due for promotion: its canary of
// length stage is over. Every one must still run its canary.
func (s *rbServer) dueAt(ctx context.Context, deps []string, stage time.Duration) (time.Time, error) {
	due := time.Time{}
	for _, dep := range deps {
		id, _ := ident.Deployment.Parse("id", dep)
		d, err := s.st.GetDeployment(ctx, id)
		if err != nil {
			return due, err
		}
		if d.Status != deploy.Running || d.CurrentStage != 0 {
			return due, fmt.Errorf("%s is %s at stage %d before the restart: starting %d deployments took longer than their %s canary",
				dep, d.Status, d.CurrentStage, len(deps), stage)
		}
		if end := d.StageStartedAt.Add(stage); end.After(due) {
			due = end
		}
	}
	return due, nil
}
