package store

import (
	"testing"
	"time"
)

func TestParseFixedTS(t *testing.T) {
	want := time.Date(2026, 3, 29, 1, 59, 59, 123456000, time.UTC)
	got, ok := parseFixedTS(ts(want))
	if !ok || !got.Equal(want) {
		t.Fatalf("parseFixedTS(%q) = %v, %v", ts(want), got, ok)
	}
	for _, bad := range []string{"", "2026-02-30T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z", "2026-01-01T24:00:00.000000Z",
		"2026-01-01 00:00:00.000000Z", "2026-01-01T00:00:00.000000+", "2026-01-01T00:00:0x.000000Z"} {
		if _, ok := parseFixedTS(bad); ok {
			t.Errorf("parseFixedTS(%q) accepted", bad)
		}
	}
}
