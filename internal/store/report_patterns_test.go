package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/change"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/incident"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/report"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var patStages = []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}

// patternsScenario builds, through the store, a history with known
// outcomes. PRB-1 (code_defect, checkout-api) and PRB-2
// (configuration_error, payments) are being fixed.
//   - DEP-1: REL-1 (fixes PRB-1; checkout-api) to prod-eu under CHG-1
//     (memory-leak-patch), canary then full: succeeded, resolving PRB-1,
//     which then recurs.
//   - DEP-2: REL-2 (fixes PRB-2; checkout-api and payments) to prod-eu under
//     CHG-2 (config-correction): recurrence/signatures failed at the canary
//     (incidents/new passed), rolled back there. Its review PIR-1 is tagged
//     testing_gap and environment_inconsistency.
//   - DEP-3: feature REL-3: succeeded (not a problem fix: not counted).
//   - DEP-4: REL-4 (fixes PRB-2; payments) to prod-us, no change: succeeded,
//     resolving PRB-2, then an incident is attributed to it in its watch.
//   - DEP-5: REL-5 (fixes PRB-1; checkout-api) to prod-eu: aborted (not counted).
func patternsScenario(t *testing.T, s *store.Store, clock *storetest.Clock) {
	t.Helper()
	ctx := context.Background()
	resFixing(t, s)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.CreateCI(ctx, alice, ci.CI{Name: "payments", Kind: "service"})
	must(err)
	_, err = s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-us", Tier: environment.Production})
	must(err)
	for _, v := range []ci.Version{{CI: "checkout-api", Version: "1.0.1"}, {CI: "checkout-api", Version: "1.0.2"}, {CI: "payments", Version: "2.0.1"}} {
		_, err := s.CreateComponent(ctx, alice, v)
		must(err)
	}
	_, err = s.CreateProblem(ctx, alice, problem.Problem{Title: "Payments timeouts", Priority: 2, CIs: []string{"payments"}}, nil)
	must(err)
	for _, fn := range []func(p *problem.Problem, c store.ProblemContext) error{
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.Assess, "pat", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error { return p.Move(problem.RCA, "pat", c.Now, 0) },
		func(p *problem.Problem, c store.ProblemContext) error {
			return p.RecordRCA("configuration_error", "pool size 1", "", "bob", c.Now, problem.DefaultCategories)
		},
	} {
		_, err := s.UpdateProblem(ctx, alice, 2, 0, "problem.test", fn)
		must(err)
	}
	for id := int64(1); id <= 2; id++ {
		_, _, err := s.ValidateRCA(ctx, resQuinn, id, 0, "")
		must(err)
		_, err = s.UpdateProblem(ctx, resPat, id, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(problem.FixInProgress, "pat", c.Now, 0)
		})
		must(err)
	}
	fix := func(v, prb string, comps ...string) {
		depNewRelease(t, s, release.Release{Version: v, Type: release.ProblemFix, Resolves: []string{prb}, Components: comps})
	}
	fix("1.0.1", "PRB-1", "checkout-api@1.0.1")
	fix("1.0.2", "PRB-2", "checkout-api@1.0.2", "payments@2.0.1")
	depNewRelease(t, s, release.Release{Version: "1.1.0", Type: release.Feature})
	fix("1.1.1", "PRB-2", "payments@2.0.1")
	fix("1.1.2", "PRB-1", "checkout-api@1.0.1")
	for _, c := range [][2]string{{"REL-1", "memory-leak-patch"}, {"REL-2", "config-correction"}} {
		rel, m := c[0], c[1]
		_, err := s.CreateChange(ctx, alice, change.Change{Title: "fix " + rel, Type: change.Normal, Release: rel, Env: "prod-eu", ChangeModel: m})
		must(err)
	}
	clock.Advance(time.Hour)
	// DEP-1: canary, promoted to full, succeeded; PRB-1 resolved, then recurs
	id := patStart(t, s, "REL-1", "prod-eu", "CHG-1", patStages)
	d, err := s.AdvanceRollout(ctx, depPipe, id, 0, patGate(t, s, id))
	must(err)
	engRun(t, s, id, 2, "")
	if d.CurrentStage != 1 {
		t.Fatalf("DEP-1 at stage %d", d.CurrentStage)
	}
	engEnd(t, s, id, deploy.Succeeded)
	must(resMove(s, problem.FixInProgress))
	// DEP-2: rolled back at the canary after its recurrence check failed
	id = patStart(t, s, "REL-2", "prod-eu", "CHG-2", patStages)
	for _, m := range []analysis.Measurement{
		{Deployment: "DEP-2", Stage: "canary", Template: "incidents", Check: "new", Kind: "incidents", Outcome: analysis.Successful},
		{Deployment: "DEP-2", Stage: "canary", Template: "recurrence", Check: "signatures", Kind: "recurrence", Outcome: analysis.Failed},
	} {
		must(s.RecordMeasurement(ctx, depPipe, m))
	}
	engEnd(t, s, id, deploy.RolledBack)
	p := pir.PIR{Problem: "PRB-2", Release: "REL-2"}
	must(p.SetFindingTags([]string{"testing_gap", "environment_inconsistency"}, problem.DefaultCategories))
	_, err = s.CreatePIR(ctx, alice, p)
	must(err)
	_, err = s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-1"})
	must(err)
	engDeploy(t, s, "REL-3", "prod-eu", deploy.Succeeded)
	// DEP-4: succeeded in prod-us (PRB-2 resolved), an incident within its watch
	engEnd(t, s, patStart(t, s, "REL-4", "prod-us", "", []deploy.Stage{{Name: "full", Weight: 100}}), deploy.Succeeded)
	clock.Advance(10 * time.Minute)
	_, err = s.CreateIncident(ctx, alice, incident.Incident{Title: "payments 502", CI: "payments", Env: "prod-us", Severity: 2, OpenedAt: clock.T})
	must(err)
	engDeploy(t, s, "REL-5", "prod-eu", deploy.Aborted)
	clock.Advance(24 * time.Hour)
}

