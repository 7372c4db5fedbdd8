// Package signal holds the pure rules of the feedback loop: which
// deployments a signal (an alert or an incident) is attributed to, and what
// a signal that matches a problem's signature means for that problem
// (recurrence, or not). It does no I/O: the store passes the records in.
package signal

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Signal is one observation from monitoring or the incident API. At is when
// the condition began (an alert's startsAt, an incident's opened_at), not
// when fixgate received it, so a late delivery is attributed correctly.
type Signal struct {
	Labels map[string]string
	Env    string
	CI     string // "" when the signal names no CI
	At     time.Time
}

// Deployment status values, as in the deployment lifecycle.
const (
	DeployPending    = "pending"
	DeployRunning    = "running"
	DeploySucceeded  = "succeeded"
	DeployBlocked    = "blocked"
	DeployRolledBack = "rolled_back"
	DeployFailed     = "failed"
	DeployAborted    = "aborted"
)

// Deployment is what attribution needs to know of one deployment: one
// release into one environment. CIs are the CIs its release changes (empty:
// unknown, treated as all). A deployment still running has no FinishedAt.
type Deployment struct {
	ID         int64
	Env        string
	CIs        []string
	Status     string
	StartedAt  *time.Time
	FinishedAt *time.Time
	Stages     []Stage
}

