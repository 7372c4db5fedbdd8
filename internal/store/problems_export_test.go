package store

// SetProblemScan sets ProblemScan and the first count's bound
// (problemProbe); the function returned restores both.
func SetProblemScan(scan, probe int) (restore func()) {
	s, p := ProblemScan, problemProbe
	ProblemScan, problemProbe = scan, probe
	return func() { ProblemScan, problemProbe = s, p }
}
