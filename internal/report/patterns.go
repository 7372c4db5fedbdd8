package report

import (
	"cmp"
	"slices"
	"time"
)

// Failure-pattern dimensions (issue 14, seeds 7.1 and 7.6): what a
// problem-fix deployment is counted under. A deployment counts once under
// each of its keys of a dimension (a release with two CIs counts under
// both components).
const (
	DimCategory    = "root_cause_category" // root cause categories of the problems its release resolves
	DimEnv         = "environment"
	DimComponent   = "component"     // CIs of its release's component versions
	DimChangeModel = "change_model"  // of its change
	DimStage       = "stage_reached" // name of the stage it reached (its current stage)
	DimCheck       = "failing_check" // template/check of its analysis; NoKey: no check failed
	DimFinding     = "finding_tag"   // finding tags of the reviews of its release
)

// PatternDims lists the failure-pattern dimensions in report order.
var PatternDims = []string{DimCategory, DimEnv, DimComponent, DimChangeModel, DimStage, DimCheck, DimFinding}

// NoKey names the bucket of deployments without a key in a dimension (no
// category, no change model, no failing check, no finding tag …).
const NoKey = "(none)"

// PatternGroup counts the problem-fix deployments of the period under one
// key: in one status, with (Incident) or without an incident attributed
// within their watch window, and whether the key was Hit. Hit is the
// failing_check dimension's "this check failed on it" (Key a check that
// was measured on the deployment); in every other dimension it is true.
// N is the measure a binned dimension bins by (release size: components,
// problems, commits, -1 when unknown; frequency: the problem-fix releases
// in the period of the busiest CI the release carries, see CIReleases); 0
// elsewhere. The store loads them with GROUP BY.
type PatternGroup struct {
	Dim, Key string
	N        int64
	Status   string
	Incident bool
	Hit      bool
	Count    int64
}

// PatternDeployment is one deployment behind a PatternGroup that may have
// failed (a failing status or an attributed incident).
type PatternDeployment struct {
	Dim, Key string
	N        int64
	Hit      bool
	FailedDeployment
}

// ProblemGroup counts the problems resolved by a problem-fix deployment in
// the period under one key of a binned dimension (N as in PatternGroup),
// by whether they recurred (recurrence count above 0).
type ProblemGroup struct {
	Dim, Key string
	N        int64
	Recurred bool
	Count    int64
}

// RecurredProblem is one problem behind a ProblemGroup that recurred.
type RecurredProblem struct {
	Dim, Key string
	N        int64
	Problem  string
}

// PatternFacts is what the store loads for the patterns report.
type PatternFacts struct {
	Groups      []PatternGroup
	Deployments []PatternDeployment
	Problems    []ProblemGroup
	Recurred    []RecurredProblem
	// CIReleases is, per CI, the problem-fix releases carrying it with a
	// deployment started in the period (its release frequency).
	CIReleases map[string]int64
}

// FailureCount is failed of total counted problem-fix deployments (total
// is the sample size), the rate (nil when total is 0) and the ids of the
// failed ones.
type FailureCount struct {
	Failed      int64    `json:"failed"`
	Total       int64    `json:"total"`
	Rate        *float64 `json:"rate"`
	Deployments []string `json:"deployments"`
}

// Bucket is one key of a failure-pattern dimension.
type Bucket struct {
	Key string `json:"key"`
	FailureCount
}

// Dimension is one failure-pattern dimension: its buckets, most failed first.
type Dimension struct {
	Dimension string   `json:"dimension"`
	Buckets   []Bucket `json:"buckets"`
}

// Patterns is the whole report (the JSON of GET /api/v1/reports/patterns).
type Patterns struct {
	Filter          Filter           `json:"filter"`
	ProblemFix      FailureCount     `json:"problem_fix"`
	Failures        []Dimension      `json:"failures"`
	Size            []Binned         `json:"size"`
	Frequency       Binned           `json:"frequency"`
	Recommendations []Recommendation `json:"recommendations"`
	Evidence        Evidence         `json:"evidence"`
}

