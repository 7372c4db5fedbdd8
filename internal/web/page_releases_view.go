package web

import (
	"slices"

	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// recordRef is a record id as a page shows it: linked when the UI has a
// page for its kind.
type recordRef struct {
	ID   string
	Href string
}

// recordPaths maps an id's kind to the page that shows it.
var recordPaths = map[string]string{
	ident.Problem.Prefix:    "/problems/",
	ident.Release.Prefix:    "/releases/",
	ident.Deployment.Prefix: "/deployments/",
	ident.KnownError.Prefix: "/known-errors/",
}

// refOf links id to its page when there is one; other ids (CI names,
// component versions, approvals) stay text.
func refOf(id string) recordRef {
	k, ok := ident.KindOf(id)
	if !ok {
		return recordRef{ID: id}
	}
	p, ok := recordPaths[k.Prefix]
	if !ok {
		return recordRef{ID: id}
	}
	if _, err := k.Parse("id", id); err != nil {
		return recordRef{ID: id}
	}
	return recordRef{ID: id, Href: p + id}
}

// verdictView is a gate verdict as the "verdict" partial shows it: the
// decision, then every rule line with its reason and records.
type verdictView struct {
	Env           string
	Decision      string
	DecisionClass string
	RiskClass     string
	Failing       []string // rules that failed or could not decide
	Rules         []ruleView
	Err           string // why there is no verdict (the input could not be read)
}

type ruleView struct {
	Rule      string
	Result    string
	Class     string
	Reason    string
	Undecided bool
	Records   []recordRef
}

// resultClass is the CSS class of a rule's result or a decision; the text
// always says it too (status is never colour only).
func resultClass(s string) string {
	switch s {
	case gate.Pass, gate.Allowed:
		return "ok"
	case gate.Fail, gate.Blocked:
		return "bad"
	case gate.Warn, gate.Undecided:
		return "warn"
	}
	return "muted"
}

// viewVerdict turns a verdict into its view, failing rules first kept in
// the gate's own order.
func viewVerdict(env string, v gate.Verdict) verdictView {
	out := verdictView{Env: env, Decision: v.Decision, DecisionClass: resultClass(v.Decision), RiskClass: v.RiskClass}
	for _, r := range v.Rules {
		rv := ruleView{Rule: r.Rule, Result: r.Result, Class: resultClass(r.Result), Reason: r.Reason, Undecided: r.Undecided}
		if r.Undecided {
			rv.Class = "warn"
		}
		for _, id := range r.Records {
			rv.Records = append(rv.Records, refOf(id))
		}
		if (r.Result == gate.Fail || r.Undecided) && !slices.Contains(out.Failing, r.Rule) {
			out.Failing = append(out.Failing, r.Rule)
		}
		out.Rules = append(out.Rules, rv)
	}
	return out
}
