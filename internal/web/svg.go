package web

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// A chart is one check's measurements drawn over time as an inline SVG that
// html/template writes with presentation attributes only (the CSP forbids
// style attributes). Everything here is pure: the template only places
// what these functions computed.

// Chart geometry in viewBox units; the SVG scales to its container.
const (
	chartW, chartH        = 640, 220
	chartLeft, chartRight = 64, 16
	chartTop, chartBottom = 16, 36
	plotW                 = chartW - chartLeft - chartRight
	plotH                 = chartH - chartTop - chartBottom
	chartTicks            = 4
	xPad                  = 10 // keeps the first and last points off the axes
)

// chart is what the template draws for one check.
type chart struct {
	ID         string   // unique in the page, for aria-labelledby
	Key        string   // TEMPLATE/CHECK
	Kind       string   // prometheus, recurrence, incidents
	Conditions []string // the check's conditions as text ("" when the policy no longer has the check)
	Desc       string   // one sentence summing the data, for <desc>
	Points     []chartPoint
	Line       *chartLine  // a numeric threshold read from a condition
	YTicks     []chartTick // y axis labels
	XFrom, XTo time.Time
	W, H       int
	Left, Top  int
	Right, Bot int // the plot's right and bottom edges
	LabelX     int // where the y labels end
	TimeY      int // the baseline of the time labels
	FromText   string
	ToText     string
}

// chartPoint is one measurement.
type chartPoint struct {
	X, Y    string // viewBox coordinates
	Value   string // the number plotted, or "no value"
	At      time.Time
	AtText  string // UTC, for the SVG's own <title> (app.js localises only <time>)
	Stage   string
	Outcome string // analysis outcome: successful, failed, inconclusive, error
	Colour  string // chosen with the shape so outcome is never colour alone
	Message string
	// What the SVG draws, computed here so the template writes few values
	// per point: the shape's path, its fill and stroke, and its <title>.
	Shape, Fill, Stroke, Label string
}

// chartLine is a threshold drawn across the plot.
type chartLine struct {
	Y     string
	Label string // "failure above 0.05"
}

type chartTick struct {
	Y     string
	Label string
}

// outcomeColours are dark enough for AA contrast on white (as app.css's .ok, .bad, .warn).
var outcomeColours = map[string]string{
	analysis.Successful:   "#0a6b2e",
	analysis.Failed:       "#a40e26",
	analysis.Inconclusive: "#7a4d00",
	analysis.Error:        "#4a4a4a",
}

// buildCharts groups ms (oldest first) by check, in the order each check
// was first measured, and lays each out; pol (may be nil) supplies the
// conditions.
func buildCharts(ms []analysis.Measurement, pol *policy.Policy) []chart {
	var keys []string
	by := map[string][]analysis.Measurement{}
	for _, m := range ms {
		k := m.Template + "/" + m.Check
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], m)
	}
	out := make([]chart, 0, len(keys))
	for i, k := range keys {
		c := layoutChart(by[k], conditionsOf(pol, by[k][0]))
		c.ID, c.Key = "chart-"+strconv.Itoa(i+1), k
		out = append(out, c)
	}
	return out
}

// checkConditions is what a check's policy says decides its outcome.
type checkConditions struct {
	Text      []string
	Threshold *float64
	Label     string
}

// conditionsOf finds m's check in pol and states its conditions.
func conditionsOf(pol *policy.Policy, m analysis.Measurement) checkConditions {
	if pol == nil {
		return checkConditions{}
	}
	t, ok := pol.Template(m.Template)
	if !ok {
		return checkConditions{}
	}
	for _, c := range t.Checks {
		if c.Name == m.Check {
			return describeCheck(c)
		}
	}
	return checkConditions{}
}

