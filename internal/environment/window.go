package environment

import (
	"slices"
	"strings"
	"sync"
	"time"

	// Time zones are embedded so windows work on hosts without tzdata
	// (distroless and scratch images).
	_ "time/tzdata"
)

var zones sync.Map // name → *time.Location

// Location loads a time zone once and caches it (time.LoadLocation reads
// the zone database on every call).
func Location(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// InWindow reports whether t falls inside the weekly window w. The window is
// read on the wall clock of its time zone, so it follows daylight saving
// time: a window "01:00"–"04:00" on the night clocks spring forward is two
// hours long, on the night they fall back four. A window whose end is not
// after its start ("22:00"–"02:00") crosses midnight and belongs to the day
// it starts on. Start is inclusive, end exclusive. A window that does not
// validate (unknown zone, bad clock time) contains no time.
func InWindow(w Window, t time.Time) bool {
	loc, err := Location(w.TimeZone)
	if err != nil {
		return false
	}
	start, ok1 := clock(w.Start)
	end, ok2 := clock(w.End)
	if !ok1 || !ok2 || start == end {
		return false
	}
	local := t.In(loc)
	now := local.Hour()*3600 + local.Minute()*60 + local.Second()
	today := onDay(w.Days, local.Weekday())
	if start < end {
		return today && now >= start && now < end
	}
	yesterday := onDay(w.Days, (local.Weekday()+6)%7)
	return today && now >= start || yesterday && now < end
}

// InFreeze reports whether t falls inside the freeze: start inclusive, end exclusive.
func InFreeze(f Freeze, t time.Time) bool { return !t.Before(f.Start) && t.Before(f.End) }

// WindowAt returns the first of e's windows that contains t.
func (e *Environment) WindowAt(t time.Time) (Window, bool) {
	for _, w := range e.Windows {
		if InWindow(w, t) {
			return w, true
		}
	}
	return Window{}, false
}

// FreezeAt returns the first of e's freezes that contains t.
func (e *Environment) FreezeAt(t time.Time) (Freeze, bool) {
	for _, f := range e.Freezes {
		if InFreeze(f, t) {
			return f, true
		}
	}
	return Freeze{}, false
}

// clock reads "HH:MM" as seconds after midnight.
func clock(s string) (int, bool) {
	c, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return c.Hour()*3600 + c.Minute()*60, true
}

func onDay(days []string, d time.Weekday) bool {
	name := weekdays[d]
	return slices.ContainsFunc(days, func(x string) bool { return strings.EqualFold(x, name) })
}

// CheckWindow validates w as Environment.Validate does, without changing it:
// nil, or an Invalid error saying what is wrong.
func CheckWindow(w Window) error {
	w.Days = slices.Clone(w.Days)
	return w.validate()
}