// Stage is one step of a deployment's path; it runs from StartedAt to the
// end of its analysis window (FinishedAt).
type Stage struct {
	Name       string
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// DefaultAttributionWindow is how long after a deployment finished a signal
// is still attributed to it.
const DefaultAttributionWindow = 24 * time.Hour

// Policy holds the attribution parameters of the policy file.
type Policy struct {
	// AttributionWindow bounds attribution after a deployment succeeded; 0
	// means DefaultAttributionWindow. Beyond it a signal is attributed to no
	// deployment, however recent the last one (unlike DevLake's "latest
	// deployment before the incident, however old").
	AttributionWindow time.Duration
}

// Validate returns an Invalid error naming attribution_window if it is negative.
func (p Policy) Validate() error {
	if p.AttributionWindow < 0 {
		return fault.Field("attribution_window", "must not be negative, got %s", p.AttributionWindow)
	}
	return nil
}

func (p Policy) window() time.Duration {
	if p.AttributionWindow == 0 {
		return DefaultAttributionWindow
	}
	return p.AttributionWindow
}

// MarshalJSON writes the deployment in its public form ("DEP-24").
func (v Verdict) MarshalJSON() ([]byte, error) {
	type plain Verdict
	return json.Marshal(struct {
		Deployment string `json:"deployment"`
		plain
	}{ident.Deployment.Format(v.DeploymentID), plain(v)})
}

// UnmarshalJSON reads what MarshalJSON writes, and the "deployment_id"
// number that signals stored before the public form was used.
func (v *Verdict) UnmarshalJSON(b []byte) error {
	type plain Verdict
	var in struct {
		Deployment   string `json:"deployment"`
		DeploymentID int64  `json:"deployment_id"`
		plain
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*v = Verdict(in.plain)
	v.DeploymentID = in.DeploymentID
	if in.Deployment != "" {
		n, err := ident.Deployment.Parse("deployment", in.Deployment)
		if err != nil {
			return err
		}
		v.DeploymentID = n
	}
	return nil
}

// Pick returns the one deployment an incident is attributed to when its
// signal is attributed to several (vs, from Attribute): one in progress
// first (a rollout under way is the likelier cause), else the most recent
// live one; 0 when vs has none.
func Pick(vs []Verdict) int64 {
	var best int64
	for _, v := range vs {
		if !v.Attributed {
			continue
		}
		if v.Phase == InProgress {
			return v.DeploymentID
		}
		best = max(best, v.DeploymentID)
	}
	return best
}

// Phases of an attributed deployment.
const (
	InProgress = "in_progress" // the deployment was rolling out or analysing at the signal time
	Live       = "live"        // it had succeeded and was the live deployment, within the window
)

// Verdict says whether a signal is attributed to one deployment, and why.
type Verdict struct {
	DeploymentID int64  `json:"-"` // in JSON as "deployment": "DEP-n"
	Attributed   bool   `json:"attributed"`
	Phase        string `json:"phase,omitempty"`
	Stage        string `json:"stage,omitempty"` // the stage running at the signal time
	Reason       string `json:"reason"`
}

// Attribute returns the verdicts of the deployments the signal is
// attributed to, sorted by deployment ID: the ones live at s.At. See Explain.
func Attribute(s Signal, deps []Deployment, pol Policy) ([]Verdict, error) {
	all, err := Explain(s, deps, pol)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(v Verdict) bool { return !v.Attributed }), nil
}

// Explain returns one verdict per deployment of deps, sorted by ID, so a
// person can see why a signal was or was not attributed. The rule, at the
// signal time t = s.At (every bound inclusive):
//
//   - a deployment of another environment, or whose CIs do not include the
//     signal's CI, is not considered;
//   - one that had not started by t is not attributed;
//   - one in progress at t (started, not yet finished: rolling out or in a
//     stage's analysis window) is attributed, whatever its final status,
//     phase in_progress, naming the stage running at t;
//   - one that finished by t is attributed only if it succeeded, t is within
//     the attribution window after it finished, and no later succeeded
//     deployment of the same environment had finished by t (superseded);
//     phase live. A later deployment that failed or was rolled back does not
//     supersede it: the previous version is what runs.
//
// A deployment in a terminal state without a finish time is taken to have
// finished at its last recorded stage time (or its start).
func Explain(s Signal, deps []Deployment, pol Policy) ([]Verdict, error) {
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	if s.At.IsZero() {
		return nil, fault.Field("at", "is required: the time the signal began")
	}
	if s.Env == "" {
		return nil, fault.Field("env", "is required")
	}
	var cands []Deployment
	var out []Verdict
	for _, d := range deps {
		switch {
		case d.Env != s.Env:
			out = append(out, Verdict{DeploymentID: d.ID, Reason: fmt.Sprintf("deployed to %s, the signal is from %s", d.Env, s.Env)})
		case s.CI != "" && len(d.CIs) > 0 && !slices.Contains(d.CIs, s.CI):
			out = append(out, Verdict{DeploymentID: d.ID, Reason: fmt.Sprintf("does not change %s", s.CI)})
		default:
			cands = append(cands, d)
		}
	}
	for _, d := range cands {
		out = append(out, judge(s.At, d, cands, pol.window()))
	}
	slices.SortFunc(out, func(a, b Verdict) int { return cmp.Compare(a.DeploymentID, b.DeploymentID) })
	return out, nil
}

// judge applies the rule of Explain to d among the candidates cands.
func judge(t time.Time, d Deployment, cands []Deployment, window time.Duration) Verdict {
	v := Verdict{DeploymentID: d.ID}
	if d.Status == DeployPending || d.StartedAt == nil || d.StartedAt.After(t) {
		v.Reason = "had not started at the signal time"
		return v
	}
	end, ended := finish(d)
	if !ended || t.Before(end) {
		v.Attributed, v.Phase, v.Stage = true, InProgress, stageAt(d, t)
		v.Reason = "in progress at the signal time (started " + stamp(*d.StartedAt) + ")"
		return v
	}
	if d.Status != DeploySucceeded {
		v.Reason = fmt.Sprintf("%s at %s, before the signal", d.Status, stamp(end))
		return v
	}
	if limit := end.Add(window); t.After(limit) {
		v.Reason = fmt.Sprintf("succeeded at %s; the signal came after the %s attribution window ended at %s",
			stamp(end), window, stamp(limit))
		return v
	}
	if by := supersededBy(t, d, end, cands); by != 0 {
		v.Reason = fmt.Sprintf("superseded by %s before the signal", ident.Deployment.Format(by))
		return v
	}
	v.Attributed, v.Phase = true, Live
	v.Reason = fmt.Sprintf("live: succeeded at %s, within the %s attribution window", stamp(end), window)
	return v
}

// finish returns when d ended; false while it has not (running, or blocked
// part-way without a finish time).
func finish(d Deployment) (time.Time, bool) {
	if d.FinishedAt != nil {
		return *d.FinishedAt, true
	}
	switch d.Status {
	case DeployRunning, DeployBlocked, DeployPending:
		return time.Time{}, false
	}
	end := *d.StartedAt
	for _, st := range d.Stages {
		for _, at := range []*time.Time{st.StartedAt, st.FinishedAt} {
			if at != nil && at.After(end) {
				end = *at
			}
		}
	}
	return end, true
}

// supersededBy returns the ID of a succeeded deployment that finished after
// d (ties broken by ID) and no later than t, or 0.
func supersededBy(t time.Time, d Deployment, end time.Time, cands []Deployment) int64 {
	for _, o := range cands {
		if o.ID == d.ID || o.Status != DeploySucceeded || o.FinishedAt == nil || o.FinishedAt.After(t) {
			continue
		}
		if o.FinishedAt.After(end) || o.FinishedAt.Equal(end) && o.ID > d.ID {
			return o.ID
		}
	}
	return 0
}

// stageAt names the last stage of d that had started by t.
func stageAt(d Deployment, t time.Time) string {
	name := ""
	for _, st := range d.Stages {
		if st.StartedAt != nil && !st.StartedAt.After(t) {
			name = st.Name
		}
	}
	return name
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
