package store

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// Revisions encode byte for byte as encoding/json encodes the same map:
// the stored digests of input revisions do not change.
func TestRevisionsEncodeAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	keys := []string{"REL-1", "CMP-20", "CMP-3", "env:prod-eu", "PRB-7", "APR-2", "CHG-1", "a<b>&c", "x<y", "u&v", `quo"te`, `back\slash`,
		"tab\there", "ünï", "\xff\xfe", "line\u2028sep", "", "env:eu west"}
	for n := range 200 {
		r := Revisions{}
		for range rng.IntN(len(keys) + 1) {
			r[keys[rng.IntN(len(keys))]] = rng.Int64N(1<<40) - 1<<39
		}
		got, _ := r.MarshalJSON()
		want, _ := json.Marshal(map[string]int64(r))
		if string(got) != string(want) {
			t.Fatalf("case %d: %s, want %s", n, got, want)
		}
		inStruct, _ := json.Marshal(struct{ R Revisions }{r})
		if wantStruct, _ := json.Marshal(struct{ R map[string]int64 }{r}); string(inStruct) != string(wantStruct) {
			t.Fatalf("case %d in a struct: %s, want %s", n, inStruct, wantStruct)
		}
	}
	if got, _ := json.Marshal(struct{ R Revisions }{}); string(got) != `{"R":null}` {
		t.Fatalf("nil: %s", got)
	}
}
