// Package importer maps incident exports of other service desks (CSV with a
// header row, or a JSON array of objects) to import rows for
// POST /api/v1/incidents/import. It is pure: it reads what it is given and
// does no other I/O. A row that cannot be mapped becomes a RowError that
// names its place in the file and the column at fault; the other rows
// still map.
package importer

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/labels"
)

// Fields an import column can map to, besides "label.NAME" and "-" (ignore).
var Fields = []string{"external_id", "title", "ci", "env", "severity", "opened_at", "resolved_at"}

// Required are the fields every file must provide a column for.
var Required = []string{"external_id", "title", "ci", "env", "severity"}

// Row is one incident to import, as sent to the server.
type Row struct {
	ExternalID string     `json:"external_id"`
	Title      string     `json:"title"`
	CI         string     `json:"ci"`
	Env        string     `json:"env"`
	Severity   int        `json:"severity"`
	OpenedAt   *time.Time `json:"opened_at,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	Labels     labels.Set `json:"labels,omitempty"`
}

// RowError is a row that could not be mapped.
type RowError struct {
	Loc    string // "line 12" (CSV) or "object 5" (JSON)
	Column string // the file's column at fault, "" for the whole row
	Field  string // the field it maps to, "" for the whole row
	Msg    string
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return e.Loc + ": " + e.Msg
	}
	if e.Field != "" && e.Field != e.Column {
		return fmt.Sprintf("%s: column %q (%s): %s", e.Loc, e.Column, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: column %q: %s", e.Loc, e.Column, e.Msg)
}

// Mapping maps file columns to fields ("title", "label.team", or "-" to
// ignore the column). Columns it does not name map to the field of the same
// name (case-insensitive) when there is one, and are ignored otherwise.
type Mapping map[string]string

// ParseMap reads repeated --map COLUMN=field flags. Returns an Invalid
// error naming "--map" for a malformed pair, an unknown field or a column
// mapped twice.
func ParseMap(pairs []string) (Mapping, error) {
	m := Mapping{}
	for _, p := range pairs {
		col, field, ok := strings.Cut(p, "=")
		col, field = strings.TrimSpace(col), strings.TrimSpace(field)
		if !ok || col == "" || field == "" {
			return nil, fault.Field("--map", "%q is not COLUMN=field", p)
		}
		if err := checkField(field); err != nil {
			return nil, err
		}
		if _, dup := m[col]; dup {
			return nil, fault.Field("--map", "column %q is mapped twice", col)
		}
		m[col] = field
	}
	return m, nil
}

func checkField(f string) error {
	if f == "-" {
		return nil
	}
	if name, ok := strings.CutPrefix(f, "label."); ok {
		if !labels.ValidName(name) {
			return fault.Field("--map", "%q: label name %q is not valid (letters, digits and '_', not starting with a digit)", f, name)
		}
		return nil
	}
	for _, k := range Fields {
		if f == k {
			return nil
		}
	}
	return fault.Field("--map", "unknown field %q: use one of %s, label.NAME or - (ignore)", f, strings.Join(Fields, ", "))
}

// plan is a mapping resolved against a file's columns.
type plan struct {
	fields  map[string]string // column → field
	ignored []string          // columns that map to nothing
}

// resolve decides the field of every column. Returns an Invalid error
// (field "header") when a mapped column is absent, two columns map to the
// same field, or a required field has no column.
func (m Mapping) resolve(columns []string) (plan, error) {
	p := plan{fields: map[string]string{}}
	present := map[string]bool{}
	byField := map[string]string{}
	for _, c := range columns {
		if present[c] {
			return p, fault.Field("header", "column %q appears twice", c)
		}
		present[c] = true
		f, ok := m[c]
		if !ok {
			f = defaultField(c)
		}
		if f == "" || f == "-" {
			p.ignored = append(p.ignored, c)
			continue
		}
		if other, dup := byField[f]; dup {
			return p, fault.Field("header", "columns %q and %q both map to %s: map one of them with --map COLUMN=-", other, c, f)
		}
		byField[f], p.fields[c] = c, f
	}
	var missing []string
	for c := range m {
		if !present[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return p, fault.Field("header", "mapped column(s) %s not in the file", strings.Join(missing, ", "))
	}
	for _, f := range Required {
		if _, ok := byField[f]; !ok {
			return p, fault.Field("header", "no column for %s (name a column %s or pass --map COLUMN=%s)", f, f, f)
		}
	}
	return p, nil
}

// defaultField maps a column named like a field (any case) to it.
func defaultField(col string) string {
	c := strings.ToLower(strings.TrimSpace(col))
	for _, f := range Fields {
		if c == f {
			return f
		}
	}
	if name, ok := strings.CutPrefix(c, "label."); ok && labels.ValidName(strings.TrimSpace(col)[6:]) && name != "" {
		return "label." + strings.TrimSpace(col)[6:]
	}
	return ""
}

// set assigns one cell to its field of r. Returns a message for a bad value.
func set(r *Row, field, v string) string {
	v = strings.TrimSpace(v)
	switch field {
	case "external_id":
		r.ExternalID = v
	case "title":
		r.Title = v
	case "ci":
		r.CI = v
	case "env":
		r.Env = v
	case "severity":
		n, msg := severity(v)
		r.Severity = n
		return msg
	case "opened_at", "resolved_at":
		if v == "" {
			return ""
		}
		t, msg := ParseTime(v)
		if msg != "" {
			return msg
		}
		if field == "opened_at" {
			r.OpenedAt = &t
		} else {
			r.ResolvedAt = &t
		}
	default:
		name := strings.TrimPrefix(field, "label.")
		if v == "" {
			return ""
		}
		if r.Labels == nil {
			r.Labels = labels.Set{}
		}
		r.Labels[name] = v
		if err := (labels.Set{name: v}).Validate(field); err != nil {
			return fault.As(err).Message
		}
	}
	return ""
}

// severity accepts 1–4, optionally written "SEV1", "sev-2" or "P3".
func severity(v string) (int, string) {
	s := strings.ToLower(v)
	for _, p := range []string{"sev-", "sev", "p"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s = rest
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 4 {
		return 0, fmt.Sprintf("%q is not a severity from 1 (highest) to 4", clip(v))
	}
	return n, ""
}

// layouts are the accepted time formats: all carry a zone.
var layouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z0700"}

// zoneless are layouts a user may plausibly send without a zone; they are
// refused with a message that says so.
var zoneless = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

// ParseTime reads a time with a zone: RFC 3339, or "2006-01-02 15:04:05Z07:00".
// It returns a message (not an error) for the caller to place.
func ParseTime(v string) (time.Time, string) {
	for _, l := range layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), ""
		}
	}
	for _, l := range zoneless {
		if _, err := time.Parse(l, v); err == nil {
			return time.Time{}, fmt.Sprintf("%q has no time zone: add Z or an offset like +02:00 (RFC 3339)", clip(v))
		}
	}
	return time.Time{}, fmt.Sprintf("%q is not an RFC 3339 time with a zone (e.g. 2026-03-01T22:00:00Z)", clip(v))
}

// clip shortens a value for an error message.
func clip(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
