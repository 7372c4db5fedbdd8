package policy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// tmpl is a valid analysis_templates section with one prometheus check whose
// body (indented lines under prometheus:) the caller gives; it starts on line 1.
func tmpl(body string) string {
	return "analysis_templates:\n  t:\n    checks:\n      - name: c\n        prometheus:\n" + body
}

// TestRolloutRefusals: every refusal of the rollout keys names the field
// path and the line it sits on.
func TestRolloutRefusals(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		path, want string
	}{
		{"path name", "paths:\n  Bad:\n    - {name: full, weight: 100}\n", 2, "paths.Bad", "is not a valid name"},
		{"path stage template", "paths:\n  p:\n    - {name: full, weight: 100, analysis: [nope]}\n", 3,
			"paths.p[0].analysis[0]", `"nope" names no analysis template; define it under analysis_templates`},
		{"path weights", "paths:\n  p:\n    - {name: a, weight: 50}\n", 2, "paths.p", "the last stage must reach weight 100"},
		{"model health check", "change_models:\n  x:\n    default_change_type: normal\n    rollout_path: [{name: full, weight: 100}]\n    health_checks: [error_rate]\n",
			5, "change_models.x.health_checks[0]", `"error_rate" names no analysis template; define it under analysis_templates`},
		{"model stage template", "change_models:\n  x:\n    default_change_type: normal\n    rollout_path:\n      - {name: full, weight: 100, analysis: [x]}\n",
			5, "change_models.x.rollout_path[0].analysis[0]", "names no analysis template"},
		{"driver name", "drivers:\n  D:\n    reported: {}\n", 2, "drivers.D", "is not a valid name"},
		{"driver without kind", "drivers:\n  d: {}\n", 2, "drivers.d", "must set exactly one of exec, webhook or reported (it sets 0)"},
		{"driver two kinds", "drivers:\n  d:\n    exec: {command: [a]}\n    reported: {}\n", 2, "drivers.d", "(it sets 2)"},
		{"exec command", "drivers:\n  d:\n    exec: {command: []}\n", 3, "drivers.d.exec.command", "is required"},
		{"exec empty program", "drivers:\n  d:\n    exec:\n      command: ['']\n", 4, "drivers.d.exec.command", "is required"},
		{"webhook relative", "drivers:\n  d:\n    webhook:\n      url: /hook\n      secret_env: S\n", 4, "drivers.d.webhook.url", "is not an absolute http(s) URL"},
		{"webhook scheme", "drivers:\n  d:\n    webhook:\n      url: ftp://h/x\n      secret_env: S\n", 4, "drivers.d.webhook.url", "is not an absolute http(s) URL"},
		{"webhook credentials", "drivers:\n  d:\n    webhook:\n      url: https://u:p@h/x\n      secret_env: S\n", 4, "drivers.d.webhook.url", "must not carry credentials"},
		{"webhook secret_env", "drivers:\n  d:\n    webhook:\n      url: https://h/x\n      secret_env: 1-BAD\n", 5, "drivers.d.webhook.secret_env", "is not an environment variable name"},
		{"webhook no secret_env", "drivers:\n  d:\n    webhook:\n      url: https://h/x\n", 3, "drivers.d.webhook.secret_env", "is not an environment variable name"},
		{"template name", "analysis_templates:\n  T:\n    checks: [{name: c, recurrence: {max_matches: 0}}]\n", 2, "analysis_templates.T", "is not a valid name"},
		{"template no checks", "analysis_templates:\n  t:\n    checks: []\n", 3, "analysis_templates.t.checks", "needs at least one check"},
		{"check name", "analysis_templates:\n  t:\n    checks:\n      - {name: '', recurrence: {max_matches: 0}}\n", 4, "analysis_templates.t.checks[0].name", "is not a valid name"},
		{"check twice", "analysis_templates:\n  t:\n    checks:\n      - {name: c, recurrence: {max_matches: 0}}\n      - {name: c, incidents: {min_severity: 1}}\n",
			5, "analysis_templates.t.checks[1].name", `check "c" is defined twice`},
		{"check two kinds", "analysis_templates:\n  t:\n    checks:\n      - name: c\n        recurrence: {max_matches: 0}\n        incidents: {min_severity: 2}\n",
			4, "analysis_templates.t.checks[0]", "must set exactly one of prometheus, recurrence or incidents (it sets 2)"},
		{"check no kind", "analysis_templates:\n  t:\n    checks:\n      - name: c\n", 4, "analysis_templates.t.checks[0]", "(it sets 0)"},
		{"recurrence negative", "analysis_templates:\n  t:\n    checks:\n      - name: c\n        recurrence: {max_matches: -1}\n",
			5, "analysis_templates.t.checks[0].recurrence.max_matches", "must be 0 or more"},
		{"incidents severity", "analysis_templates:\n  t:\n    checks:\n      - name: c\n        incidents: {min_severity: 5}\n",
			5, "analysis_templates.t.checks[0].incidents.min_severity", "must be 1..4"},
		{"query empty", tmpl("          query: ' '\n          failure_condition: result > 1\n"), 6, "analysis_templates.t.checks[0].prometheus.query", "is required"},
		{"query variable", tmpl("          query: 'up{env=\"{{ foo }}\"}'\n          failure_condition: result > 1\n"), 6,
			"analysis_templates.t.checks[0].prometheus.query", "uses unknown variable {{foo}}; the variables are {{version}}, {{previous_version}}"},
		{"count", tmpl("          query: up\n          count: -1\n          failure_condition: result > 1\n"), 7, "analysis_templates.t.checks[0].prometheus.count", "must be 0 or more"},
		{"failure_limit", tmpl("          query: up\n          failure_limit: -2\n          failure_condition: result > 1\n"), 7, "analysis_templates.t.checks[0].prometheus.failure_limit", "must be 0 or more"},
		{"inconclusive_limit", tmpl("          query: up\n          inconclusive_limit: -1\n          failure_condition: result > 1\n"), 7, "analysis_templates.t.checks[0].prometheus.inconclusive_limit", "must be 0 or more"},
		{"consecutive_error_limit", tmpl("          query: up\n          consecutive_error_limit: -1\n          failure_condition: result > 1\n"), 7, "analysis_templates.t.checks[0].prometheus.consecutive_error_limit", "must be 0 or more"},
		{"no_data", tmpl("          query: up\n          no_data: maybe\n          failure_condition: result > 1\n"), 7, "analysis_templates.t.checks[0].prometheus.no_data", "must be one of fail, inconclusive, error, pass"},
		{"no condition", tmpl("          query: up\n"), 5, "analysis_templates.t.checks[0].prometheus", "needs success_condition or failure_condition"},
		{"condition syntax", tmpl("          query: up\n          failure_condition: 'result >'\n"), 7, "analysis_templates.t.checks[0].prometheus.failure_condition", "does not compile"},
		{"condition variable", tmpl("          query: up\n          success_condition: 'value < 1'\n"), 7, "analysis_templates.t.checks[0].prometheus.success_condition", "undeclared reference to 'value'"},
		{"condition not boolean", tmpl("          query: up\n          success_condition: \"'yes'\"\n"), 7, "analysis_templates.t.checks[0].prometheus.success_condition", "must be a boolean expression"},
		{"env name", "environments:\n  Prod: {watch: 1h}\n", 2, "environments.Prod", "is not a valid name"},
		{"env driver", "environments:\n  prod:\n    driver: nope\n", 3, "environments.prod.driver", `"nope" names no driver; define it under drivers`},
		{"env path", "environments:\n  prod:\n    path: nope\n", 3, "environments.prod.path", `"nope" names no path; define it under paths`},
		{"requires itself", "environments:\n  prod:\n    requires: [prod]\n", 3, "environments.prod.requires[0]", "cannot require itself"},
		{"requires name", "environments:\n  prod:\n    requires: [Staging]\n", 3, "environments.prod.requires[0]", "is not a valid name"},
		{"requires cycle", "environments:\n  a:\n    requires: [b]\n  b:\n    requires: [c]\n  c:\n    requires: [a]\n", 3,
			"environments.a.requires", "requirements form a cycle: a → b → c → a"},
		{"cycle through progression", "progression: [staging, prod]\nenvironments:\n  staging:\n    requires: [prod]\n", 4,
			"environments.staging.requires", "cycle: staging → prod → staging"},
		{"progression twice", "progression: [a, b, a]\n", 1, "progression[2]", `"a" is listed twice`},
		{"progression name", "progression:\n  - staging\n  - Prod\n", 3, "progression[1]", "is not a valid name"},
		{"target_health severity", "gate:\n  rules:\n    target_health:\n      min_severity: 5\n", 4, "gate.rules.target_health.min_severity", "must be 1..4"},
		{"progression switch", "gate:\n  rules:\n    progression:\n      severity: block\n", 4, "gate.rules.progression.severity", "must be fail or warn"},
		{"target_health switch", "gate:\n  rules:\n    target_health: {severity: no}\n", 3, "gate.rules.target_health.severity", "must be fail or warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted; want refusal at %s (policy %+v)", tt.path, p)
			}
			fe := fault.As(err)
			if fe == nil || fe.Code != fault.Invalid || fe.Field != "policy" {
				t.Fatalf("error %v is not an Invalid fault on field policy", err)
			}
			prefix := fmt.Sprintf("line %d: %s: ", tt.line, tt.path)
			if !strings.HasPrefix(fe.Message, prefix) || !strings.Contains(fe.Message, tt.want) {
				t.Errorf("message %q\nwant prefix %q containing %q", fe.Message, prefix, tt.want)
			}
		})
	}
}

