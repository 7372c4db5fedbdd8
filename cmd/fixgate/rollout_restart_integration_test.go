package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/testbin"
)

// The reliability tests use the path `slow` (canary 10 % for 2 s, full
// 100 % for 2 s, watched 1 s) and an exec driver whose promote takes 3 s,
// so that a server can be stopped or killed while the driver runs. They
// need no external binary; -short skips them.

// slowAction makes the driver's action sleep secs seconds ("" : not at all).
func (r *rig) slowAction(action, secs string) {
	r.t.Helper()
	path := filepath.Join(filepath.Dir(r.driverLog), "slow-"+action)
	if secs == "" {
		r.must(os.Remove(path))
		return
	}
	r.must(os.WriteFile(path, []byte(secs), 0o600))
}

// waitCall waits until the driver started action for dep and returns the call.
func (r *rig) waitCall(dep, action string, n int) driverCall {
	r.t.Helper()
	var c driverCall
	testbin.WaitFor(r.t, 20*time.Second, dep+"'s driver starts "+action, func() bool {
		seen := 0
		for _, x := range r.calls(dep) {
			if x.Action == action && x.Phase == "start" {
				if seen++; seen == n {
					c = x
					return true
				}
			}
		}
		return false
	})
	return c
}

// phases returns "ACTION:KEY" of the calls in phase (start or done).
func phases(calls []driverCall, phase string) []string {
	var out []string
	for _, c := range calls {
		if c.Phase == phase {
			out = append(out, c.Action+":"+c.Key)
		}
	}
	return out
}

// TestRolloutResumeAfterStopIntegration: the server (serveOn in this
// process) is stopped while the driver runs the promote; a new server on
// the same database resumes the deployment from its stored state: the
// completed deploy is not run again, the interrupted promote is run again
// with the same idempotency key, nothing is skipped, and the deployment
// succeeds and is verified (`deploy wait --until verified` exit 0).
func TestRolloutResumeAfterStopIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a server (seconds)")
	}
	t.Parallel()
	r := newRig(t, rigOpts{envPath: "slow", watch: "1s"})
	rel := r.release("3.0.0")
	r.approve(rel)
	r.slowAction("promote", "3")
	stop := r.serve("")
	defer func() {
		if t.Failed() {
			r.dump("DEP-1")
		}
	}()
	if code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu"); code != 0 {
		t.Fatalf("deploy start: exit %d\n%s\n%s", code, out, errOut)
	}
	r.waitCall("DEP-1", "promote", 1)
	stop() // cancels serve: the driver's process group is killed, the action stays running
	stopped := time.Now()
	if got := phases(r.calls("DEP-1"), "done"); !slices.Equal(got, []string{"deploy:DEP-1/1/deploy"}) {
		t.Fatalf("finished before the stop: %v", got)
	}
	r.slowAction("promote", "")

	r.serve("")
	resumed := r.waitCall("DEP-1", "promote", 2)
	t.Logf("server stopped %s → new server re-ran the interrupted promote %s: %s", stopped.Format("15:04:05.000"),
		resumed.At.Format("15:04:05.000"), resumed.At.Sub(stopped).Round(time.Millisecond))
	if code, out, errOut := r.cli("deploy", "wait", "DEP-1", "--until", "verified", "--timeout", "30s"); code != 0 {
		t.Fatalf("deploy wait after the restart: exit %d\n%s\n%s", code, out, errOut)
	}
	calls := r.calls("DEP-1")
	if got := phases(calls, "start"); !slices.Equal(got, []string{"deploy:DEP-1/1/deploy", "promote:DEP-1/2/promote", "promote:DEP-1/2/promote"}) {
		t.Fatalf("driver starts %v: the deploy once, the interrupted promote twice with one key", got)
	}
	if got := phases(calls, "done"); !slices.Equal(got, []string{"deploy:DEP-1/1/deploy", "promote:DEP-1/2/promote"}) {
		t.Fatalf("driver completions %v", got)
	}
	if acts := r.log("DEP-1").Actions; len(acts) != 2 || acts[1].Attempts != 2 || acts[1].Status != "succeeded" || acts[0].Attempts != 1 {
		t.Fatalf("actions %+v", acts)
	}
}

