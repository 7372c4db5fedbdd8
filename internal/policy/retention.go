package policy

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Keep is how long a retention class keeps an artifact after its upload:
// a duration as ParseDuration reads it, or "forever".
type Keep time.Duration

// Forever is the Keep of a class whose artifacts are never purged.
const Forever = Keep(math.MaxInt64)

// UnmarshalYAML reads "forever" or a duration ("365d", "7y"); the error names the line.
func (k *Keep) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "forever" {
		*k = Forever
		return nil
	}
	var d Duration
	if err := d.UnmarshalYAML(n); err != nil {
		return &lineError{line: n.Line, msg: "want a duration such as 365d or 7y, or forever"}
	}
	*k = Keep(d)
	return nil
}

func (k Keep) String() string {
	if k == Forever {
		return "forever"
	}
	return FormatDuration(time.Duration(k))
}

// MarshalYAML writes "forever" or the duration as FormatDuration does.
func (k Keep) MarshalYAML() (any, error) { return k.String(), nil }

// MarshalJSON writes the keep as a string ("365d", "forever").
func (k Keep) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// UnmarshalJSON reads a string written by MarshalJSON.
func (k *Keep) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "forever" {
		*k = Forever
		return nil
	}
	v, err := ParseDuration(s)
	*k = Keep(v)
	return err
}

// RetentionRules names the classes given automatically: DefaultClass to an
// upload that names none, CriticalFixClass to the artifacts of a
// problem-fix release of a priority 1 or 2 problem. Left out, they are
// "standard" (or the shortest class when there is none) and the longest class.
type RetentionRules struct {
	DefaultClass     string `yaml:"default_class" json:"default_class"`
	CriticalFixClass string `yaml:"critical_fix_class" json:"critical_fix_class"`
}

// RetentionNames lists the policy's retention classes from the shortest
// keep to the longest (forever last), ties by name. It is the one list of
// class names the server accepts.
func (p *Policy) RetentionNames() []string {
	names := sortedKeys(p.RetentionClasses)
	slices.SortStableFunc(names, func(a, b string) int {
		return cmp.Compare(p.RetentionClasses[a].Keep, p.RetentionClasses[b].Keep)
	})
	return names
}

// CheckRetentionClass returns nil when class is one of the policy's
// retention classes, else an error naming field and listing the classes.
func (p *Policy) CheckRetentionClass(field, class string) error {
	if _, ok := p.RetentionClasses[class]; ok {
		return nil
	}
	return fault.Field(field, "must be one of the policy's retention classes (%s), got %q", strings.Join(p.RetentionNames(), ", "), class)
}

// KeepsLonger reports whether class a keeps artifacts longer than class b.
// A class the policy does not know keeps forever (it is never purged), so
// nothing replaces it.
func (p *Policy) KeepsLonger(a, b string) bool {
	return p.keep(a) > p.keep(b)
}

func (p *Policy) keep(class string) Keep {
	r, ok := p.RetentionClasses[class]
	if !ok {
		return Forever
	}
	return r.Keep
}

// Expiry returns when an artifact of class uploaded at created expires,
// and false when it never does (a forever class, or a class the policy no
// longer has: such an artifact is kept until an operator decides).
func (p *Policy) Expiry(class string, created time.Time) (time.Time, bool) {
	k := p.keep(class)
	if k == Forever {
		return time.Time{}, false
	}
	return created.Add(time.Duration(k)), true
}

// validateRetention checks every class and fills the rules left out.
func (p *Policy) validateRetention() error {
	if len(p.RetentionClasses) == 0 {
		return bad("retention_classes", "needs at least one class")
	}
	for _, name := range sortedKeys(p.RetentionClasses) {
		r := p.RetentionClasses[name]
		path := "retention_classes." + name
		if ident.ValidName(path, name) != nil {
			return bad(path, "%q is not a valid name (lower-case letters, digits, '-', '_', '.')", name)
		}
		if r.Keep <= 0 {
			return bad(path+".keep", "is required and must be positive (e.g. 365d, 7y) or forever")
		}
		if r.Keep != Forever {
			if err := WholeSeconds(path+".keep", Duration(r.Keep)); err != nil {
				return err
			}
		}
	}
	names := p.RetentionNames()
	if p.Retention.DefaultClass == "" {
		p.Retention.DefaultClass = names[0]
		if _, ok := p.RetentionClasses["standard"]; ok {
			p.Retention.DefaultClass = "standard"
		}
	}
	if p.Retention.CriticalFixClass == "" {
		p.Retention.CriticalFixClass = names[len(names)-1]
	}
	for path, class := range map[string]string{"retention.default_class": p.Retention.DefaultClass, "retention.critical_fix_class": p.Retention.CriticalFixClass} {
		if _, ok := p.RetentionClasses[class]; !ok {
			return bad(path, "must name one of retention_classes (%s), got %q", strings.Join(names, ", "), class)
		}
	}
	return nil
}
