package report

import "fixgate/internal/pir"

// Release types the change failure rate is split by (release.Types).
var ReleaseTypes = []string{"problem-fix", "feature", "mixed"}

// Duration measures, each a sample of whole seconds.
const (
	MeasureRecovery       = "failed_deployment_recovery" // first failing evidence → rollback done
	MeasureDetect         = "time_to_detect"             // deployment start → first failing evidence
	MeasureMTTR           = "incident_mttr"              // incident opened → resolved
	MeasureToRCAValidated = "opened_to_rca_validated"    // problem opened → first RCA validation
	MeasureToFixDeployed  = "rca_validated_to_fix_deployed"
	MeasureToClosed       = "fix_deployed_to_closed"
	MeasureOpenToClosed   = "opened_to_closed"
)

// Measures lists every duration measure.
var Measures = []string{MeasureRecovery, MeasureDetect, MeasureMTTR, MeasureToRCAValidated, MeasureToFixDeployed,
	MeasureToClosed, MeasureOpenToClosed}

// Facts is what the store loads for one report.
type Facts struct {
	Deployments     []DeploymentGroup       // Key: release type, by month
	Candidates      []DeploymentFact        // Key: release type
	TeamDeployments []DeploymentGroup       // Key: team (CI owner)
	Durations       map[string][]ValueCount // per measure, its histogram
	Recurrence      []RecurrenceGroup
	Closed          int64
	AfterClosure    []ClosedRecurrence
	Incidents       []IncidentProblem
	Targets         []pir.FixTargets // evaluated fixes of the period
}

// ChangeFailureRate splits the change failure rate by release type.
type ChangeFailureRate struct {
	ProblemFix FailureRate `json:"problem_fix"`
	Feature    FailureRate `json:"feature"`
	Mixed      FailureRate `json:"mixed"`
}

// Flow is the problem flow: opened → RCA validated → fix deployed → closed.
type Flow struct {
	OpenedToRCAValidated   Durations `json:"opened_to_rca_validated"`
	RCAValidatedToDeployed Durations `json:"rca_validated_to_fix_deployed"`
	DeployedToClosed       Durations `json:"fix_deployed_to_closed"`
	OpenedToClosed         Durations `json:"opened_to_closed"`
}

// Recurrence is the recurrence figures.
type Recurrence struct {
	Overall      RecurrenceRate   `json:"overall"`
	Problems     []RecurrenceRate `json:"per_problem"`
	Category     []RecurrenceRate `json:"per_category"`
	CI           []RecurrenceRate `json:"per_ci"`
	ChangeModel  []RecurrenceRate `json:"per_change_model"`
	AfterClosure AfterClosure     `json:"after_closure"`
}

// Team is one owning team's figures (team = owner of the CIs; never a person's ranking).
type Team struct {
	Team              string         `json:"team"`
	ChangeFailureRate FailureRate    `json:"change_failure_rate"`
	Recurrence        RecurrenceRate `json:"recurrence"`
}

// SuccessCriteria counts the fixes of the period with targets and lists those that missed one.
type SuccessCriteria struct {
	Evaluated int64            `json:"evaluated"`
	Missed    []pir.FixTargets `json:"missed"`
	Pending   int64            `json:"pending"`
}

// KPI is the whole report (the JSON of GET /api/v1/reports/kpi).
type KPI struct {
	Filter            Filter            `json:"filter"`
	ChangeFailureRate ChangeFailureRate `json:"change_failure_rate"`
	Recovery          Durations         `json:"failed_deployment_recovery"`
	Detect            Durations         `json:"time_to_detect"`
	MTTR              Durations         `json:"incident_mttr"`
	Flow              Flow              `json:"problem_flow"`
	Recurrence        Recurrence        `json:"recurrence"`
	Targeted          TargetedShare     `json:"targeted_releases"`
	SuccessCriteria   SuccessCriteria   `json:"success_criteria"`
	Teams             []Team            `json:"teams"`
	Trend             []MonthRate       `json:"change_failure_rate_by_month"` // every month of the period, oldest first
}

// Build turns the facts of filter f into the report.
func Build(f Filter, x Facts) KPI {
	cfr := FailureRates(ReleaseTypes, x.Deployments, x.Candidates)
	d := func(m string) Durations { return DurationsOf(x.Durations[m]) }
	k := KPI{Filter: f,
		ChangeFailureRate: ChangeFailureRate{ProblemFix: cfr["problem-fix"], Feature: cfr["feature"], Mixed: cfr["mixed"]},
		Recovery:          d(MeasureRecovery), Detect: d(MeasureDetect), MTTR: d(MeasureMTTR),
		Flow: Flow{OpenedToRCAValidated: d(MeasureToRCAValidated), RCAValidatedToDeployed: d(MeasureToFixDeployed),
			DeployedToClosed: d(MeasureToClosed), OpenedToClosed: d(MeasureOpenToClosed)},
		Targeted: TargetedShareOf(x.Incidents, f.Now),
		Trend:    MonthlyFailureRates(Months(f.Since, f.Now), x.Deployments),
	}
	perProblem := RecurrenceRates(ByProblem, x.Recurrence)
	k.Recurrence = Recurrence{Overall: Overall(perProblem), Problems: recurred(perProblem),
		Category: RecurrenceRates(ByCategory, x.Recurrence), CI: RecurrenceRates(ByCI, x.Recurrence),
		ChangeModel: RecurrenceRates(ByChangeModel, x.Recurrence), AfterClosure: AfterClosureOf(x.Closed, x.AfterClosure)}
	k.SuccessCriteria = successCriteria(x.Targets)
	k.Teams = teams(x.TeamDeployments, RecurrenceRates(ByTeam, x.Recurrence))
	return k
}

// recurred keeps the per-problem rates of problems that recurred.
func recurred(rs []RecurrenceRate) []RecurrenceRate {
	out := []RecurrenceRate{}
	for _, r := range rs {
		if r.Recurred > 0 {
			out = append(out, r)
		}
	}
	return out
}

func successCriteria(fs []pir.FixTargets) SuccessCriteria {
	s := SuccessCriteria{Missed: []pir.FixTargets{}}
	for _, f := range fs {
		switch f.Verdict() {
		case pir.TargetMissed:
			s.Evaluated++
			s.Missed = append(s.Missed, f)
		case pir.TargetMet:
			s.Evaluated++
		default:
			s.Pending++
		}
	}
	return s
}

// teams joins the team deployment groups and the teams' recurrence rates,
// in team order; a team's list of failed deployments is left empty (the
// release-type figures list them).
func teams(groups []DeploymentGroup, rec []RecurrenceRate) []Team {
	keys := map[string]bool{}
	for _, g := range groups {
		keys[g.Key] = true
	}
	recBy := map[string]RecurrenceRate{}
	for _, r := range rec {
		keys[r.Key] = true
		recBy[r.Key] = r
	}
	cfr := FailureRates(sortedKeys(keys), groups, nil)
	out := []Team{}
	for _, k := range sortedKeys(keys) {
		r, ok := recBy[k]
		if !ok {
			r = RecurrenceRate{Key: k}
		}
		out = append(out, Team{Team: k, ChangeFailureRate: cfr[k], Recurrence: r})
	}
	return out
}
