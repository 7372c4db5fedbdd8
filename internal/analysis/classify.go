package analysis

import (
	"fmt"
	"math"
	"strings"

	"fixgate/internal/policy"
)

// Classify gives the outcome of one prometheus measurement: what check c's
// conditions say about r, and a one-line message for the deployment's log.
//
//   - No data (an empty vector) has the outcome c.NoData names: fail →
//     Failed, inconclusive (the default) → Inconclusive, error → Error,
//     pass → Successful.
//   - NaN carries no evidence (0/0: typically a ratio over no traffic), and
//     CEL compares it false both ways, so a failure_condition alone would
//     pass it. A NaN scalar is therefore no data; NaN series are left out of
//     the list, and when every series is NaN the result is no data. ±Inf is
//     a value like any other (+Inf > 0.05 holds).
//   - The condition sees result as a number for a scalar (or a one-series
//     vector) and as a list of {labels, value} for several series. A
//     condition that treats a list as a number (or the reverse) is Error
//     with a message saying that several series need result.exists (any)
//     or result.all: fixgate never takes the first series.
//   - Otherwise, as in Argo Rollouts (policy.PrometheusCheck.Eval): the
//     failure condition holding → Failed (it wins over success); the success
//     condition holding → Successful; with only a success condition, false
//     → Failed; with only a failure condition, false → Successful; with both
//     and neither holding → Inconclusive. A condition that errors or is not
//     boolean → Error.
func Classify(c *policy.PrometheusCheck, r Result) (outcome, message string) {
	value, desc, ok := celValue(r)
	if !ok {
		return noData(c.NoData, desc)
	}
	success, failure, err := c.Eval(value)
	if err != nil {
		list, isList := value.([]any)
		if strings.Contains(err.Error(), "no such overload") && isList {
			return Error, fmt.Sprintf("the query returned %d series; a condition over several series must say "+
				"result.exists(s, s.value > X) (any) or result.all(s, s.value < X) (all), never one number: %v", len(list), err)
		}
		if strings.Contains(err.Error(), "iterable") || strings.Contains(err.Error(), "no such overload") {
			return Error, fmt.Sprintf("the query returned one number (%s); a condition over a list (exists, all) needs several series: %v", desc, err)
		}
		return Error, fmt.Sprintf("%s: %v", desc, err)
	}
	switch {
	case failure:
		return Failed, desc + ": failure condition holds"
	case success:
		return Successful, desc + ": success condition holds"
	}
	return Inconclusive, desc + ": neither the success nor the failure condition holds"
}

// celValue turns r into CEL's result: a float64, or a []any of
// {labels, value} maps without the NaN series. ok is false for no data; desc
// describes the value.
func celValue(r Result) (value any, desc string, ok bool) {
	if r.Scalar != nil {
		if math.IsNaN(*r.Scalar) {
			return nil, "the query returned NaN", false
		}
		return *r.Scalar, fmt.Sprintf("value %g", *r.Scalar), true
	}
	list, nan := []any{}, 0
	for _, s := range r.Series {
		if math.IsNaN(s.Value) {
			nan++
			continue
		}
		labels := s.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		list = append(list, map[string]any{"labels": labels, "value": s.Value})
	}
	switch {
	case len(r.Series) == 0:
		return nil, "the query returned no data", false
	case len(list) == 0:
		return nil, fmt.Sprintf("all %d series are NaN", nan), false
	case nan > 0:
		return list, fmt.Sprintf("%d series (%d NaN left out)", len(list), nan), true
	}
	return list, fmt.Sprintf("%d series", len(list)), true
}

// noData maps a check's no_data setting to an outcome.
func noData(setting, desc string) (string, string) {
	switch setting {
	case policy.NoDataFail:
		return Failed, desc + " (no_data: fail)"
	case policy.NoDataError:
		return Error, desc + " (no_data: error)"
	case policy.NoDataPass:
		return Successful, desc + " (no_data: pass)"
	}
	return Inconclusive, desc + " (no_data: inconclusive)"
}
