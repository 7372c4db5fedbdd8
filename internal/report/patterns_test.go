package report

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var patNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func patFilter() Filter { return Filter{Since: patNow.Add(-90 * 24 * time.Hour), Now: patNow} }

// sizeFacts: 20 deployments of single-component releases of which 2 rolled
// back, 20 of releases with 5 components of which 8 rolled back (DEP-101 …
// DEP-108), and 4 deployments of 2-component releases, 1 failed.
func sizeFacts() PatternFacts {
	var x PatternFacts
	add := func(n int64, status string, count int64) {
		x.Groups = append(x.Groups, PatternGroup{Dim: DimComponents, N: n, Status: status, Hit: true, Count: count})
	}
	add(1, "succeeded", 18)
	add(1, "rolled_back", 2)
	add(5, "succeeded", 12)
	add(5, "rolled_back", 8)
	add(2, "succeeded", 3)
	add(2, "failed", 1)
	add(2, "aborted", 5) // not counted
	for i := 101; i <= 108; i++ {
		x.Deployments = append(x.Deployments, PatternDeployment{Dim: DimComponents, N: 5, Hit: true,
			FailedDeployment: FailedDeployment{ID: "DEP-" + strconv.Itoa(i), Status: "rolled_back"}})
	}
	return x
}

func findRec(rs []Recommendation, dim, m string) []Recommendation {
	var out []Recommendation
	for _, r := range rs {
		if r.Dimension == dim && r.Measure == m {
			out = append(out, r)
		}
	}
	return out
}

// TestSizeRecommendation: more than 3 components failing 8 of 20 against 2
// of 20 for single-component releases is a recommendation with its
// evidence; the 2–3 bin (4 deployments) is too small to judge but looks
// worse, which a recommendation elsewhere makes moot; aborted deployments
// do not count.
func TestSizeRecommendation(t *testing.T) {
	p := BuildPatterns(patFilter(), sizeFacts(), DefaultEvidence)
	c := p.Size[0]
	if c.Dimension != DimComponents || c.Baseline != "1" || len(c.Bins) != 4 {
		t.Fatalf("components %+v", c)
	}
	want := map[string][2]int64{"0": {0, 0}, "1": {2, 20}, "2-3": {1, 4}, ">3": {8, 20}}
	for _, b := range c.Bins {
		if w := want[b.Bin]; b.Failure.Failed != w[0] || b.Failure.Total != w[1] {
			t.Errorf("bin %s: %d of %d, want %v", b.Bin, b.Failure.Failed, b.Failure.Total, w)
		}
	}
	if b := c.Bins[3]; len(b.Failure.Deployments) != 8 || b.Failure.Deployments[0] != "DEP-101" || *b.Failure.Rate != 0.4 {
		t.Fatalf(">3: %+v", b.Failure)
	}
	if c.Bins[0].Failure.Rate != nil {
		t.Fatal("a bin of 0 deployments has a rate")
	}
	rs := findRec(p.Recommendations, DimComponents, MeasureFailure)
	if len(rs) != 1 || rs[0].Kind != Recommend || rs[0].Bin != ">3" || *rs[0].Ratio != 4 || rs[0].Count != 8 || rs[0].BaseSample != 20 {
		t.Fatalf("recommendations %+v", rs)
	}
	const text = "problem-fix releases with more than 3 components failed 4× as often as those with 1 component over 90 days (8 of 20 vs 2 of 20): split them"
	if rs[0].Text != text {
		t.Fatalf("text %q", rs[0].Text)
	}
	// recurrence: no problems at all — not enough evidence, said so
	if rs := findRec(p.Recommendations, DimComponents, MeasureRecurrence); len(rs) != 1 || rs[0].Kind != NotEnough ||
		!strings.Contains(rs[0].Text, "not enough problems to recommend") {
		t.Fatalf("recurrence %+v", rs)
	}
}

