package store

// SetAfterStartGate sets a function run between a start's gate evaluation
// and its insert (nil: none).
func SetAfterStartGate(f func()) { afterStartGate = f }
