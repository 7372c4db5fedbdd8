package policy

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"fixgate/internal/ident"
)

// Defaults of the rollout keys, applied by validation when a value is 0 or absent.
const (
	DefaultExecTimeout           = 5 * time.Minute
	DefaultWebhookTimeout        = 30 * time.Second
	DefaultInterval              = time.Minute
	MinInterval                  = 100 * time.Millisecond
	DefaultConsecutiveErrorLimit = 4
	DefaultIncidentSeverity      = 2
	DefaultWatchMax              = 30 * day
)

// No-data outcomes of a prometheus check (PrometheusCheck.NoData).
const (
	NoDataFail         = "fail"
	NoDataInconclusive = "inconclusive"
	NoDataError        = "error"
	NoDataPass         = "pass"
)

// NoDataOutcomes lists the values no_data accepts.
var NoDataOutcomes = []string{NoDataFail, NoDataInconclusive, NoDataError, NoDataPass}

// QueryVariables are the {{name}} placeholders a prometheus query may use.
var QueryVariables = []string{"version", "previous_version", "env", "ci", "stage"}

// placeholder matches {{name}} (spaces inside the braces allowed).
var placeholder = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// Placeholders returns the variable names a query uses, in order of
// appearance ("{{ env }}" gives "env"), duplicates included.
func Placeholders(query string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(query, -1) {
		out = append(out, m[1])
	}
	return out
}

var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateRollout checks the rollout keys and fills their defaults.
func (p *Policy) validateRollout() error {
	checks := []func() error{p.validateTemplates, p.validateDrivers, p.validatePaths,
		p.validateProgression, p.validateEnvironments}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	if p.WatchMax == 0 {
		p.WatchMax = Duration(DefaultWatchMax)
	}
	if p.WatchMax < 0 {
		return bad("watch_max", "must not be negative")
	}
	return WholeSeconds("watch_max", p.WatchMax)
}

func validName(path, name string) error {
	if ident.ValidName(path, name) != nil {
		return bad(path, "%q is not a valid name (lower-case letters, digits, '-', '_', '.')", name)
	}
	return nil
}

// validateStages checks a rollout path (validatePath) and what its stages
// name: analysis templates that exist, durations that are not negative.
func (p *Policy) validateStages(path string, stages []Stage) error {
	if err := validatePath(path, stages); err != nil {
		return err
	}
	for i, s := range stages {
		sp := fmt.Sprintf("%s[%d]", path, i)
		if s.Duration < 0 {
			return bad(sp+".duration", "must not be negative")
		}
		for j, a := range s.Analysis {
			if err := p.templateRef(fmt.Sprintf("%s.analysis[%d]", sp, j), a); err != nil {
				return err
			}
		}
	}
	return nil
}

// templateRef checks that name is an analysis template.
func (p *Policy) templateRef(path, name string) error {
	if _, ok := p.AnalysisTemplates[name]; !ok {
		return bad(path, "%q names no analysis template; define it under analysis_templates", name)
	}
	return nil
}

func (p *Policy) validatePaths() error {
	for _, name := range sortedKeys(p.Paths) {
		path := "paths." + name
		if err := validName(path, name); err != nil {
			return err
		}
		if err := p.validateStages(path, p.Paths[name]); err != nil {
			return err
		}
	}
	return nil
}

// validateModelRollout checks what a change model names for rollouts.
func (p *Policy) validateModelRollout(path string, m ChangeModel) error {
	for i, h := range m.HealthChecks {
		if err := p.templateRef(fmt.Sprintf("%s.health_checks[%d]", path, i), h); err != nil {
			return err
		}
	}
	if m.Watch < 0 {
		return bad(path+".watch", "must not be negative")
	}
	if err := WholeSeconds(path+".watch", m.Watch); err != nil {
		return err
	}
	return p.validateStages(path+".rollout_path", m.RolloutPath)
}

