package importer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/strictjson"
)

// Reader yields the rows of one file, in order. Next returns a row, or a
// *RowError for a row that could not be mapped (reading may continue), or
// io.EOF at the end, or another error when the file as a whole is unreadable.
type Reader interface {
	Next() (Row, Loc, error)
	// Ignored lists the file's columns that map to no field.
	Ignored() []string
}

// Loc is where a row sits in its file ("line 12", "object 5").
type Loc string

// csvReader maps a CSV file with a header row.
type csvReader struct {
	r    *csv.Reader
	cols []string
	plan plan
}

// NewCSV reads the header row of a CSV file and resolves m against it.
// Returns an Invalid error (field "header") for a missing or unusable header.
func NewCSV(r io.Reader, m Mapping) (Reader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fault.Field("header", "the file is empty: a CSV import needs a header row")
	}
	if err != nil {
		return nil, fault.Field("header", "cannot read the header row: %v", err).Because(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // Excel's byte order mark
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	cr.FieldsPerRecord = len(header)
	p, err := m.resolve(header)
	if err != nil {
		return nil, err
	}
	return &csvReader{r: cr, cols: header, plan: p}, nil
}

func (c *csvReader) Ignored() []string { return c.plan.ignored }

func (c *csvReader) Next() (Row, Loc, error) {
	rec, err := c.r.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return Row{}, "", io.EOF
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		return Row{}, Loc("line " + strconv.Itoa(pe.StartLine)), &RowError{Loc: "line " + strconv.Itoa(pe.StartLine),
			Msg: fmt.Sprintf("has %d columns, the header has %d", len(rec), len(c.cols))}
	case errors.As(err, &pe):
		return Row{}, Loc("line " + strconv.Itoa(pe.StartLine)), &RowError{Loc: "line " + strconv.Itoa(pe.StartLine),
			Msg: "malformed CSV: " + pe.Err.Error()}
	case err != nil:
		return Row{}, "", fault.Wrap(err, "read CSV")
	}
	line, _ := c.r.FieldPos(0)
	loc := Loc("line " + strconv.Itoa(line))
	var r Row
	for i, v := range rec {
		f, ok := c.plan.fields[c.cols[i]]
		if !ok {
			continue
		}
		if msg := set(&r, f, v); msg != "" {
			return Row{}, loc, &RowError{Loc: string(loc), Column: c.cols[i], Field: f, Msg: msg}
		}
	}
	return r, loc, nil
}

// jsonReader maps a JSON array of objects, one element at a time.
type jsonReader struct {
	dec  *json.Decoder
	m    Mapping
	n    int
	plan *plan
}

// NewJSON starts reading a JSON array of objects. Each object's keys are
// its columns (a key "labels" may hold an object of labels). Returns an
// Invalid error (field "body") unless the file starts with '['.
func NewJSON(r io.Reader, m Mapping) (Reader, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '[' {
		return nil, fault.Field("body", "a JSON import is an array of objects: [{\"external_id\": …}, …]")
	}
	return &jsonReader{dec: dec, m: m}, nil
}

func (j *jsonReader) Ignored() []string {
	if j.plan == nil {
		return nil
	}
	return j.plan.ignored
}

func (j *jsonReader) Next() (Row, Loc, error) {
	if !j.dec.More() {
		if _, err := j.dec.Token(); err != nil {
			return Row{}, "", fault.Field("body", "the JSON array is not closed: %v", err).Because(err)
		}
		return Row{}, "", io.EOF
	}
	j.n++
	loc := Loc("object " + strconv.Itoa(j.n))
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		return Row{}, loc, fault.Field("body", "%s: malformed JSON: %v", loc, err).Because(err)
	}
	// A repeated column, invalid UTF-8 or NUL would be read silently (the
	// last value kept, replacement characters): refuse the row instead.
	if err := strictjson.Check(raw, nil, strictjson.Options{AllowUnknown: true}); err != nil {
		fe := fault.As(err)
		if fe.Field == "body" {
			return Row{}, loc, &RowError{Loc: string(loc), Msg: "is not a JSON object"}
		}
		return Row{}, loc, &RowError{Loc: string(loc), Column: fe.Field, Msg: fe.Message}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Row{}, loc, &RowError{Loc: string(loc), Msg: "is not a JSON object"}
	}
	return j.row(obj, loc)
}

func (j *jsonReader) row(obj map[string]json.RawMessage, loc Loc) (Row, Loc, error) {
	cols := make([]string, 0, len(obj))
	for k := range obj {
		if k != "labels" {
			cols = append(cols, k)
		}
	}
	p, err := j.m.resolve(cols)
	if err != nil {
		return Row{}, loc, &RowError{Loc: string(loc), Msg: fault.As(err).Message}
	}
	if j.plan == nil {
		j.plan = &p
	}
	var r Row
	if raw, ok := obj["labels"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &r.Labels); err != nil {
			return Row{}, loc, &RowError{Loc: string(loc), Column: "labels", Field: "labels", Msg: "must be an object of string values"}
		}
		if err := r.Labels.Validate("labels"); err != nil {
			return Row{}, loc, &RowError{Loc: string(loc), Column: "labels", Field: "labels", Msg: fault.As(err).Message}
		}
	}
	for col, f := range p.fields {
		v, ok := scalar(obj[col])
		if !ok {
			return Row{}, loc, &RowError{Loc: string(loc), Column: col, Field: f, Msg: "must be a string or a number"}
		}
		if msg := set(&r, f, v); msg != "" {
			return Row{}, loc, &RowError{Loc: string(loc), Column: col, Field: f, Msg: msg}
		}
	}
	return r, loc, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// scalar returns a JSON string or number as text ("" for null).
func scalar(raw json.RawMessage) (string, bool) {
	if isNull(raw) {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}
