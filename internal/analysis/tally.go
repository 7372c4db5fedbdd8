package analysis

import "time"

// Tally is what Judge and Due read of one check's measurements in one
// stage: how many of each outcome, the runs of consecutive errors, and the
// times and messages a decision states. Add folds in the next measurement,
// in the order they were taken; Count tallies a list. The store builds the
// same tally from its rows without reading each one (store.LoadRollout),
// so judging a check costs the same after an hour of measurements as after
// one.
type Tally struct {
	Measurements                     int // all of them, errors included
	Successful, Failed, Inconclusive int
	// ErrorRun is the run of consecutive errors that ends the list;
	// LongestErrorRun the longest such run anywhere in it.
	ErrorRun, LongestErrorRun int
	LastFailed, LastError     string    // the messages of the last failed and of the last error measurement
	Last                      time.Time // when the last measurement (in order) was taken
	LastFailure               time.Time // when the last failed or error measurement was taken
	// Latest is the latest time any measurement was taken; LatestError
	// says the first one taken then (in order) was an error (Due).
	Latest      time.Time
	LatestError bool
}

// Add folds m, the measurement taken after those t holds, into t.
func (t *Tally) Add(m Measurement) {
	if t.Measurements == 0 || m.At.After(t.Latest) {
		t.Latest, t.LatestError = m.At, m.Outcome == Error
	}
	t.Measurements++
	t.Last = m.At
	if m.Outcome == Error {
		t.ErrorRun++
		t.LongestErrorRun = max(t.LongestErrorRun, t.ErrorRun)
		t.LastError, t.LastFailure = m.Message, m.At
		return
	}
	t.ErrorRun = 0
	switch m.Outcome {
	case Successful:
		t.Successful++
	case Failed:
		t.Failed++
		t.LastFailed, t.LastFailure = m.Message, m.At
	case Inconclusive:
		t.Inconclusive++
	}
}

// Count tallies ms, in the order they were taken.
func Count(ms []Measurement) Tally {
	var t Tally
	for _, m := range ms {
		t.Add(m)
	}
	return t
}

// taken is how many measurements were taken: errors never count.
func (t Tally) taken() int { return t.Successful + t.Failed + t.Inconclusive }
