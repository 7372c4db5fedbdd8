package jobs

import (
	"context"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/store"
)

// AssessControls is the lease name of the monthly control assessment step.
const AssessControls = "controls.assess_monthly"

// StepAssessControls assesses the governance controls over the calendar
// month before now (UTC) once: when the lease is this replica's and no
// assessment of that month by the job exists yet, it stores one
// (ASSESS-n, actor system). It returns the assessment, or nil when there
// was nothing to do or another replica holds the lease.
func (r *Runner) StepAssessControls(ctx context.Context, now time.Time) (*store.Assessment, error) {
	ok, err := r.Store.ClaimLease(ctx, AssessControls, r.Holder, r.Interval)
	if err != nil || !ok {
		return nil, err
	}
	p := control.MonthBefore(now)
	done, err := r.Store.ListAssessments(ctx, p.Name, store.MaxLimit)
	if err != nil {
		return nil, err
	}
	for _, a := range done {
		if a.CreatedBy == "system" {
			return nil, nil
		}
	}
	a, err := r.Store.AssessControls(ctx, audit.System("job:"+AssessControls), p)
	if err != nil {
		return nil, err
	}
	r.Log.Info("controls assessed", "assessment", a.ID, "period", p.Name, "passed", a.Passed, "exceptions", a.Exceptions())
	return &a, nil
}
