package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/policy"
)

func TestThresholdReadsOnlyPlainComparisons(t *testing.T) {
	for _, c := range []struct {
		cond string
		v    float64
		op   string
		ok   bool
	}{
		{"result < 0.05", 0.05, "<", true},
		{" result>=100 ", 100, ">=", true},
		{"result <= -2.5e-3", -2.5e-3, "<=", true},
		{"result < 0.05 && result > 0", 0, "", false},
		{"result.all(s, s.value < 1)", 0, "", false},
		{"0.05 > result", 0, "", false},
	} {
		v, op, ok := threshold(c.cond)
		if ok != c.ok || v != c.v || op != c.op {
			t.Errorf("threshold(%q) = %v %q %v, want %v %q %v", c.cond, v, op, ok, c.v, c.op, c.ok)
		}
	}
}

func TestMeasuredValue(t *testing.T) {
	for _, c := range []struct {
		raw  string
		v    float64
		text string
		ok   bool
	}{
		{`{"scalar":0.25}`, 0.25, "0.25", true},
		{`{"count":3}`, 3, "3", true},
		{`{"series":[{"labels":{"pod":"a"},"value":1},{"labels":{"pod":"b"},"value":4}]}`, 4, "4 (largest of 2 series)", true},
		{`{}`, 0, "no value", false},
		{`null`, 0, "no value", false},
		{``, 0, "no value", false},
	} {
		v, text, ok := measuredValue(analysis.Measurement{Value: json.RawMessage(c.raw)})
		if v != c.v || text != c.text || ok != c.ok {
			t.Errorf("measuredValue(%s) = %v %q %v, want %v %q %v", c.raw, v, text, ok, c.v, c.text, c.ok)
		}
	}
}

// TestLayoutChart: time runs left to right, larger values sit higher, the
// threshold line is where its value is, and a measurement without a value
// lies on the bottom edge.
func TestLayoutChart(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ms := []analysis.Measurement{
		{Template: "latency", Check: "p99", Kind: "prometheus", At: t0, Value: json.RawMessage(`{"scalar":0.2}`), Outcome: analysis.Successful},
		{Template: "latency", Check: "p99", Kind: "prometheus", At: t0.Add(time.Minute), Value: json.RawMessage(`{"scalar":0.9}`), Outcome: analysis.Failed},
		{Template: "latency", Check: "p99", Kind: "prometheus", At: t0.Add(2 * time.Minute), Value: json.RawMessage(`{}`), Outcome: analysis.Inconclusive},
		{Template: "default", Check: "recurrence", Kind: "recurrence", At: t0, Value: json.RawMessage(`{"count":0}`), Outcome: analysis.Successful},
	}
	pol := policy.Default()
	pol.AnalysisTemplates["latency"] = policy.AnalysisTemplate{Checks: []policy.Check{{Name: "p99",
		Prometheus: &policy.PrometheusCheck{Query: "q", FailureCondition: "result > 0.5"}}}}
	charts := buildCharts(ms, pol)
	if len(charts) != 2 || charts[0].Key != "latency/p99" || charts[1].Key != "default/recurrence" {
		t.Fatalf("charts %+v", charts)
	}
	c := charts[0]
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	p := c.Points
	if len(p) != 3 || f(p[0].X) != chartLeft+xPad || f(p[2].X) != chartLeft+plotW-xPad || f(p[1].X) <= f(p[0].X) {
		t.Fatalf("x: %+v", p)
	}
	if f(p[1].Y) >= f(p[0].Y) || f(p[2].Y) != chartTop+plotH || p[2].Value != "no value" {
		t.Fatalf("y: %+v", p)
	}
	if c.Line == nil || c.Line.Label != "failure above 0.5" || f(c.Line.Y) <= f(p[1].Y) || f(c.Line.Y) >= f(p[0].Y) {
		t.Fatalf("threshold %+v between %s and %s", c.Line, p[1].Y, p[0].Y)
	}
	if len(c.Conditions) != 1 || c.Conditions[0] != "failure when result > 0.5" || p[1].Colour != outcomeColours[analysis.Failed] {
		t.Fatalf("conditions %v, colour %s", c.Conditions, p[1].Colour)
	}
	if charts[1].Conditions != nil {
		t.Fatalf("a check the policy lacks has conditions: %v", charts[1].Conditions)
	}
	var labels []string
	for _, tk := range c.YTicks {
		labels = append(labels, tk.Label)
	}
	if strings.Join(labels, " ") != "0 0.25 0.5 0.75 1" {
		t.Fatalf("y ticks %v", labels)
	}
	one := layoutChart(ms[:1], checkConditions{})
	if f(one.Points[0].X) != chartLeft+plotW/2.0 || one.Line != nil {
		t.Fatalf("a single measurement: %+v", one)
	}
}
