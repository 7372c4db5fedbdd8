package demo

import (
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/environment"
)

func (l *loader) catalogue() {
	l.at(0, 8)
	admin := l.as("admin")
	for _, c := range []ci.CI{
		{Name: "payments-db", Kind: "database", Owner: "team-payments", Criticality: "critical", Description: "PostgreSQL cluster of the payment service"},
		{Name: "payments-lib", Kind: "library", Owner: "team-payments", Criticality: "high", Description: "Payment client library"},
		{Name: "checkout-api", Kind: "service", Owner: "team-checkout", Criticality: "high", DependsOn: []string{"payments-lib", "payments-db"}},
		{Name: "cart-service", Kind: "service", Owner: "team-checkout", Criticality: "medium", DependsOn: []string{"checkout-api"}},
		{Name: "search-api", Kind: "service", Owner: "team-discovery", Criticality: "medium"},
		{Name: "inventory-svc", Kind: "service", Owner: "team-supply", Criticality: "medium"},
		{Name: "edge-gateway", Kind: "service", Owner: "team-platform", Criticality: "critical", DependsOn: []string{"checkout-api", "search-api"}},
	} {
		_, err := l.st.CreateCI(l.ctx, admin, c)
		l.check("CI "+c.Name, err)
	}
	year := l.clk.t.Year()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	freeze := environment.Freeze{Name: "year-end", Reason: "peak trading: no changes without a deviation",
		Start: time.Date(year, 12, 20, 0, 0, 0, 0, berlin), End: time.Date(year+1, 1, 3, 0, 0, 0, 0, berlin)}
	for _, e := range []environment.Environment{
		{Name: "staging", Tier: environment.Staging, Tags: []string{"canary"}},
		{Name: "prod-eu", Tier: environment.Production, Tags: []string{"canary", "regulated"},
			Windows: []environment.Window{{Name: "weeknights", TimeZone: "Europe/Berlin", Days: []string{"tue", "wed", "thu"}, Start: "22:00", End: "02:00"}},
			Freezes: []environment.Freeze{freeze}},
		{Name: "prod-us", Tier: environment.Production, Tags: []string{"canary"},
			Windows: []environment.Window{{Name: "weeknights", TimeZone: "America/New_York", Days: []string{"tue", "wed", "thu"}, Start: "21:00", End: "01:00"}},
			Freezes: []environment.Freeze{freeze}},
	} {
		_, err := l.st.CreateEnvironment(l.ctx, admin, e)
		l.check("environment "+e.Name, err)
	}
	for _, v := range []struct {
		ref  string
		deps []ci.Dependency
	}{
		{"payments-db@13.4.0", nil},
		{"payments-lib@2.1.0", []ci.Dependency{{CI: "payments-db", Constraint: ">=13.0.0, <14.0.0"}}},
		{"checkout-api@1.4.2", []ci.Dependency{{CI: "payments-lib", Constraint: "^2.1.0"}}},
		{"cart-service@5.2.0", []ci.Dependency{{CI: "checkout-api", Constraint: "~1.4"}}},
		{"search-api@3.1.0", nil},
		{"inventory-svc@0.9.0", nil},
		{"edge-gateway@1.0.0", []ci.Dependency{{CI: "checkout-api", Constraint: "^1.4.0"}, {CI: "search-api", Constraint: "^3.0.0"}}},
	} {
		l.component(v.ref, v.deps, ci.Approved)
	}
}

// component creates CI@VERSION with its dependencies and moves it to status.
func (l *loader) component(ref string, deps []ci.Dependency, status string) {
	name, ver, err := ci.ParseRef("component", ref)
	if !l.check("component "+ref, err) {
		return
	}
	_, err = l.st.CreateComponent(l.ctx, l.as("ci-bot"), ci.Version{CI: name, Version: ver, Dependencies: deps,
		Digest: digestOf(ref)})
	if !l.check("component "+ref, err) || status == ci.Candidate {
		return
	}
	_, err = l.st.MoveComponent(l.ctx, l.as("rita"), ref, 0, status)
	l.check("component "+ref+" → "+status, err)
}

// digestOf returns a stable fake image digest for a demo component.
func digestOf(ref string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 64)
	h := uint32(2166136261)
	for i := range b {
		h = (h ^ uint32(ref[i%len(ref)])) * 16777619
		b[i] = hex[(h>>7)%16]
	}
	return "sha256:" + string(b)
}
