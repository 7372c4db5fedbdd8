package rollout

import (
	"encoding/json"
	"fmt"
	"time"

	"fixgate/internal/analysis"

	"fixgate/internal/deploy"
	"fixgate/internal/policy"
)

// Kinds of check.
const (
	KindPrometheus = "prometheus"
	KindRecurrence = "recurrence"
	KindIncidents  = "incidents"
)

// Stage labels of the measurements taken in the watch window and after a
// rollback (the others carry the stage's name).
const (
	WatchStage    = "watch"
	RestoredStage = "after-rollback"
)

// CheckRef is one check of an analysis template.
type CheckRef struct {
	Template string
	Check    policy.Check
}

// Key names the check in causes and measurements: TEMPLATE/NAME.
func (c CheckRef) Key() string { return c.Template + "/" + c.Check.Name }

// Kind is the check's kind (KindPrometheus, KindRecurrence, KindIncidents).
func (c CheckRef) Kind() string { return KindOf(c.Check) }

// KindOf returns the kind of c, "" when it names none.
func KindOf(c policy.Check) string {
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

// Checks lists the checks of d's current stage under pol (the templates
// of Templates, in order); watch: only those that keep running after
// 100 % (InWatch).
func Checks(pol *policy.Policy, model string, d deploy.Deployment, watch bool) []CheckRef {
	var out []CheckRef
	for _, t := range Templates(pol, model, d.Stage()) {
		for _, c := range pol.AnalysisTemplates[t].Checks {
			if !watch || InWatch(KindOf(c)) {
				out = append(out, CheckRef{Template: t, Check: c})
			}
		}
	}
	return out
}

// Window returns the stage label d's measurements taken at now are
// recorded under, and since when the recurrence and incidents checks
// count: the watch since d finished at 100 %, the restored version from
// now on while rolling back, else the current stage since it started
// (now when it has not started yet).
func Window(d deploy.Deployment, now time.Time) (string, time.Time) {
	switch {
	case d.Status == deploy.Succeeded:
		if d.FinishedAt != nil {
			return WatchStage, *d.FinishedAt
		}
	case d.Status == deploy.RollingBack:
		return RestoredStage, now
	case d.StageStartedAt != nil:
		return d.Stage().Name, *d.StageStartedAt
	}
	return d.Stage().Name, now
}

// Watching reports whether d's checks may still roll it back at now:
// running or paused with its stage started, or succeeded inside its watch
// window (not verified yet).
func Watching(d deploy.Deployment, now time.Time) bool {
	switch d.Status {
	case deploy.Running, deploy.Paused:
		return d.StageStartedAt != nil
	case deploy.Succeeded:
		return d.VerifiedAt == nil && d.WatchUntil != nil && now.Before(*d.WatchUntil)
	}
	return false
}

// Counted is m, the measurement of a recurrence or incidents check, with
// the records it counted: failed when there are more than max.
func Counted(m analysis.Measurement, recs []string, max int, what string) analysis.Measurement {
	m.Value, _ = json.Marshal(map[string]int{"count": len(recs)})
	m.Records = recs
	m.Outcome, m.Message = analysis.Successful, fmt.Sprintf("%d %s (at most %d)", len(recs), what, max)
	if len(recs) > max {
		m.Outcome = analysis.Failed
	}
	return m
}

// What recurrence and incidents measurements say they counted.
const RecurrenceWhat = "matches of the resolved problems' signatures"

// IncidentsWhat is what an incidents measurement at severity sev counted.
func IncidentsWhat(sev int) string { return fmt.Sprintf("new incidents at severity %d or higher", sev) }

// MinSeverity is the lowest severity (the highest number; 1 is highest)
// an incidents check counts: its min_severity, else 4 (all).
func MinSeverity(c *policy.IncidentsCheck) int {
	if c == nil || c.MinSeverity == 0 {
		return 4
	}
	return c.MinSeverity
}
