package analysis_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/policy"
)

// promCheck parses a policy with one prometheus check whose extra keys
// (flow-mapping entries) are given, and returns it.
func promCheck(t *testing.T, keys string) policy.Check {
	t.Helper()
	p, err := policy.Parse([]byte("analysis_templates:\n  t:\n    checks:\n      - name: c\n        prometheus: {query: up, " + keys + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := p.Template("t")
	return tp.Checks[0]
}

func num(v float64) analysis.Result { return analysis.Result{Scalar: &v} }

func vec(values ...float64) analysis.Result {
	var r analysis.Result
	for i, v := range values {
		r.Series = append(r.Series, analysis.Series{Labels: map[string]string{"pod": string(rune('a' + i))}, Value: v})
	}
	return r
}

func TestClassify(t *testing.T) {
	const fail, succ = "failure_condition: result > 0.05", "success_condition: result < 0.01"
	tests := []struct {
		name, keys string
		r          analysis.Result
		want, msg  string
	}{
		{"failure holds", fail, num(0.07), analysis.Failed, "value 0.07: failure condition holds"},
		{"failure does not hold", fail, num(0.01), analysis.Successful, "success"},
		{"success holds", succ, num(0.001), analysis.Successful, "success condition holds"},
		{"success does not hold", succ, num(0.02), analysis.Failed, "failure"},
		{"both, neither", succ + ", " + fail, num(0.03), analysis.Inconclusive, "neither"},
		{"both, failure wins", "success_condition: result > 0, " + fail, num(0.07), analysis.Failed, "failure"},
		{"no data default", fail, analysis.Result{}, analysis.Inconclusive, "no data (no_data: inconclusive)"},
		{"no data fail", fail + ", no_data: fail", analysis.Result{}, analysis.Failed, "no_data: fail"},
		{"no data error", fail + ", no_data: error", analysis.Result{}, analysis.Error, "no_data: error"},
		{"no data pass", fail + ", no_data: pass", analysis.Result{}, analysis.Successful, "no_data: pass"},
		{"NaN scalar is no data", fail, num(math.NaN()), analysis.Inconclusive, "NaN"},
		{"NaN scalar, no_data fail", fail + ", no_data: fail", num(math.NaN()), analysis.Failed, "NaN"},
		{"all series NaN", "failure_condition: 'result.exists(s, s.value > 1)'", vec(math.NaN(), math.NaN()), analysis.Inconclusive, "all 2 series are NaN"},
		{"NaN series left out", "success_condition: 'result.all(s, s.value < 1)'", vec(0.5, math.NaN()), analysis.Successful, "1 series (1 NaN left out)"},
		{"+Inf compares", fail, num(math.Inf(1)), analysis.Failed, "failure"},
		{"any series", "failure_condition: 'result.exists(s, s.value > 1)'", vec(0.5, 2), analysis.Failed, "2 series: failure"},
		{"all series", "success_condition: 'result.all(s, s.value < 1)'", vec(0.5, 0.9), analysis.Successful, "2 series"},
		{"several series, scalar condition", fail, vec(0.01, 0.02), analysis.Error, "the query returned 2 series; a condition over several series must say result.exists"},
		{"scalar, list condition", "success_condition: 'result.all(s, s.value < 1)'", num(0.5), analysis.Error, "the query returned one number"},
		{"non-bool", "success_condition: result", num(0.5), analysis.Error, "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := analysis.Classify(promCheck(t, tt.keys).Prometheus, tt.r)
			if got != tt.want || !strings.Contains(msg, tt.msg) {
				t.Errorf("Classify = %s %q; want %s containing %q", got, msg, tt.want, tt.msg)
			}
		})
	}
}

// ms builds measurements from outcome letters: s successful, f failed,
// i inconclusive, e error.
func ms(outcomes string) []analysis.Measurement {
	names := map[rune]string{'s': analysis.Successful, 'f': analysis.Failed, 'i': analysis.Inconclusive, 'e': analysis.Error}
	var out []analysis.Measurement
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, o := range outcomes {
		out = append(out, analysis.Measurement{At: t0.Add(time.Duration(i) * time.Minute), Outcome: names[o], Message: "m" + string(o)})
	}
	return out
}

func TestJudge(t *testing.T) {
	const base = "failure_condition: result > 1"
	tests := []struct {
		name, keys, outcomes string
		ended                bool
		want, reason         string
	}{
		{"nothing yet", base, "", false, analysis.Running, "0 measurements"},
		{"good so far", base, "ss", false, analysis.Running, "2 measurements"},
		{"first failure fails", base, "ssf", false, analysis.Failing, "measurement failed: mf"},
		{"failure within limit", base + ", failure_limit: 1", "sfs", false, analysis.Running, ""},
		{"failure over limit", base + ", failure_limit: 1", "sfsf", false, analysis.Failing, "2 failed measurements exceed failure_limit 1"},
		{"first inconclusive pauses", base, "si", false, analysis.Paused, "1 inconclusive measurements exceed inconclusive_limit 0"},
		{"inconclusive within limit", base + ", inconclusive_limit: 2", "isi", false, analysis.Running, ""},
		{"four errors retry", base, "seeee", false, analysis.Running, ""},
		{"fifth error in a row fails", base, "seeeee", false, analysis.Failing, "5 errors in a row exceed consecutive_error_limit 4; last: me"},
		{"errors broken by a success", base, "eeeeseeee", false, analysis.Running, ""},
		{"an earlier run still counts", base, "eeeeesss", false, analysis.Failing, "errors in a row"},
		{"error limit set", base + ", consecutive_error_limit: 1", "ee", false, analysis.Failing, "consecutive_error_limit 1"},
		{"count reached", base + ", count: 3", "sss", false, analysis.Passed, "3 of 3 measurements successful"},
		{"errors are not counted", base + ", count: 3", "sees", false, analysis.Running, ""},
		{"count reached with tolerated failure", base + ", count: 3, failure_limit: 1", "sfs", false, analysis.Passed, "2 of 3"},
		{"count reached without success", base + ", count: 2, inconclusive_limit: 5", "ii", false, analysis.Paused, "no successful measurement"},
		{"stage ended with evidence", base, "ss", true, analysis.Passed, "2 of 2"},
		{"stage ended without evidence", base, "", true, analysis.Paused, "no evidence"},
		{"stage ended with errors only", base, "ee", true, analysis.Paused, "0 taken, 2 errors"},
		{"stage ended, failure still fails", base, "sf", true, analysis.Failing, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := analysis.Judge(promCheck(t, tt.keys), ms(tt.outcomes), tt.ended)
			if got != tt.want || !strings.Contains(reason, tt.reason) {
				t.Errorf("Judge(%s) = %s %q; want %s containing %q", tt.outcomes, got, reason, tt.want, tt.reason)
			}
		})
	}
}

