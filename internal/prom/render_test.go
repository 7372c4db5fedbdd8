package prom_test

import (
	"slices"
	"strings"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/prom"
)

func TestRender(t *testing.T) {
	vars := map[string]string{"version": "1.4.3", "previous_version": "", "env": "prod-eu", "ci": `we"ird\ci`, "stage": "canary"}
	tests := []struct{ query, want, err string }{
		{`sum(rate(http_requests_total{env="{{env}}",version="{{version}}",code=~"5.."}[1m]))`,
			`sum(rate(http_requests_total{env="prod-eu",version="1.4.3",code=~"5.."}[1m]))`, ""},
		{`x{v="{{ version }}", p="{{previous_version}}"}`, `x{v="1.4.3", p=""}`, ""},
		{`x{ci="{{ci}}",s="{{stage}}"}`, `x{ci="we\"ird\\ci",s="canary"}`, ""},
		{`up{job="a"}`, `up{job="a"}`, ""},
		{`x{a="{{foo}}"}`, "", "unknown variable {{foo}}; the variables are {{version}}, {{previous_version}}, {{env}}, {{ci}}, {{stage}}"},
		{`x{a="{{}}"}`, "", "unknown variable {{}}"},
	}
	for _, tt := range tests {
		got, err := prom.Render(tt.query, vars)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Render(%s) = %q, %v; want an error containing %q", tt.query, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("Render(%s) = %q, %v; want %q", tt.query, got, err, tt.want)
		}
	}
	if _, err := prom.Render(`x{v="{{version}}"}`, map[string]string{"env": "a"}); err == nil || !strings.Contains(err.Error(), "{{version}}, which has no value") {
		t.Errorf("Render without a value for version = %v, want an error naming it", err)
	}
}

// TestRenderAgreesWithPolicy: Render substitutes exactly the placeholders
// policy validation checked.
func TestRenderAgreesWithPolicy(t *testing.T) {
	q := `a{x="{{env}}"} / b{y="{{ stage }}",z="{{ci}}"} {{version}}`
	vars := map[string]string{}
	for _, name := range policy.Placeholders(q) {
		vars[name] = "<" + name + ">"
	}
	got, err := prom.Render(q, vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range policy.Placeholders(q) {
		if !strings.Contains(got, "<"+name+">") {
			t.Errorf("Render left %s out: %s", name, got)
		}
	}
	if strings.Contains(got, "{{") || !slices.Equal(policy.Placeholders(got), nil) {
		t.Errorf("Render left placeholders: %s", got)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:9090", "ftp://h/", "http://", "/prometheus"} {
		if _, err := prom.New(u); fault.CodeOf(err) != fault.Invalid {
			t.Errorf("New(%q) = %v, want an Invalid fault", u, err)
		}
	}
	if _, err := prom.New("http://127.0.0.1:9090/prefix/"); err != nil {
		t.Errorf("New(loopback with a prefix) = %v; the operator's URL is trusted", err)
	}
}
