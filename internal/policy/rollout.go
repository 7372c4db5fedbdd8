package policy

import (
	"slices"
	"time"
)

// Driver says how a deployment's actions (deploy, promote, rollback, abort)
// reach the target: exactly one of Exec, Webhook or Reported is set.
type Driver struct {
	Exec     *ExecDriver     `yaml:"exec,omitempty" json:"exec,omitempty"`
	Webhook  *WebhookDriver  `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	Reported *ReportedDriver `yaml:"reported,omitempty" json:"reported,omitempty"`
}

// ExecDriver runs Command (argv, no shell) for each action, killed after Timeout.
type ExecDriver struct {
	Command []string `yaml:"command" json:"command"`
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// WebhookDriver POSTs each action as JSON to URL, signed with the secret
// read from the environment variable SecretEnv.
type WebhookDriver struct {
	URL       string   `yaml:"url" json:"url"`
	SecretEnv string   `yaml:"secret_env" json:"secret_env"`
	Timeout   Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// ReportedDriver: the user's pipeline does the work and reports each stage
// (`fixgate deploy report`); fixgate still analyses and decides.
type ReportedDriver struct{}

// AnalysisTemplate is a named list of checks.
type AnalysisTemplate struct {
	Checks []Check `yaml:"checks" json:"checks"`
}

// Check is one check of a template: exactly one of Prometheus, Recurrence
// or Incidents is set. Name is unique within the template.
type Check struct {
	Name       string           `yaml:"name" json:"name"`
	Prometheus *PrometheusCheck `yaml:"prometheus,omitempty" json:"prometheus,omitempty"`
	Recurrence *RecurrenceCheck `yaml:"recurrence,omitempty" json:"recurrence,omitempty"`
	Incidents  *IncidentsCheck  `yaml:"incidents,omitempty" json:"incidents,omitempty"`
}

// PrometheusCheck measures Query every Interval, Count times (0: for as
// long as the stage lasts), after InitialDelay. Conditions are CEL over
// `result`: a number for a scalar or a one-series vector, a list of
// {labels, value} for several series.
type PrometheusCheck struct {
	Query                 string   `yaml:"query" json:"query"`
	Interval              Duration `yaml:"interval" json:"interval,omitempty"`
	Count                 int      `yaml:"count" json:"count,omitempty"`
	InitialDelay          Duration `yaml:"initial_delay" json:"initial_delay,omitempty"`
	SuccessCondition      string   `yaml:"success_condition" json:"success_condition,omitempty"`
	FailureCondition      string   `yaml:"failure_condition" json:"failure_condition,omitempty"`
	FailureLimit          int      `yaml:"failure_limit" json:"failure_limit,omitempty"`
	InconclusiveLimit     int      `yaml:"inconclusive_limit" json:"inconclusive_limit,omitempty"`
	ConsecutiveErrorLimit int      `yaml:"consecutive_error_limit" json:"consecutive_error_limit,omitempty"`
	// NoData is the outcome of an empty result: fail, inconclusive (the
	// default), error or pass.
	NoData  string `yaml:"no_data" json:"no_data,omitempty"`
	success program
	failure program
}

// RecurrenceCheck fails when more than MaxMatches signals matching the
// resolved problems' signatures arrive on the environment since the stage
// started.
type RecurrenceCheck struct {
	MaxMatches int `yaml:"max_matches" json:"max_matches"`
}

// IncidentsCheck fails on a new incident of severity MinSeverity or higher
// (1 is highest) on the release's CIs in the environment.
type IncidentsCheck struct {
	MinSeverity int `yaml:"min_severity" json:"min_severity"`
}

// EnvironmentPolicy is what the policy says about one environment by name.
type EnvironmentPolicy struct {
	// Driver names an entry of drivers.
	Driver string `yaml:"driver" json:"driver,omitempty"`
	// Requires lists environments a release must have succeeded in first
	// (overrides the position in progression).
	Requires []string `yaml:"requires" json:"requires,omitempty"`
	// Watch is the window after 100 % in this environment.
	Watch Duration `yaml:"watch" json:"watch,omitempty"`
	// Path names an entry of paths: the default path into this environment.
	Path string `yaml:"path" json:"path,omitempty"`
}

// Template returns the analysis template called name.
func (p *Policy) Template(name string) (AnalysisTemplate, bool) {
	t, ok := p.AnalysisTemplates[name]
	return t, ok
}

// PathFor returns a copy of the stages of the path called name (paths.NAME).
func (p *Policy) PathFor(name string) ([]Stage, bool) {
	s, ok := p.Paths[name]
	if !ok {
		return nil, false
	}
	return slices.Clone(s), true
}

// DriverFor returns the driver the policy names for environment env
// (environments.ENV.driver); false when it names none. The driver itself is
// p.Drivers[name].
func (p *Policy) DriverFor(env string) (string, bool) {
	d := p.Environments[env].Driver
	return d, d != ""
}

// Requires returns the environments a release must have succeeded in before
// it may deploy to env: environments.ENV.requires when the policy sets it
// (an empty list: none), else the environments that precede env in
// progression; nil when env is in neither.
func (p *Policy) Requires(env string) []string {
	if e, ok := p.Environments[env]; ok && e.Requires != nil {
		return slices.Clone(e.Requires)
	}
	i := slices.Index(p.Progression, env)
	if i <= 0 {
		return nil
	}
	return slices.Clone(p.Progression[:i])
}

// WatchFor returns how long a deployment of a change of model into env is
// watched after 100 %: the change model's watch, else the environment's
// watch, else the observation period of priority (the highest priority of
// the problems the release resolves; outside 1..4 — no problem — the period
// of priority 4). The result is capped by watch_max. An unknown model or
// environment contributes nothing.
func (p *Policy) WatchFor(model, env string, priority int) time.Duration {
	d := time.Duration(p.ChangeModels[model].Watch)
	if d == 0 {
		d = time.Duration(p.Environments[env].Watch)
	}
	if d == 0 {
		if priority < 1 || priority > 4 {
			priority = 4
		}
		d = p.Observation(priority)
	}
	if p.WatchMax > 0 && d > time.Duration(p.WatchMax) {
		d = time.Duration(p.WatchMax)
	}
	return d
}
