package policy_test

import (
	"strings"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// FuzzParse: Parse never panics; it either returns a policy whose hash is
// stable, or an Invalid fault on field "policy" with a one-line message.
func FuzzParse(f *testing.F) {
	f.Add(readExample(f))
	f.Add([]byte("version: 1\n"))
	f.Add([]byte("gate:\n  custom:\n    - name: x\n      expr: \"1/0 == 1\"\n"))
	f.Add([]byte("observation_periods: {1: 1d12h}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse(data)
		if err != nil {
			fe := fault.As(err)
			if fe == nil || fe.Code != fault.Invalid || fe.Field != "policy" {
				t.Fatalf("error %v is not an Invalid fault on field policy", err)
			}
			if strings.Contains(fe.Message, "\n") {
				t.Fatalf("multi-line message %q", fe.Message)
			}
			return
		}
		if p.Hash() != p.Hash() {
			t.Fatal("hash is not stable")
		}
	})
}