// patStart starts rel into env (change chg, stages) under the open policy
// and runs its deploy action.
func patStart(t *testing.T, s *store.Store, rel, env, chg string, stages []deploy.Stage) int64 {
	t.Helper()
	d, _ := engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: rel, Env: env, Change: chg, Stages: stages, Driver: "shell"})
	if d.Status != deploy.Running {
		t.Fatalf("%s to %s: %s", rel, env, d.Status)
	}
	id := depNum(t, d.ID)
	engRun(t, s, id, 1, "")
	return id
}

func patGate(t *testing.T, s *store.Store, id int64) string {
	t.Helper()
	d, err := s.GetDeployment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Gate
}

// TestPatternsReportGolden: the scenario's report, as JSON, is exactly the
// golden file (go test -run PatternsReportGolden -update rewrites it), on
// SQLite and on PostgreSQL alike. The counts it holds are those the
// scenario's comment derives.
func TestPatternsReportGolden(t *testing.T) {
	s, clock := storetest.Open(t)
	patternsScenario(t, s, clock)
	p, err := s.PatternsReport(context.Background(), 90*24*time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "patterns_report.golden.json")
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("patterns report differs from %s:\n%s", path, got)
	}
}

// TestPatternsFromFactsRecommend: on the scenario's facts, with evidence
// lowered to one deployment per bin and one failure, the 2–3 component
// release (1 of 1 failed) is recommended against single-component ones
// (1 of 2): the SQL's size facts reach the recommendation.
func TestPatternsFromFactsRecommend(t *testing.T) {
	s, clock := storetest.Open(t)
	patternsScenario(t, s, clock)
	f, x, err := s.PatternsFacts(context.Background(), 90*24*time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	p := report.BuildPatterns(f, x, report.Evidence{MinSample: 1, MinRatio: 2, MinFailed: 1})
	var got []string
	for _, r := range p.Recommendations {
		if r.Kind == report.Recommend {
			got = append(got, r.Text)
		}
	}
	const want = "problem-fix releases with 2–3 components failed 2× as often as those with 1 component over 90 days (1 of 1 vs 1 of 2): split them"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("recommendations %q", got)
	}
}

