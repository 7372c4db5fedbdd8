package environment_test

import (
	"testing"
	"time"

	"fixgate/internal/environment"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestInWindow(t *testing.T) {
	berlinSun := environment.Window{Name: "sunday-night", TimeZone: "Europe/Berlin", Days: []string{"sun"}, Start: "01:00", End: "04:00"}
	berlinSatNight := environment.Window{Name: "sat-night", TimeZone: "Europe/Berlin", Days: []string{"sat"}, Start: "22:00", End: "02:00"}
	nySun := environment.Window{Name: "ny", TimeZone: "America/New_York", Days: []string{"SUN"}, Start: "01:00", End: "05:00"}
	berlinFallBack := environment.Window{Name: "fall", TimeZone: "Europe/Berlin", Days: []string{"sun"}, Start: "02:00", End: "03:00"}
	tests := []struct {
		name string
		w    environment.Window
		at   string
		want bool
	}{
		// EU spring forward, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
		{"EU DST: before start", berlinSun, "2026-03-28T23:59:59Z", false},
		{"EU DST: start inclusive (01:00 CET)", berlinSun, "2026-03-29T00:00:00Z", true},
		{"EU DST: last second of CET", berlinSun, "2026-03-29T00:59:59Z", true},
		{"EU DST: first second of CEST (03:00)", berlinSun, "2026-03-29T01:00:00Z", true},
		{"EU DST: 03:59 CEST", berlinSun, "2026-03-29T01:59:59Z", true},
		{"EU DST: end exclusive (04:00 CEST = 02:00 UTC)", berlinSun, "2026-03-29T02:00:00Z", false},
		{"EU week before: 03:00 CET is inside", berlinSun, "2026-03-22T02:00:00Z", true},
		{"EU week before: end 04:00 CET = 03:00 UTC", berlinSun, "2026-03-22T03:00:00Z", false},
		{"EU week after: 02:00 UTC = 04:00 CEST is outside", berlinSun, "2026-04-05T02:00:00Z", false},
		{"EU week after: start 01:00 CEST = 23:00 UTC Saturday", berlinSun, "2026-04-04T23:00:00Z", true},
		{"wrong day", berlinSun, "2026-03-30T00:30:00Z", false},
		// A window crossing midnight into the DST switch.
		{"cross midnight: Saturday 22:00 CET", berlinSatNight, "2026-03-28T21:00:00Z", true},
		{"cross midnight: Saturday 21:59 CET", berlinSatNight, "2026-03-28T20:59:59Z", false},
		{"cross midnight: Sunday 01:30 CET belongs to Saturday", berlinSatNight, "2026-03-29T00:30:00Z", true},
		{"cross midnight: 03:00 CEST is past 02:00", berlinSatNight, "2026-03-29T01:00:00Z", false},
		{"cross midnight: Sunday 22:00 is not a window day", berlinSatNight, "2026-03-29T20:00:00Z", false},
		{"cross midnight: Saturday 01:00 belongs to Friday", berlinSatNight, "2026-03-28T00:00:00Z", false},
		// US spring forward, 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC).
		{"US DST: start 01:00 EST", nySun, "2026-03-08T06:00:00Z", true},
		{"US DST: 04:59 EDT", nySun, "2026-03-08T08:59:59Z", true},
		{"US DST: end 05:00 EDT = 09:00 UTC", nySun, "2026-03-08T09:00:00Z", false},
		{"US week before: 09:00 UTC = 04:00 EST inside", nySun, "2026-03-01T09:00:00Z", true},
		// EU fall back, 25 October 2026: 02:00–03:00 local happens twice.
		{"EU fall back: first 02:30 (CEST)", berlinFallBack, "2026-10-25T00:30:00Z", true},
		{"EU fall back: second 02:30 (CET)", berlinFallBack, "2026-10-25T01:30:00Z", true},
		{"EU fall back: 03:00 CET", berlinFallBack, "2026-10-25T02:00:00Z", false},
		{"unknown zone contains nothing", environment.Window{TimeZone: "Mars/Olympus", Days: []string{"sun"}, Start: "00:00", End: "23:59"}, "2026-03-29T12:00:00Z", false},
	}
	for _, tt := range tests {
		if got := environment.InWindow(tt.w, utc(tt.at)); got != tt.want {
			t.Errorf("%s: InWindow(%s %s–%s %v, %s) = %v, want %v", tt.name, tt.w.TimeZone, tt.w.Start, tt.w.End, tt.w.Days, tt.at, got, tt.want)
		}
	}
}

func TestInFreezeAndLookups(t *testing.T) {
	f := environment.Freeze{Name: "year-end", Start: utc("2026-12-20T00:00:00Z"), End: utc("2027-01-04T00:00:00Z")}
	for at, want := range map[string]bool{
		"2026-12-19T23:59:59Z": false, "2026-12-20T00:00:00Z": true, "2027-01-03T23:59:59Z": true, "2027-01-04T00:00:00Z": false,
	} {
		if got := environment.InFreeze(f, utc(at)); got != want {
			t.Errorf("InFreeze(%s) = %v, want %v", at, got, want)
		}
	}
	e := environment.Environment{Freezes: []environment.Freeze{f}, Windows: []environment.Window{
		{Name: "a", TimeZone: "UTC", Days: []string{"mon"}, Start: "01:00", End: "02:00"},
		{Name: "b", TimeZone: "UTC", Days: []string{"tue"}, Start: "01:00", End: "02:00"}}}
	if w, ok := e.WindowAt(utc("2026-03-31T01:30:00Z")); !ok || w.Name != "b" {
		t.Errorf("WindowAt Tuesday = %v %v, want b", w.Name, ok)
	}
	if _, ok := e.WindowAt(utc("2026-04-01T01:30:00Z")); ok {
		t.Error("WindowAt Wednesday found a window")
	}
	if got, ok := e.FreezeAt(utc("2026-12-25T12:00:00Z")); !ok || got.Name != "year-end" {
		t.Errorf("FreezeAt = %v %v", got.Name, ok)
	}
	if err := environment.CheckWindow(environment.Window{TimeZone: "Mars/Olympus", Days: []string{"sun"}, Start: "01:00", End: "02:00"}); err == nil {
		t.Error("CheckWindow accepted an unknown zone")
	}
	days := []string{"SUN"}
	if err := environment.CheckWindow(environment.Window{TimeZone: "UTC", Days: days, Start: "01:00", End: "02:00"}); err != nil || days[0] != "SUN" {
		t.Errorf("CheckWindow = %v, days %v (must not change its argument)", err, days)
	}
}