func TestJudgeCountChecks(t *testing.T) {
	rec := policy.Check{Name: "r", Recurrence: &policy.RecurrenceCheck{MaxMatches: 2}}
	inc := policy.Check{Name: "i", Incidents: &policy.IncidentsCheck{MinSeverity: 2}}
	if analysis.CountLimit(rec) != 2 || analysis.CountLimit(inc) != 0 {
		t.Errorf("CountLimit = %d, %d; want 2, 0", analysis.CountLimit(rec), analysis.CountLimit(inc))
	}
	for _, tt := range []struct{ limit, n int }{{0, 0}, {0, 1}, {2, 2}, {2, 3}} {
		want := analysis.Successful
		if tt.n > tt.limit {
			want = analysis.Failed
		}
		if got := analysis.JudgeCount(tt.limit, tt.n); got != want {
			t.Errorf("JudgeCount(%d, %d) = %s, want %s", tt.limit, tt.n, got, want)
		}
	}
	if got, _ := analysis.Judge(inc, ms("ssf"), false); got != analysis.Failing {
		t.Errorf("incidents check with a failed measurement = %s, want failed", got)
	}
	if got, _ := analysis.Judge(rec, ms("s"), false); got != analysis.Running {
		t.Errorf("recurrence check mid-stage = %s, want running", got)
	}
	if got, _ := analysis.Judge(rec, ms("s"), true); got != analysis.Passed {
		t.Errorf("recurrence check at stage end = %s, want passed", got)
	}
	if got, _ := analysis.Judge(rec, ms("eeeee"), false); got != analysis.Failing {
		t.Errorf("recurrence check with 5 errors in a row = %s, want failed", got)
	}
}

func TestDue(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration, outcome string) analysis.Measurement {
		return analysis.Measurement{At: t0.Add(d), Outcome: outcome}
	}
	s, e := analysis.Successful, analysis.Error
	tests := []struct {
		name, keys string
		ms         []analysis.Measurement
		now        time.Duration
		next       time.Duration
		done       bool
	}{
		{"first after initial delay", "initial_delay: 2m", nil, 0, 2 * time.Minute, false},
		{"first at once", "", nil, 0, 0, false},
		{"interval after the latest", "interval: 30s", []analysis.Measurement{at(time.Minute, s), at(0, s)}, time.Minute, 90 * time.Second, false},
		{"default interval", "", []analysis.Measurement{at(0, s)}, 0, time.Minute, false},
		{"error retried sooner", "interval: 5m", []analysis.Measurement{at(0, s), at(5*time.Minute, e)}, 5 * time.Minute, 5*time.Minute + 10*time.Second, false},
		{"error retry never later than interval", "interval: 5s", []analysis.Measurement{at(0, e)}, 0, 5 * time.Second, false},
		{"overdue is now", "interval: 1m", []analysis.Measurement{at(0, s)}, time.Hour, time.Hour, false},
		{"count reached", "count: 2", []analysis.Measurement{at(0, s), at(time.Minute, analysis.Failed)}, time.Hour, -1, true},
		{"errors do not count", "count: 2", []analysis.Measurement{at(0, s), at(time.Minute, e)}, time.Minute, time.Minute + 10*time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := promCheck(t, "failure_condition: result > 1"+map[bool]string{true: ", " + tt.keys, false: ""}[tt.keys != ""]).Prometheus
			next, done := analysis.Due(c, t0, tt.ms, t0.Add(tt.now))
			want := t0.Add(tt.next)
			if tt.done {
				want = time.Time{}
			}
			if done != tt.done || !next.Equal(want) {
				t.Errorf("Due = %v, %v; want %v, %v", next, done, want, tt.done)
			}
		})
	}
}
