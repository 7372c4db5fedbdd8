package gate

import (
	"time"

	"fixgate/internal/policy"
)

// Prepared is an input judged by every rule whose results cannot depend on
// time; Verdict finishes it for a deployment time and an evaluation time.
// A pipeline polling the gate while nothing changes asks the same question
// at a later time: the server keeps the Prepared of an unchanged input and
// pays only for the rules that look at the clock (the maintenance window,
// deviations' validity, custom rules that read at or now). It is immutable
// and safe for concurrent use; in is not retained beyond what it shares.
type Prepared struct {
	pol    *policy.Policy
	hash   string // pol.Hash(), computed once
	in     Input  // normalised; At is set per Verdict
	risk   riskMemo
	input  []Result   // checkInput
	rules  [][]Result // per builtin; nil where the rule is timed and enabled
	timed  []bool     // per builtin
	custom []Result   // per custom rule; used where !customTimed
	ctimed []bool     // per custom rule: it read at or now
}

// Prepare judges in against pol for every rule that does not depend on the
// time. in.At is ignored: Verdict takes the time.
func Prepare(pol *policy.Policy, in Input) *Prepared { return prepare(pol, in, true) }

// prepare does the work of Prepare; with keep false (a one-off Evaluate) it
// skips the time-independent pass over custom rules, which Verdict would
// redo anyway.
func prepare(pol *policy.Policy, in Input, keep bool) *Prepared {
	in.At = nil
	in = normalise(in, time.Time{})
	in.At, in.risk = nil, nil
	p := &Prepared{pol: pol, hash: pol.Hash(), in: in, rules: make([][]Result, len(builtins)), timed: make([]bool, len(builtins))}
	p.risk.class, p.risk.by, p.risk.err = riskClass(pol, &in)
	p.in.risk = &p.risk
	p.input = checkInput(&p.in)
	for i, b := range builtins {
		sw := b.sw(&pol.Gate.Rules)
		switch {
		case !sw.Enabled:
			p.rules[i] = []Result{{Rule: b.name, Result: Skip, Reason: "disabled by the policy", Records: []string{}}}
		case b.timed(&p.in):
			p.timed[i] = true
		default:
			p.rules[i] = p.run(b, sw, &p.in, time.Time{})
		}
	}
	p.ctimed = make([]bool, len(pol.Gate.Custom))
	if !keep {
		for i := range p.ctimed {
			p.ctimed[i] = true
		}
		return p
	}
	p.custom = make([]Result, len(pol.Gate.Custom))
	for i := range pol.Gate.Custom {
		p.custom[i], p.ctimed[i] = customUntimed(pol, &p.in, i)
	}
	return p
}

func (p *Prepared) run(b builtin, sw policy.Switch, in *Input, now time.Time) []Result {
	var out []Result
	for _, r := range b.fn(p.pol, in, now) {
		r.Rule = b.name
		out = append(out, withSeverity(r, sw.Severity))
	}
	return out
}

// RiskClass is the risk class of the prepared input ("" if it cannot be computed).
func (p *Prepared) RiskClass() string { return p.risk.class }

// Verdict finishes the evaluation for deployment time at, evaluated at now:
// the kept results, and the timed rules run for at and now.
func (p *Prepared) Verdict(at, now time.Time) Verdict {
	in := p.in
	in.At = &at
	v := Verdict{PolicyVersion: p.pol.Version, PolicyHash: p.hash, At: at, EvaluatedAt: now, RiskClass: p.risk.class}
	n := len(p.input) + len(p.pol.Gate.Custom)
	for _, rs := range p.rules {
		n += len(rs) + 1
	}
	v.Rules = make([]Result, 0, n)
	v.Rules = append(v.Rules, p.input...)
	for i, b := range builtins {
		if p.timed[i] {
			v.Rules = append(v.Rules, p.run(b, b.sw(&p.pol.Gate.Rules), &in, now)...)
			continue
		}
		v.Rules = append(v.Rules, p.rules[i]...)
	}
	var vars map[string]any
	for i := range p.pol.Gate.Custom {
		if !p.ctimed[i] {
			v.Rules = append(v.Rules, p.custom[i])
			continue
		}
		if vars == nil {
			vars = Activation(&in, p.pol, now)
		}
		v.Rules = append(v.Rules, customResult(&p.pol.Gate.Custom[i], vars, &in))
	}
	v.Decision = decide(v.Rules)
	return v
}

// customUntimed evaluates custom rule i with at and now unavailable, and
// reports whether the rule read either of them (its result then depends on
// the time and is not kept). Evaluation is deterministic: a run that never
// read the time gives the same result at any time.
func customUntimed(pol *policy.Policy, in *Input, i int) (Result, bool) {
	vars := Activation(in, pol, time.Time{})
	read := false
	clock := func() any {
		read = true
		return time.Time{}
	}
	vars["at"], vars["now"] = clock, clock
	r := customResult(&pol.Gate.Custom[i], vars, in)
	return r, read
}
