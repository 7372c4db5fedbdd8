package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"fixgate/internal/policy"
)

// customResult (rule 11) checks one custom rule of the policy, a CEL
// expression over the input document that must hold. A rule that cannot be
// evaluated (division by zero, a missing key, the cost limit) is undecided.
func customResult(c *policy.CustomRule, vars map[string]any, in *Input) Result {
	r := Result{Rule: "custom:" + c.Name, Records: []string{}}
	ok, err := c.Holds(vars)
	switch {
	case err != nil:
		r.Result, r.Undecided = Fail, true
		r.Reason = fmt.Sprintf("could not be evaluated (%v), so the gate cannot decide", err)
	case ok:
		r.Result, r.Reason = Pass, "holds: "+c.Expr
	default:
		r.Result, r.Reason = c.Severity, c.Message
		r.Records = []string{in.Release.ID}
	}
	return r
}

// Activation returns the variables custom rules see: the input document as
// JSON data (whole numbers become ints), with at and now as timestamps,
// change as {} when there is none, and risk_class ("" when it cannot be
// computed). It normalises in first. Each variable is built lazily, once,
// when a rule first reads it, so rules that never look at the catalogue do
// not pay for it. The map is for one evaluation (it is not safe to share).
func Activation(in *Input, pol *policy.Policy, now time.Time) map[string]any {
	n := normalise(*in, now)
	vars := map[string]any{"at": *n.At, "now": now, "change": map[string]any{}}
	for name, v := range map[string]any{"release": n.Release, "problems": n.Problems, "components": n.Components,
		"catalogue": n.Catalogue, "open_problems": n.OpenProblems, "cis": n.CIs, "environment": n.Environment,
		"live": n.Live, "approvals": n.Approvals, "revisions": n.Revisions, "path": n.Path, "authors": n.Authors,
		"deployments": n.Deployments, "firing_alerts": n.FiringAlerts, "open_incidents": n.OpenIncidents} {
		vars[name] = lazy(func() any { return jsonValue(v) })
	}
	if n.Change != nil {
		vars["change"] = lazy(func() any { return jsonValue(n.Change) })
	}
	vars["risk_class"] = lazy(func() any {
		class, _, _ := riskClass(pol, &n)
		return class
	})
	return vars
}

// lazy memoises f (CEL calls a func() any binding when the name is read).
func lazy(f func() any) func() any {
	var once sync.Once
	var v any
	return func() any {
		once.Do(func() { v = f() })
		return v
	}
}

// jsonValue converts v to plain JSON data. The input types always encode.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if dec.Decode(&out) != nil {
		return nil
	}
	return numbers(out)
}

// numbers turns json.Numbers into int64 when whole, float64 otherwise.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}
