package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

const day = 24 * time.Hour

// units of ParseDuration in the order they are tried: "ms" before "m",
// which is its prefix.
var units = []struct {
	name string
	d    time.Duration
}{{"y", 365 * day}, {"w", 7 * day}, {"d", day}, {"h", time.Hour}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second}}

// formatUnits are FormatDuration's units, largest first. Years are left
// out: a year is 365 days, which FormatDuration writes as weeks and days.
var formatUnits = []struct {
	name string
	d    time.Duration
}{{"w", 7 * day}, {"d", day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}

// ParseDuration reads a duration written as a sequence of whole numbers
// with units: y (365 days), w (7 days), d (24 hours), h, m, s, ms — e.g.
// "30d", "72h", "1d12h", "7y", "1s500ms". It refuses negative, fractional
// and unitless values and values that overflow. Which keys take a
// sub-second value is each key's own rule (WholeSeconds).
func ParseDuration(s string) (time.Duration, error) {
	rest := strings.TrimSpace(s)
	if rest == "" {
		return 0, fmt.Errorf("empty duration (want e.g. 30d, 72h, 1d12h, 500ms)")
	}
	if rest == "0" {
		return 0, nil
	}
	var total time.Duration
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 {
			return 0, fmt.Errorf("%q is not a duration (want whole numbers with units y, w, d, h, m, s, ms, e.g. 30d, 72h or 500ms)", s)
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64) // at most 12 digits: cannot fail
		rest = rest[i:]
		var unit time.Duration
		for _, u := range units {
			if strings.HasPrefix(rest, u.name) {
				unit, rest = u.d, rest[len(u.name):]
				break
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("%q is not a duration (each number needs a unit: y, w, d, h, m, s or ms)", s)
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("%q is too long", s)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// FormatDuration writes d in the largest whole units ParseDuration reads
// ("30d", "1d12h", "1s500ms"): ParseDuration(FormatDuration(d)) == d for
// every d that ParseDuration returns (whole milliseconds). A finer rest,
// which no parsed value has, is rounded up to the next millisecond, so a
// positive duration never writes as "0" (which many keys read as "the
// default"). Zero and negative durations write "0".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	if rest := d % time.Millisecond; rest != 0 {
		if d > math.MaxInt64-time.Millisecond {
			d -= rest // rounding up would overflow: the one case rounded down
		} else {
			d += time.Millisecond - rest
		}
	}
	var b strings.Builder
	for _, u := range formatUnits {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.d
		}
	}
	return b.String()
}

// WholeSeconds returns an error naming path (a line of the file when the
// policy is parsed) when d has a sub-second part. Milliseconds belong to
// the keys that time the rollout engine's own steps (analysis intervals
// and initial delays, stage durations, driver timeouts); the periods
// people keep records by (observation periods, watch windows, retention,
// targets) are whole seconds: an observation period of 1ms is a typo.
func WholeSeconds(path string, d Duration) error {
	if time.Duration(d)%time.Second != 0 {
		return bad(path, "%s: must be whole seconds (milliseconds are for analysis intervals and initial delays, stage durations and driver timeouts)",
			FormatDuration(time.Duration(d)))
	}
	return nil
}

// Duration is a time.Duration written as ParseDuration reads it.
type Duration time.Duration

// UnmarshalYAML reads "30d", "72h", "500ms" …; the error names the line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &lineError{line: n.Line, msg: "want a duration such as 30d or 72h"}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &lineError{line: n.Line, msg: err.Error()}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as FormatDuration does.
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(time.Duration(d)), nil }

// MarshalJSON writes the duration as a string ("30d").
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(FormatDuration(time.Duration(d)))
}

// UnmarshalJSON reads a string written by MarshalJSON.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	*d = Duration(v)
	return err
}
