package policy_test

import (
	"testing"
	"time"

	"fixgate/internal/policy"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * day}, {"72h", 72 * time.Hour}, {"1d12h", 36 * time.Hour}, {"2w", 14 * day},
		{"7y", 7 * 365 * day}, {"90m", 90 * time.Minute}, {"45s", 45 * time.Second}, {"0", 0}, {" 0d ", 0},
	}
	for _, tt := range ok {
		got, err := policy.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, _ := policy.ParseDuration(policy.FormatDuration(got)); back != got {
			t.Errorf("FormatDuration(%v) = %q does not read back", got, policy.FormatDuration(got))
		}
	}
	for _, in := range []string{"", "d", "30", "-1d", "1.5d", "30 days", "1x", "999999999999y", "1d-2h", "12345678901234d"} {
		if got, err := policy.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
	if got := policy.FormatDuration(36 * time.Hour); got != "1d12h" {
		t.Errorf("FormatDuration(36h) = %q", got)
	}
}