func (p *Policy) validateDrivers() error {
	for _, name := range sortedKeys(p.Drivers) {
		d := p.Drivers[name]
		path := "drivers." + name
		if err := validName(path, name); err != nil {
			return err
		}
		n := 0
		for _, set := range []bool{d.Exec != nil, d.Webhook != nil, d.Reported != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return bad(path, "must set exactly one of exec, webhook or reported (it sets %d)", n)
		}
		var err error
		switch {
		case d.Exec != nil:
			err = validExec(path+".exec", d.Exec)
		case d.Webhook != nil:
			err = validWebhook(path+".webhook", d.Webhook)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func validExec(path string, e *ExecDriver) error {
	if len(e.Command) == 0 || strings.TrimSpace(e.Command[0]) == "" {
		return bad(path+".command", "is required: the program and its arguments, e.g. [./deploy.sh, --env]")
	}
	if e.Timeout == 0 {
		e.Timeout = Duration(DefaultExecTimeout)
	}
	if e.Timeout < 0 {
		return bad(path+".timeout", "must be positive")
	}
	return nil
}

func validWebhook(path string, w *WebhookDriver) error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad(path+".url", "%q is not an absolute http(s) URL", w.URL)
	}
	if u.User != nil {
		return bad(path+".url", "must not carry credentials; the request is signed with secret_env")
	}
	if !envVarName.MatchString(w.SecretEnv) {
		return bad(path+".secret_env", "%q is not an environment variable name (letters, digits, '_')", w.SecretEnv)
	}
	if w.Timeout == 0 {
		w.Timeout = Duration(DefaultWebhookTimeout)
	}
	if w.Timeout < 0 {
		return bad(path+".timeout", "must be positive")
	}
	return nil
}

func (p *Policy) validateProgression() error {
	seen := map[string]bool{}
	for i, env := range p.Progression {
		path := fmt.Sprintf("progression[%d]", i)
		if err := validName(path, env); err != nil {
			return err
		}
		if seen[env] {
			return bad(path, "%q is listed twice", env)
		}
		seen[env] = true
	}
	return nil
}

func (p *Policy) validateEnvironments() error {
	for _, name := range sortedKeys(p.Environments) {
		e := p.Environments[name]
		path := "environments." + name
		if err := validName(path, name); err != nil {
			return err
		}
		if _, ok := p.Drivers[e.Driver]; e.Driver != "" && !ok {
			return bad(path+".driver", "%q names no driver; define it under drivers", e.Driver)
		}
		if _, ok := p.Paths[e.Path]; e.Path != "" && !ok {
			return bad(path+".path", "%q names no path; define it under paths", e.Path)
		}
		if e.Watch < 0 {
			return bad(path+".watch", "must not be negative")
		}
		if err := WholeSeconds(path+".watch", e.Watch); err != nil {
			return err
		}
		for i, r := range e.Requires {
			rp := fmt.Sprintf("%s.requires[%d]", path, i)
			if err := validName(rp, r); err != nil {
				return err
			}
			if r == name {
				return bad(rp, "an environment cannot require itself")
			}
		}
	}
	return p.requiresCycle()
}

// requiresCycle refuses a cycle in the environments' effective requirements
// (requires, else the position in progression), naming it.
func (p *Policy) requiresCycle() error {
	state := map[string]int{} // 0 unvisited, 1 on the stack, 2 done
	var stack []string
	var visit func(env string) error
	visit = func(env string) error {
		switch state[env] {
		case 1:
			cyc := append(slices.Clone(stack[slices.Index(stack, env):]), env)
			return bad("environments."+cyc[0]+".requires", "requirements form a cycle: %s", strings.Join(cyc, " → "))
		case 2:
			return nil
		}
		state[env] = 1
		stack = append(stack, env)
		for _, r := range p.Requires(env) {
			if err := visit(r); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[env] = 2
		return nil
	}
	for _, env := range sortedKeys(p.Environments) {
		if err := visit(env); err != nil {
			return err
		}
	}
	return nil
}