// BuildPatterns turns the facts of filter f into the report, recommending
// only on evidence e (DefaultEvidence).
func BuildPatterns(f Filter, x PatternFacts, e Evidence) Patterns {
	p := Patterns{Filter: f, Failures: []Dimension{}, Evidence: e}
	for _, dim := range PatternDims {
		p.Failures = append(p.Failures, Dimension{Dimension: dim, Buckets: buckets(dim, x)})
	}
	for _, b := range p.Failures[slices.Index(PatternDims, DimEnv)].Buckets { // every deployment has one environment
		p.ProblemFix.Failed += b.Failed
		p.ProblemFix.Total += b.Total
		p.ProblemFix.Deployments = append(p.ProblemFix.Deployments, b.Deployments...)
	}
	p.ProblemFix.Rate = Rate(p.ProblemFix.Failed, p.ProblemFix.Total)
	p.ProblemFix.Deployments = sortedIDs(p.ProblemFix.Deployments)
	period := f.Now.Sub(f.Since)
	for _, dim := range SizeDims {
		p.Size = append(p.Size, binned(dim, x, period))
	}
	p.Frequency = binned(DimFrequency, x, period)
	p.Recommendations = []Recommendation{}
	for _, b := range append(append([]Binned{}, p.Size...), p.Frequency) {
		p.Recommendations = append(p.Recommendations, recommend(b, e, period)...)
	}
	return p
}

// failedGroup reports whether the deployments of g count in the total and
// whether they failed: a counted status (Counted) that FailureReasons calls
// failed, on a key that was hit.
func failedGroup(status string, incidents int64, hit bool) (counted, failed bool) {
	if !Counted(status) {
		return false, false
	}
	return true, hit && fails(status, incidents)
}

// fails is len(FailureReasons(status, incidents)) > 0 without building
// the reasons (the report asks it of every key of every candidate).
func fails(status string, incidents int64) bool {
	return incidents > 0 || slices.Contains(FailingStatuses, status)
}

// tallyFailures adds the groups of dim to the counts pick returns for
// their key and measure, and the failed deployments among its candidates
// to their lists.
func tallyFailures(dim string, x PatternFacts, pick func(key string, n int64) *FailureCount) {
	for _, g := range x.Groups {
		if g.Dim != dim {
			continue
		}
		inc := int64(0)
		if g.Incident {
			inc = 1
		}
		counted, failed := failedGroup(g.Status, inc, g.Hit)
		c := pick(g.Key, g.N)
		if counted {
			c.Total += g.Count
		}
		if failed {
			c.Failed += g.Count
		}
	}
	for _, d := range x.Deployments {
		if d.Dim != dim {
			continue
		}
		if _, failed := failedGroup(d.Status, d.Incidents, d.Hit); failed {
			c := pick(d.Key, d.N)
			c.Deployments = append(c.Deployments, d.ID)
		}
	}
}

// buckets sums the groups of dim into one bucket per key, most failed
// first (then highest rate, then key), each with its failed deployments.
func buckets(dim string, x PatternFacts) []Bucket {
	by := map[string]*Bucket{}
	get := func(k string) *Bucket {
		if k == "" {
			k = NoKey
		}
		if by[k] == nil {
			by[k] = &Bucket{Key: k, FailureCount: FailureCount{Deployments: []string{}}}
		}
		return by[k]
	}
	tallyFailures(dim, x, func(key string, _ int64) *FailureCount { return &get(key).FailureCount })
	out := make([]Bucket, 0, len(by))
	for _, b := range by {
		b.Rate = Rate(b.Failed, b.Total)
		b.Deployments = sortedIDs(b.Deployments)
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Bucket) int {
		if c := cmp.Compare(b.Failed, a.Failed); c != 0 {
			return c
		}
		if c := cmp.Compare(rateOr(b.Rate), rateOr(a.Rate)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

func rateOr(r *float64) float64 {
	if r == nil {
		return -1
	}
	return *r
}

// days is a period in whole days (rounded).
func days(d time.Duration) int64 { return int64((d + 12*time.Hour) / (24 * time.Hour)) }
