package release

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCommitProblems(t *testing.T) {
	for msg, want := range map[string][]string{
		"Fix pool\n\nFixes: PRB-12":                          {"PRB-12"},
		"PRB-7: retry payments":                              {"PRB-7"},
		"fix(prb-9) lower case":                              {"PRB-9"},
		"Work\n\nRefs: PRB-2, prb-10\nResolves: PRB-2 PRB-3": {"PRB-2", "PRB-3", "PRB-10"},
		"Work\n\n  fixes :PRB-4":                             {"PRB-4"},
		"Work\n\nSee PRB-5 in the body":                      {},
		"Work\n\nCo-authored-by: PRB-6":                      {},
		"XPRB-1 PRB-01 PRB-2a PRB-3_ PRB- PRB-0":             {},
		"PRB-99999999999999999999 overflow":                  {},
		"PRB-1,PRB-2;(PRB-3)":                                {"PRB-1", "PRB-2", "PRB-3"},
		"":                                                   {},
	} {
		got := CommitProblems(msg)
		if len(got) != len(want) || len(want) > 0 && !slices.Equal(got, want) {
			t.Errorf("CommitProblems(%q) = %v, want %v", msg, got, want)
		}
	}
}

// FuzzCommitProblems: any message gives valid, sorted, unique ids, each of
// which occurs (in some case) in the message.
func FuzzCommitProblems(f *testing.F) {
	for _, s := range []string{"Fixes: PRB-12", "PRB-1 x\n\nRefs: prb-2,PRB-3", "PRB-", "a\nResolves:PRB-9\r\n", "PRB-0PRB-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got := CommitProblems(msg)
		upper := strings.ToUpper(msg)
		for i, id := range got {
			if !strings.HasPrefix(id, "PRB-") || !utf8.ValidString(id) || id[4] == '0' {
				t.Fatalf("invalid id %q from %q", id, msg)
			}
			if !strings.Contains(upper, id) {
				t.Fatalf("id %q not in %q", id, msg)
			}
			if i > 0 && compareIDs(got[i-1], id) >= 0 {
				t.Fatalf("not sorted/unique: %v", got)
			}
		}
	})
}
