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

// parseFixedTS parses the fixed-width tsFormat by hand (a tenth of the
// cost of time.Parse, which matters when verifying millions of events).
func parseFixedTS(s string) (time.Time, bool) {
	if len(s) != len(tsFormat) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var v [7]int
	for i, r := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 26}} {
		n, ok := num(r[0], r[1])
		if !ok {
			return time.Time{}, false
		}
		v[i] = n
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*1000, time.UTC)
	if t.Month() != time.Month(v[1]) || t.Day() != v[2] || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false // out-of-range fields normalised by time.Date
	}
	return t, true
}

func parseTimeText(s string) (*time.Time, error) {
	if t, ok := parseFixedTS(s); ok {
		return &t, nil
	}
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

// auditAtCol scans an audit event's time, keeping SQLite's stored text for
// the canonical encoding.
type auditAtCol struct {
	t    *time.Time
	text *string
}

func (c auditAtCol) Scan(v any) error {
	*c.text = ""
	if s, ok := v.(string); ok {
		if t, ok := parseFixedTS(s); ok {
			*c.t, *c.text = t, s
			return nil
		}
	}
	return timeCol{c.t}.Scan(v)
}
