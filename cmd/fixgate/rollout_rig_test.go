package main

// The rig of the rollout integration tests (rollout_*_integration_test.go):
// a fresh database with the records a problem fix needs, the real server
// (serveOn in this process, or `fixgate serve` as a child process that a
// test may SIGKILL), an exec driver script that logs every action it is
// asked to run, and the CLI run as a pipeline runs it: a process of its
// own with FIXGATE_URL and FIXGATE_TOKEN, read by its exit code.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
	"fixgate/internal/testbin"
)

// The test binary doubles as the fixgate binary: with FIXGATE_TEST_AS=cli
// it runs the CLI on its arguments and exits with the CLI's code; with
// FIXGATE_TEST_AS=serve it runs them too (`serve …`), with the rollout
// engine's lease taken from FIXGATE_TEST_ENGINE_LEASE, so that a test can
// SIGKILL a real server process and have another take over within seconds
// instead of the production lease's 30 s.
func TestMain(m *testing.M) {
	switch os.Getenv("FIXGATE_TEST_AS") {
	case "cli":
		os.Exit(run(os.Args[1:]))
	case "serve":
		if d, err := time.ParseDuration(os.Getenv("FIXGATE_TEST_ENGINE_LEASE")); err == nil {
			engineLease = d
		}
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

var (
	rigAdmin = audit.Actor{User: "admin", Role: "admin", RequestID: "rig"}
	rigAlice = audit.Actor{User: "alice", Role: "engineer", RequestID: "rig"}
	rigBob   = audit.Actor{User: "bob", Role: "engineer", RequestID: "rig"}
	rigPat   = audit.Actor{User: "pat", Role: "problem_manager", RequestID: "rig"}
	rigQuinn = audit.Actor{User: "quinn", Role: "problem_manager", RequestID: "rig"}
)

// rigOpts shapes the policy of a rig.
type rigOpts struct {
	envPath string // environments.prod-eu.path
	watch   string // environments.prod-eu.watch
}

// rig is one fresh fixgate installation for one test.
type rig struct {
	t         *testing.T
	dir       string
	dsn       string
	st        *store.Store // the test's own handle: setup and assertions
	pol       *policy.Policy
	polPath   string
	driverLog string
	bot       string // a pipeline user's token
	url       string // the running server's base URL
}

// newRig creates the database and its records: users, the production
// environment prod-eu, the CI checkout-api; writes the policy and the
// driver script. No server runs yet.
func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), dsn: storetest.DSN(t)}
	r.driverLog = filepath.Join(r.dir, "driver.log")
	ctx := context.Background()
	st, err := store.Open(ctx, r.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	if _, _, err := st.Bootstrap(ctx, "fgt_rig_admin"); err != nil {
		t.Fatal(err)
	}
	_, bot, err := st.CreateUser(ctx, rigAdmin, auth.User{Name: "bot", Roles: []auth.Role{auth.Pipeline}})
	r.must(err)
	r.bot = bot
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"alice", auth.Engineer}, {"bob", auth.Engineer}, {"pat", auth.ProblemManager}, {"quinn", auth.ProblemManager}} {
		_, _, err := st.CreateUser(ctx, rigAdmin, auth.User{Name: u.name, Roles: []auth.Role{u.role}})
		r.must(err)
	}
	_, err = st.CreateEnvironment(ctx, rigAdmin, environment.Environment{Name: "prod-eu", Tier: environment.Production})
	r.must(err)
	_, err = st.CreateCI(ctx, rigAdmin, ci.CI{Name: "checkout-api", Kind: "service"})
	r.must(err)

	script := filepath.Join(r.dir, "driver.sh")
	r.must(os.WriteFile(script, []byte(driverScript), 0o755))
	r.polPath = filepath.Join(r.dir, "policy.yaml")
	yaml := rigPolicy(script, r.driverLog, o)
	r.must(os.WriteFile(r.polPath, []byte(yaml), 0o600))
	if r.pol, err = policy.Parse([]byte(yaml)); err != nil {
		t.Fatalf("the rig's policy: %v\n%s", err, yaml)
	}
	return r
}

func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// driverScript is the exec driver: one line per action it starts and one
// when it is done, with the time, the server's pid (its parent) and the
// FIXGATE_* facts. A file slow-ACTION next to the log makes that action
// sleep as many seconds as the file says, between the two lines.
const driverScript = `#!/bin/sh
log="$1"
slow="$(dirname "$log")/slow-$FIXGATE_ACTION"
line() {
  echo "$(date +%s.%N) $1 pid=$PPID action=$FIXGATE_ACTION dep=$FIXGATE_DEPLOYMENT stage=$FIXGATE_STAGE weight=$FIXGATE_WEIGHT version=$FIXGATE_VERSION previous=$FIXGATE_PREVIOUS_VERSION env=$FIXGATE_ENV key=$FIXGATE_IDEMPOTENCY_KEY" >> "$log"
}
line start
echo "$FIXGATE_ACTION $FIXGATE_STAGE $FIXGATE_WEIGHT% of $FIXGATE_VERSION"
if [ -f "$slow" ]; then sleep "$(cat "$slow")"; fi
line done
`

