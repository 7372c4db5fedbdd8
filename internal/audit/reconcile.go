package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"
)

// IsImageOf reports whether an event's after-image is a full image of the
// record it names: a JSON object whose "id" (or, for named records,
// "name") is the event's record id. Events about something else of the
// record (a signature added to a problem, a confirmation) carry other
// objects and are not images.
func IsImageOf(after, recordID string) bool {
	var head struct {
		ID   any    `json:"id"`
		Name string `json:"name"`
	}
	if after == "" || json.Unmarshal([]byte(after), &head) != nil {
		return false
	}
	return head.ID == recordID || (head.ID == nil && head.Name == recordID)
}

// Reconcile compares a record as the store returns it (JSON) with the
// after-image of its last audited event and returns the first field that
// differs ("" when they agree). Generic on purpose: records gain fields.
// A field present on one side only is accepted when its value is empty
// (a column added later with its default, an omitempty field); times are
// compared as instants.
func Reconcile(row, image []byte) (string, error) {
	var r, im map[string]any
	if err := decodeObject(row, &r); err != nil {
		return "", fmt.Errorf("record: %w", err)
	}
	if err := decodeObject(image, &im); err != nil {
		return "", fmt.Errorf("after-image: %w", err)
	}
	keys := make([]string, 0, len(r)+len(im))
	for k := range r {
		keys = append(keys, k)
	}
	for k := range im {
		if _, ok := r[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, inRow := r[k]
		b, inImage := im[k]
		switch {
		case !inRow && isEmpty(b), !inImage && isEmpty(a):
		case !sameValue(a, b):
			return k, nil
		}
	}
	return "", nil
}

func decodeObject(b []byte, v *map[string]any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		return x == "0"
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// sameValue is deep equality where two strings that are both RFC 3339
// times are equal when they are the same instant.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		tx, err1 := time.Parse(time.RFC3339Nano, x)
		ty, err2 := time.Parse(time.RFC3339Nano, y)
		return err1 == nil && err2 == nil && tx.Equal(ty)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
