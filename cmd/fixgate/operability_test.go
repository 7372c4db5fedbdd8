package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// oneLineErr fails unless the run exited 2 with exactly one line on stderr naming want.
func oneLineErr(t *testing.T, what string, code int, stderr, want string) {
	t.Helper()
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("%s: want exit 2 and one line naming %q, got %d %q", what, want, code, stderr)
	}
}

// TestGateShowListCLI: evaluations made by gate check are listed (with
// filters) and shown with their rule lines; bad input exits 2.
func TestGateShowListCLI(t *testing.T) {
	_, _, flags := gateServer(t)
	as := func(args ...string) (int, string, string) {
		return runCLI(t, append(append([]string{}, flags...), args...)...)
	}
	code, out, _ := as("gate", "check", "REL-2", "--env", "staging")
	allowed := strings.Fields(out)[0]
	if code != 0 || !strings.HasPrefix(allowed, "GATE-") {
		t.Fatalf("check REL-2: %d %q", code, out)
	}
	code, out, _ = as("gate", "check", "REL-1", "--env", "staging")
	blocked := strings.Fields(out)[0]
	if code != 1 || !strings.HasPrefix(blocked, "GATE-") || blocked == allowed {
		t.Fatalf("check REL-1: %d %q", code, out)
	}

	code, out, errs := as("gate", "show", blocked)
	if code != 0 || !strings.HasPrefix(out, blocked+" REL-1 to staging at ") || !strings.Contains(out, "BLOCKED") ||
		!strings.Contains(out, "\nFAIL") || !strings.Contains(out, "approvals") || !strings.Contains(out, "evaluated by bot at ") ||
		!strings.Contains(out, "REL-1@") {
		t.Fatalf("show blocked: %d %q %q", code, out, errs)
	}
	// the stored rule lines are the ones gate check printed
	if n := strings.Count(out, "\n"); n < 11 {
		t.Fatalf("show: %d lines, want a header, one per rule and the footer:\n%s", n, out)
	}
	code, out, _ = as("-o", "json", "gate", "show", allowed)
	var ev struct {
		ID, Decision string
		Verdict      struct {
			Rules []struct{ Rule, Result string }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || ev.ID != allowed || ev.Decision != "allowed" || len(ev.Verdict.Rules) < 10 {
		t.Fatalf("show json: %d %q", code, out)
	}

	code, out, _ = as("gate", "list")
	if code != 0 || !strings.HasPrefix(out, "ID ") || !strings.Contains(out, allowed) || !strings.Contains(out, blocked) ||
		!strings.Contains(out, "allowed") || !strings.Contains(out, "blocked") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = as("gate", "list", "--decision", "blocked", "--env", "staging")
	if code != 0 || !strings.Contains(out, blocked) || strings.Contains(out, allowed+" ") {
		t.Fatalf("list blocked: %d %q", code, out)
	}
	code, out, _ = as("-o", "json", "gate", "list", "--release", "REL-2")
	var l struct {
		Items []struct{ ID, Release string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || len(l.Items) != 1 || l.Items[0].ID != allowed {
		t.Fatalf("list json: %d %q", code, out)
	}

	code, _, errs = as("gate", "show", "GATE-999")
	oneLineErr(t, "unknown evaluation", code, errs, "GATE-999")
	code, _, errs = as("gate", "list", "--decision", "maybe")
	oneLineErr(t, "bad decision", code, errs, "decision")
	code, _, errs = as("gate", "show")
	oneLineErr(t, "no id", code, errs, "arg")
}

// TestEnvFreezeWindowCLI: a freeze added with the CLI blocks the gate and
// removing it unblocks it; a window added with the CLI decides the
// maintenance window rule of a production environment; bad input exits 2.
func TestEnvFreezeWindowCLI(t *testing.T) {
	s, url, bot := gateServer(t)
	admin := []string{"--url", url, "--token", "fgt_admin"}
	as := func(flags []string, args ...string) (int, string, string) {
		return runCLI(t, append(append([]string{}, flags...), args...)...)
	}
	now := s.Now()
	code, out, errs := as(admin, "env", "freeze", "add", "staging", "--name", "review-week", "--reason", "incident review",
		"--from", now.Add(-time.Hour).Format(time.RFC3339), "--to", now.Add(time.Hour).Format(time.RFC3339))
	if code != 0 || !strings.Contains(out, "staging revision 2") || !strings.Contains(out, "review-week") || !strings.Contains(out, "incident review") {
		t.Fatalf("freeze add: %d %q %q", code, out, errs)
	}
	code, out, _ = as(bot, "gate", "check", "REL-2", "--env", "staging")
	if code != 1 || !strings.Contains(out, `freeze "review-week" of staging (incident review`) {
		t.Fatalf("gate in freeze: %d %q", code, out)
	}
	code, out, _ = as(bot, "env", "freeze", "list", "staging")
	if code != 0 || !strings.HasPrefix(out, "NAME ") || !strings.Contains(out, "review-week") {
		t.Fatalf("freeze list: %d %q", code, out)
	}
	code, out, _ = as(bot, "-o", "json", "env", "show", "staging")
	var env struct {
		Freezes []struct{ Name, Reason string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &env) != nil || len(env.Freezes) != 1 || env.Freezes[0].Reason != "incident review" {
		t.Fatalf("env show: %d %q", code, out)
	}
	code, _, errs = as(admin, "env", "freeze", "add", "staging", "--name", "review-week", "--from", "2026-12-20T00:00:00Z", "--to", "2026-12-21T00:00:00Z")
	oneLineErr(t, "duplicate freeze", code, errs, "review-week")
	code, _, errs = as(admin, "env", "freeze", "add", "staging", "--name", "x", "--from", "2026-12-20", "--to", "2026-12-21T00:00:00Z")
	oneLineErr(t, "bad --from", code, errs, "--from")
	code, _, errs = as(admin, "env", "freeze", "add", "staging", "--name", "x", "--from", "2026-12-21T00:00:00Z", "--to", "2026-12-20T00:00:00Z")
	oneLineErr(t, "--to before --from", code, errs, "--to")
	code, _, errs = as(bot, "env", "freeze", "add", "staging", "--name", "x", "--from", "2026-12-20T00:00:00Z", "--to", "2026-12-21T00:00:00Z")
	oneLineErr(t, "pipeline may not change environments", code, errs, "")
	code, _, errs = as(admin, "env", "freeze", "remove", "staging", "no-such")
	oneLineErr(t, "remove unknown freeze", code, errs, "no-such")
	code, out, errs = as(admin, "env", "freeze", "remove", "staging", "review-week")
	if code != 0 || strings.Contains(out, "review-week") {
		t.Fatalf("freeze remove: %d %q %q", code, out, errs)
	}
	if code, out, _ = as(bot, "gate", "check", "REL-2", "--env", "staging"); code != 0 {
		t.Fatalf("gate after the freeze was removed: %d %q", code, out)
	}

	// windows: the clock starts on Monday 2026-03-02 10:00 UTC
	if code, out, errs = as(admin, "env", "create", "prod", "--tier", "production"); code != 0 {
		t.Fatalf("env create: %d %q %q", code, out, errs)
	}
	code, out, errs = as(admin, "env", "window", "add", "prod", "--name", "monday-late", "--day", "mon,wed", "--start", "22:00",
		"--duration", "4h", "--tz", "Europe/Berlin")
	if code != 0 || !strings.Contains(out, "monday-late") || !strings.Contains(out, "mon,wed") || !strings.Contains(out, "22:00") ||
		!strings.Contains(out, "02:00") || !strings.Contains(out, "Europe/Berlin") {
		t.Fatalf("window add: %d %q %q", code, out, errs)
	}
	rule := func(at string) string {
		t.Helper()
		_, out, _ := as(bot, "gate", "check", "REL-2", "--env", "prod", "--at", at)
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[1] == "maintenance_window" {
				return l
			}
		}
		t.Fatalf("no maintenance_window line at %s:\n%s", at, out)
		return ""
	}
	if l := rule("2026-03-02T23:30:00+01:00"); !strings.HasPrefix(l, "PASS") || !strings.Contains(l, "monday-late") {
		t.Fatalf("inside the window: %q", l)
	}
	if l := rule("2026-03-03T12:00:00+01:00"); !strings.HasPrefix(l, "FAIL") || !strings.Contains(l, "outside every maintenance window") {
		t.Fatalf("outside the window: %q", l)
	}
	code, out, _ = as(bot, "-o", "json", "env", "window", "list", "prod")
	var ws struct {
		Items []struct {
			Name, End string
			TimeZone  string `json:"time_zone"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &ws) != nil || len(ws.Items) != 1 || ws.Items[0].End != "02:00" ||
		ws.Items[0].TimeZone != "Europe/Berlin" {
		t.Fatalf("window list json: %d %q", code, out)
	}
	code, _, errs = as(admin, "env", "window", "add", "prod", "--name", "x", "--day", "sun", "--start", "01:00", "--end", "03:00", "--duration", "2h", "--tz", "UTC")
	oneLineErr(t, "--end and --duration", code, errs, "--duration")
	code, _, errs = as(admin, "env", "window", "add", "prod", "--name", "x", "--day", "sun", "--start", "1am", "--end", "03:00", "--tz", "UTC")
	oneLineErr(t, "bad --start", code, errs, "--start")
	code, _, errs = as(admin, "env", "window", "add", "prod", "--name", "x", "--day", "sun", "--start", "01:00", "--end", "03:00", "--tz", "Mars/Olympus")
	oneLineErr(t, "unknown zone (server)", code, errs, "Mars/Olympus")
	code, _, errs = as(admin, "env", "window", "add", "prod", "--name", "x", "--day", "someday", "--start", "01:00", "--end", "03:00", "--tz", "UTC")
	oneLineErr(t, "bad day (server)", code, errs, "someday")
	code, _, errs = as(admin, "env", "window", "add", "prod", "--name", "monday-late", "--day", "sun", "--start", "01:00", "--end", "03:00", "--tz", "UTC")
	oneLineErr(t, "duplicate window", code, errs, "monday-late")
	code, out, errs = as(admin, "env", "window", "remove", "prod", "monday-late")
	if code != 0 || strings.Contains(out, "monday-late") {
		t.Fatalf("window remove: %d %q %q", code, out, errs)
	}
	if l := rule("2026-03-03T12:00:00+01:00"); !strings.HasPrefix(l, "PASS") || !strings.Contains(l, "defines no maintenance window") {
		t.Fatalf("after remove: %q", l)
	}
	code, _, errs = as(admin, "env", "window", "remove", "prod", "monday-late")
	oneLineErr(t, "remove twice", code, errs, "monday-late")
	code, _, errs = as(admin, "env", "window", "list", "nowhere")
	oneLineErr(t, "unknown environment", code, errs, "nowhere")
}