func mustParse(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRolloutDefaults(t *testing.T) {
	p := mustParse(t, `
drivers:
  x: {exec: {command: [deploy]}}
  w: {webhook: {url: "http://127.0.0.1:9/hook", secret_env: HOOK_SECRET}}
analysis_templates:
  t:
    checks:
      - {name: q, prometheus: {query: up, failure_condition: result < 1}}
      - {name: i, incidents: {}}
`)
	if got := time.Duration(p.Drivers["x"].Exec.Timeout); got != 5*time.Minute {
		t.Errorf("exec timeout = %v, want 5m", got)
	}
	if got := time.Duration(p.Drivers["w"].Webhook.Timeout); got != 30*time.Second {
		t.Errorf("webhook timeout = %v, want 30s", got)
	}
	q := p.AnalysisTemplates["t"].Checks[0].Prometheus
	if time.Duration(q.Interval) != time.Minute || q.ConsecutiveErrorLimit != 4 || q.NoData != policy.NoDataInconclusive {
		t.Errorf("prometheus defaults: interval %v, consecutive_error_limit %d, no_data %q", time.Duration(q.Interval), q.ConsecutiveErrorLimit, q.NoData)
	}
	if got := p.AnalysisTemplates["t"].Checks[1].Incidents.MinSeverity; got != 2 {
		t.Errorf("incidents min_severity = %d, want 2", got)
	}
	if time.Duration(p.WatchMax) != 30*24*time.Hour {
		t.Errorf("watch_max = %v, want 30d", time.Duration(p.WatchMax))
	}
	if p.Gate.Rules.TargetHealth.MinSeverity != 2 || !p.Gate.Rules.Progression.Enabled {
		t.Errorf("gate rules: %+v %+v", p.Gate.Rules.TargetHealth, p.Gate.Rules.Progression)
	}
	if _, ok := p.Template("recurrence"); !ok {
		t.Error("a file that defines templates lost the built-in recurrence")
	}
	if _, ok := p.Template("incidents"); !ok {
		t.Error("a file that defines templates lost the built-in incidents")
	}
}

func TestBuiltInTemplates(t *testing.T) {
	d := policy.Default()
	for name, m := range d.ChangeModels {
		for _, h := range m.HealthChecks {
			if _, ok := d.Template(h); !ok {
				t.Errorf("built-in model %s names health check %q, which is no template", name, h)
			}
		}
	}
	r, _ := d.Template("recurrence")
	if len(r.Checks) != 1 || r.Checks[0].Kind() != policy.KindRecurrence || r.Checks[0].Recurrence.MaxMatches != 0 {
		t.Errorf("built-in recurrence = %+v", r)
	}
	i, _ := d.Template("incidents")
	if len(i.Checks) != 1 || i.Checks[0].Kind() != policy.KindIncidents || i.Checks[0].Incidents.MinSeverity != 2 {
		t.Errorf("built-in incidents = %+v", i)
	}
	p := mustParse(t, "analysis_templates:\n  recurrence:\n    checks: [{name: r, recurrence: {max_matches: 3}}]\n")
	if r, _ := p.Template("recurrence"); r.Checks[0].Name != "r" || r.Checks[0].Recurrence.MaxMatches != 3 {
		t.Errorf("redefined recurrence = %+v, want the file's", r)
	}
	if _, ok := p.Template("incidents"); !ok {
		t.Error("redefining recurrence dropped incidents")
	}
	if _, ok := p.Template("nope"); ok {
		t.Error("Template(nope) found a template")
	}
}

func TestRolloutAccessors(t *testing.T) {
	p := mustParse(t, `
paths:
  quick: [{name: full, weight: 100, duration: 5m}]
drivers:
  helm: {exec: {command: [helm]}}
environments:
  staging: {driver: helm, path: quick, watch: 2h}
  hotfix: {requires: []}
  dr: {requires: [production]}
progression: [dev, staging, production]
change_models:
  slow:
    default_change_type: normal
    rollout_path: [{name: full, weight: 100}]
    watch: 90d
  plain:
    default_change_type: normal
    rollout_path: [{name: full, weight: 100}]
observation_periods: {2: 10d}
watch_max: 40d
`)
	if s, ok := p.PathFor("quick"); !ok || len(s) != 1 || time.Duration(s[0].Duration) != 5*time.Minute {
		t.Errorf("PathFor(quick) = %+v, %v", s, ok)
	} else {
		s[0].Name = "changed"
		if again, _ := p.PathFor("quick"); again[0].Name != "full" {
			t.Error("PathFor returned the policy's own slice")
		}
	}
	if _, ok := p.PathFor("nope"); ok {
		t.Error("PathFor(nope) found a path")
	}
	if d, ok := p.DriverFor("staging"); !ok || d != "helm" {
		t.Errorf("DriverFor(staging) = %q, %v", d, ok)
	}
	if d, ok := p.DriverFor("production"); ok {
		t.Errorf("DriverFor(production) = %q, want none", d)
	}
	requires := map[string][]string{"dev": nil, "staging": {"dev"}, "production": {"dev", "staging"},
		"hotfix": {}, "dr": {"production"}, "elsewhere": nil}
	for env, want := range requires {
		if got := p.Requires(env); !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("Requires(%s) = %#v, want %#v", env, got, want)
		}
	}
	watches := []struct {
		model, env string
		prio       int
		want       time.Duration
	}{
		{"slow", "staging", 1, 40 * 24 * time.Hour}, // model watch 90d, capped by watch_max
		{"plain", "staging", 1, 2 * time.Hour},      // environment watch
		{"plain", "production", 2, 10 * 24 * time.Hour},
		{"plain", "production", 1, 30 * 24 * time.Hour},
		{"", "", 0, 72 * time.Hour}, // no problem: priority 4's period
	}
	for _, w := range watches {
		if got := p.WatchFor(w.model, w.env, w.prio); got != w.want {
			t.Errorf("WatchFor(%q, %q, %d) = %v, want %v", w.model, w.env, w.prio, got, w.want)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	got := policy.Placeholders(`rate(x{env="{{env}}",v="{{ version }}"}[1m]) / on() y{v="{{version}}"}`)
	if want := []string{"env", "version", "version"}; !slices.Equal(got, want) {
		t.Errorf("Placeholders = %q, want %q", got, want)
	}
	if got := policy.Placeholders(`sum by (a) (x{a="b"})`); got != nil {
		t.Errorf("Placeholders of a query without variables = %q", got)
	}
}
