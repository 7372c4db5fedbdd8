package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// storePolicy stores pol as the policy in force (the one a transaction
// reads when no Rollouts hook is installed).
func storePolicy(t *testing.T, s *store.Store, pol *policy.Policy) {
	t.Helper()
	b, err := yaml.Marshal(pol)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SavePolicy(context.Background(), audit.System("test"), string(b), pol.Hash(), 0); err != nil {
		t.Fatal(err)
	}
}

// TestReportStageOnlyForAReportedDriver: a pipeline's report stands for
// an action only of a deployment whose driver is reported under the
// policy in force. A deployment carried by an exec driver, a webhook
// driver or a driver the policy no longer defines answers Conflict naming
// the driver, whatever the stage; the refusal is audited as
// deployment.report_refused and nothing else is written (the action stays
// pending for the engine). A reported driver's report finishes the action.
func TestReportStageOnlyForAReportedDriver(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	pol := storetest.OpenPolicy()
	pol.Drivers["hook"] = policy.Driver{Webhook: &policy.WebhookDriver{URL: "https://deploy.example/hook", SecretEnv: "HOOK_SECRET"}}
	pol.Drivers["gone"] = policy.Driver{Reported: &policy.ReportedDriver{}}
	storePolicy(t, s, pol)
	full := []deploy.Stage{{Name: "full", Weight: 100}}
	var ids []int64
	for i, drv := range []string{"shell", "hook", "gone", "pipe", "reported"} {
		rel := depNewRelease(t, s, release.Release{Version: "1.0." + string(rune('0'+i)), Type: release.Feature})
		d, _ := engStart(t, s, pol, store.StartRequest{Release: rel.ID, Env: "prod-eu", Driver: drv, Stages: full})
		ids = append(ids, depNum(t, d.ID))
	}
	// "gone" was reported; the policy in force no longer defines it
	delete(pol.Drivers, "gone")
	storePolicy(t, s, pol)

	for i, c := range []struct{ driver, kind string }{{"shell", "exec"}, {"hook", "webhook"}, {"gone", "unknown"}} {
		for _, stage := range []string{"full", "nope", rollout.ActionRollback} {
			n0 := depAuditCount(t, s)
			_, err := s.ReportStage(ctx, depPipe, ids[i], stage, rollout.ActionSucceeded, "done by hand")
			fe := fault.As(err)
			if fe == nil || fe.Code != fault.Conflict || !strings.Contains(fe.Message, "driver "+c.driver) ||
				fe.Extra["driver"] != c.driver || fe.Extra["driver_kind"] != c.kind {
				t.Fatalf("report %s of a deployment carried by %s (%s): %v %+v; want Conflict naming the driver", stage, c.driver, c.kind, err, fe)
			}
			if n := depAuditCount(t, s); n != n0+1 {
				t.Fatalf("refused report: %d audit events, want the refusal's only", n-n0)
			}
		}
		evs, err := s.AuditEventsFor(ctx, "deployment", "DEP-"+string(rune('1'+i)), 100)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		var after map[string]any
		if err := json.Unmarshal([]byte(last.After), &after); err != nil {
			t.Fatal(err)
		}
		if last.Action != "deployment.report_refused" || last.Actor != depPipe.User || after["driver"] != c.driver ||
			after["rule"] != rollout.RuleReportedDriver || after["stage"] != rollout.ActionRollback || !strings.Contains(after["reason"].(string), c.driver) {
			t.Fatalf("refusal event %s by %s: %v", last.Action, last.Actor, after)
		}
		acts, err := s.ListDeploymentActions(ctx, ids[i])
		if err != nil || len(acts) != 1 || acts[0].Status != rollout.ActionPending || acts[0].Attempts != 0 {
			t.Fatalf("a refused report touched the action: %+v %v", acts, err)
		}
	}
	for _, id := range ids[3:] {
		if _, err := s.ReportStage(ctx, depPipe, id, "nope", rollout.ActionSucceeded, ""); fault.As(err) == nil || fault.As(err).Field != "stage" {
			t.Fatalf("unknown stage of a reported deployment: %v", err)
		}
		a, err := s.ReportStage(ctx, depPipe, id, "full", rollout.ActionSucceeded, "pods ready")
		if err != nil || a.Status != rollout.ActionSucceeded || a.Attempts != 1 {
			t.Fatalf("report of a reported deployment: %+v %v", a, err)
		}
	}
}
