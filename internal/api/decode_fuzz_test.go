package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"fixgate/internal/fault"
)

// FuzzDecode feeds arbitrary bytes to the strict decoder: it must never
// panic, every refusal must be a classified 4xx error naming a field, and
// nothing ambiguous is accepted (trailing data, invalid UTF-8, NUL, keys
// not spelled exactly or repeated in any letter case).
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
		`{"title":"lower","Title":"UPPER"}`, `{"priority":1,"Priority":4}`, `{"title":"x"}]`, `{"title":"x"}}`,
		`{"title":"a\u0000"}`, `{"TITLE":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p problemCreate
		err := decodeBytes(data, &p)
		if err == nil {
			if why := ambiguous(data); why != "" {
				t.Fatalf("accepted %q although %s", data, why)
			}
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

// ambiguous says why encoding/json alone would read data loosely: trailing
// data, invalid UTF-8, a NUL, or a top-level key that is not exactly one of
// problemCreate's or repeats another in any letter case ("" for none).
func ambiguous(data []byte) string {
	if !json.Valid(data) {
		return "it is not one JSON value (trailing data?)"
	}
	if !bytes.Equal(bytes.ToValidUTF8(data, nil), data) || bytes.Contains(data, []byte(`\u0000`)) {
		return "it holds invalid UTF-8 or NUL"
	}
	fields := map[string]bool{"title": true, "description": true, "priority": true, "owner": true,
		"cis": true, "environments": true, "workaround": true, "incidents": true}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.Token()
	var keys []string
	for dec.More() {
		tok, _ := dec.Token()
		k, _ := tok.(string)
		if !fields[k] {
			return "key " + k + " is not a field"
		}
		for _, o := range keys {
			if strings.EqualFold(o, k) {
				return "key " + k + " repeats " + o
			}
		}
		keys = append(keys, k)
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return ""
}
