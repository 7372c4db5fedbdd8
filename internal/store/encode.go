package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tsFormat is fixed width so that text comparison on SQLite orders times.
const tsFormat = "2006-01-02T15:04:05.000000Z"

// ts binds a time as fixed-width UTC text (PostgreSQL parses it into timestamptz).
func ts(t time.Time) string { return t.UTC().Format(tsFormat) }

// tsp binds an optional time: NULL for nil or zero.
func tsp(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return ts(*t)
}

// timeCol scans a NOT NULL time column from either database.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	if t == nil {
		return fmt.Errorf("unexpected NULL time")
	}
	*c.t = *t
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(v any) error {
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*c.t = t
	return nil
}

func parseTime(v any) (*time.Time, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t := x.UTC()
		return &t, nil
	case string:
		return parseTimeText(x)
	case []byte:
		return parseTimeText(string(x))
	}
	return nil, fmt.Errorf("cannot scan %T as time", v)
}

func parseTimeText(s string) (*time.Time, error) {
	for _, layout := range []string{tsFormat, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("cannot parse time %q", s)
}

// jsonCol scans a TEXT JSON column into v.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("cannot scan %T as JSON", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, c.v)
}

// jsonText binds v as JSON text; nil slices and maps become [] and {}.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: cannot encode %T: %v", v, err))
	}
	return string(b)
}

// rolesText and parseRoles store a role list as comma-separated text.
func joinList(xs []string) string { return strings.Join(xs, ",") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

var _ driver.Valuer = nil
var _ = strconv.Itoa

// nonNilList returns xs, or an empty list for nil (JSON [] rather than null).
func nonNilList(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