// TestRolloutResumeAfterKillIntegration: `fixgate serve` runs as a child
// process with a 2 s engine lease and is killed with SIGKILL (kill -9)
// while its driver runs the promote. A new server process on the same
// database takes the deployment over once the dead one's lease expired and
// resumes it: the completed deploy is not repeated, the interrupted
// promote runs again with the same idempotency key, the deployment is
// verified. (The killed server's driver process is not its child's group
// leader's parent any more: it may finish on its own, so the promote may
// be reported done twice, both times under the same key.)
func TestRolloutResumeAfterKillIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server process (seconds)")
	}
	t.Parallel()
	r := newRig(t, rigOpts{envPath: "slow", watch: "1s"})
	rel := r.release("3.0.0")
	r.approve(rel)
	r.slowAction("promote", "3")
	a := r.spawn(2 * time.Second)
	r.url = a.url
	defer func() {
		if t.Failed() {
			r.dump("DEP-1")
		}
	}()
	if code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu"); code != 0 {
		t.Fatalf("deploy start: exit %d\n%s\n%s", code, out, errOut)
	}
	first := r.waitCall("DEP-1", "promote", 1)
	a.kill()
	killed := time.Now()
	r.slowAction("promote", "")

	b := r.spawn(2 * time.Second)
	r.url = b.url
	resumed := r.waitCall("DEP-1", "promote", 2)
	t.Logf("server killed %s → new server re-ran the interrupted promote %s: %s", killed.Format("15:04:05.000"),
		resumed.At.Format("15:04:05.000"), resumed.At.Sub(killed).Round(time.Millisecond))
	if code, out, errOut := r.cli("deploy", "wait", "DEP-1", "--until", "verified", "--timeout", "30s"); code != 0 {
		t.Fatalf("deploy wait after the kill: exit %d\n%s\n%s", code, out, errOut)
	}
	calls := r.calls("DEP-1")
	if got := phases(calls, "start"); !slices.Equal(got, []string{"deploy:DEP-1/1/deploy", "promote:DEP-1/2/promote", "promote:DEP-1/2/promote"}) {
		t.Fatalf("driver starts %v: the deploy once, the interrupted promote twice with one key", got)
	}
	if first.PID != a.cmd.Process.Pid || resumed.PID != b.cmd.Process.Pid {
		t.Fatalf("promote run by pids %d then %d; servers %d (killed), %d", first.PID, resumed.PID, a.cmd.Process.Pid, b.cmd.Process.Pid)
	}
	done := phases(calls, "done")
	if done[0] != "deploy:DEP-1/1/deploy" || len(done) < 2 || len(done) > 3 || strings.Count(strings.Join(done, " "), "deploy:") != 1 {
		t.Fatalf("driver completions %v", done)
	}
}

// TestRolloutTwoServersOnePostgresIntegration: two `fixgate serve`
// processes on one PostgreSQL database (2 s engine lease). A deployment
// started through one is stepped by whichever claims it; while its driver
// runs the 3 s promote, longer than the lease, the other server does not
// take it (the lease is renewed while a step runs). Then the server running
// it is killed with SIGKILL: the other takes it over after the lease
// expired, runs the interrupted promote again under the same key, and
// finishes it. Every other driver action runs exactly once. Skipped without
// FIXGATE_TEST_POSTGRES (a DSN of a server where it may create databases),
// which .ci/run sets for its PostgreSQL pass.
func TestRolloutTwoServersOnePostgresIntegration(t *testing.T) {
	if os.Getenv("FIXGATE_TEST_POSTGRES") == "" {
		t.Skip("FIXGATE_TEST_POSTGRES is not set: two servers need one PostgreSQL database")
	}
	if testing.Short() {
		t.Skip("kills a server process (seconds)")
	}
	t.Parallel()
	r := newRig(t, rigOpts{envPath: "slow", watch: "1s"})
	rel := r.release("3.0.0")
	r.approve(rel)
	r.slowAction("promote", "3")
	servers := []*server{r.spawn(2 * time.Second), r.spawn(2 * time.Second)}
	r.url = servers[0].url
	defer func() {
		if t.Failed() {
			r.dump("DEP-1")
		}
	}()
	if code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu"); code != 0 {
		t.Fatalf("deploy start: exit %d\n%s\n%s", code, out, errOut)
	}
	first := r.waitCall("DEP-1", "promote", 1)
	holder, other := servers[0], servers[1]
	if first.PID == other.cmd.Process.Pid {
		holder, other = other, holder
	} else if first.PID != holder.cmd.Process.Pid {
		t.Fatalf("promote run by pid %d, which is neither server", first.PID)
	}
	// Past the lease while the promote still runs: the other server must not take it.
	time.Sleep(first.At.Add(2500 * time.Millisecond).Sub(time.Now()))
	if got := phases(r.calls("DEP-1"), "start"); !slices.Equal(got, []string{"deploy:DEP-1/1/deploy", "promote:DEP-1/2/promote"}) {
		t.Fatalf("driver starts while the first server lives: %v", got)
	}
	holder.kill()
	killed := time.Now()
	r.slowAction("promote", "")
	r.url = other.url
	resumed := r.waitCall("DEP-1", "promote", 2)
	t.Logf("server pid %d killed %s → pid %d re-ran the interrupted promote %s: %s", holder.cmd.Process.Pid, killed.Format("15:04:05.000"),
		resumed.PID, resumed.At.Format("15:04:05.000"), resumed.At.Sub(killed).Round(time.Millisecond))
	if code, out, errOut := r.cli("deploy", "wait", "DEP-1", "--until", "verified", "--timeout", "30s"); code != 0 {
		t.Fatalf("deploy wait: exit %d\n%s\n%s", code, out, errOut)
	}
	calls := r.calls("DEP-1")
	if got := phases(calls, "start"); !slices.Equal(got, []string{"deploy:DEP-1/1/deploy", "promote:DEP-1/2/promote", "promote:DEP-1/2/promote"}) {
		t.Fatalf("driver starts %v: the deploy once, the interrupted promote twice with one key", got)
	}
	if resumed.PID != other.cmd.Process.Pid {
		t.Fatalf("the promote was re-run by pid %d, not by the surviving server %d", resumed.PID, other.cmd.Process.Pid)
	}
	if d := r.deployment("DEP-1"); d.VerifiedAt == nil {
		t.Fatalf("not verified: %+v", d)
	}
}
