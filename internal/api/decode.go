package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/strictjson"
)

// MaxBody is the default limit of a request body.
const MaxBody = 1 << 20

// timeKeys are the JSON keys that hold times; their values must be RFC 3339
// with a zone, checked before decoding so the error names the field.
var timeKeys = map[string]bool{"at": true, "start": true, "end": true, "opened_at": true, "resolved_at": true,
	"planned_start": true, "planned_end": true, "since": true, "until": true, "starts_at": true, "ends_at": true}

// decode reads one JSON object from the body into v: unknown fields, keys
// in another letter case than the field's, duplicate keys (in any case),
// trailing data, invalid UTF-8, NUL in text, zoneless times and oversize
// bodies are refused with an Invalid (or TooLarge) error naming the field
// (strictjson.Check).
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &fault.Error{Code: fault.TooLarge, Field: "body", Message: "request body exceeds " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
		}
		return fault.Field("body", "cannot read request body")
	}
	return decodeBytes(body, v)
}

// decodeBytes is decode over a byte slice (fuzzed directly).
func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fault.Field("body", "a JSON object is required")
	}
	if err := strictjson.Check(body, v, strictjson.Options{String: checkTime}); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fault.Field(field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return fault.Field("body", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &pe):
		return fault.Field("body", "a time is not RFC 3339 with a zone (e.g. 2026-03-01T22:00:00Z)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" {
			return fault.Field("body", "an empty key is not a field")
		}
		return fault.Field(name, "is not a field that can be set here")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fault.Field("body", "truncated JSON")
	}
	return fault.Field("body", "invalid JSON: %v", err).Because(err)
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	case "float64":
		return "a number"
	}
	return k
}

// checkTime refuses a calendar-date string under a time key that is not
// RFC 3339 with a zone (strictjson.Options.String).
func checkTime(path, key, s string) error {
	if timeKeys[key] && looksLikeDate(s) {
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fault.Field(path, "%q is not an RFC 3339 time with a zone (e.g. 2026-03-01T22:00:00Z)", s)
		}
	}
	return nil
}

// looksLikeDate reports whether s starts like a calendar date (YYYY-MM-DD):
// such values under time keys must carry a zone, while a window's "22:00"
// under "start" is a clock time, checked by the environment.
func looksLikeDate(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
