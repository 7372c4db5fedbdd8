package signal

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

const h = time.Hour

// history of prod-eu: DEP-1 succeeded long ago, DEP-2 succeeded at t0 with
// a canary stage, DEP-3 rolled back, DEP-4 still running, DEP-9 is staging.
func history() []Deployment {
	return []Deployment{
		{ID: 1, Env: "prod-eu", CIs: []string{"checkout-api"}, Status: DeploySucceeded, StartedAt: at(-72 * h), FinishedAt: at(-71 * h)},
		{ID: 2, Env: "prod-eu", CIs: []string{"checkout-api"}, Status: DeploySucceeded, StartedAt: at(-2 * h), FinishedAt: at(0),
			Stages: []Stage{{Name: "canary-10", StartedAt: at(-2 * h), FinishedAt: at(-1 * h)}, {Name: "full", StartedAt: at(-1 * h), FinishedAt: at(0)}}},
		{ID: 3, Env: "prod-eu", CIs: []string{"checkout-api"}, Status: DeployRolledBack, StartedAt: at(30 * h), FinishedAt: at(31 * h),
			Stages: []Stage{{Name: "canary-10", StartedAt: at(30 * h)}}},
		{ID: 4, Env: "prod-eu", CIs: []string{"payments"}, Status: DeployRunning, StartedAt: at(40 * h),
			Stages: []Stage{{Name: "canary-10", StartedAt: at(40 * h), FinishedAt: at(41 * h)}, {Name: "canary-50", StartedAt: at(41 * h)}}},
		{ID: 9, Env: "staging", Status: DeploySucceeded, StartedAt: at(-1 * h), FinishedAt: at(-30 * time.Minute)},
	}
}

func TestAttribute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ci    string
		at    time.Duration
		pol   Policy
		want  []int64
		phase string
		stage string
	}{
		{"before any deployment of interest", "checkout-api", -100 * h, Policy{}, nil, "", ""},
		{"old deployment, beyond 24h window", "checkout-api", -40 * h, Policy{}, nil, "", ""},
		{"old deployment, wider window", "checkout-api", -40 * h, Policy{AttributionWindow: 48 * h}, []int64{1}, Live, ""},
		{"during canary of DEP-2: DEP-1 is outside its window", "checkout-api", -90 * time.Minute, Policy{}, []int64{2}, InProgress, "canary-10"},
		{"during canary of DEP-2, DEP-1 still live in a wide window", "checkout-api", -90 * time.Minute, Policy{AttributionWindow: 96 * h}, []int64{1, 2}, "", ""},
		{"at DEP-2's start (inclusive)", "checkout-api", -2 * h, Policy{}, []int64{2}, InProgress, "canary-10"},
		{"at DEP-2's finish", "checkout-api", 0, Policy{}, []int64{2}, Live, ""},
		{"DEP-2 live, DEP-1 superseded", "checkout-api", 5 * h, Policy{AttributionWindow: 96 * h}, []int64{2}, Live, ""},
		{"exactly at window end (inclusive)", "checkout-api", 24 * h, Policy{}, []int64{2}, Live, ""},
		{"just after window end", "checkout-api", 24*h + time.Second, Policy{}, nil, "", ""},
		{"during DEP-3 which later rolled back", "checkout-api", 30*h + time.Minute, Policy{AttributionWindow: 48 * h}, []int64{2, 3}, "", ""},
		{"after DEP-3 rolled back, DEP-2 is live again", "checkout-api", 32 * h, Policy{AttributionWindow: 48 * h}, []int64{2}, Live, ""},
		{"running DEP-4, other CI", "payments", 50 * h, Policy{}, []int64{4}, InProgress, "canary-50"},
		{"running DEP-4 does not change checkout-api", "checkout-api", 50 * h, Policy{}, nil, "", ""},
		{"no CI on the signal: every CI counts", "", 50 * h, Policy{}, []int64{4}, InProgress, "canary-50"},
	} {
		s := Signal{Env: "prod-eu", CI: tc.ci, At: t0.Add(tc.at), Labels: map[string]string{"alertname": "HighErrorRate"}}
		got, err := Attribute(s, history(), tc.pol)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var ids []int64
		for _, v := range got {
			ids = append(ids, v.DeploymentID)
			if !v.Attributed || v.Reason == "" {
				t.Errorf("%s: verdict %+v", tc.name, v)
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: attributed to %v, want %v (%+v)", tc.name, ids, tc.want, got)
			continue
		}
		if tc.phase != "" && (got[0].Phase != tc.phase || got[0].Stage != tc.stage) {
			t.Errorf("%s: phase %q stage %q, want %q %q", tc.name, got[0].Phase, got[0].Stage, tc.phase, tc.stage)
		}
	}
}