// rigPolicy is the policy of the rollout tests: the gate keeps the rules
// about the problem (rca_validated, problem_state), approvals (low risk:
// one peer) and canary-first; the rules that need component records,
// windows or progression are off. The exec driver `script`, the analysis
// template error_rate over the test app's counters, two paths, and
// prod-eu's path and watch.
func rigPolicy(script, log string, o rigOpts) string {
	if o.envPath == "" {
		o.envPath = "canary-full"
	}
	if o.watch == "" {
		o.watch = "3s"
	}
	return fmt.Sprintf(`version: 1
risk:
  rules:
    - {when: "release_size > 100", class: high}
  default: low
approvals:
  low:
    - {role: peer, count: 1}
gate:
  rules:
    open_problems: {enabled: false}
    component_approval: {enabled: false}
    segregation: {enabled: false}
    semver: {enabled: false}
    separation_of_duties: {enabled: false}
    maintenance_window: {enabled: false}
    progression: {enabled: false}
    target_health: {enabled: false}
drivers:
  script:
    exec: {command: [/bin/sh, %q, %q], timeout: 30s}
analysis_templates:
  error_rate:
    checks:
      - name: http-5xx-ratio
        prometheus:
          query: 'sum(rate(app_http_requests_total{env="{{env}}",version="{{version}}",code="500"}[5s])) / sum(rate(app_http_requests_total{env="{{env}}",version="{{version}}"}[5s]))'
          interval: 1s
          failure_condition: result > 0.05
          no_data: inconclusive
paths:
  canary-full:
    - {name: canary, weight: 10, duration: 4s, analysis: [error_rate]}
    - {name: full, weight: 100, duration: 3s, analysis: [error_rate]}
  watched:
    - {name: full, weight: 100, duration: 1s, analysis: [recurrence]}
  slow:
    - {name: canary, weight: 10, duration: 2s}
    - {name: full, weight: 100, duration: 2s}
environments:
  prod-eu: {driver: script, path: %s, watch: %s}
`, script, log, o.envPath, o.watch)
}

// fixProblem creates a problem on checkout-api and takes it to
// fix_in_progress: RCA by alice, validated by quinn. Returns its number.
func (r *rig) fixProblem(title string, priority int) int64 {
	r.t.Helper()
	ctx := context.Background()
	p, err := r.st.CreateProblem(ctx, rigAlice, problem.Problem{Title: title, Priority: priority, CIs: []string{"checkout-api"}}, nil)
	r.must(err)
	id, _ := ident.Problem.Parse("id", p.ID)
	for _, fn := range []func(p *problem.Problem, c store.ProblemContext) error{
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.Assess, "pat", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.RCA, "pat", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.RecordRCA("code_defect", "nil map in the retry path", "", "alice", c.Now, problem.DefaultCategories)
		},
	} {
		_, err := r.st.UpdateProblem(ctx, rigPat, id, 0, "problem.test", fn)
		r.must(err)
	}
	_, _, err = r.st.ValidateRCA(ctx, rigQuinn, id, 0, "matches the traces")
	r.must(err)
	_, err = r.st.UpdateProblem(ctx, rigPat, id, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.FixInProgress, "pat", c.Now, 0)
	})
	r.must(err)
	return id
}

// release creates a release of version (a problem fix when it resolves
// problems, else a feature) and returns REL-n; approve approves it.
func (r *rig) release(version string, resolves ...string) string {
	r.t.Helper()
	typ := release.Feature
	if len(resolves) > 0 {
		typ = release.ProblemFix
	}
	rel, err := r.st.CreateRelease(context.Background(), rigAlice, release.Release{Version: version, Type: typ, Resolves: resolves})
	r.must(err)
	return rel.ID
}

func (r *rig) approve(rel string) {
	r.t.Helper()
	ctx := context.Background()
	_, err := r.st.CreateApproval(ctx, rigBob, approval.Approval{Record: rel, Decision: approval.Approve}, 0)
	r.must(err)
	id, _ := ident.Release.Parse("id", rel)
	_, err = r.st.UpdateRelease(ctx, rigAlice, id, 0, "release.move", func(x *release.Release) error { return x.Move(release.Approved) })
	r.must(err)
}