// describeCheck states c's conditions as text and reads a numeric threshold
// from them when one is plain ("result < 0.05").
func describeCheck(c policy.Check) checkConditions {
	var cc checkConditions
	switch {
	case c.Prometheus != nil:
		p := c.Prometheus
		if p.SuccessCondition != "" {
			cc.Text = append(cc.Text, "success when "+p.SuccessCondition)
			if v, op, ok := threshold(p.SuccessCondition); ok {
				cc.Threshold, cc.Label = &v, "success "+opWords[op]+" "+fmtNum(v)
			}
		}
		if p.FailureCondition != "" {
			cc.Text = append(cc.Text, "failure when "+p.FailureCondition)
			if v, op, ok := threshold(p.FailureCondition); ok {
				cc.Threshold, cc.Label = &v, "failure "+opWords[op]+" "+fmtNum(v)
			}
		}
	case c.Recurrence != nil:
		v := float64(c.Recurrence.MaxMatches)
		cc.Text = []string{fmt.Sprintf("failure when more than %d %s", c.Recurrence.MaxMatches, rollout.RecurrenceWhat)}
		cc.Threshold, cc.Label = &v, "failure above "+fmtNum(v)
	case c.Incidents != nil:
		v := 0.0
		cc.Text = []string{"failure on any " + rollout.IncidentsWhat(rollout.MinSeverity(c.Incidents))}
		cc.Threshold, cc.Label = &v, "failure above 0"
	}
	return cc
}

var thresholdRE = regexp.MustCompile(`^\s*result\s*(<=|>=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$`)