// TestNoRecommendationWithoutEvidence: the same rates over half the
// samples (9 per bin, under the minimum of 10), a ratio under 2, or fewer
// than 3 failures give no recommendation.
func TestNoRecommendationWithoutEvidence(t *testing.T) {
	for name, g := range map[string][4]int64{
		"small samples": {1, 9, 4, 9}, "ratio under 2": {3, 20, 5, 20}, "2 failures": {0, 20, 2, 20},
	} {
		x := PatternFacts{Groups: []PatternGroup{
			{Dim: DimComponents, N: 1, Status: "failed", Hit: true, Count: g[0]},
			{Dim: DimComponents, N: 1, Status: "succeeded", Hit: true, Count: g[1] - g[0]},
			{Dim: DimComponents, N: 9, Status: "failed", Hit: true, Count: g[2]},
			{Dim: DimComponents, N: 9, Status: "succeeded", Hit: true, Count: g[3] - g[2]},
		}}
		rs := findRec(BuildPatterns(patFilter(), x, DefaultEvidence).Recommendations, DimComponents, MeasureFailure)
		if len(rs) != 1 || rs[0].Kind == Recommend {
			t.Errorf("%s: %+v", name, rs)
		}
		if name == "small samples" && (rs[0].Kind != NotEnough || !strings.Contains(rs[0].Text, "not enough deployments to recommend (>3: 9; baseline 1: 9; each needs at least 10)")) {
			t.Errorf("%s: %+v", name, rs[0])
		}
		if name == "ratio under 2" && rs[0].Kind != NoDifference {
			t.Errorf("%s: %+v", name, rs[0])
		}
	}
}

// TestFailurePatternBuckets: a failed deployment counts under each of its
// keys; failing_check counts, per check, the deployments it was measured on
// and those that failed with it failing; buckets are ordered most failed
// first; the problem-fix total comes from the environment dimension.
func TestFailurePatternBuckets(t *testing.T) {
	x := PatternFacts{Groups: []PatternGroup{
		{Dim: DimEnv, Key: "prod-eu", Status: "rolled_back", Hit: true, Count: 2},
		{Dim: DimEnv, Key: "prod-eu", Status: "succeeded", Hit: true, Count: 3},
		{Dim: DimEnv, Key: "prod-us", Status: "succeeded", Incident: true, Hit: true, Count: 1},
		{Dim: DimEnv, Key: "prod-us", Status: "aborted", Hit: true, Count: 4},
		{Dim: DimCheck, Key: "recurrence/signatures", Status: "rolled_back", Hit: true, Count: 1},
		{Dim: DimCheck, Key: "recurrence/signatures", Status: "succeeded", Hit: false, Count: 3},
		{Dim: DimCheck, Key: "incidents/new", Status: "rolled_back", Hit: false, Count: 1}, // measured, passed
		{Dim: DimCheck, Key: "", Status: "rolled_back", Hit: true, Count: 1},
		{Dim: DimCheck, Key: "", Status: "succeeded", Incident: true, Hit: true, Count: 1},
	}, Deployments: []PatternDeployment{
		{Dim: DimEnv, Key: "prod-eu", Hit: true, FailedDeployment: FailedDeployment{ID: "DEP-2", Status: "rolled_back"}},
		{Dim: DimEnv, Key: "prod-eu", Hit: true, FailedDeployment: FailedDeployment{ID: "DEP-10", Status: "rolled_back"}},
		{Dim: DimEnv, Key: "prod-us", Hit: true, FailedDeployment: FailedDeployment{ID: "DEP-7", Status: "succeeded", Incidents: 2}},
		{Dim: DimCheck, Key: "recurrence/signatures", Hit: true, FailedDeployment: FailedDeployment{ID: "DEP-2", Status: "rolled_back"}},
		{Dim: DimCheck, Key: "", Hit: true, FailedDeployment: FailedDeployment{ID: "DEP-10", Status: "rolled_back"}},
		{Dim: DimCheck, Key: "incidents/new", Hit: false, FailedDeployment: FailedDeployment{ID: "DEP-2", Status: "rolled_back"}},
		{Dim: DimCheck, Key: "", Hit: true, FailedDeployment: FailedDeployment{ID: "DEP-7", Status: "succeeded", Incidents: 2}},
	}}
	p := BuildPatterns(patFilter(), x, DefaultEvidence)
	if pf := p.ProblemFix; pf.Failed != 3 || pf.Total != 6 || *pf.Rate != 0.5 || !slices.Equal(pf.Deployments, []string{"DEP-2", "DEP-7", "DEP-10"}) {
		t.Fatalf("problem fix %+v", pf)
	}
	env := p.Failures[1]
	if env.Dimension != DimEnv || env.Buckets[0].Key != "prod-eu" || env.Buckets[0].Failed != 2 || env.Buckets[0].Total != 5 ||
		env.Buckets[1].Total != 1 || *env.Buckets[1].Rate != 1 {
		t.Fatalf("env %+v", env)
	}
	chk := p.Failures[5].Buckets
	if len(chk) != 3 || chk[0].Key != NoKey || chk[0].Failed != 2 || chk[0].Total != 2 ||
		chk[1].Key != "recurrence/signatures" || chk[1].Failed != 1 || chk[1].Total != 4 || chk[1].Deployments[0] != "DEP-2" ||
		chk[2].Key != "incidents/new" || chk[2].Failed != 0 || chk[2].Total != 1 || len(chk[2].Deployments) != 0 {
		t.Fatalf("checks %+v", chk)
	}
	if d := p.Failures[0]; d.Dimension != DimCategory || len(d.Buckets) != 0 {
		t.Fatalf("a dimension without facts: %+v", d)
	}
}