// seedDeployed records release rel as deployed into prod-eu through the
// engine's store steps (start through the gate, driver action, success),
// and verified when verified is set (else still in an hour's watch), without a server or a driver call: the
// history a rollback's previous version comes from.
func (r *rig) seedDeployed(rel string, verified bool) {
	r.t.Helper()
	ctx := context.Background()
	d, ev, err := r.st.StartDeployment(ctx, rigAdmin, store.StartRequest{Release: rel, Env: "prod-eu",
		Stages: []deploy.Stage{{Name: "full", Weight: 100}}}, r.pol, 0)
	if err != nil || d.Status != deploy.Running {
		r.t.Fatalf("seed %s: %+v %+v %v", rel, d, ev.Verdict, err)
	}
	id, _ := ident.Deployment.Parse("id", d.ID)
	_, err = r.st.BeginAction(ctx, rigAdmin, id, 1)
	r.must(err)
	_, err = r.st.FinishAction(ctx, rigAdmin, id, 1, "", "seeded")
	r.must(err)
	watch := r.st.Now() // verified at once; else still watched for an hour
	if !verified {
		watch = watch.Add(time.Hour)
	}
	d, err = r.st.SucceedDeployment(ctx, rigAdmin, id, 0, watch)
	r.must(err)
	if verified {
		_, err = r.st.VerifyDeployment(ctx, rigAdmin, id, d.Revision)
		r.must(err)
	}
}

// serve runs serveOn (the code of `fixgate serve`) in this process on the
// rig's database with its policy, until stop is called (or the test ends).
// It opens a store of its own, as a new process would.
func (r *rig) serve(promURL string) (stop func()) {
	r.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	r.must(err)
	st, err := store.Open(context.Background(), r.dsn)
	r.must(err)
	logs := &syncBuffer{}
	cmd := &cobra.Command{}
	cmd.SetErr(logs)
	f := serverFlags{addr: ln.Addr().String(), db: r.dsn, dataDir: filepath.Join(r.dir, "data"), policy: r.polPath,
		logFormat: "text", promURL: promURL}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, cmd, f, st, ln, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		r.url = "http://" + addr
	case err := <-done:
		r.t.Fatalf("serve: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		r.t.Fatal("serve did not start in 30s")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Errorf("serve: %v", err)
			}
			st.Close()
			if r.t.Failed() {
				r.t.Logf("server log:\n%s", logs.String())
			}
		})
	}
	r.t.Cleanup(stop)
	return stop
}

// server is `fixgate serve` in a child process (the test binary in serve mode).
type server struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan struct{}
}

