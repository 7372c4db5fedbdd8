// Package alertmanager decodes and validates the webhook notification that
// Prometheus Alertmanager posts to a webhook receiver (payload version "4",
// as sent by Alertmanager 0.25 and later). It does no I/O beyond reading the
// body it is given.
//
// Fields that newer Alertmanager versions add are tolerated and ignored, so
// an upgrade of Alertmanager does not break the receiver. Alertmanager drops
// a notification answered with any 4xx, so the decoder refuses only what can
// never succeed: a wrong version, a malformed body, an alert without a valid
// start, status or label set.
package alertmanager

import (
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// Version is the only payload version accepted.
const Version = "4"

// Limits of one notification. DefaultMaxBytes is generous: Alertmanager
// alerts are typically under 2 KiB, so 1000 of them fit in about 2 MiB.
const (
	MaxAlerts       = 1000
	DefaultMaxBytes = 4 << 20
)

// Alert status values (also the status of the whole group).
const (
	Firing   = "firing"
	Resolved = "resolved"
)

// Payload is one webhook notification: a group of alerts that share
// groupLabels, sent to one receiver.
type Payload struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []Alert           `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
}

// Alert is one alert of a notification. Times are UTC. EndsAt is the zero
// time while the alert fires (Alertmanager sends "0001-01-01T00:00:00Z").
// Fingerprint is 16 lower-case hex digits: the one Alertmanager sent, or
// Fingerprint(Labels) when it sent none.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Firing reports whether the alert is firing.
func (a Alert) Firing() bool { return a.Status == Firing }

// DedupKey identifies one delivery-independent event of an alert:
// fingerprint, start time (UTC, RFC 3339 with nanoseconds) and status,
// separated by "|". A resend of the same notification gives the same key; a
// recurrence of the same alert (same labels, so same fingerprint) has a new
// startsAt and so a new key; the resolution of an alert is a separate event
// (status resolved) with its own key.
func DedupKey(a Alert) string {
	return a.Fingerprint + "|" + a.StartsAt.UTC().Format(time.RFC3339Nano) + "|" + a.Status
}

// Fingerprint computes an alert's fingerprint from its labels exactly as
// Alertmanager does (prometheus/common model.LabelSet.Fingerprint): FNV-1a
// 64 over the label names in sorted order, each name and value followed by
// the byte 0xff, formatted as 16 lower-case hex digits. Annotations and
// times do not count, so every recurrence of an alert has the same
// fingerprint.
func Fingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	slices.Sort(names)
	h := fnv.New64a()
	sep := []byte{0xff}
	for _, n := range names {
		h.Write([]byte(n))
		h.Write(sep)
		h.Write([]byte(labels[n]))
		h.Write(sep)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// validFingerprint reports whether s is 16 hex digits (either case).
func validFingerprint(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// normalFingerprint lower-cases a valid fingerprint.
func normalFingerprint(s string) string { return strings.ToLower(s) }
