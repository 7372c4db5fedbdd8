package gate

import (
	"fmt"
	"strings"
	"time"

	"fixgate/internal/policy"
)

// ruleDocumentation (rule 13): the release carries every document its risk
// class requires (gate.rules.documentation.required), each an artifact of
// that kind attached to the release. An "rca" document is also satisfied
// when every problem the release resolves has an RCA document recorded on
// the problem. An approved documentation deviation turns a failure into a
// warning. One Fail line per missing kind.
func ruleDocumentation(pol *policy.Policy, in *Input, _ time.Time) []Result {
	class, _, err := riskClass(pol, in)
	if err != nil {
		return []Result{{Result: Fail, Undecided: true, Records: []string{in.Release.ID},
			Reason: fmt.Sprintf("cannot compute the risk class: %v", err)}}
	}
	need := pol.Gate.Rules.Documentation.DocumentsFor(class)
	if len(need) == 0 {
		return pass("the policy requires no document for a %s-risk release", class)
	}
	have := map[string]string{}
	for _, d := range in.Release.Documents {
		have[d.Kind] = d.Name
	}
	dev := covering(in, RuleDocumentation)
	var out []Result
	for _, kind := range need {
		if _, ok := have[kind]; ok || kind == "rca" && problemsHaveRCADocs(in) {
			continue
		}
		reason := fmt.Sprintf("a %s-risk release needs a %s document; %s has none attached (fixgate release attach --kind %s)",
			class, kind, in.Release.ID, kind)
		if dev != nil {
			out = append(out, Result{Result: Warn, Records: append([]string{in.Release.ID}, idOr(dev.ID, in.Change.ID)...),
				Reason: fmt.Sprintf("%s; allowed by a deviation approved by %s: %s", reason, dev.ApprovedBy, dev.Reason)})
			continue
		}
		out = append(out, fail([]string{in.Release.ID}, "%s", reason))
	}
	if len(out) == 0 {
		return pass("%s carries the documents a %s-risk release needs: %s", in.Release.ID, class, strings.Join(need, ", "))
	}
	return out
}

// problemsHaveRCADocs reports whether the release resolves problems and
// each of them has an RCA document recorded.
func problemsHaveRCADocs(in *Input) bool {
	ps := resolvedProblems(in)
	for _, p := range ps {
		if p.RCA.Document == "" {
			return false
		}
	}
	return len(ps) > 0
}