// TestPatternsFiltersMatchingNothing: an environment, a CI or a period
// with no records gives zeros, null rates, samples of 0 and "not enough"
// conclusions, never an error; a CI filter keeps the releases carrying it.
func TestPatternsFiltersMatchingNothing(t *testing.T) {
	s, clock := storetest.Open(t)
	patternsScenario(t, s, clock)
	ctx := context.Background()
	for name, q := range map[string]struct {
		since   time.Duration
		env, ci string
	}{"env": {90 * 24 * time.Hour, "nowhere", ""}, "ci": {90 * 24 * time.Hour, "", "no-such-ci"}, "period": {time.Hour, "", ""}} {
		p, err := s.PatternsReport(ctx, q.since, q.env, q.ci)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if pf := p.ProblemFix; pf.Total != 0 || pf.Failed != 0 || pf.Rate != nil || len(pf.Deployments) != 0 {
			t.Errorf("%s: problem fix %+v", name, pf)
		}
		for _, d := range p.Failures {
			if len(d.Buckets) != 0 {
				t.Errorf("%s: %s has buckets %+v", name, d.Dimension, d.Buckets)
			}
		}
		for _, d := range append(p.Size, p.Frequency) {
			for _, b := range d.Bins {
				if b.Failure.Total != 0 || b.Failure.Rate != nil || b.Recurrence.Problems != 0 || b.Recurrence.Rate != nil {
					t.Errorf("%s: %s bin %+v", name, d.Dimension, b)
				}
			}
		}
		for _, r := range p.Recommendations {
			if r.Kind != report.NotEnough {
				t.Errorf("%s: %+v", name, r)
			}
		}
	}
	p, err := s.PatternsReport(ctx, 90*24*time.Hour, "", "payments")
	if err != nil || p.ProblemFix.Total != 2 || p.ProblemFix.Failed != 2 || len(p.Frequency.Bins[0].CIs) != 1 {
		t.Fatalf("payments: %+v %v", p.ProblemFix, err)
	}
}

// TestPatternBucket: the deployments behind a bucket or bin are the
// counted ones under that key, each once, marked failed as the report
// counts them; "" lists the whole dimension; an unknown dimension names dim.
func TestPatternBucket(t *testing.T) {
	s, clock := storetest.Open(t)
	patternsScenario(t, s, clock)
	ctx := context.Background()
	for _, c := range []struct{ dim, key, want string }{
		{report.DimComponent, "checkout-api", "DEP-1 DEP-2!"},
		{report.DimCheck, "incidents/new", "DEP-2"}, // measured, passed: not failed under this check
		{report.DimCheck, report.NoKey, "DEP-1 DEP-4!"},
		{report.DimStage, "canary", "DEP-2!"},
		{report.DimComponents, "1", "DEP-1 DEP-4!"},
		{report.DimCommits, report.Unknown, "DEP-1 DEP-2! DEP-4!"},
		{report.DimEnv, "", "DEP-1 DEP-2! DEP-4!"},
		{report.DimFinding, "nope", ""},
	} {
		ds, err := s.PatternBucket(ctx, 90*24*time.Hour, "", "", c.dim, c.key)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			if d.Failed {
				d.ID += "!"
			}
			got = append(got, d.ID)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%s %q: %q, want %q", c.dim, c.key, g, c.want)
		}
	}
	if _, err := s.PatternBucket(ctx, time.Hour, "", "", "colour", ""); fault.As(err) == nil || fault.As(err).Field != "dim" {
		t.Fatalf("unknown dim: %v", err)
	}
}