// spawn starts `fixgate serve` as a child process on the rig's database with
// the engine lease given; the test's cleanup kills it.
func (r *rig) spawn(lease time.Duration) *server {
	r.t.Helper()
	addr := testbin.FreeAddr(r.t)
	s := &server{logs: &syncBuffer{}, done: make(chan struct{}), url: "http://" + addr}
	s.cmd = exec.Command(os.Args[0], "serve", "--addr", addr, "--db", r.dsn, "--policy", r.polPath,
		"--data-dir", filepath.Join(r.dir, "data-"+strings.ReplaceAll(addr, ":", "-")))
	s.cmd.Env = append(os.Environ(), "FIXGATE_TEST_AS=serve", "FIXGATE_TEST_ENGINE_LEASE="+lease.String(),
		"FIXGATE_BOOTSTRAP_TOKEN=fgt_rig_admin")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	r.must(s.cmd.Start())
	go func() { s.cmd.Wait(); close(s.done) }()
	r.t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if r.t.Failed() {
			r.t.Logf("server pid %d log:\n%s", s.cmd.Process.Pid, s.logs.String())
		}
	})
	testbin.WaitFor(r.t, 60*time.Second, "server pid "+strconv.Itoa(s.cmd.Process.Pid)+" is ready", func() bool {
		select {
		case <-s.done:
			r.t.Fatalf("server exited:\n%s", s.logs.String())
		default:
		}
		res, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return s
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// cli runs the fixgate CLI as a pipeline does, against the rig's server
// with the pipeline user's token: a process of its own. It returns the exit
// code, stdout and stderr.
func (r *rig) cli(args ...string) (int, string, string) {
	r.t.Helper()
	return rigCLI(r.t, r.url, r.bot, args...)
}

func rigCLI(t *testing.T, url, token string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FIXGATE_TEST_AS=cli", "FIXGATE_URL="+url, "FIXGATE_TOKEN="+token)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fixgate %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// deployment reads DEP-n from the store.
func (r *rig) deployment(id string) deploy.Deployment {
	r.t.Helper()
	n, _ := ident.Deployment.Parse("id", id)
	d, err := r.st.GetDeployment(context.Background(), n)
	r.must(err)
	return d
}

// waitDeployment polls DEP-n until cond holds.
func (r *rig) waitDeployment(id string, limit time.Duration, what string, cond func(deploy.Deployment) bool) deploy.Deployment {
	r.t.Helper()
	var d deploy.Deployment
	testbin.WaitFor(r.t, limit, id+" "+what, func() bool {
		d = r.deployment(id)
		return cond(d)
	})
	return d
}

func (r *rig) problem(id int64) problem.Problem {
	r.t.Helper()
	p, err := r.st.GetProblem(context.Background(), id)
	r.must(err)
	return p
}

func (r *rig) releaseStatus(rel string) string {
	r.t.Helper()
	n, _ := ident.Release.Parse("id", rel)
	x, err := r.st.GetRelease(context.Background(), n)
	r.must(err)
	return x.Status
}

// driverCall is one line of the driver script's log.
type driverCall struct {
	At                                                  time.Time
	Phase                                               string // start or done
	PID                                                 int
	Action, Dep, Stage, Weight, Version, Prev, Env, Key string
}

func (c driverCall) String() string {
	return fmt.Sprintf("%s %s pid %d %s %s %s%% %s (previous %q) key %s", c.At.Format("15:04:05.000"), c.Phase, c.PID,
		c.Action, c.Stage, c.Weight, c.Version, c.Prev, c.Key)
}

// calls reads the driver's log: the lines of deployment dep ("" : all).
func (r *rig) calls(dep string) []driverCall {
	r.t.Helper()
	f, err := os.Open(r.driverLog)
	if os.IsNotExist(err) {
		return nil
	}
	r.must(err)
	defer f.Close()
	var out []driverCall
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		secs, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			r.t.Fatalf("driver log line %q", sc.Text())
		}
		c := driverCall{At: time.Unix(0, int64(secs*1e9)), Phase: fields[1]}
		kv := map[string]string{}
		for _, f := range fields[2:] {
			k, v, _ := strings.Cut(f, "=")
			kv[k] = v
		}
		c.PID, _ = strconv.Atoi(kv["pid"])
		c.Action, c.Dep, c.Stage, c.Weight, c.Version, c.Prev, c.Env, c.Key = kv["action"], kv["dep"], kv["stage"], kv["weight"],
			kv["version"], kv["previous"], kv["env"], kv["key"]
		if dep == "" || c.Dep == dep {
			out = append(out, c)
		}
	}
	return out
}

// started returns "ACTION:STAGE:WEIGHT" of each call dep's driver started, in order.
func started(calls []driverCall) []string {
	var out []string
	for _, c := range calls {
		if c.Phase == "start" {
			out = append(out, c.Action+":"+c.Stage+":"+c.Weight)
		}
	}
	return out
}

// deployLog is `fixgate deploy log DEP-n -o json`.
type deployLog struct {
	Deployment deploy.Deployment `json:"deployment"`
	Events     []deploy.Event    `json:"events"`
	Actions    []struct {
		Seq       int64  `json:"seq"`
		Kind      string `json:"kind"`
		StageName string `json:"stage_name"`
		Weight    int    `json:"weight"`
		Status    string `json:"status"`
		Attempts  int    `json:"attempts"`
		Key       string `json:"key"`
		Log       string `json:"log"`
	} `json:"actions"`
	Measurements []struct {
		At       time.Time       `json:"at"`
		Stage    string          `json:"stage"`
		Template string          `json:"template"`
		Check    string          `json:"check"`
		Query    string          `json:"query"`
		Outcome  string          `json:"outcome"`
		Message  string          `json:"message"`
		Value    json.RawMessage `json:"value"`
	} `json:"measurements"`
}

func (r *rig) log(id string) deployLog {
	r.t.Helper()
	code, out, errOut := r.cli("deploy", "log", id, "-o", "json")
	if code != 0 {
		r.t.Fatalf("deploy log %s: exit %d %s", id, code, errOut)
	}
	var l deployLog
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		r.t.Fatalf("deploy log %s: %v\n%s", id, err, out)
	}
	return l
}

// dump logs what a failed test needs: the driver's calls and the deployment's log.
func (r *rig) dump(id string) {
	r.t.Helper()
	for _, c := range r.calls("") {
		r.t.Logf("driver: %s", c)
	}
	if r.url != "" {
		_, out, _ := r.cli("deploy", "log", id)
		r.t.Logf("deploy log %s:\n%s", id, out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
