package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
)

type inner struct {
	Name string `json:"name"`
}

type Embedded struct {
	Team string `json:"team"`
}

type doc struct {
	Embedded
	Title    string            `json:"title"`
	Priority int               `json:"priority"`
	At       *time.Time        `json:"at,omitempty"`
	Labels   map[string]string `json:"labels"`
	Items    []inner           `json:"items"`
	Raw      json.RawMessage   `json:"raw"`
	Any      any               `json:"any"`
	Untagged string
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		in, field string // field "" means accepted
		opt       Options
	}{
		{in: `{"title":"x","priority":1,"team":"a","Untagged":"u"}`},
		{in: `{"labels":{"A":"1","a":"2"}}`},
		{in: `{"labels":{"a":"1","a":"2"}}`, field: "labels.a"},
		{in: `{"labels":{"A":"1","B":"2"},"items":[{"name":"n"}],"raw":{"X":1,"x":2}}`},
		{in: `{"raw":{"x":1,"x":2}}`, field: "raw.x"},
		{in: `{"title":"lower","Title":"UPPER"}`, field: "Title"},
		{in: `{"Title":"UPPER"}`, field: "Title"},
		{in: `{"priority":1,"Priority":4}`, field: "Priority"},
		{in: `{"title":"x","title":"y"}`, field: "title"},
		{in: `{"title":"x"}]`, field: "body"},
		{in: `{"title":"x"}}`, field: "body"},
		{in: `{"title":"x"} {}`, field: "body"},
		{in: "{\"title\":\"x\"}\n\t "},
		{in: "{\"title\":\"\xff\"}", field: "title"},
		{in: "{\"ti\xfftle\":\"x\"}", field: "body"},
		{in: `{"title":"a\u0000b"}`, field: "title"},
		{in: `{"items":[{"name":"a"},{"Name":"b"}]}`, field: "items[1].Name"},
		{in: `{"items":[{"name":"a"},{"nope":"b"}]}`, field: "items[1].nope"},
		{in: `{"nope":1}`, field: "nope"},
		{in: `{"nope":{"a":1,"a":2}}`, field: "nope.a", opt: Options{AllowUnknown: true}},
		{in: `{"nope":{"a":1,"b":2},"title":"t"}`, opt: Options{AllowUnknown: true}},
		{in: `{"TITLE":"t"}`, field: "TITLE", opt: Options{AllowUnknown: true}},
		{in: `{"K":"t","k":"u"}`, field: "k", opt: Options{AllowUnknown: true}},
		{in: "{\"\u212a\":\"t\",\"k\":\"u\"}", field: "k", opt: Options{AllowUnknown: true}}, // Kelvin sign folds to k
		{in: `[1]`, field: "body"},
		{in: `{"title":"x"`, field: "body"},
		{in: `{"any":{"x":[{"y":1,"y":2}]}}`, field: "any.x[0].y"},
		{in: `{"title":"x"}]`, field: "alerts[2]", opt: Options{Prefix: "alerts[2]"}},
	} {
		var d doc
		err := Check([]byte(c.in), &d, c.opt)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", c.in, err)
			}
			continue
		}
		fe := fault.As(err)
		if fe == nil || fe.Code != fault.Invalid || fe.Field != c.field {
			t.Errorf("%s: got %v, want Invalid naming %q", c.in, err, c.field)
		}
	}
}

// FuzzCheck asserts, against an independent reading of the document, that
// Check never accepts a document with duplicate or case-variant keys in an
// object, keys that spell a field of the target in another case, trailing
// data, invalid UTF-8 or NUL in a string; and that what it accepts decodes.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"title":"x","priority":1}`, `{"title":"lower","Title":"UPPER"}`, `{"priority":1,"Priority":4}`,
		`{"title":"x"}]`, `{"title":"x"}}`, `{"labels":{"a":"1","A":"2"}}`, `{"items":[{"name":"a","NAME":"b"}]}`,
		`{"any":{"k":1,"K":2}}`, "{\"title\":\"\xff\"}", `{"title":"\u0000"}`, `{"nope":1}`, `{"title":"x"} `,
		`{"at":""}`, "{}\v", "{}\u00a0",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, allowUnknown bool) {
		var d doc
		err := Check(data, &d, Options{AllowUnknown: allowUnknown})
		if err != nil {
			if fe := fault.As(err); fe == nil || fe.Code != fault.Invalid || fe.Field == "" {
				t.Fatalf("unclassified error %v for %q", err, data)
			}
			return
		}
		if why := oracle(data); why != "" {
			t.Fatalf("accepted %q: %s", data, why)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if !allowUnknown {
			dec.DisallowUnknownFields()
		}
		// Check vouches for keys and structure, not for value types: a
		// string where a number belongs, or a time that does not parse, is
		// the decoder's error to report (api.decode adds a time checker).
		var typeErr *json.UnmarshalTypeError
		var timeErr *time.ParseError
		if err := dec.Decode(&d); err != nil && !errors.As(err, &typeErr) && !errors.As(err, &timeErr) {
			t.Fatalf("accepted %q, encoding/json says %v", data, err)
		}
	})
}

// oracle re-reads data with encoding/json into generic values, a different
// path from Check's, and says what is wrong with it ("" for nothing).
func oracle(data []byte) string {
	if !json.Valid(data) {
		return "not valid JSON (or trailing data)"
	}
	if !bytes.Equal(bytes.ToValidUTF8(data, nil), data) {
		return "invalid UTF-8"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	return oracleValue(dec, true, true)
}

var fieldNames = []string{"team", "title", "priority", "at", "labels", "items", "raw", "any", "Untagged"}

// oracleValue reads one value; a struct's keys (the document's and those of
// items[i]) must differ in more than letter case, a map's must differ.
func oracleValue(dec *json.Decoder, top, isStruct bool) string {
	tok, _ := dec.Token()
	switch x := tok.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			return "NUL in a string"
		}
	case json.Delim:
		if x == '[' {
			for dec.More() {
				if why := oracleValue(dec, false, isStruct); why != "" {
					return why
				}
			}
			dec.Token()
			return ""
		}
		if x != '{' {
			return ""
		}
		var keys []string
		for dec.More() {
			kt, _ := dec.Token()
			k := kt.(string)
			if strings.ContainsRune(k, 0) {
				return "NUL in a key"
			}
			for _, o := range keys {
				if o == k || isStruct && strings.EqualFold(o, k) {
					return "keys " + o + " and " + k + " repeat"
				}
			}
			if top {
				for _, n := range fieldNames {
					if n != k && strings.EqualFold(n, k) {
						return "key " + k + " spells field " + n + " in another case"
					}
				}
			}
			keys = append(keys, k)
			if why := oracleValue(dec, false, top && k == "items"); why != "" {
				return why
			}
		}
		dec.Token()
	}
	return ""
}
