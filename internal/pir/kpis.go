package pir

import (
	"math"
	"time"
)

// KPI names fixgate computes for a review (see SetComputedKPIs). Any other
// KPI name is the user's and is never touched.
const (
	KPIWindowDays         = "window_days"
	KPIIncidentsBefore    = "incidents_before"
	KPIIncidentsAfter     = "incidents_after"
	KPIIncidentRateBefore = "incident_rate_before" // incidents per day
	KPIIncidentRateAfter  = "incident_rate_after"  // incidents per day of the elapsed part of the after window
	KPIAfterElapsedDays   = "after_elapsed_days"
)

// ComputedKPIs lists the KPI names SetComputedKPIs owns.
var ComputedKPIs = []string{KPIWindowDays, KPIIncidentsBefore, KPIIncidentsAfter, KPIIncidentRateBefore,
	KPIIncidentRateAfter, KPIAfterElapsedDays}

// Windows are the two equal windows a fix is measured over, of the
// problem's observation period length L and centred on its resolution:
// before = [At − L, At), after = [At, At + L).
type Windows struct {
	At     time.Time
	Length time.Duration
}

// KPIWindows returns the windows around a problem's resolution, or false
// when it has none to centre on (no resolution, or no observation period
// after it).
func KPIWindows(resolvedAt, observationUntil *time.Time) (Windows, bool) {
	if resolvedAt == nil || observationUntil == nil || !observationUntil.After(*resolvedAt) {
		return Windows{}, false
	}
	return Windows{At: *resolvedAt, Length: observationUntil.Sub(*resolvedAt)}, true
}

// Before is the window before the resolution, [from, to).
func (w Windows) Before() (from, to time.Time) { return w.At.Add(-w.Length), w.At }

// After is the window from the resolution, [from, to).
func (w Windows) After() (from, to time.Time) { return w.At, w.At.Add(w.Length) }

// SetComputedKPIs sets the computed KPIs in kpis from the incidents counted
// in each window, at now: the counts, the window length in days, the rate
// before per day, and the rate after per day of the part of the after
// window that has elapsed (absent while none has). Other names are kept.
func SetComputedKPIs(kpis map[string]float64, w Windows, before, after int64, now time.Time) {
	days := w.Length.Hours() / 24
	elapsed := min(max(now.Sub(w.At), 0), w.Length).Hours() / 24
	kpis[KPIWindowDays] = round3(days)
	kpis[KPIIncidentsBefore] = float64(before)
	kpis[KPIIncidentsAfter] = float64(after)
	kpis[KPIIncidentRateBefore] = round3(float64(before) / days)
	kpis[KPIAfterElapsedDays] = round3(elapsed)
	if elapsed > 0 {
		kpis[KPIIncidentRateAfter] = round3(float64(after) / elapsed)
	} else {
		delete(kpis, KPIIncidentRateAfter)
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
