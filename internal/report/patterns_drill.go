package report

import (
	"slices"
	"time"
)

// BucketDeployment is one deployment behind a bucket or bin: Failed when
// it counts as failed there (FailureReasons, and on a failing_check key the
// check failed on it).
type BucketDeployment struct {
	FailedDeployment
	Failed bool `json:"failed"`
}

// KeyOf is the bucket (failure-pattern dimensions: the key, NoKey for
// none) or bin (binned dimensions, see BuildPatterns) of a fact of dim
// with key and measure n over a period.
func KeyOf(dim, key string, n int64, period time.Duration) string {
	if _, ok := binDefs[dim]; ok {
		return binOf(dim, value(dim, n, period))
	}
	if key == "" {
		return NoKey
	}
	return key
}

// KnownDim reports whether dim is a failure-pattern or binned dimension.
func KnownDim(dim string) bool {
	_, binned := binDefs[dim]
	return binned || slices.Contains(PatternDims, dim)
}

// BucketDeployments picks, from the rows of one dimension (every counted
// or not counted deployment of the period under its keys, in id order),
// the counted deployments behind bucket or bin key ("" for every one of
// the dimension), each once, in id order.
func BucketDeployments(dim, key string, period time.Duration, rows []PatternDeployment) []BucketDeployment {
	out := []BucketDeployment{}
	at := map[string]int{}
	for _, r := range rows {
		if r.Dim != dim || key != "" && KeyOf(dim, r.Key, r.N, period) != key {
			continue
		}
		counted, failed := failedGroup(r.Status, r.Incidents, r.Hit)
		if !counted {
			continue
		}
		if i, ok := at[r.ID]; ok {
			out[i].Failed = out[i].Failed || failed
			continue
		}
		d := BucketDeployment{FailedDeployment: r.FailedDeployment, Failed: failed}
		d.Reasons = FailureReasons(r.Status, r.Incidents)
		at[r.ID] = len(out)
		out = append(out, d)
	}
	return out
}
