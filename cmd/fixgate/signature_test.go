package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/problem"
	"fixgate/internal/store/storetest"
)

func TestProblemSignatureCloseConfirmCLI(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	admin := audit.Actor{User: "admin", Role: "admin"}
	adminTok, _, err := s.Bootstrap(ctx, "fgt_admin")
	if err != nil {
		t.Fatal(err)
	}
	_, valTok, err := s.CreateUser(ctx, admin, auth.User{Name: "val", Roles: []auth.Role{auth.Validator}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProblem(ctx, admin, problem.Problem{Title: "Checkout 500s", Priority: 2}, nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	as := func(tok string, args ...string) (int, string, string) {
		return runCLI(t, append([]string{"--url", srv.URL, "--token", tok}, args...)...)
	}
	code, out, errs := as(adminTok, "problem", "signature", "add", "PRB-1", `{service="checkout", alertname="HighErrorRate"}`)
	if code != 0 || !strings.Contains(out, `{alertname="HighErrorRate",service="checkout"}`) || !strings.Contains(out, "SIG-1") {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	if code, _, errs := as(adminTok, "problem", "signature", "add", "PRB-1", `{alertname=~"("}`); code != 2 || !strings.Contains(errs, "matcher") {
		t.Fatalf("bad matcher: %d %q", code, errs)
	}
	code, out, _ = as(adminTok, "--output", "json", "problem", "signature", "list", "PRB-1")
	var l struct {
		Items []struct{ ID, Matcher string } `json:"items"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || len(l.Items) != 1 || l.Items[0].ID != "SIG-1" {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, errs := as(adminTok, "problem", "signature", "remove", "PRB-1", "SIG-1"); code != 0 {
		t.Fatalf("remove: %d %q", code, errs)
	}
	code, _, errs = as(adminTok, "problem", "close", "PRB-1")
	if code != 2 || !strings.Contains(errs, "resolved") || !strings.Contains(errs, "post-implementation review") || !strings.Contains(errs, "validator") {
		t.Fatalf("close: %d %q", code, errs)
	}
	if code, out, _ := as(adminTok, "problem", "closure", "PRB-1"); code != 1 || !strings.Contains(out, "cannot close yet") || !strings.Contains(out, "pir:") {
		t.Fatalf("closure: %d %q", code, out)
	}
	if code, _, errs := as(valTok, "problem", "confirm", "PRB-1", "--comment", "ok"); code != 2 || !strings.Contains(errs, "resolved") {
		t.Fatalf("confirm unresolved: %d %q", code, errs)
	}
	if code, out, _ := as(valTok, "--output", "json", "problem", "ready"); code != 0 || !strings.Contains(out, `"items": []`) {
		t.Fatalf("ready: %d %q", code, out)
	}
}
