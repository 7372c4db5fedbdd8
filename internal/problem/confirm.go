package problem

import (
	"slices"
	"strings"

	"fixgate/internal/fault"
)

// FixTeam is who took part in fixing a problem: nobody among them may
// confirm that the fix worked.
type FixTeam struct {
	ReleaseCreators  []string // creators of the releases that resolve the problem
	ChangeRequesters []string // requesters of changes for those releases
}

// CheckConfirmer decides whether user may confirm, as an independent
// validator, that the fix of p worked. p must be resolved (the fix is
// live). user must not have created a release resolving p, requested a
// change for one, written the RCA, or resolved p. Returns
// PreconditionFailed for a problem that is not resolved and Forbidden
// listing every reason the user is not independent.
func CheckConfirmer(user string, p *Problem, team FixTeam) error {
	if p.Status != Resolved {
		return fault.New(fault.PreconditionFailed, "problem %s is %s: only a resolved problem's fix can be confirmed", p.ID, p.Status)
	}
	var why []string
	if slices.Contains(team.ReleaseCreators, user) {
		why = append(why, "created a release that resolves it")
	}
	if slices.Contains(team.ChangeRequesters, user) {
		why = append(why, "requested a change for such a release")
	}
	if p.RCA.Author != "" && p.RCA.Author == user {
		why = append(why, "wrote its root cause analysis")
	}
	if p.ResolvedBy != "" && p.ResolvedBy == user {
		why = append(why, "resolved it")
	}
	if len(why) > 0 {
		return fault.Refused("separation_of_duties", "%s %s, so cannot confirm the fix of %s: a validator outside the release team must (separation of duties)",
			user, strings.Join(why, ", "), p.ID)
	}
	return nil
}
