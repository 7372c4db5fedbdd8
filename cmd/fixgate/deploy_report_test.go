package main

import (
	"context"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestDeployReportRefusedForAnEngineDriver: `deploy report` of a
// deployment carried by an exec driver exits 2 with one line on stderr
// naming the driver, and the action stays for the engine; the same
// command on a reported deployment prints the finished action, exit 0.
func TestDeployReportRefusedForAnEngineDriver(t *testing.T) {
	s, _, flags := gateServer(t)
	ctx, bot := context.Background(), audit.Actor{User: "bot", Role: "pipeline"}
	pol := storetest.OpenPolicy()
	b, err := yaml.Marshal(pol)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SavePolicy(ctx, audit.System("test"), string(b), pol.Hash(), 0); err != nil {
		t.Fatal(err)
	}
	full := []deploy.Stage{{Name: "full", Weight: 100}}
	for _, r := range []store.StartRequest{{Release: "REL-1", Env: "staging", Driver: "shell", Stages: full},
		{Release: "REL-2", Env: "staging", Driver: "pipe", Stages: full}} {
		if d, _, err := s.StartDeployment(ctx, bot, r, pol, 1); err != nil || d.Status != deploy.Running {
			t.Fatalf("start %+v: %+v %v", r, d, err)
		}
	}
	code, stdout, stderr := runCLI(t, append(flags, "deploy", "report", "DEP-1", "--stage", "full", "--status", "succeeded")...)
	if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "DEP-1 is carried by driver shell") {
		t.Fatalf("report of an exec deployment: exit %d, stdout %q, stderr %q; want exit 2 and one line naming the driver", code, stdout, stderr)
	}
	if acts, err := s.ListDeploymentActions(ctx, 1); err != nil || acts[0].Status != "pending" {
		t.Fatalf("the refused report finished the action: %+v %v", acts, err)
	}
	code, stdout, stderr = runCLI(t, append(flags, "deploy", "report", "DEP-2", "--stage", "full", "--status", "succeeded")...)
	if code != 0 || !strings.Contains(stdout, `"status": "succeeded"`) {
		t.Fatalf("report of a reported deployment: exit %d\n%s%s", code, stdout, stderr)
	}
}
