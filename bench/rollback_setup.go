package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/environment"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// The rollback case's fakes: the webhook driver's receiver (it timestamps
// each action's arrival: the rollback driver's start as an operator's
// deployment tool sees it) and a Prometheus that answers the query API.

// receiver is the HTTP endpoint of the bench's webhook driver.
type receiver struct {
	mu      sync.Mutex
	first   map[string]time.Time // "DEP-n action" → first arrival
	count   map[string]int
	waiters map[string]chan time.Time
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var a driver.Action
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	key := a.Deployment + " " + a.Kind
	rc.mu.Lock()
	rc.count[key]++
	if _, ok := rc.first[key]; !ok {
		rc.first[key] = at
		if ch := rc.waiters[key]; ch != nil {
			ch <- at
			delete(rc.waiters, key)
		}
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// wait returns when action kind of deployment dep first arrived.
func (rc *receiver) wait(dep, kind string, timeout time.Duration) (time.Time, error) {
	key := dep + " " + kind
	rc.mu.Lock()
	if t, ok := rc.first[key]; ok {
		rc.mu.Unlock()
		return t, nil
	}
	ch := make(chan time.Time, 1)
	rc.waiters[key] = ch
	rc.mu.Unlock()
	select {
	case t := <-ch:
		return t, nil
	case <-time.After(timeout):
		return time.Time{}, fmt.Errorf("no %s action of %s within %s", kind, dep, timeout)
	}
}

// fakeProm answers instant queries: 1 for a query naming an armed version
// (arm), 0 for any other, and notes when it answered each failing version.
type fakeProm struct {
	mu       sync.Mutex
	armed    map[string]bool
	failedAt map[string]time.Time
}

// arm makes version's measurements fail from now on.
func (p *fakeProm) arm(version string) {
	p.mu.Lock()
	p.armed[version] = true
	p.mu.Unlock()
}

var versionRe = regexp.MustCompile(`version="([^"]*)"`)

func (p *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	v := ""
	if m := versionRe.FindStringSubmatch(r.Form.Get("query")); m != nil {
		v = m[1]
	}
	value := "0"
	p.mu.Lock()
	if p.armed[v] {
		value = "1"
	}
	p.mu.Unlock()
	body := fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"version":%q},"value":[%d,%q]}]}}`,
		v, time.Now().Unix(), value)
	w.Header().Set("Content-Type", "application/json")
	if value == "1" {
		p.mu.Lock()
		if _, ok := p.failedAt[v]; !ok {
			p.failedAt[v] = time.Now()
		}
		p.mu.Unlock()
	}
	w.Write([]byte(body))
}

func (p *fakeProm) answered(version string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.failedAt[version]
	return t, ok
}

// serveLocal serves h on a loopback port and returns its URL and closer.
func serveLocal(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// rollbackTemplates is the analysis of every bench deployment besides the
// built-in recurrence and incidents templates: one Prometheus check per
// second on the deployment's version.
const rollbackTemplates = `
analysis_templates:
  health:
    checks:
      - name: errors
        prometheus:
          query: 'errors{version="{{version}}"}'
          interval: 1s
          success_condition: result == 0
          failure_condition: result > 0
