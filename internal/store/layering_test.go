package store_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStoreMakesNoOutgoingRequests: the store loads and saves; outgoing
// HTTP (webhook delivery) is an adapter at the edge that the store does not
// import, directly or through another package.
func TestStoreMakesNoOutgoingRequests(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "fixgate/internal/store").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list gave %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		if d == "net/http" || d == "fixgate/internal/webhook/delivery" || d == "fixgate/internal/api" {
			t.Errorf("internal/store depends on %s", d)
		}
	}
}
