package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Binned dimensions: release size (of the deployment's release; of the
// release that resolved the problem) and release frequency (problem-fix
// releases per CI per 30 days).
const (
	DimComponents = "components" // component versions the release carries
	DimProblems   = "problems"   // problems the release resolves
	DimCommits    = "commits"    // commits of the release's recorded git range; N < 0: unknown
	DimFrequency  = "frequency"  // problem-fix releases of the CI per 30 days
)

// SizeDims lists the release-size dimensions in report order.
var SizeDims = []string{DimComponents, DimProblems, DimCommits}

// Unknown is the bin of releases whose measure fixgate does not know (the
// commits of a release without a recorded count): never guessed.
const Unknown = "unknown"

// binDef is one bin: values up to Max (inclusive; the last bin has no
// bound). Values below the first bin fall into it.
type binDef struct {
	Key string
	Max float64
}

const noBound = -1

// binDefs are the bins of each binned dimension, in order.
var binDefs = map[string][]binDef{
	DimComponents: {{"0", 0}, {"1", 1}, {"2-3", 3}, {">3", noBound}},
	DimProblems:   {{"1", 1}, {"2-3", 3}, {">3", noBound}},
	DimCommits:    {{"<=5", 5}, {"6-20", 20}, {">20", noBound}},
	DimFrequency:  {{"<=1", 1}, {"1-4", 4}, {">4", noBound}},
}

// Baselines are the bins the others of a dimension are compared with: the
// smallest releases, the least frequent fixes.
var Baselines = map[string]string{DimComponents: "1", DimProblems: "1", DimCommits: "<=5", DimFrequency: "<=1"}

// binOf returns the key of the bin of value v in dim ("unknown" for a
// negative size: not recorded).
func binOf(dim string, v float64) string {
	if v < 0 {
		return Unknown
	}
	defs := binDefs[dim]
	for _, d := range defs {
		if d.Max == noBound || v <= d.Max {
			return d.Key
		}
	}
	return defs[len(defs)-1].Key
}

// RecurrenceCount is recurred of the problems resolved by a problem-fix
// deployment in the period (problems is the sample size), the rate (nil
// when problems is 0) and the recurred problems.
type RecurrenceCount struct {
	Recurred int64    `json:"recurred"`
	Problems int64    `json:"problems"`
	Rate     *float64 `json:"rate"`
	IDs      []string `json:"recurred_problems"`
}

// Bin is one bin of a binned dimension: the failure of the problem-fix
// deployments and the recurrence of the problems fixed in it; CIs lists the
// CIs of a frequency bin.
type Bin struct {
	Bin        string          `json:"bin"`
	Failure    FailureCount    `json:"failure"`
	Recurrence RecurrenceCount `json:"recurrence"`
	CIs        []string        `json:"cis,omitempty"`
}

// Binned is one binned dimension, its bins in order, and the baseline bin
// the others are compared with.
type Binned struct {
	Dimension string `json:"dimension"`
	Baseline  string `json:"baseline"`
	Bins      []Bin  `json:"bins"`
}

// value is the measure a fact of dim is binned by: N, or for frequency the
// CI's releases per 30 days over the period.
func value(dim string, n int64, period time.Duration) float64 {
	if dim != DimFrequency {
		return float64(n)
	}
	if period <= 0 {
		return 0
	}
	return float64(n) * float64(30*24*time.Hour) / float64(period)
}

// binned sums the facts of dim into its bins (every bin listed, zeros
// included; "unknown" for commits).
func binned(dim string, x PatternFacts, period time.Duration) Binned {
	defs := binDefs[dim]
	out := Binned{Dimension: dim, Baseline: Baselines[dim]}
	keys := make([]string, 0, len(defs)+1)
	for _, d := range defs {
		keys = append(keys, d.Key)
	}
	if dim == DimCommits {
		keys = append(keys, Unknown)
	}
	bins := map[string]*Bin{}
	for _, k := range keys {
		bins[k] = &Bin{Bin: k, Failure: FailureCount{Deployments: []string{}}, Recurrence: RecurrenceCount{IDs: []string{}}}
	}
	at := func(n int64) *Bin { return bins[binOf(dim, value(dim, n, period))] }
	tallyFailures(dim, x, func(_ string, n int64) *FailureCount { return &at(n).Failure })
	for _, g := range x.Problems {
		if g.Dim == dim {
			b := at(g.N)
			b.Recurrence.Problems += g.Count
			if g.Recurred {
				b.Recurrence.Recurred += g.Count
			}
		}
	}
	for _, r := range x.Recurred {
		if r.Dim == dim {
			b := at(r.N)
			b.Recurrence.IDs = append(b.Recurrence.IDs, r.Problem)
		}
	}
	if dim == DimFrequency {
		for _, k := range keys {
			bins[k].CIs = []string{}
		}
		for _, c := range sortedKeys(x.CIReleases) {
			b := at(x.CIReleases[c])
			b.CIs = append(b.CIs, c)
		}
	}
	for _, k := range keys {
		b := bins[k]
		b.Failure.Rate, b.Recurrence.Rate = Rate(b.Failure.Failed, b.Failure.Total), Rate(b.Recurrence.Recurred, b.Recurrence.Problems)
		b.Failure.Deployments, b.Recurrence.IDs = sortedIDs(b.Failure.Deployments), sortedIDs(b.Recurrence.IDs)
		out.Bins = append(out.Bins, *b)
	}
	return out
}

// sortedIDs sorts record ids (PREFIX-n) by number and drops repeats (a
// deployment with two keys in one bin is listed once). Each id's number
// is parsed once; ids already in order (the store lists candidates in id
// order) are only compacted.
func sortedIDs(ids []string) []string {
	type num struct {
		n  int64
		id string
	}
	ns := make([]num, len(ids))
	sorted := true
	for i, id := range ids {
		n, _ := strconv.ParseInt(id[strings.LastIndexByte(id, '-')+1:], 10, 64)
		ns[i] = num{n, id}
		sorted = sorted && (i == 0 || ns[i-1].n < n || ns[i-1].n == n && ns[i-1].id <= id)
	}
	if !sorted {
		slices.SortFunc(ns, func(a, b num) int {
			if c := cmp.Compare(a.n, b.n); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		for i := range ns {
			ids[i] = ns[i].id
		}
	}
	out := slices.Compact(ids)
	if out == nil {
		out = []string{}
	}
	return out
}