// TestFrequencyBins: a CI's problem-fix releases over 90 days become
// releases per 30 days (3 → 1: "<=1"; 6 → 2: "1-4"; 15 → 5: ">4"); a
// deployment is binned by the busiest CI it carries.
func TestFrequencyBins(t *testing.T) {
	x := PatternFacts{CIReleases: map[string]int64{"a": 3, "b": 6, "c": 15},
		Groups: []PatternGroup{{Dim: DimFrequency, N: 15, Status: "failed", Hit: true, Count: 2},
			{Dim: DimFrequency, N: 3, Status: "succeeded", Hit: true, Count: 4}},
		Problems: []ProblemGroup{{Dim: DimFrequency, N: 15, Recurred: true, Count: 1}, {Dim: DimFrequency, N: 6, Count: 2}},
		Recurred: []RecurredProblem{{Dim: DimFrequency, N: 15, Problem: "PRB-4"}}}
	f := BuildPatterns(patFilter(), x, DefaultEvidence).Frequency
	if f.Baseline != "<=1" || len(f.Bins) != 3 {
		t.Fatalf("%+v", f)
	}
	b := map[string]Bin{}
	for _, x := range f.Bins {
		b[x.Bin] = x
	}
	if !slices.Equal(b["<=1"].CIs, []string{"a"}) || !slices.Equal(b["1-4"].CIs, []string{"b"}) || !slices.Equal(b[">4"].CIs, []string{"c"}) {
		t.Fatalf("cis %+v", f.Bins)
	}
	if b[">4"].Failure.Failed != 2 || b["<=1"].Failure.Total != 4 || b[">4"].Recurrence.Recurred != 1 ||
		b["1-4"].Recurrence.Problems != 2 || *b["1-4"].Recurrence.Rate != 0 || b[">4"].Recurrence.IDs[0] != "PRB-4" {
		t.Fatalf("bins %+v", f.Bins)
	}
}

// TestPatternsOverNothing: no facts give zeros, null rates, every bin and
// no recommendation but "not enough" ones; commits of unrecorded releases
// are "unknown", never binned by a guess.
func TestPatternsOverNothing(t *testing.T) {
	p := BuildPatterns(patFilter(), PatternFacts{Groups: []PatternGroup{{Dim: DimCommits, N: -1, Status: "failed", Hit: true, Count: 3}}}, DefaultEvidence)
	if p.ProblemFix.Total != 0 || p.ProblemFix.Rate != nil || p.ProblemFix.Deployments == nil || len(p.Failures) != 7 {
		t.Fatalf("%+v", p)
	}
	commits := p.Size[2]
	if u := commits.Bins[len(commits.Bins)-1]; u.Bin != Unknown || u.Failure.Failed != 3 || commits.Bins[0].Failure.Total != 0 {
		t.Fatalf("commits %+v", commits)
	}
	if len(p.Recommendations) != 8 {
		t.Fatalf("%d recommendations, want one per binned dimension and measure", len(p.Recommendations))
	}
	for _, r := range p.Recommendations {
		if r.Kind != NotEnough {
			t.Errorf("%+v", r)
		}
	}
}

// TestPatternsCSV: one row per bucket, bin and conclusion, null rates
// empty, the ids behind a count space-separated.
func TestPatternsCSV(t *testing.T) {
	var b strings.Builder
	if err := BuildPatterns(patFilter(), sizeFacts(), DefaultEvidence).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"section,dimension,key,count,total,rate,records\n", "problem_fix,all,all,0,0,,\n",
		"size_failure,components,>3,8,20,0.4,DEP-101 DEP-102 DEP-103 DEP-104 DEP-105 DEP-106 DEP-107 DEP-108\n",
		"size_failure,components,0,0,0,,\n", "size_recurrence,components,1,0,0,,\n",
		"recommendation,components/failure,recommend >3,8,20,4,problem-fix releases with more than 3 components failed 4× as often"} {
		if !strings.Contains(out, want) {
			t.Errorf("csv lacks %q:\n%s", want, out)
		}
	}
}