var opWords = map[string]string{"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}

// threshold reads "result OP NUMBER"; any other condition has no line.
func threshold(cond string) (float64, string, bool) {
	m := thresholdRE.FindStringSubmatch(cond)
	if m == nil {
		return 0, "", false
	}
	v, err := strconv.ParseFloat(m[2], 64)
	return v, m[1], err == nil
}

// measuredValue is the number a measurement plots: a scalar, the largest
// of several series (said so in the text), or a count; ok is false for
// no data or an error.
func measuredValue(m analysis.Measurement) (v float64, text string, ok bool) {
	var x struct {
		Scalar *float64          `json:"scalar"`
		Series []analysis.Series `json:"series"`
		Count  *int              `json:"count"`
	}
	if len(m.Value) == 0 || json.Unmarshal(m.Value, &x) != nil {
		return 0, "no value", false
	}
	switch {
	case x.Count != nil:
		return float64(*x.Count), strconv.Itoa(*x.Count), true
	case x.Scalar != nil && !math.IsNaN(*x.Scalar) && !math.IsInf(*x.Scalar, 0):
		return *x.Scalar, fmtNum(*x.Scalar), true
	case len(x.Series) > 0:
		best, seen := math.Inf(-1), false
		for _, s := range x.Series {
			if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) && s.Value > best {
				best, seen = s.Value, true
			}
		}
		if seen {
			return best, fmt.Sprintf("%s (largest of %d series)", fmtNum(best), len(x.Series)), true
		}
	}
	return 0, "no value", false
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// layoutChart places ms (one check, oldest first) on the plot: time along x,
// the value up y, with the threshold line when cc has one. A measurement
// without a value sits on the bottom edge and says "no value".
func layoutChart(ms []analysis.Measurement, cc checkConditions) chart {
	c := chart{Kind: ms[0].Kind, Conditions: cc.Text, W: chartW, H: chartH, Left: chartLeft, Top: chartTop,
		Right: chartLeft + plotW, Bot: chartTop + plotH, XFrom: ms[0].At, XTo: ms[len(ms)-1].At,
		LabelX: chartLeft - 6, TimeY: chartTop + plotH + 22}
	c.FromText, c.ToText = utcText(c.XFrom), utcText(c.XTo)
	vals := make([]float64, len(ms))
	texts := make([]string, len(ms))
	has := make([]bool, len(ms))
	lo, hi := 0.0, math.Inf(-1)
	for i, m := range ms {
		vals[i], texts[i], has[i] = measuredValue(m)
		if has[i] {
			lo, hi = math.Min(lo, vals[i]), math.Max(hi, vals[i])
		}
	}
	if cc.Threshold != nil {
		lo, hi = math.Min(lo, *cc.Threshold), math.Max(hi, *cc.Threshold)
	}
	if math.IsInf(hi, -1) || hi <= lo {
		hi = lo + 1
	}
	lo, hi, step := niceScale(lo, hi+(hi-lo)*0.05, chartTicks)
	y := func(v float64) float64 { return chartTop + plotH*(1-(v-lo)/(hi-lo)) }
	span := c.XTo.Sub(c.XFrom)
	counts := map[string]int{}
	for i, m := range ms {
		x := chartLeft + plotW/2.0
		if span > 0 {
			x = chartLeft + xPad + (plotW-2*xPad)*float64(m.At.Sub(c.XFrom))/float64(span)
		}
		py := float64(chartTop + plotH)
		if has[i] {
			py = y(vals[i])
		}
		counts[m.Outcome]++
		p := chartPoint{X: coord(x), Y: coord(py), Value: texts[i], At: m.At, AtText: utcText(m.At), Stage: m.Stage,
			Outcome: m.Outcome, Colour: outcomeColour(m.Outcome), Message: m.Message}
		p.Shape, p.Fill, p.Stroke = pointShape(p.X, p.Y, m.Outcome, p.Colour)
		p.Label = fmt.Sprintf("%s: %s at %s, stage %s", m.Outcome, p.Value, p.AtText, m.Stage)
		c.Points = append(c.Points, p)
	}
	for v := lo; v <= hi+step/2; v += step {
		c.YTicks = append(c.YTicks, chartTick{Y: coord(y(v)), Label: fmtNum(v)})
	}
	if cc.Threshold != nil {
		c.Line = &chartLine{Y: coord(y(*cc.Threshold)), Label: cc.Label}
	}
	c.Desc = describeChart(ms, counts, cc)
	return c
}

// niceScale widens [lo, hi] to whole steps of 1, 2, 2.5 or 5 × 10^k, about
// ticks of them, so the axis labels read well.
func niceScale(lo, hi float64, ticks int) (float64, float64, float64) {
	x := (hi - lo) / float64(ticks)
	p := math.Pow(10, math.Floor(math.Log10(x)))
	step := 10 * p
	switch f := x / p; {
	case f <= 1:
		step = p
	case f <= 2:
		step = 2 * p
	case f <= 2.5:
		step = 2.5 * p
	case f <= 5:
		step = 5 * p
	}
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

// pointShape draws a measurement at (x, y) by its outcome: a circle when
// successful, a square when failed, a diamond when inconclusive, a cross
// for an error. It returns the path and its fill and stroke.
func pointShape(x, y, outcome, colour string) (d, fill, stroke string) {
	at := "M" + x + " " + y
	switch outcome {
	case analysis.Successful:
		return at + " m-5 0 a5 5 0 1 0 10 0 a5 5 0 1 0 -10 0 z", colour, "none"
	case analysis.Failed:
		return at + " m-5 -5 h10 v10 h-10 z", colour, "none"
	case analysis.Inconclusive:
		return at + " m0 -6 l6 6 l-6 6 l-6 -6 z", colour, "none"
	}
	return at + " m-5 -5 l10 10 m0 -10 l-10 10", "none", colour
}

func outcomeColour(o string) string {
	if c, ok := outcomeColours[o]; ok {
		return c
	}
	return outcomeColours[analysis.Error]
}

// describeChart sums a chart up in one sentence for <desc>.
func describeChart(ms []analysis.Measurement, counts map[string]int, cc checkConditions) string {
	s := fmt.Sprintf("%d measurements from %s to %s: %d successful, %d failed, %d inconclusive, %d errors.",
		len(ms), utcText(ms[0].At), utcText(ms[len(ms)-1].At),
		counts[analysis.Successful], counts[analysis.Failed], counts[analysis.Inconclusive], counts[analysis.Error])
	for _, t := range cc.Text {
		s += " " + t + "."
	}
	return s
}

func utcText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
