package cycle

import (
	"slices"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

func TestValidate(t *testing.T) {
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	ok := Cycle{Name: "train-2025-03", Starts: start, Ends: start.Add(30 * 24 * time.Hour), Envs: []string{"prod", "prod", "staging"}}
	if err := ok.Validate(); err != nil || !slices.Equal(ok.Envs, []string{"prod", "staging"}) || ok.Problems == nil {
		t.Fatalf("valid cycle: %v %+v", err, ok)
	}
	for field, edit := range map[string]func(c *Cycle){
		"name":      func(c *Cycle) { c.Name = "Train March" },
		"starts_at": func(c *Cycle) { c.Starts = time.Time{} },
		"ends_at":   func(c *Cycle) { c.Ends = c.Starts },
		"envs":      func(c *Cycle) { c.Envs = nil },
	} {
		c := ok
		edit(&c)
		if err := c.Validate(); fault.CodeOf(err) != fault.Invalid {
			t.Errorf("%s: %v", field, err)
		}
	}
	long := ok
	long.Ends = long.Starts.Add(400 * 24 * time.Hour)
	if err := long.Validate(); err == nil {
		t.Error("a window over a year was accepted")
	}
}

func TestAddRemove(t *testing.T) {
	c := Cycle{ID: "CYC-1", Problems: []string{}}
	if !c.Add("PRB-12") || !c.Add("PRB-3") || c.Add("PRB-12") {
		t.Fatal("add")
	}
	if !slices.Equal(c.Problems, []string{"PRB-3", "PRB-12"}) {
		t.Fatalf("problems in id order: %v", c.Problems)
	}
	if err := c.Remove("PRB-3"); err != nil || !slices.Equal(c.Problems, []string{"PRB-12"}) {
		t.Fatalf("remove: %v %v", err, c.Problems)
	}
	if err := c.Remove("PRB-3"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("remove twice: %v", err)
	}
}

func TestParseSince(t *testing.T) {
	for s, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if d, err := ParseSince("since", s); err != nil || d != want {
			t.Errorf("%s = %v %v", s, d, err)
		}
	}
	for _, s := range []string{"", "0d", "-3d", "d", "10m", "9999d", "1y", "99999999999999999999d"} {
		if _, err := ParseSince("since", s); fault.CodeOf(err) != fault.Invalid {
			t.Errorf("%q accepted: %v", s, err)
		}
	}
}

// TestRank: incidents per week lead, recurrences after a fix and priority
// follow; the workaround-only recurring problem is flagged, the one with a
// fix release or a single incident is not.
func TestRank(t *testing.T) {
	facts := []Fact{
		{Problem: "PRB-1", Priority: 3, Incidents: 2, WorstSeverity: 3},
		{Problem: "PRB-2", Priority: 3, Incidents: 13, WorstSeverity: 3, Workaround: true},
		{Problem: "PRB-3", Priority: 1, Incidents: 2, WorstSeverity: 1, AfterFix: 2, Recurrences: 1, Workaround: true, FixReleases: 1},
		{Problem: "PRB-4", Priority: 3, Incidents: 1, WorstSeverity: 3, Workaround: true},
	}
	got := Rank(facts, 13*7*24*time.Hour) // 13 weeks
	var order []string
	for _, p := range got {
		order = append(order, p.Problem)
	}
	if !slices.Equal(order, []string{"PRB-3", "PRB-2", "PRB-1", "PRB-4"}) {
		t.Fatalf("order %v (%+v)", order, got)
	}
	if got[1].PerWeek != 1 || !got[1].Systemic || got[0].Systemic || got[3].Systemic || got[2].Systemic {
		t.Fatalf("per week / systemic flags: %+v", got)
	}
	if len(got[1].Reasons) != 2 {
		t.Fatalf("reasons %v", got[1].Reasons)
	}
}

// TestBundles: bundling a P1 problem on the release's CI into a P3 fix
// raises its production risk from medium to critical under the default
// policy; a release whose CIs no proposal touches is left out.
func TestBundles(t *testing.T) {
	props := Rank([]Fact{{Problem: "PRB-9", Priority: 1, Incidents: 4, CIs: []string{"checkout-api"}}}, 28*24*time.Hour)
	rels := []OpenRelease{
		{ID: "REL-2", Version: "1.4.3", Type: "problem-fix", Components: []string{"checkout-api@1.4.3"}, Resolves: []string{"PRB-5"}, Priorities: []int{3}},
		{ID: "REL-3", Version: "2.0.0", Type: "feature", Components: []string{"search@2.0.0"}},
	}
	cis := []gate.CI{{Name: "checkout-api", Criticality: "medium"}}
	got, err := Bundles(policy.Default(), props, rels, cis)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Release != "REL-2" || got[0].RiskNow != policy.Medium || got[0].RiskBundled != policy.Critical || !got[0].Raises ||
		!slices.Equal(got[0].Adds, []string{"PRB-9"}) {
		t.Fatalf("bundles %+v", got)
	}
}
