package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Evidence is what a recommendation needs: a bin and its baseline bin each
// with at least MinSample deployments (problems, for recurrence), the bin's
// rate at least MinRatio times the baseline's, and at least MinFailed
// failures (recurrences) in the bin. It is a rule of thumb, stated in the
// report, not a significance test.
type Evidence struct {
	MinSample int64   `json:"min_sample"`
	MinRatio  float64 `json:"min_ratio"`
	MinFailed int64   `json:"min_failed"`
}

// DefaultEvidence is the evidence the report asks for (docs/reports.md).
var DefaultEvidence = Evidence{MinSample: 10, MinRatio: 2, MinFailed: 3}

// Kinds of recommendation.
const (
	Recommend    = "recommend"           // a bin is clearly worse than the baseline
	NotEnough    = "not_enough_evidence" // too few deployments (problems) to say
	NoDifference = "no_difference"       // enough of them, and no bin clearly worse
)

// Measures a recommendation is about.
const (
	MeasureFailure    = "failure"    // change failure rate of the problem-fix deployments
	MeasureRecurrence = "recurrence" // recurrence of the problems they fixed
)

// Recommendation is the plain conclusion on one binned dimension and
// measure, with its evidence: the bin's and the baseline's counts.
type Recommendation struct {
	Kind       string   `json:"kind"`
	Dimension  string   `json:"dimension"`
	Measure    string   `json:"measure"`
	Bin        string   `json:"bin,omitempty"`
	Baseline   string   `json:"baseline"`
	Count      int64    `json:"count"` // failed (recurred) in the bin
	Sample     int64    `json:"sample"`
	BaseCount  int64    `json:"baseline_count"`
	BaseSample int64    `json:"baseline_sample"`
	Ratio      *float64 `json:"ratio,omitempty"` // bin rate / baseline rate; absent when the baseline's is 0
	Text       string   `json:"text"`
}

// phrase is how the text names a dimension's bins.
type phrase struct {
	deployments, problems, baseline, action string
	labels                                  map[string]string
}

var phrases = map[string]phrase{
	DimComponents: {"problem-fix releases with %s", "problems fixed by releases with %s", "those with %s", "split them",
		map[string]string{"0": "no component", "1": "1 component", "2-3": "2–3 components", ">3": "more than 3 components"}},
	DimProblems: {"problem-fix releases resolving %s", "problems fixed by releases resolving %s", "those resolving %s",
		"resolve fewer problems per release", map[string]string{"1": "1 problem", "2-3": "2–3 problems", ">3": "more than 3 problems"}},
	DimCommits: {"problem-fix releases of %s", "problems fixed by releases of %s", "those of %s", "split them",
		map[string]string{"<=5": "at most 5 commits", "6-20": "6–20 commits", ">20": "more than 20 commits"}},
	DimFrequency: {"problem fixes on CIs with %s", "problems on CIs with %s", "those on CIs with %s",
		"let each fix pass its observation period before the next one on the same CI",
		map[string]string{"<=1": "at most 1 problem-fix release per 30 days", "1-4": "more than 1 and at most 4 problem-fix releases per 30 days",
			">4": "more than 4 problem-fix releases per 30 days"}},
}

// counts is one bin's numbers for a measure.
type counts struct{ n, of int64 }

func (c counts) rate() *float64 { return Rate(c.n, c.of) }

func measureOf(b Bin, m string) counts {
	if m == MeasureRecurrence {
		return counts{b.Recurrence.Recurred, b.Recurrence.Problems}
	}
	return counts{b.Failure.Failed, b.Failure.Total}
}

