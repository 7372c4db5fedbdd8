package policy

// Driver says how a deployment's actions (deploy, promote, rollback, abort)
// reach the target: exactly one of Exec, Webhook or Reported is set.
type Driver struct {
	Exec     *ExecDriver     `yaml:"exec" json:"exec,omitempty"`
	Webhook  *WebhookDriver  `yaml:"webhook" json:"webhook,omitempty"`
	Reported *ReportedDriver `yaml:"reported" json:"reported,omitempty"`
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
	Prometheus *PrometheusCheck `yaml:"prometheus" json:"prometheus,omitempty"`
	Recurrence *RecurrenceCheck `yaml:"recurrence" json:"recurrence,omitempty"`
	Incidents  *IncidentsCheck  `yaml:"incidents" json:"incidents,omitempty"`
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
