package policy

// Targets are the measurable success criteria of a fix (seed 5.1), stated
// on its change model and evaluated by its post-implementation review
// (internal/pir.Evaluate). Every target is optional.
type Targets struct {
	// IncidentRateReduction is the least reduction, in percent (0–100), of
	// the problem's incident rate over equal windows after the fix against
	// before it.
	IncidentRateReduction *float64 `yaml:"incident_rate_reduction,omitempty" json:"incident_rate_reduction,omitempty"`
	// MTTRBelow: the mean time to resolve the problem's incidents of the
	// window after the fix is below it.
	MTTRBelow Duration `yaml:"mttr_below,omitempty" json:"mttr_below,omitempty"`
	// ErrorRatioQuery is a PromQL error ratio that must stay below
	// ErrorRatioBelow; evaluated only where a Prometheus URL is configured.
	ErrorRatioQuery string   `yaml:"error_ratio_query,omitempty" json:"error_ratio_query,omitempty"`
	ErrorRatioBelow *float64 `yaml:"error_ratio_below,omitempty" json:"error_ratio_below,omitempty"`
}

// Any reports whether t states at least one target.
func (t Targets) Any() bool {
	return t.IncidentRateReduction != nil || t.MTTRBelow > 0 || t.ErrorRatioQuery != ""
}

func validateTargets(path string, t Targets) error {
	if r := t.IncidentRateReduction; r != nil && (*r < 0 || *r > 100) {
		return bad(path+".incident_rate_reduction", "must be a percentage from 0 to 100, got %v", *r)
	}
	if t.MTTRBelow < 0 {
		return bad(path+".mttr_below", "must not be negative")
	}
	if err := WholeSeconds(path+".mttr_below", t.MTTRBelow); err != nil {
		return err
	}
	if (t.ErrorRatioQuery == "") != (t.ErrorRatioBelow == nil) {
		return bad(path+".error_ratio_query", "error_ratio_query and error_ratio_below go together")
	}
	return nil
}
