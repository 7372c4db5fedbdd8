package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"fixgate/internal/api"
	"fixgate/internal/store/storetest"
)

func TestChangeModelChecklistCLI(t *testing.T) {
	s, _ := storetest.Open(t)
	tok, _, err := s.Bootstrap(context.Background(), "fgt_admin")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	as := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"--url", srv.URL, "--token", tok}, args...)...)
	}
	code, out, errs := as("change-model", "checklist", "memory-leak-patch")
	if code != 0 || !strings.Contains(out, "- heap profile before/after attached (policy)") {
		t.Fatalf("text: %d %q %q", code, out, errs)
	}
	code, out, _ = as("--output", "json", "change-model", "checklist", "memory-leak-patch")
	var got struct {
		Checklist []string `json:"checklist"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Checklist) != 2 {
		t.Fatalf("json: %d %q", code, out)
	}
	if code, _, errs := as("change-model", "checklist", "no-such-model"); code != 2 || !strings.Contains(errs, "no-such-model") {
		t.Fatalf("unknown model: %d %q", code, errs)
	}
}
