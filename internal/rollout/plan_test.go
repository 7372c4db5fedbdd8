package rollout

import (
	"testing"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

func testPolicy() *policy.Policy {
	p := policy.Default()
	p.Paths = map[string][]policy.Stage{"canary": {{Name: "canary", Weight: 10, Duration: policy.Duration(time.Minute), Analysis: []string{"errors"}}, {Name: "full", Weight: 100}},
		"bad": {{Name: "c", Weight: 10, Analysis: []string{"nope"}}, {Name: "full", Weight: 100}}}
	p.AnalysisTemplates = map[string]policy.AnalysisTemplate{"errors": {}, "watch": {}}
	p.Drivers = map[string]policy.Driver{"shell": {Exec: &policy.ExecDriver{Command: []string{"true"}}}, "pipe": {Reported: &policy.ReportedDriver{}}}
	p.Environments = map[string]policy.EnvironmentPolicy{"prod-eu": {Driver: "shell", Path: "canary", Watch: policy.Duration(2 * time.Hour)}}
	return p
}

func TestPlan(t *testing.T) {
	pol := testPolicy()
	path, drv, err := Plan(pol, Request{Env: "prod-eu"})
	if err != nil || drv != "shell" || len(path) != 2 || path[0].Name != "canary" || time.Duration(path[0].Duration) != time.Minute {
		t.Fatalf("environment defaults: %v %s %v", path, drv, err)
	}
	path, drv, err = Plan(pol, Request{Env: "staging", Driver: "reported", Stages: []deploy.Stage{{Name: "a", Weight: 50}, {Name: "b", Weight: 100}}})
	if err != nil || drv != "reported" || path[0].Name != "a" {
		t.Fatalf("explicit: %v %s %v", path, drv, err)
	}
	path, _, err = Plan(pol, Request{Env: "staging", Driver: "pipe", Model: "config-correction"})
	if err != nil || len(path) != len(pol.ChangeModels["config-correction"].RolloutPath) {
		t.Fatalf("change model path: %v %v", path, err)
	}
	if path, _, _ = Plan(pol, Request{Env: "staging", Driver: "pipe"}); len(path) != 1 || path[0].Weight != 100 {
		t.Fatalf("default path: %v", path)
	}
	// The environment record's driver comes before the policy's; --driver before both.
	if _, drv, err = Plan(pol, Request{Env: "prod-eu", EnvDriver: "pipe"}); err != nil || drv != "pipe" {
		t.Fatalf("record's driver: %s %v", drv, err)
	}
	if _, drv, err = Plan(pol, Request{Env: "staging", EnvDriver: "pipe", Driver: "reported"}); err != nil || drv != "reported" {
		t.Fatalf("--driver over the record's: %s %v", drv, err)
	}
	for name, r := range map[string]Request{
		"driver   ": {Env: "prod-eu", EnvDriver: "gone"},
		"path":      {Env: "prod-eu", PathName: "nope"},
		"path ":     {Env: "prod-eu", PathName: "bad"},
		"path  ":    {Env: "prod-eu", Stages: []deploy.Stage{{Name: "a", Weight: 10}}},
		"driver":    {Env: "staging"},
		"driver ":   {Env: "prod-eu", Driver: "ssh"},
	} {
		if _, _, err := Plan(pol, r); fault.As(err) == nil || fault.As(err).Field != name[:len(name)-len(name)+len(trim(name))] {
			t.Errorf("%q: %v", name, err)
		}
	}
	if !IsReported(pol, "pipe") || !IsReported(pol, "reported") || IsReported(pol, "shell") {
		t.Error("IsReported")
	}
}

func trim(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func TestWatchAndTemplates(t *testing.T) {
	pol := testPolicy()
	if w := Watch(pol, "", "prod-eu", []int{2}); w != 2*time.Hour {
		t.Errorf("environment watch %v", w)
	}
	if w := Watch(pol, "", "staging", []int{3, 1}); w != pol.Observation(1) {
		t.Errorf("priority 1 observation %v", w)
	}
	if w := Watch(pol, "", "staging", nil); w != 0 {
		t.Errorf("nothing resolved: %v", w)
	}
	m := pol.ChangeModels["config-correction"]
	m.Watch = policy.Duration(90 * 24 * time.Hour)
	m.HealthChecks = []string{"watch", "undefined", "errors"}
	pol.ChangeModels["config-correction"] = m
	if w := Watch(pol, "config-correction", "prod-eu", nil); w != DefaultWatchMax {
		t.Errorf("capped watch %v", w)
	}
	pol.WatchMax = policy.Duration(time.Hour)
	if w := Watch(pol, "config-correction", "prod-eu", nil); w != time.Hour {
		t.Errorf("watch_max %v", w)
	}
	got := Templates(pol, "config-correction", deploy.Stage{Analysis: []string{"errors", "watch"}})
	if len(got) != 2 || got[0] != "watch" || got[1] != "errors" {
		t.Errorf("templates %v", got)
	}
}
