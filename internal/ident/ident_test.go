package ident

import (
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"PRB-12", 12, true}, {"prb-12", 12, true}, {"12", 12, true},
		{"PRB-0", 0, false}, {"PRB-012", 0, false}, {"INC-12", 0, false}, {"PRB-", 0, false},
		{"PRB--1", 0, false}, {"PRB-+1", 0, false}, {"PRB-1x", 0, false}, {"PRB-99999999999999999999", 0, false}, {"", 0, false},
	} {
		n, err := Problem.Parse("id", c.in)
		if (err == nil) != c.ok || n != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d ok=%v", c.in, n, err, c.want, c.ok)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"checkout-api": true, "prod-eu": true, "a": true, "db.main_1": true,
		"": false, "-x": false, "Checkout": false, "a b": false, strings.Repeat("a", 64): false, "ünï": false} {
		if err := ValidName("name", name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// FuzzParse: a parsed ID formats back to a canonical form that parses to the same number.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"PRB-1", "prb-42", "7", "INC-3", "PRB-", "PRB-0x10", "PRB-9223372036854775807", "PRB-\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Problem.Parse("id", s)
		if err != nil {
			return
		}
		if n <= 0 {
			t.Fatalf("Parse(%q) = %d", s, n)
		}
		back, err := Problem.Parse("id", Problem.Format(n))
		if err != nil || back != n || Problem.Format(n) != "PRB-"+strconv.FormatInt(n, 10) {
			t.Fatalf("round trip of %q: %d, %v", s, back, err)
		}
		if k, ok := KindOf(Problem.Format(n)); !ok || k != Problem {
			t.Fatalf("KindOf(%q) = %v", Problem.Format(n), k)
		}
	})
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"checkout-api", "A", "a..b", "x-", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidName("name", s) != nil {
			return
		}
		if len(s) == 0 || len(s) > MaxNameLen || strings.ToLower(s) != s || strings.ContainsAny(s, " /\\\"'") {
			t.Fatalf("ValidName accepted %q", s)
		}
	})
}
