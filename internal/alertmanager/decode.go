package alertmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/matcher"
	"fixgate/internal/strictjson"
)

// wirePayload and wireAlert are the payload as it travels: alerts stay raw
// so that an error can name the alert's index, times stay strings so that an
// error can name the time field.
type wirePayload struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []json.RawMessage `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
}

type wireAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Decode reads at most maxBytes (DefaultMaxBytes when maxBytes <= 0) from r
// and returns the validated notification. A longer body is refused with a
// TooLarge error before anything is parsed; a caller that also wraps r in
// http.MaxBytesReader should give it a larger limit than maxBytes.
func Decode(r io.Reader, maxBytes int64) (*Payload, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, &fault.Error{Code: fault.Invalid, Field: "body", Message: "cannot read the notification", Err: err}
	}
	if int64(len(data)) > maxBytes {
		return nil, &fault.Error{Code: fault.TooLarge, Field: "body",
			Message: "notification exceeds " + strconv.FormatInt(maxBytes, 10) + " bytes"}
	}
	return Parse(data)
}

// Parse decodes and validates one notification. Unknown fields are ignored
// (Alertmanager versions add them), but keys must spell the known fields
// exactly, no object may repeat a key in any letter case, nothing may follow
// the payload, and text must be valid UTF-8 without NUL (strictjson.Check):
// an alert with both startsAt and StartsAt is refused, not read as either.
// Errors are Invalid and name the field at fault, e.g. "alerts[3].startsAt".
func Parse(data []byte) (*Payload, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fault.Field("body", "an Alertmanager notification (JSON object) is required")
	}
	var w wirePayload
	if err := strictjson.Check(data, &w, strictjson.Options{AllowUnknown: true}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, jsonError("", err)
	}
	if w.Version == "" {
		return nil, fault.Field("version", "is required (Alertmanager webhook payload version %q)", Version)
	}
	if w.Version != Version {
		return nil, fault.Field("version", "%q is not supported; fixgate reads Alertmanager webhook version %q", clip(w.Version), Version)
	}
	if err := checkStatus("status", w.Status); err != nil {
		return nil, err
	}
	if w.TruncatedAlerts < 0 {
		return nil, fault.Field("truncatedAlerts", "must not be negative, got %d", w.TruncatedAlerts)
	}
	switch {
	case len(w.Alerts) == 0:
		return nil, fault.Field("alerts", "is empty; a notification carries at least one alert")
	case len(w.Alerts) > MaxAlerts:
		return nil, fault.Field("alerts", "has %d alerts; at most %d per notification (set max_alerts in the webhook_config)",
			len(w.Alerts), MaxAlerts)
	}
	for _, set := range []struct {
		field  string
		labels map[string]string
	}{{"groupLabels", w.GroupLabels}, {"commonLabels", w.CommonLabels}} {
		if err := checkLabels(set.field, set.labels); err != nil {
			return nil, err
		}
	}
	p := &Payload{Receiver: w.Receiver, Status: w.Status, GroupLabels: w.GroupLabels, CommonLabels: w.CommonLabels,
		CommonAnnotations: w.CommonAnnotations, ExternalURL: w.ExternalURL, Version: w.Version, GroupKey: w.GroupKey,
		TruncatedAlerts: w.TruncatedAlerts, Alerts: make([]Alert, 0, len(w.Alerts))}
	for i, raw := range w.Alerts {
		a, err := decodeAlert(fmt.Sprintf("alerts[%d]", i), raw)
		if err != nil {
			return nil, err
		}
		p.Alerts = append(p.Alerts, a)
	}
	return p, nil
}

// decodeAlert decodes and validates the alert at field ("alerts[3]").
func decodeAlert(field string, raw json.RawMessage) (Alert, error) {
	var w wireAlert
	if err := strictjson.Check(raw, &w, strictjson.Options{AllowUnknown: true, Prefix: field}); err != nil {
		return Alert{}, err
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Alert{}, jsonError(field, err)
	}
	if err := checkStatus(field+".status", w.Status); err != nil {
		return Alert{}, err
	}
	if len(w.Labels) == 0 {
		return Alert{}, fault.Field(field+".labels", "is required: an alert has at least one label")
	}
	if err := checkLabels(field+".labels", w.Labels); err != nil {
		return Alert{}, err
	}
	a := Alert{Status: w.Status, Labels: w.Labels, Annotations: w.Annotations, GeneratorURL: w.GeneratorURL}
	var err error
	if w.StartsAt == "" {
		return Alert{}, fault.Field(field+".startsAt", "is required")
	}
	if a.StartsAt, err = parseTime(field+".startsAt", w.StartsAt); err != nil {
		return Alert{}, err
	}
	if a.StartsAt.IsZero() {
		return Alert{}, fault.Field(field+".startsAt", "is the zero time; an alert must say when it started")
	}
	if w.EndsAt != "" {
		if a.EndsAt, err = parseTime(field+".endsAt", w.EndsAt); err != nil {
			return Alert{}, err
		}
	}
	if a.Status == Resolved && a.EndsAt.IsZero() {
		return Alert{}, fault.Field(field+".endsAt", "is required for a resolved alert")
	}
	if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		return Alert{}, fault.Field(field+".endsAt", "%s is before startsAt %s",
			a.EndsAt.Format(time.RFC3339Nano), a.StartsAt.Format(time.RFC3339Nano))
	}
	switch {
	case w.Fingerprint == "":
		a.Fingerprint = Fingerprint(a.Labels)
	case validFingerprint(w.Fingerprint):
		a.Fingerprint = normalFingerprint(w.Fingerprint)
	default:
		return Alert{}, fault.Field(field+".fingerprint", "%q is not 16 hexadecimal digits", clip(w.Fingerprint))
	}
	return a, nil
}

func checkStatus(field, s string) error {
	if s != Firing && s != Resolved {
		if s == "" {
			return fault.Field(field, "is required (firing or resolved)")
		}
		return fault.Field(field, "%q is not firing or resolved", clip(s))
	}
	return nil
}

// checkLabels refuses label names that are not Prometheus label names,
// naming the first bad one in sorted order so the error is stable.
func checkLabels(field string, labels map[string]string) error {
	var bad []string
	for n := range labels {
		if !matcher.ValidLabelName(n) {
			bad = append(bad, n)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fault.Field(field, "label name %q is not valid ([a-zA-Z_][a-zA-Z0-9_]*)", clip(bad[0]))
}

// parseTime parses an RFC 3339 time with a zone (fractional seconds allowed)
// and returns it in UTC. Apart from the zero time (Alertmanager's "no end"),
// times before 1970 or after 9999 are refused.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fault.Field(field, "%q is not an RFC 3339 time with a zone (e.g. 2026-03-01T22:00:00.123Z)", clip(s))
	}
	t = t.UTC()
	if !t.IsZero() && (t.Year() < 1970 || t.Year() > 9999) {
		return time.Time{}, fault.Field(field, "%q is out of range (years 1970 to 9999)", clip(s))
	}
	return t, nil
}

// jsonError names the field of a decoding error; prefix is the alert
// ("alerts[3]") or "" for the payload.
func jsonError(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		switch {
		case prefix != "" && field != "":
			field = prefix + "." + field
		case prefix != "":
			field = prefix
		case field == "":
			field = "body"
		}
		if te.Field == "" {
			return fault.Field(field, "must be a JSON object, not %s", te.Value)
		}
		return fault.Field(field, "must be %s, not %s", kind(te), te.Value)
	case errors.As(err, &se):
		return fault.Field("body", "malformed JSON at byte %d: %v", se.Offset, se)
	}
	return fault.Field("body", "invalid JSON: %v", err).Because(err)
}

func kind(te *json.UnmarshalTypeError) string {
	switch te.Type.Kind().String() {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	}
	return te.Type.String()
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "…"
}
