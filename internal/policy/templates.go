package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
)

// Kinds of check.
const (
	KindPrometheus = "prometheus"
	KindRecurrence = "recurrence"
	KindIncidents  = "incidents"
)

// Kind returns which kind of check c is: prometheus, recurrence, incidents
// ("" when none is set, which a parsed policy never holds).
func (c Check) Kind() string {
	switch {
	case c.Prometheus != nil:
		return KindPrometheus
	case c.Recurrence != nil:
		return KindRecurrence
	case c.Incidents != nil:
		return KindIncidents
	}
	return ""
}

// defaultTemplates are the built-in analysis templates: recurrence of the
// resolved problems, and new incidents of severity 2 or higher.
func defaultTemplates() map[string]AnalysisTemplate {
	return map[string]AnalysisTemplate{
		"recurrence": {Checks: []Check{{Name: "recurrence", Recurrence: &RecurrenceCheck{MaxMatches: 0}}}},
		"incidents":  {Checks: []Check{{Name: "incidents", Incidents: &IncidentsCheck{MinSeverity: DefaultIncidentSeverity}}}},
	}
}

func (p *Policy) validateTemplates() error {
	for _, name := range sortedKeys(p.AnalysisTemplates) {
		t := p.AnalysisTemplates[name]
		path := "analysis_templates." + name
		if err := validName(path, name); err != nil {
			return err
		}
		if len(t.Checks) == 0 {
			return bad(path+".checks", "needs at least one check")
		}
		seen := map[string]bool{}
		for i := range t.Checks {
			cp := fmt.Sprintf("%s.checks[%d]", path, i)
			if err := validateCheck(cp, &t.Checks[i]); err != nil {
				return err
			}
			if seen[t.Checks[i].Name] {
				return bad(cp+".name", "check %q is defined twice in the template", t.Checks[i].Name)
			}
			seen[t.Checks[i].Name] = true
		}
	}
	return nil
}

func validateCheck(path string, c *Check) error {
	if err := validName(path+".name", c.Name); err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{c.Prometheus != nil, c.Recurrence != nil, c.Incidents != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return bad(path, "must set exactly one of prometheus, recurrence or incidents (it sets %d)", n)
	}
	switch {
	case c.Prometheus != nil:
		return validPrometheus(path+".prometheus", c.Prometheus)
	case c.Recurrence != nil && c.Recurrence.MaxMatches < 0:
		return bad(path+".recurrence.max_matches", "must be 0 or more")
	case c.Incidents != nil:
		if c.Incidents.MinSeverity == 0 {
			c.Incidents.MinSeverity = DefaultIncidentSeverity
		}
		if s := c.Incidents.MinSeverity; s < 1 || s > 4 {
			return bad(path+".incidents.min_severity", "must be 1..4 (1 is the highest severity), got %d", s)
		}
	}
	return nil
}

func validPrometheus(path string, c *PrometheusCheck) error {
	if strings.TrimSpace(c.Query) == "" {
		return bad(path+".query", "is required (a PromQL query)")
	}
	for _, v := range Placeholders(c.Query) {
		if !slices.Contains(QueryVariables, v) {
			return bad(path+".query", "uses unknown variable {{%s}}; the variables are {{%s}}", v, strings.Join(QueryVariables, "}}, {{"))
		}
	}
	if c.Interval == 0 {
		c.Interval = Duration(DefaultInterval)
	}
	if c.Interval < Duration(MinInterval) {
		return bad(path+".interval", "must be at least %s", FormatDuration(MinInterval))
	}
	limits := []struct {
		key string
		v   int
	}{{"count", c.Count}, {"failure_limit", c.FailureLimit}, {"inconclusive_limit", c.InconclusiveLimit},
		{"consecutive_error_limit", c.ConsecutiveErrorLimit}}
	for _, l := range limits {
		if l.v < 0 {
			return bad(path+"."+l.key, "must be 0 or more, got %d", l.v)
		}
	}
	if c.ConsecutiveErrorLimit == 0 {
		c.ConsecutiveErrorLimit = DefaultConsecutiveErrorLimit
	}
	if c.NoData == "" {
		c.NoData = NoDataInconclusive
	}
	if !slices.Contains(NoDataOutcomes, c.NoData) {
		return bad(path+".no_data", "must be one of %s, got %q", strings.Join(NoDataOutcomes, ", "), c.NoData)
	}
	if strings.TrimSpace(c.SuccessCondition) == "" && strings.TrimSpace(c.FailureCondition) == "" {
		return bad(path, "needs success_condition or failure_condition (CEL over result, e.g. result < 0.05)")
	}
	return nil
}

var (
	resultOnce sync.Once
	resultEnv  *cel.Env
	resultErr  error
)

// conditionEnv is the CEL environment of success and failure conditions:
// one variable, result, of type dyn.
func conditionEnv() (*cel.Env, error) {
	resultOnce.Do(func() {
		resultEnv, resultErr = cel.NewEnv(cel.CrossTypeNumericComparisons(true), cel.Variable("result", cel.DynType))
	})
	return resultEnv, resultErr
}

// compileTemplates compiles every prometheus check's conditions.
func (p *Policy) compileTemplates(idx index) error {
	env, err := conditionEnv()
	if err != nil {
		return fmt.Errorf("policy: CEL environment: %w", err)
	}
	for _, name := range sortedKeys(p.AnalysisTemplates) {
		for i, c := range p.AnalysisTemplates[name].Checks {
			pc := c.Prometheus
			if pc == nil {
				continue
			}
			path := fmt.Sprintf("analysis_templates.%s.checks[%d].prometheus.", name, i)
			if pc.SuccessCondition != "" {
				if pc.success, err = compileOne(env, pc.SuccessCondition, p.Gate.CostLimit, path+"success_condition", idx); err != nil {
					return err
				}
			}
			if pc.FailureCondition != "" {
				if pc.failure, err = compileOne(env, pc.FailureCondition, p.Gate.CostLimit, path+"failure_condition", idx); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Eval evaluates the check's conditions over result: a float64 for a scalar
// or a one-series vector, or a []any of map[string]any{"labels":
// map[string]string, "value": float64} for several series.
//
// As in Argo Rollouts, a missing condition is the negation of the other: with
// only success_condition, failure = !success; with only failure_condition,
// success = !failure. With both, both are evaluated and may both be false
// (inconclusive) or both true (the caller lets failure win). A condition
// that does not evaluate to a boolean, or fails to evaluate (a list compared
// with a number, a missing key, the cost limit), is an error; so is a check
// without a compiled condition.
func (c *PrometheusCheck) Eval(result any) (success, failure bool, err error) {
	hasS, hasF := c.SuccessCondition != "", c.FailureCondition != ""
	if !hasS && !hasF {
		return false, false, fmt.Errorf("the check has no condition")
	}
	vars := map[string]any{"result": result}
	if hasS {
		if success, err = c.success.eval(vars); err != nil {
			return false, false, fmt.Errorf("success_condition: %w", err)
		}
	}
	if hasF {
		if failure, err = c.failure.eval(vars); err != nil {
			return false, false, fmt.Errorf("failure_condition: %w", err)
		}
	}
	switch {
	case !hasF:
		failure = !success
	case !hasS:
		success = !failure
	}
	return success, failure, nil
}
