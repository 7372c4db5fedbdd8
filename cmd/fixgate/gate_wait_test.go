package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// TestGateCheckWaitAllowed: REL-1 is blocked by an open P1 problem on
// staging and by its missing approval. While the pipeline waits, the
// problem is canceled (approvals is now the first failing rule) and then
// the CAB member approves: the wait ends with exit 0 and the allowed
// verdict, and stderr has one progress line per first failing rule.
func TestGateCheckWaitAllowed(t *testing.T) {
	s, _, flags := gateServer(t)
	ctx := context.Background()
	admin := audit.Actor{User: "admin", Role: "admin"}
	if _, err := s.CreateProblem(ctx, admin, problem.Problem{Title: "staging down", Priority: 1, Environments: []string{"staging"}}, nil); err != nil {
		t.Fatal(err)
	}
	approved := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, err := s.UpdateProblem(ctx, admin, 1, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(problem.Canceled, "admin", c.Now, 0)
		})
		if err == nil {
			time.Sleep(300 * time.Millisecond)
			_, err = s.CreateApproval(ctx, audit.Actor{User: "cab", Role: "cab_member"},
				approval.Approval{Record: "REL-1", RecordType: approval.RecordRelease, Decision: "approve"}, 0)
		}
		approved <- err
	}()
	start := time.Now()
	code, out, errOut := runCLI(t, append(flags, "gate", "check", "REL-1", "--env", "staging", "--wait", "--interval", "50ms", "--timeout", "1m")...)
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(out, "ALLOWED") || time.Since(start) < 500*time.Millisecond {
		t.Fatalf("exit %d after %s\n%s\n%s", code, time.Since(start), out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "REL-1 to staging blocked by open_problems: PRB-1 (priority 1") ||
		!strings.Contains(lines[1], "REL-1 to staging blocked by approvals: ") || !strings.Contains(lines[1], "waiting up to") {
		t.Fatalf("progress lines %q", lines)
	}
	evs, err := s.ListGateEvaluations(ctx, store.GateEvaluationFilter{Release: 1})
	if err != nil || len(evs) < 3 || evs[len(evs)-1].Decision != "allowed" {
		t.Fatalf("evaluations: %d %v", len(evs), err)
	}
}

// TestGateCheckWaitTimeout: nobody approves; at the timeout the last
// verdict is printed as gate check prints it, with exit 1. Bad wait flags
// and errors exit 2.
func TestGateCheckWaitTimeout(t *testing.T) {
	_, _, flags := gateServer(t)
	start := time.Now()
	code, out, errOut := runCLI(t, append(flags, "gate", "check", "REL-1", "--env", "staging", "--wait", "--interval", "40ms", "--timeout", "200ms")...)
	if code != 1 || !strings.Contains(out, "BLOCKED") || !strings.Contains(out, "FAIL") || time.Since(start) < 200*time.Millisecond ||
		!strings.Contains(errOut, "blocked by approvals") || !strings.Contains(errOut, "is blocked: ") {
		t.Fatalf("exit %d after %s\n%s\n%s", code, time.Since(start), out, errOut)
	}
	code, out, _ = runCLI(t, append(flags, "gate", "check", "REL-1", "--env", "staging", "--wait", "--interval", "40ms", "--timeout", "100ms", "-o", "json")...)
	if code != 1 || !strings.Contains(out, `"decision": "blocked"`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	// allowed at once: no progress line
	if code, _, errOut := runCLI(t, append(flags, "gate", "check", "REL-2", "--env", "staging", "--wait")...); code != 0 || errOut != "" {
		t.Fatalf("allowed at once: exit %d %q", code, errOut)
	}
	for _, args := range [][]string{
		{"gate", "check", "REL-1", "--env", "staging", "--interval", "1s"},
		{"gate", "check", "REL-1", "--env", "staging", "--timeout", "1s"},
		{"gate", "check", "REL-1", "--env", "staging", "--wait", "--interval", "0s"},
		{"gate", "check", "REL-1", "--env", "staging", "--wait", "--timeout", "-1s"},
		{"gate", "check", "REL-9", "--env", "staging", "--wait", "--interval", "10ms", "--timeout", "1s"},
	} {
		if code, out, _ := runCLI(t, append(flags, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, out)
		}
	}
}
