package policy_test

import (
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

func TestRetentionDefaults(t *testing.T) {
	p := policy.Default()
	if got := strings.Join(p.RetentionNames(), ","); got != "ephemeral,standard,regulated,permanent" {
		t.Fatalf("names %s", got)
	}
	if p.Retention.DefaultClass != "standard" || p.Retention.CriticalFixClass != "regulated" {
		t.Fatalf("rules %+v", p.Retention)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if exp, ok := p.Expiry("ephemeral", created); !ok || !exp.Equal(created.Add(30*24*time.Hour)) {
		t.Fatalf("ephemeral expiry %v %v", exp, ok)
	}
	for _, c := range []string{"permanent", "audit-long"} { // forever, and a class the policy does not know
		if _, ok := p.Expiry(c, created); ok {
			t.Fatalf("%s expires", c)
		}
	}
	if !p.KeepsLonger("regulated", "standard") || p.KeepsLonger("permanent", "audit-long") {
		t.Fatal("KeepsLonger")
	}
	err := p.CheckRetentionClass("retention_class", "audit-long")
	if fe := fault.As(err); fe == nil || fe.Field != "retention_class" || !strings.Contains(fe.Message, "ephemeral, standard, regulated, permanent") {
		t.Fatalf("unknown class: %v", err)
	}
}

func TestRetentionParse(t *testing.T) {
	p, err := policy.Parse([]byte("retention_classes:\n  short:\n    keep: 7d\n  forever-ish:\n    keep: forever\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Rules left out: the shortest class (no "standard") and the longest.
	if p.Retention.DefaultClass != "short" || p.Retention.CriticalFixClass != "forever-ish" {
		t.Fatalf("filled rules %+v", p.Retention)
	}
	for in, want := range map[string]string{
		"retention:\n  critical_fix_class: gold\n":     "line 2: retention.critical_fix_class: must name one of retention_classes",
		"retention_classes:\n  a:\n    keep: always\n": "line 3: retention_classes.a.keep: want a duration such as 365d or 7y, or forever",
		"retention:\n  default_clas: standard\n":       "line 2",
	} {
		_, err := policy.Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
