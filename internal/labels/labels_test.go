package labels

import (
	"strings"
	"testing"
	"unicode/utf8"

	"fixgate/internal/fault"
)

func TestParsePair(t *testing.T) {
	for _, tc := range []struct {
		in, name, value string
		ok              bool
	}{
		{"env=prod", "env", "prod", true},
		{"_x=", "_x", "", true},
		{"url=a=b", "url", "a=b", true},
		{"Alert_Name2=é ü", "Alert_Name2", "é ü", true},
		{"noequals", "", "", false},
		{"=v", "", "", false},
		{"1abc=v", "", "", false},
		{"a-b=v", "", "", false},
		{"a b=v", "", "", false},
		{"k=" + strings.Repeat("x", MaxValueBytes), "k", strings.Repeat("x", MaxValueBytes), true},
		{"k=" + strings.Repeat("x", MaxValueBytes+1), "", "", false},
		{"k=\xff", "", "", false},
	} {
		n, v, err := ParsePair("label", tc.in)
		if tc.ok != (err == nil) || n != tc.name || v != tc.value {
			t.Errorf("ParsePair(%q) = %q, %q, %v", tc.in, n, v, err)
		}
		if err != nil && fault.As(err).Field != "label" {
			t.Errorf("ParsePair(%q) error names %q", tc.in, fault.As(err).Field)
		}
	}
}

func TestParseSetAndValidate(t *testing.T) {
	s, err := ParseSet("label", []string{"b=2", "a=1"})
	if err != nil || len(s) != 2 || s["a"] != "1" {
		t.Fatalf("ParseSet: %v, %v", s, err)
	}
	if _, err := ParseSet("label", []string{"a=1", "a=2"}); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("duplicate: %v", err)
	}
	many := make([]string, MaxLabels+1)
	for i := range many {
		many[i] = "l" + strings.Repeat("x", i) + "=v"
	}
	if _, err := ParseSet("label", many); err == nil {
		t.Fatal("more than MaxLabels accepted")
	}
	bad := Set{"ok": "1", "bad-name": "2"}
	err = bad.Validate("labels")
	if fe := fault.As(err); fe == nil || fe.Field != "labels" || !strings.Contains(fe.Message, `"bad-name"`) {
		t.Fatalf("Validate: %v", err)
	}
	if err := (Set{"v": strings.Repeat("é", 600)}).Validate("labels"); err == nil || !strings.Contains(err.Error(), `"v"`) {
		t.Fatalf("long value: %v", err)
	}
	if err := Set(nil).Validate("labels"); err != nil {
		t.Fatal(err)
	}
}

func TestCanonicalEncoding(t *testing.T) {
	a := Set{"b": `x"y`, "a": "1\n2", "c": `\`}
	want := `{a="1\n2", b="x\"y", c="\\"}`
	if got := a.String(); got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
	if Set(nil).String() != "{}" || Set(nil).Fingerprint() != "" {
		t.Fatal("empty set encoding")
	}
	b := Set{"a": "1\n2", "b": `x"y`, "c": `\`}
	if a.Fingerprint() != b.Fingerprint() || len(a.Fingerprint()) != 16 {
		t.Fatal("fingerprint not stable")
	}
	// Values that would collide under naive k=v,k=v joining stay distinct.
	x, y := Set{"a": "1, b=2"}, Set{"a": "1", "b": "2"}
	if x.String() == y.String() || x.Fingerprint() == y.Fingerprint() {
		t.Fatal("encoding is ambiguous")
	}
	if !y.Has(Set{"b": "2"}) || y.Has(Set{"b": "3"}) || !y.Equal(y.Clone()) || y.Equal(x) {
		t.Fatal("Has/Equal")
	}
}

func FuzzParsePair(f *testing.F) {
	for _, s := range []string{"env=prod", "a==", "=", "", "k=\xff", "_=\n", "alertname=Checkout 5xx", "ä=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, v, err := ParsePair("label", s)
		if err != nil {
			fe := fault.As(err)
			if fe == nil || fe.Field != "label" || fe.Code != fault.Invalid {
				t.Fatalf("error %v is not Invalid naming label", err)
			}
			if !utf8.ValidString(fe.Message) {
				t.Fatalf("error message is not UTF-8: %q", fe.Message)
			}
			return
		}
		if n+"="+v != s || !ValidName(n) || !utf8.ValidString(v) || len(v) > MaxValueBytes {
			t.Fatalf("ParsePair(%q) accepted %q=%q", s, n, v)
		}
		if err := (Set{n: v}).Validate("labels"); err != nil {
			t.Fatalf("parsed pair fails Validate: %v", err)
		}
	})
}

func FuzzParseSet(f *testing.F) {
	f.Add("a=1\nb=2")
	f.Add("a=1\na=2")
	f.Add("x=\"q\"\ny=\\\\")
	f.Add("b=1, a=2\na=")
	f.Fuzz(func(t *testing.T, in string) {
		pairs := strings.Split(in, "\n")
		s, err := ParseSet("label", pairs)
		if err != nil {
			return
		}
		if err := s.Validate("labels"); err != nil {
			t.Fatalf("parsed set fails Validate: %v", err)
		}
		// Order of the pairs does not change the canonical encoding.
		rev := make([]string, len(pairs))
		for i, p := range pairs {
			rev[len(pairs)-1-i] = p
		}
		r, err := ParseSet("label", rev)
		if err != nil || r.String() != s.String() || r.Fingerprint() != s.Fingerprint() || !r.Equal(s) {
			t.Fatalf("reordered set differs: %v %v", r, err)
		}
		if !utf8.ValidString(s.String()) {
			t.Fatalf("encoding not UTF-8")
		}
	})
}
