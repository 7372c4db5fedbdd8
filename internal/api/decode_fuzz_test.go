package api

import (
	"testing"

	"fixgate/internal/fault"
)

// FuzzDecode feeds arbitrary bytes to the strict decoder: it must never
// panic, and every refusal must be a classified 4xx error naming a field.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"title":"x","priority":1}`,
		`{"title":"x","title":"y"}`,
		`{"title":"x","priority":"1"}`,
		`{"incidents":["INC-1"],"cis":["a","b"]}`,
		`{"to":"assess","revision":3}`,
		`{"freezes":[{"start":"2026-01-01T00:00:00","end":"2026-01-02T00:00:00Z"}]}`,
		`{"a":{"b":{"c":[1,2,{"d":null}]}}}`,
		`[1,2]`, `"x"`, `{`, `{"title":}`, "{\"title\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p problemCreate
		err := decodeBytes(data, &p)
		if err == nil {
			return
		}
		fe := fault.As(err)
		if fe == nil || (fe.Code != fault.Invalid && fe.Code != fault.TooLarge) {
			t.Fatalf("unclassified decode error %v for %q", err, data)
		}
		if fe.Field == "" {
			t.Fatalf("decode error names no field: %v for %q", err, data)
		}
		var e envPatch
		_ = decodeBytes(data, &e)
	})
}