func TestExplainSaysWhy(t *testing.T) {
	s := Signal{Env: "prod-eu", CI: "checkout-api", At: t0.Add(26 * h)}
	got, err := Explain(s, history(), Policy{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{
		1: "attribution window ended at 2026-02-27T13:00:00Z",
		2: "after the 24h0m0s attribution window ended at 2026-03-02T12:00:00Z",
		3: "had not started",
		4: "does not change checkout-api",
		9: "deployed to staging",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d verdicts: %+v", len(got), got)
	}
	for _, v := range got {
		if v.Attributed || !strings.Contains(v.Reason, want[v.DeploymentID]) {
			t.Errorf("DEP-%d: %+v, want reason with %q", v.DeploymentID, v, want[v.DeploymentID])
		}
	}
	// Superseded is checked after the window: DEP-1 is beyond its window too,
	// but with a wide window the supersession is what excludes it.
	got, _ = Explain(s, history(), Policy{AttributionWindow: 1000 * h})
	if got[0].DeploymentID != 1 || !strings.Contains(got[0].Reason, "superseded by DEP-2") || !got[1].Attributed {
		t.Fatalf("wide window: %+v", got[:2])
	}
}

func TestTerminalWithoutFinishTime(t *testing.T) {
	deps := []Deployment{{ID: 7, Env: "prod-eu", Status: DeployFailed, StartedAt: at(0),
		Stages: []Stage{{Name: "canary", StartedAt: at(0), FinishedAt: at(h)}}}}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{30 * time.Minute, true}, {h, false}, {5 * h, false}} {
		got, _ := Attribute(Signal{Env: "prod-eu", At: t0.Add(tc.at)}, deps, Policy{})
		if (len(got) == 1) != tc.want {
			t.Errorf("at +%s: %+v", tc.at, got)
		}
	}
	// Blocked part-way without a finish time is still rolling (paused).
	deps[0].Status = DeployBlocked
	if got, _ := Attribute(Signal{Env: "prod-eu", At: t0.Add(5 * h)}, deps, Policy{}); len(got) != 1 || got[0].Phase != InProgress {
		t.Errorf("blocked: %+v", got)
	}
	// Pending never started, whatever its timestamps say.
	deps[0].Status = DeployPending
	if got, _ := Attribute(Signal{Env: "prod-eu", At: t0.Add(5 * h)}, deps, Policy{}); len(got) != 0 {
		t.Errorf("pending: %+v", got)
	}
}

func TestAttributeRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		s     Signal
		pol   Policy
		field string
	}{
		{Signal{Env: "prod-eu"}, Policy{}, "at"},
		{Signal{At: t0}, Policy{}, "env"},
		{Signal{Env: "prod-eu", At: t0}, Policy{AttributionWindow: -h}, "attribution_window"},
	} {
		_, err := Attribute(tc.s, history(), tc.pol)
		if fe := fault.As(err); fe == nil || fe.Code != fault.Invalid || fe.Field != tc.field {
			t.Errorf("%+v: got %v, want Invalid naming %s", tc.s, err, tc.field)
		}
	}
}

// TestVerdictJSONUsesPublicID: a verdict names its deployment "DEP-n" in
// JSON, never the bare number, and reads back (also the legacy number).
func TestVerdictJSONUsesPublicID(t *testing.T) {
	b, err := json.Marshal(Verdict{DeploymentID: 24, Attributed: true, Reason: "live"})
	if err != nil || !strings.Contains(string(b), `"deployment":"DEP-24"`) || strings.Contains(string(b), "deployment_id") {
		t.Fatalf("%s %v", b, err)
	}
	var back Verdict
	if err := json.Unmarshal(b, &back); err != nil || back.DeploymentID != 24 || !back.Attributed {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"deployment_id":7,"attributed":false,"reason":"x"}`), &back); err != nil || back.DeploymentID != 7 {
		t.Fatalf("legacy: %+v %v", back, err)
	}
}

// TestPick: an incident goes to a deployment its signal is attributed to:
// one in progress first, else the most recent live one; never to one the
// signal was judged not attributable to (another CI, superseded, too old).
func TestPick(t *testing.T) {
	cases := []struct {
		vs   []Verdict
		want int64
	}{
		{nil, 0},
		{[]Verdict{{DeploymentID: 9, Reason: "does not change checkout-api"}}, 0},
		{[]Verdict{{DeploymentID: 3, Attributed: true, Phase: Live}, {DeploymentID: 9, Reason: "superseded"}}, 3},
		{[]Verdict{{DeploymentID: 3, Attributed: true, Phase: Live}, {DeploymentID: 5, Attributed: true, Phase: Live}}, 5},
		{[]Verdict{{DeploymentID: 5, Attributed: true, Phase: Live}, {DeploymentID: 4, Attributed: true, Phase: InProgress}}, 4},
	}
	for i, c := range cases {
		if got := Pick(c.vs); got != c.want {
			t.Errorf("case %d: %d, want %d", i, got, c.want)
		}
	}
}
