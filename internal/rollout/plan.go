package rollout

import (
	"slices"
	"sort"
	"strings"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// ReportedDriver is the driver name a deployment may use without a policy
// entry: the user's pipeline does the work and reports each stage.
const ReportedDriver = "reported"

// DefaultWatchMax caps the watch window when the policy sets no watch_max.
const DefaultWatchMax = 30 * 24 * time.Hour

// Request is what a person asks to start.
type Request struct {
	Env       string
	Stages    []deploy.Stage // explicit stages (--stage)
	PathName  string         // a named path of the policy (--path)
	Model     string         // the change's change model, "" without one
	Driver    string         // --driver, "" for the environment's
	EnvDriver string         // the environment record's driver, "" for the policy's
}

// Plan decides the path and driver of a deployment: the explicit stages,
// else the named policy path, else the environment's path, else the change
// model's rollout_path, else one stage at 100 %; the driver named, else
// the environment record's, else the policy's environments.NAME.driver.
// Returns Invalid
// naming "path" or "driver".
func Plan(pol *policy.Policy, r Request) ([]deploy.Stage, string, error) {
	path, err := planPath(pol, r)
	if err != nil {
		return nil, "", err
	}
	if err := deploy.ValidatePath(path); err != nil {
		return nil, "", err
	}
	for _, st := range path {
		for _, t := range st.Analysis {
			if _, ok := pol.AnalysisTemplates[t]; !ok {
				return nil, "", fault.Field("path", "stage %s names analysis template %q, which the policy does not define (analysis_templates: %s)",
					st.Name, t, names(pol.AnalysisTemplates))
			}
		}
	}
	drv, err := planDriver(pol, r)
	return path, drv, err
}

func planPath(pol *policy.Policy, r Request) ([]deploy.Stage, error) {
	switch {
	case len(r.Stages) > 0 && r.PathName != "":
		return nil, fault.Field("path", "give either stages or a path name, not both")
	case len(r.Stages) > 0:
		return r.Stages, nil
	case r.PathName != "":
		p, ok := pol.Paths[r.PathName]
		if !ok {
			return nil, fault.Field("path", "unknown path %q (the policy's paths: %s)", r.PathName, names(pol.Paths))
		}
		return deploy.FromPolicy(p), nil
	}
	if ep, ok := pol.Environments[r.Env]; ok && ep.Path != "" {
		p, ok := pol.Paths[ep.Path]
		if !ok {
			return nil, fault.Field("path", "environments.%s.path names %q, which is not in paths", r.Env, ep.Path)
		}
		return deploy.FromPolicy(p), nil
	}
	if m, ok := pol.ChangeModels[r.Model]; ok && len(m.RolloutPath) > 0 {
		return deploy.FromPolicy(m.RolloutPath), nil
	}
	return deploy.DefaultPath(), nil
}

func planDriver(pol *policy.Policy, r Request) (string, error) {
	name, from := r.Driver, "--driver"
	if name == "" {
		name, from = r.EnvDriver, "environment "+r.Env+"'s driver"
	}
	if name == "" {
		name, from = pol.Environments[r.Env].Driver, "environments."+r.Env+".driver"
	}
	if name == "" {
		return "", fault.Field("driver", "no driver for environment %s: pass --driver NAME (%q needs no configuration), "+
			"set the environment's driver (fixgate env update %s --driver NAME), or set environments.%s.driver in the policy "+
			"to one of drivers: (%s)", r.Env, ReportedDriver, r.Env, r.Env, names(pol.Drivers))
	}
	if _, ok := pol.Drivers[name]; !ok && name != ReportedDriver {
		return "", fault.Field("driver", "%s names unknown driver %q (the policy's drivers: %s; %q needs no configuration)",
			from, name, names(pol.Drivers), ReportedDriver)
	}
	return name, nil
}

// IsReported reports whether driver name is a reported driver.
func IsReported(pol *policy.Policy, name string) bool {
	if d, ok := pol.Drivers[name]; ok {
		return d.Reported != nil
	}
	return name == ReportedDriver
}

func names[V any](m map[string]V) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	if len(out) == 0 {
		return "none"
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// Templates names the analysis templates of stage st: the change model's
// health_checks that the policy defines, then the stage's own, each once.
func Templates(pol *policy.Policy, model string, st deploy.Stage) []string {
	var out []string
	for _, t := range append(slices.Clone(pol.ChangeModels[model].HealthChecks), st.Analysis...) {
		if _, ok := pol.AnalysisTemplates[t]; ok && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Watch is the window after 100 %: the change model's watch, else the
// environment's, else the observation period of the highest-priority
// (lowest number) problem the release resolves; capped by watch_max
// (DefaultWatchMax when unset). No problem and no watch set: 0.
func Watch(pol *policy.Policy, model, env string, priorities []int) time.Duration {
	var w time.Duration
	switch {
	case pol.ChangeModels[model].Watch > 0:
		w = time.Duration(pol.ChangeModels[model].Watch)
	case pol.Environments[env].Watch > 0:
		w = time.Duration(pol.Environments[env].Watch)
	case len(priorities) > 0:
		w = pol.Observation(slices.Min(priorities))
	}
	limit := time.Duration(pol.WatchMax)
	if limit <= 0 {
		limit = DefaultWatchMax
	}
	return min(w, limit)
}
