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

// units of ParseDuration, longest first where prefixes overlap.
var units = []struct {
	name string
	d    time.Duration
}{{"y", 365 * day}, {"w", 7 * day}, {"d", day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}

// ParseDuration reads a duration written as a sequence of whole numbers
// with units: y (365 days), w (7 days), d (24 hours), h, m, s — e.g. "30d",
// "72h", "1d12h", "7y". It refuses negative, fractional and unitless values
// and values that overflow.
func ParseDuration(s string) (time.Duration, error) {
	rest := strings.TrimSpace(s)
	if rest == "" {
		return 0, fmt.Errorf("empty duration (want e.g. 30d, 72h, 1d12h)")
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
			return 0, fmt.Errorf("%q is not a duration (want whole numbers with units y, w, d, h, m, s, e.g. 30d or 72h)", s)
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
			return 0, fmt.Errorf("%q is not a duration (each number needs a unit: y, w, d, h, m or s)", s)
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("%q is too long", s)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// FormatDuration writes d in the largest whole units ParseDuration reads
// ("30d", "1d12h"); it is ParseDuration's inverse.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	var b strings.Builder
	for _, u := range units[1:] { // years are not exact; weeks and below are
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.d
		}
	}
	if d > 0 { // sub-second rest cannot come from ParseDuration
		fmt.Fprintf(&b, "%dns", d)
	}
	return b.String()
}

// Duration is a time.Duration written as ParseDuration reads it.
type Duration time.Duration

// UnmarshalYAML reads "30d", "72h" …; the error names the line.
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