`

// rollbackPolicy is the built-in policy with the gate open (every rule
// off), the webhook driver "hook" at hookURL for prod-eu, a one-hour watch
// and the health template.
func rollbackPolicy(hookURL string) (*policy.Policy, error) {
	pol := storetest.OpenPolicy()
	tpl, err := policy.Parse([]byte(rollbackTemplates))
	if err != nil {
		return nil, err
	}
	pol.AnalysisTemplates["health"] = tpl.AnalysisTemplates["health"]
	pol.Drivers["hook"] = policy.Driver{Webhook: &policy.WebhookDriver{URL: hookURL, SecretEnv: "FIXGATE_BENCH_DRIVER_SECRET",
		Timeout: policy.Duration(10 * time.Second)}}
	pol.Environments["prod-eu"] = policy.EnvironmentPolicy{Driver: "hook", Watch: policy.Duration(time.Hour)}
	return pol, nil
}

// analysed is the path of the bench's deployments: a canary analysed for
// an hour (so it stays under analysis), then 100 %.
var analysed = []deploy.Stage{
	{Name: "canary", Weight: 10, Duration: policy.Duration(time.Hour), Analysis: []string{"health", "recurrence", "incidents"}},
	{Name: "full", Weight: 100},
}

var (
	benchAdmin = audit.System("bench")
	benchAlice = audit.Actor{User: "alice", Role: string(auth.Engineer), RequestID: "bench"}
	benchQuinn = audit.Actor{User: "quinn", Role: string(auth.ProblemManager), RequestID: "bench"}
)

// rollbackRefs stores prod-eu, the CIs checkout-api, other-api and
// noise-api, the users alice, bob and quinn, and an alertmanager user
// whose token it returns.
func rollbackRefs(ctx context.Context, st *store.Store) (string, error) {
	if _, _, err := st.Bootstrap(ctx, ""); err != nil {
		return "", err
	}
	if _, err := st.CreateEnvironment(ctx, benchAdmin, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		return "", err
	}
	for _, c := range []string{"checkout-api", "other-api", "noise-api"} {
		if _, err := st.CreateCI(ctx, benchAdmin, ci.CI{Name: c, Kind: "service"}); err != nil {
			return "", err
		}
	}
	for _, u := range []auth.User{{Name: "alice", Roles: []auth.Role{auth.Engineer}}, {Name: "bob", Roles: []auth.Role{auth.Engineer}},
		{Name: "quinn", Roles: []auth.Role{auth.ProblemManager}}} {
		if _, _, err := st.CreateUser(ctx, benchAdmin, u); err != nil {
			return "", err
		}
	}
	_, tok, err := st.CreateUser(ctx, benchAdmin, auth.User{Name: "alertmanager", Roles: []auth.Role{auth.Pipeline}})
	return tok, err
}

// fixRelease stores a problem taken to fix_in_progress (RCA by bob,
// validated by quinn) with the signature {alertname="Regress-N"} and the
// problem-fix release VERSION of run-a-N resolving it; it returns
// the release's id.
func fixRelease(ctx context.Context, st *store.Store, n int, version string) (string, error) {
	p, err := st.CreateProblem(ctx, benchAlice, problem.Problem{Title: fmt.Sprint("regression ", n), Priority: 2,
		CIs: []string{runCI("a", n)}}, nil)
	if err != nil {
		return "", err
	}
	id := int64(0)
	fmt.Sscanf(p.ID, "PRB-%d", &id)
	steps := []func(p *problem.Problem, c store.ProblemContext) error{
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(problem.Assess, "alice", c.Now, 0)
		},
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.RCA, "alice", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.RecordRCA("code_defect", "nil map in retry path", "", "bob", c.Now, problem.DefaultCategories)
		},
	}
	for _, fn := range steps {
		if _, err := st.UpdateProblem(ctx, benchAlice, id, 0, "problem.update", fn); err != nil {
			return "", err
		}
	}
	if _, _, err := st.ValidateRCA(ctx, benchQuinn, id, 0, "holds"); err != nil {
		return "", err
	}
	if _, err := st.UpdateProblem(ctx, benchQuinn, id, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.FixInProgress, "quinn", c.Now, 0)
	}); err != nil {
		return "", err
	}
	if _, err := st.AddSignature(ctx, benchAlice, id, fmt.Sprintf(`{alertname="Regress-%d"}`, n)); err != nil {
		return "", err
	}
	return newRelease(ctx, st, runCI("a", n), version, release.ProblemFix, p.ID)
}

// newRelease stores component CI@VERSION and a release of it.
func newRelease(ctx context.Context, st *store.Store, ciName, version, typ string, resolves ...string) (string, error) {
	if _, err := st.CreateComponent(ctx, benchAlice, ci.Version{CI: ciName, Version: version}); err != nil {
		return "", err
	}
	r, err := st.CreateRelease(ctx, benchAlice, release.Release{Version: version, Type: typ, Resolves: resolves,
		Components: []string{ciName + "@" + version}})
	return r.ID, err
}
