package cycle

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

// Fact is what the store counts for one candidate problem over the window.
type Fact struct {
	Problem  string   `json:"problem"`
	Title    string   `json:"title"`
	Status   string   `json:"status"`
	Priority int      `json:"priority"`
	CIs      []string `json:"cis"`
	// Incidents is the number of incidents matched to it in the window;
	// WorstSeverity the most severe of them (1 highest … 4; 0 with none).
	Incidents     int `json:"incidents"`
	WorstSeverity int `json:"worst_severity"`
	// AfterFix counts the window's incidents opened after its first
	// resolution; Recurrences the times it recurred after a fix.
	AfterFix    int `json:"after_fix"`
	Recurrences int `json:"recurrences"`
	// Workaround: it or its known error has a workaround; FixReleases
	// counts the releases (not canceled) that resolve it.
	Workaround  bool     `json:"workaround"`
	FixReleases int      `json:"fix_releases"`
	Cycles      []string `json:"cycles"` // cycles already targeting it
}

// Proposal is a ranked candidate: its facts, incidents per week, score and why.
type Proposal struct {
	Fact
	PerWeek float64 `json:"incidents_per_week"`
	Score   float64 `json:"score"`
	// Systemic flags a problem that only has a workaround and keeps
	// recurring: a systemic fix is due, not another workaround.
	Systemic bool     `json:"systemic_fix_over_workaround"`
	Reasons  []string `json:"reasons"`
}

// Weights of the ranking score.
const (
	wPerWeek    = 10 // per incident per week
	wAfterFix   = 3  // per incident after an earlier fix
	wRecurrence = 5  // per recurrence after a fix
	wPriority   = 2  // per step of priority above 5 (P1 = 8)
	wSeverity   = 1  // per step of the worst severity above 5 (sev 1 = 4)
)

// Rank scores the facts over a window of the given length and returns them
// best first (ties by problem id): incidents per week, incidents after an
// earlier fix, recurrences, priority and the incidents' worst severity.
func Rank(facts []Fact, window time.Duration) []Proposal {
	weeks := max(window.Hours()/(24*7), 1.0/7)
	out := make([]Proposal, 0, len(facts))
	for _, f := range facts {
		p := Proposal{Fact: f, PerWeek: round2(float64(f.Incidents) / weeks), Reasons: []string{}}
		if p.CIs == nil {
			p.CIs = []string{}
		}
		if p.Cycles == nil {
			p.Cycles = []string{}
		}
		p.Score = p.PerWeek*wPerWeek + float64(f.AfterFix*wAfterFix+f.Recurrences*wRecurrence) + float64(max(5-f.Priority, 0)*wPriority)
		if f.WorstSeverity > 0 {
			p.Score += float64((5 - f.WorstSeverity) * wSeverity)
		}
		p.Score = round2(p.Score)
		p.Systemic = f.Workaround && f.FixReleases == 0 && (f.Incidents >= 2 || f.Recurrences > 0)
		p.Reasons = reasons(p)
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Proposal) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return compareIDs(a.Problem, b.Problem)
	})
	return out
}

func reasons(p Proposal) []string {
	out := []string{fmt.Sprintf("%d incidents in the window (%.2f a week)", p.Incidents, p.PerWeek)}
	if p.AfterFix > 0 {
		out = append(out, fmt.Sprintf("%d after an earlier fix", p.AfterFix))
	}
	if p.Recurrences > 0 {
		out = append(out, fmt.Sprintf("recurred %d times after a fix", p.Recurrences))
	}
	if p.Systemic {
		out = append(out, "only a workaround, and it keeps recurring: plan a systemic fix")
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// OpenRelease is a release not yet deployed that could carry the fixes.
type OpenRelease struct {
	ID         string   `json:"id"`
	Version    string   `json:"version"`
	Type       string   `json:"type"`
	Components []string `json:"components"` // CI@VERSION
	Resolves   []string `json:"resolves"`
	Priorities []int    `json:"priorities"` // of the problems it resolves
}

// Bundle is what bundling the proposals that touch a release's CIs into it
// would do to its risk class (as the gate classifies it for production).
type Bundle struct {
	Release     string   `json:"release"`
	Version     string   `json:"version"`
	Adds        []string `json:"adds"`
	RiskNow     string   `json:"risk_now"`
	RiskBundled string   `json:"risk_bundled"`
	Raises      bool     `json:"raises"`
}

// Bundles computes, for each open release whose CIs a proposal affects,
// its risk class now and with those proposals bundled (a feature release
// becomes mixed), through the gate's own risk computation
// (gate.ComputeRisk). cis gives the CIs' criticality. Releases no proposal
// touches are left out.
func Bundles(pol *policy.Policy, props []Proposal, releases []OpenRelease, cis []gate.CI) ([]Bundle, error) {
	out := []Bundle{}
	for _, r := range releases {
		names := releaseCIs(r)
		var adds []Proposal
		for _, p := range props {
			if !slices.Contains(r.Resolves, p.Problem) && slices.ContainsFunc(p.CIs, func(c string) bool { return slices.Contains(names, c) }) {
				adds = append(adds, p)
			}
		}
		if len(adds) == 0 {
			continue
		}
		now, err := risk(pol, r, nil, cis)
		if err != nil {
			return nil, err
		}
		bundled, err := risk(pol, r, adds, cis)
		if err != nil {
			return nil, err
		}
		b := Bundle{Release: r.ID, Version: r.Version, RiskNow: now, RiskBundled: bundled, Raises: policy.RiskRank(bundled) > policy.RiskRank(now)}
		for _, p := range adds {
			b.Adds = append(b.Adds, p.Problem)
		}
		out = append(out, b)
	}
	return out, nil
}

func releaseCIs(r OpenRelease) []string {
	var out []string
	for _, ref := range r.Components {
		name, _, _ := strings.Cut(ref, "@")
		out = append(out, name)
	}
	return out
}

// risk classifies r, with adds bundled, for production.
func risk(pol *policy.Policy, r OpenRelease, adds []Proposal, cis []gate.CI) (string, error) {
	in := gate.Input{Release: gate.Release{ID: r.ID, Version: r.Version, Type: r.Type, Components: r.Components, Resolves: r.Resolves},
		CIs: cis, Environment: environment.Environment{Tier: environment.Production}}
	for i, p := range r.Priorities {
		in.Problems = append(in.Problems, gate.Problem{ID: fmt.Sprint("P", i), Priority: p})
	}
	for _, a := range adds {
		in.Problems = append(in.Problems, gate.Problem{ID: a.Problem, Priority: a.Priority, CIs: a.CIs})
		in.Release.Resolves = append(in.Release.Resolves, a.Problem)
	}
	if len(adds) > 0 && in.Release.Type == "feature" {
		in.Release.Type = "mixed"
	}
	class, _, err := gate.ComputeRisk(pol, in)
	if err != nil {
		return "", fmt.Errorf("risk of %s: %w", r.ID, err)
	}
	return class, nil
}
