package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"fixgate/internal/fault"
)

// FuzzSpoolImport feeds arbitrary bytes to the streaming import reader: it
// never panics, refuses with an Invalid or TooLarge error naming a field,
// accepts only one well-formed JSON document (nothing after it), and
// accounts for every row it accepts: spooled (and read back) or reported.
func FuzzSpoolImport(f *testing.F) {
	for _, s := range []string{
		`{"rows":[{"external_id":"E-1","title":"t","ci":"c","env":"e","severity":2}]}`,
		`{"rows":[{"external_id":"E-1","Title":"t"},{"external_id":"E-2","title":"a","title":"b"}]}`,
		`{"rows":[]}`, `{"rows":null}`, `{"Rows":[]}`, `{"rows":[1,"x",{}]}`, `{"rows":[{}]}]`, `{"rows":[{}]}}`,
		`{"rows":[{"opened_at":"2026-03-01T10:00:00"}]}`, "{\"rows\":[{\"title\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sp, err := spoolImport(bytes.NewReader(data), t.TempDir())
		if err != nil {
			if fe := fault.As(err); fe == nil || (fe.Code != fault.Invalid && fe.Code != fault.TooLarge) || fe.Field == "" {
				t.Fatalf("unclassified error %v for %q", err, data)
			}
			return
		}
		defer sp.Close()
		if !json.Valid(data) {
			t.Fatalf("accepted %q, which is not one JSON document", data)
		}
		next, err := sp.batches()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			rows, err := next()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				break
			}
			n += len(rows)
		}
		if n != len(sp.idx) || n+len(sp.errs) == 0 {
			t.Fatalf("%q: spooled %d rows, read back %d, reported %d", data, len(sp.idx), n, len(sp.errs))
		}
	})
}