// recommend compares every bin of d (but unknown) with its baseline, for
// failure and recurrence: a Recommend for each bin clearly worse on
// evidence e; else one NotEnough when a bin looks worse (or the baseline
// is empty) without enough samples; else one NoDifference.
func recommend(d Binned, e Evidence, period time.Duration) []Recommendation {
	var out []Recommendation
	for _, m := range []string{MeasureFailure, MeasureRecurrence} {
		var base Bin
		for _, b := range d.Bins {
			if b.Bin == d.Baseline {
				base = b
			}
		}
		b0 := measureOf(base, m)
		var recs []Recommendation
		var short []string
		for _, b := range d.Bins {
			c := measureOf(b, m)
			if b.Bin == d.Baseline || b.Bin == Unknown || c.of == 0 {
				continue
			}
			r := Recommendation{Dimension: d.Dimension, Measure: m, Bin: b.Bin, Baseline: d.Baseline,
				Count: c.n, Sample: c.of, BaseCount: b0.n, BaseSample: b0.of}
			worse := b0.of == 0 || *c.rate() > *b0.rate()
			switch {
			case c.of < e.MinSample || b0.of < e.MinSample:
				if worse {
					short = append(short, fmt.Sprintf("%s: %d", b.Bin, c.of))
				}
			case clearlyWorse(c, b0, e):
				r.Kind, r.Ratio = Recommend, ratio(c, b0)
				r.Text = adviceText(d.Dimension, m, b.Bin, d.Baseline, c, b0, period)
				recs = append(recs, r)
			}
		}
		switch {
		case len(recs) > 0:
			out = append(out, recs...)
		case len(short) > 0 || b0.of < e.MinSample:
			r := shortText(d, m, b0, short, e)
			for _, b := range d.Bins {
				if c := measureOf(b, m); b.Bin == Unknown && c.of > 0 {
					r.Text += fmt.Sprintf("; the %s of %d %s are unknown (not recorded, never guessed)", d.Dimension, c.of, unit(m))
				}
			}
			out = append(out, r)
		default:
			out = append(out, Recommendation{Kind: NoDifference, Dimension: d.Dimension, Measure: m, Baseline: d.Baseline,
				BaseCount: b0.n, BaseSample: b0.of, Text: fmt.Sprintf("%s: no bin %s clearly more often than the baseline %s (%d of %d)",
					d.Dimension, verb(m), d.Baseline, b0.n, b0.of)})
		}
	}
	return out
}

// clearlyWorse: both samples large enough (checked by the caller), at
// least e.MinFailed in the bin, and its rate at least e.MinRatio times the
// baseline's (any rate above a baseline of 0).
func clearlyWorse(c, b0 counts, e Evidence) bool {
	if c.n < e.MinFailed {
		return false
	}
	rc, rb := float64(c.n)/float64(c.of), float64(b0.n)/float64(b0.of)
	return rc > rb && rc >= e.MinRatio*rb
}

// ratio is the bin's rate over the baseline's, to one decimal (nil when the
// baseline's is 0).
func ratio(c, b0 counts) *float64 {
	if b0.n == 0 {
		return nil
	}
	r := math.Round(float64(c.n)*float64(b0.of)/(float64(c.of)*float64(b0.n))*10) / 10
	return &r
}

func verb(m string) string {
	if m == MeasureRecurrence {
		return "recurred"
	}
	return "failed"
}

func unit(m string) string {
	if m == MeasureRecurrence {
		return "problems"
	}
	return "deployments"
}

// adviceText is the plain sentence of a recommendation, e.g. "problem-fix
// releases with more than 3 components failed 4× as often as those with 1
// component over 90 days (8 of 20 vs 2 of 20): split them".
func adviceText(dim, m, bin, baseline string, c, b0 counts, period time.Duration) string {
	p := phrases[dim]
	subject := p.deployments
	if m == MeasureRecurrence {
		subject = p.problems
	}
	subject = fmt.Sprintf(subject, p.labels[bin])
	base := fmt.Sprintf(p.baseline, p.labels[baseline])
	if r := ratio(c, b0); r != nil {
		return fmt.Sprintf("%s %s %s× as often as %s over %d days (%d of %d vs %d of %d): %s", subject, verb(m),
			strconv.FormatFloat(*r, 'f', -1, 64), base, days(period), c.n, c.of, b0.n, b0.of, p.action)
	}
	return fmt.Sprintf("%s %s in %d of %d over %d days while none of %d of %s did: %s", subject, verb(m), c.n, c.of,
		days(period), b0.of, base, p.action)
}

// shortText says that there is not enough evidence, and how much there is.
func shortText(d Binned, m string, b0 counts, short []string, e Evidence) Recommendation {
	have := fmt.Sprintf("baseline %s: %d", d.Baseline, b0.of)
	if len(short) > 0 {
		have = strings.Join(short, ", ") + "; " + have
	}
	return Recommendation{Kind: NotEnough, Dimension: d.Dimension, Measure: m, Baseline: d.Baseline, BaseCount: b0.n,
		BaseSample: b0.of, Text: fmt.Sprintf("%s: not enough %s to recommend (%s; each needs at least %d)",
			d.Dimension, unit(m), have, e.MinSample)}
}
