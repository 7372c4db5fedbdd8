// Package report decides the figures of the KPI report (issue 14): what
// counts as a failed deployment, a recurring incident or a fix resolved
// through its release, rates (null on a zero denominator) and percentiles.
// It does no I/O: internal/store loads the facts with set-based SQL and
// these functions turn them into figures.
package report

import (
	"math"
	"sort"
	"time"
)

// Filter bounds a report: records of the period from Since to Now, in
// environment Env and on CI CI ("" matches every one).
type Filter struct {
	Since time.Time `json:"since"`
	Now   time.Time `json:"until"`
	Env   string    `json:"env,omitempty"`
	CI    string    `json:"ci,omitempty"`
}

// Rate returns num/den rounded to 4 decimals, or nil when den is 0 (a
// figure over nothing is unknown, never 0 and never a division by zero).
func Rate(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	r := math.Round(float64(num)/float64(den)*10000) / 10000
	return &r
}

// Percentiles the report gives for every duration.
const (
	Median = 50
	P90    = 90
)

// Rank is the 1-based nearest-rank position of percentile pct (1..100) in
// a sorted sample of n values: ceil(n·pct/100), 0 when n is 0.
func Rank(n, pct int64) int64 {
	if n <= 0 {
		return 0
	}
	return (n*pct + 99) / 100
}

// Durations is one duration figure: its sample size and, when the sample
// is not empty, the median and 90th percentile in whole seconds (nearest
// rank, see Rank).
type Durations struct {
	N         int64  `json:"n"`
	MedianSec *int64 `json:"median_seconds"`
	P90Sec    *int64 `json:"p90_seconds"`
}

// Percentile returns the nearest-rank percentile pct of secs (any order),
// or nil for an empty sample. Used by tests and small in-memory samples;
// the store reads a histogram (DurationsOf).
func Percentile(secs []int64, pct int64) *int64 {
	if len(secs) == 0 {
		return nil
	}
	s := append([]int64(nil), secs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	v := s[Rank(int64(len(s)), pct)-1]
	return &v
}

// ValueCount is one distinct value of a sample with how many times it
// occurs: the store reads a sample as its histogram of whole seconds
// (GROUP BY), ascending, instead of sorting and ranking every value.
type ValueCount struct {
	Seconds, Count int64
}

// DurationsOf builds a Durations figure from a sample's histogram (any
// order): the sample size, and the values at the median and p90 nearest
// ranks (Rank). An empty histogram is a sample of 0.
func DurationsOf(vs []ValueCount) Durations {
	s := append([]ValueCount(nil), vs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Seconds < s[j].Seconds })
	var d Durations
	for _, v := range s {
		d.N += v.Count
	}
	pick := func(pct int64) *int64 {
		r, seen := Rank(d.N, pct), int64(0)
		for _, v := range s {
			if seen += v.Count; r > 0 && seen >= r {
				x := v.Seconds
				return &x
			}
		}
		return nil
	}
	d.MedianSec, d.P90Sec = pick(Median), pick(P90)
	return d
}
