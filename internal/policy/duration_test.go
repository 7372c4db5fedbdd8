package policy_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/policy"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * day}, {"72h", 72 * time.Hour}, {"1d12h", 36 * time.Hour}, {"2w", 14 * day},
		{"7y", 7 * 365 * day}, {"90m", 90 * time.Minute}, {"45s", 45 * time.Second}, {"0", 0}, {" 0d ", 0},
		{"500ms", 500 * time.Millisecond}, {"1m500ms", time.Minute + 500*time.Millisecond}, {"1ms", time.Millisecond},
		{"2m", 2 * time.Minute}, {"1500ms", 1500 * time.Millisecond}, {"1h1m1s1ms", time.Hour + time.Minute + time.Second + time.Millisecond},
	}
	for _, tt := range ok {
		got, err := policy.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, _ := policy.ParseDuration(policy.FormatDuration(got)); back != got {
			t.Errorf("FormatDuration(%v) = %q does not read back", got, policy.FormatDuration(got))
		}
	}
	for _, in := range []string{"", "d", "30", "-1d", "1.5d", "30 days", "1x", "999999999999y", "1d-2h", "12345678901234d",
		"500us", "500ns", "1.5s", "5mss", "ms", "1sm"} {
		if got, err := policy.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
	for d, want := range map[time.Duration]string{36 * time.Hour: "1d12h", 500 * time.Millisecond: "500ms",
		time.Minute + 1500*time.Millisecond: "1m1s500ms", 8 * day: "1w1d", 0: "0", -time.Second: "0",
		time.Nanosecond: "1ms", 2*time.Second + time.Microsecond: "2s1ms"} {
		if got := policy.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", time.Duration(d), got, want)
		}
	}
}

// FuzzDurationRoundTrip: for every duration ParseDuration returns,
// FormatDuration writes what ParseDuration reads back as the same value;
// and FormatDuration of any positive duration reads back, within a
// millisecond (rounded up; down only where up would overflow), never as 0.
func FuzzDurationRoundTrip(f *testing.F) {
	for _, s := range []string{"30d", "1d12h", "7y", "500ms", "1m500ms", "999999999999ms", "0", "1w2d3h4m5s6ms", "15250w"} {
		f.Add(s, int64(0))
	}
	f.Add("", int64(math.MaxInt64))
	f.Add("", int64(1))
	f.Add("", int64(1500*time.Microsecond))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		if d, err := policy.ParseDuration(s); err == nil {
			text := policy.FormatDuration(d)
			back, err := policy.ParseDuration(text)
			if err != nil || back != d {
				t.Fatalf("ParseDuration(%q) = %v, FormatDuration = %q, which reads back as %v, %v", s, d, text, back, err)
			}
		}
		d := time.Duration(n)
		if d <= 0 {
			return
		}
		text := policy.FormatDuration(d)
		back, err := policy.ParseDuration(text)
		if err != nil || back <= 0 || back%time.Millisecond != 0 || back-d >= time.Millisecond || d-back >= time.Millisecond ||
			back < d && d <= math.MaxInt64-time.Millisecond || strings.Contains(text, "ns") {
			t.Fatalf("FormatDuration(%d) = %q reads back as %v, %v", n, text, back, err)
		}
	})
}

// TestSubSecondKeys: milliseconds are taken by the keys that time the
// engine's own steps (analysis interval and initial delay, stage
// duration, driver timeouts) and refused, naming the key and its line, by
// the periods records are kept by. The interval keeps its floor.
func TestSubSecondKeys(t *testing.T) {
	const head = "analysis_templates:\n  fast:\n    checks:\n      - name: errors\n        prometheus:\n          query: up\n" +
		"          failure_condition: result > 1\n"
	yes := head + "          interval: 500ms\n          initial_delay: 1s250ms\n" +
		"drivers:\n  shell: {exec: {command: [\"true\"], timeout: 1500ms}}\n  hook: {webhook: {url: \"https://x.example/\", secret_env: S, timeout: 750ms}}\n" +
		"paths:\n  quick: [{name: canary, weight: 10, duration: 2s500ms}, {name: full, weight: 100}]\n"
	p, err := policy.Parse([]byte(yes))
	if err != nil {
		t.Fatal(err)
	}
	c := p.AnalysisTemplates["fast"].Checks[0].Prometheus
	if c.Interval != policy.Duration(500*time.Millisecond) || c.InitialDelay != policy.Duration(1250*time.Millisecond) ||
		p.Drivers["shell"].Exec.Timeout != policy.Duration(1500*time.Millisecond) || p.Drivers["hook"].Webhook.Timeout != policy.Duration(750*time.Millisecond) ||
		p.Paths["quick"][0].Duration != policy.Duration(2500*time.Millisecond) {
		t.Fatalf("sub-second values: %+v %+v %+v", c, p.Drivers, p.Paths)
	}
	again, err := policy.Parse([]byte(mustYAML(t, p))) // the stored form reads back the same
	if err != nil || again.Hash() != p.Hash() {
		t.Fatalf("the policy with milliseconds does not read back: %v", err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"observation_periods: {1: 1ms}\n", "line 1: observation_periods.1: 1ms: must be whole seconds"},
		{"observation_periods: {2: 1d500ms}\n", "observation_periods.2: 1d500ms: must be whole seconds"},
		{"watch_max: 1h1ms\n", "watch_max: 1h1ms: must be whole seconds"},
		{"environments:\n  prod-eu: {watch: 500ms}\n", "line 2: environments.prod-eu.watch: 500ms: must be whole seconds"},
		{"change_models:\n  quick: {default_change_type: standard, watch: 10s5ms}\n", "change_models.quick.watch: 10s5ms: must be whole seconds"},
		{"retention_classes:\n  brief: {keep: 999ms}\n", "retention_classes.brief.keep: 999ms: must be whole seconds"},
		{"change_models:\n  quick: {default_change_type: standard, rollout_path: [{name: full, weight: 100}], targets: {mttr_below: 1h5ms}}\n", "mttr_below: 1h5ms: must be whole seconds"},
		{head + "          interval: 50ms\n", "line 8: analysis_templates.fast.checks[0].prometheus.interval: must be at least 100ms"},
	} {
		_, err := policy.Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}

func mustYAML(t *testing.T, p *policy.Policy) string {
	t.Helper()
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
