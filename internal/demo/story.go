package demo

import (
	"fmt"

	"fixgate/internal/approval"
	"fixgate/internal/cab"
	"fixgate/internal/ci"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// recurring is an alert that keeps firing until its problem is fixed.
type recurring struct {
	title, ci, alert string
	envs             []string
	every, from, to  int // days
	severity         int
}

// story plays the 90 days. Problem numbers follow creation order:
// PRB-1 checkout pool (fix in progress), PRB-2 search leak (resolved,
// observation running), PRB-3 cart config (closed), PRB-4 new,
// PRB-5 assess, PRB-6 rca, PRB-7 canceled.
func (l *loader) story() {
	l.at(1, 9)
	base := l.release("1.0.0", release.Feature, "Baseline of the platform", nil,
		[]string{"checkout-api@1.4.2", "cart-service@5.2.0", "search-api@3.1.0", "inventory-svc@0.9.0", "edge-gateway@1.0.0", "payments-lib@2.1.0", "payments-db@13.4.0"})
	l.ship(base, 1, "standard", []string{"staging", "prod-eu", "prod-us"}, "succeeded")

	incs := map[string][]string{}
	for _, r := range []recurring{
		{"Checkout 5xx above 2% (connection pool exhausted)", "checkout-api", "HighErrorRate", []string{"prod-eu", "prod-us"}, 3, 2, 89, 2},
		{"search-api OOMKilled", "search-api", "OOMKilled", []string{"prod-eu"}, 4, 3, 79, 3},
		{"cart totals wrong after config push", "cart-service", "CartTotalsMismatch", []string{"prod-eu", "prod-us"}, 5, 4, 20, 2},
		{"inventory timeouts from warehouse API", "inventory-svc", "UpstreamTimeout", []string{"prod-us"}, 9, 60, 89, 3},
		{"edge TLS handshake failures", "edge-gateway", "TLSHandshakeErrors", []string{"prod-eu"}, 11, 30, 89, 3},
	} {
		incs[r.ci] = l.incidents(r)
	}
	if l.err != nil {
		return // the slices below are empty: report the first error
	}
	l.at(10, 10)
	p1 := l.problem("Checkout 5xx under load: DB connection pool exhausted", 1, "erin", []string{"checkout-api"}, []string{"prod-eu", "prod-us"}, incs["checkout-api"][:3])
	p2 := l.problem("search-api memory leak in result cache", 2, "eli", []string{"search-api"}, []string{"prod-eu"}, incs["search-api"][:2])
	p3 := l.problem("Cart totals wrong after tax-table config push", 2, "erin", []string{"cart-service"}, []string{"prod-eu", "prod-us"}, incs["cart-service"][:2])
	l.moves(p1, "pat", problem.Assess, problem.RCA)
	l.moves(p2, "pat", problem.Assess, problem.RCA)
	l.moves(p3, "pat", problem.Assess, problem.RCA)
	l.at(12, 11)
	l.rca(p3, "erin", "configuration_error", "tax-table push replaced the EU table with the US one; no schema check on push", "pat")
	l.moves(p3, "erin", problem.FixInProgress)
	l.knownError(p3, "Cart totals wrong after config push", "cart totals differ from invoice by the VAT amount",
		"re-push the previous tax table (config repo tag tax-2026-q1)")
	l.at(14, 15)
	l.rca(p1, "erin", "capacity", "pool of 20 connections exhausted at >400 rps; retries hold connections during payment timeouts", "pat")
	l.moves(p1, "erin", problem.FixInProgress)
	l.knownError(p1, "Checkout 5xx when the DB pool is exhausted", "HighErrorRate on checkout-api with 'pool timeout' in logs",
		"scale checkout-api to 8 replicas and restart pods holding stuck connections")
	l.at(16, 9)
	l.rca(p2, "eli", "code_defect", "result cache never evicts entries of deleted indexes", "pat")
	l.moves(p2, "eli", problem.FixInProgress)
	ke2 := l.knownError(p2, "search-api OOMKilled every few days", "OOMKilled on search-api pods, memory rising linearly",
		"rolling restart of search-api every 48h")

	// PRB-3: a targeted fix, observation, PIR, closure.
	l.at(19, 10)
	l.component("cart-service@5.2.1", []ci.Dependency{{CI: "checkout-api", Constraint: "~1.4"}}, ci.Approved)
	r3 := l.release("5.2.1", release.ProblemFix, "Validate tax tables on push", []string{p3}, []string{"cart-service@5.2.1"})
	weekly := l.meeting("Weekly CAB", 19, 14, []string{"carl", "cora", "pat"})
	l.at(19, 16)
	l.moveMeeting(weekly, cab.Held, "")
	l.moveMeeting(weekly, cab.Closed, "reviewed "+r3+" (tax-table validation) for the next window; no objections")
	l.ship(r3, 20, "normal", []string{"staging", "prod-eu", "prod-us"}, "succeeded") // prod-eu succeeding resolves PRB-3
	l.at(36, 10)
	l.pir(p3, r3, true, "no recurrence in the 14-day observation period; push pipeline now validates the schema",
		[]string{"config pushes run a schema check before they reach production"})
	l.confirm(p3, "vera")
	l.close(p3, "pat")

	// PRB-2: an emergency fix rolled back, then a proper fix in observation.
	l.at(38, 20)
	l.component("search-api@3.1.1", nil, ci.Approved)
	r2a := l.release("3.1.1", release.ProblemFix, "Evict cache entries of deleted indexes", []string{p2}, []string{"search-api@3.1.1"})
	l.ship(r2a, 39, "emergency", []string{"prod-eu"}, "rolled_back") // the rollback records its outcome on the known error
	l.at(77, 10)
	l.component("search-api@3.1.2", nil, ci.Approved)
	r2b := l.release("3.1.2", release.ProblemFix, "Evict cache entries of deleted indexes (with index-id fix)", []string{p2}, []string{"search-api@3.1.2"})
	d := l.ship(r2b, 78, "normal", []string{"staging", "prod-eu"}, "succeeded") // resolves PRB-2
	l.at(80, 9)
	l.outcome(ke2, r2b, d, knownerror.Fixed)
	l.pir(p2, r2b, false, "", nil)

	// Feature work over the quarter, some of it failing.
	for i, day := range []int{8, 22, 36, 50, 64, 71, 85} {
		l.at(day, 10)
		ref := fmt.Sprintf("inventory-svc@0.%d.0", 10+i)
		l.component(ref, nil, ci.Approved)
		r := l.release(fmt.Sprintf("0.%d.0", 10+i), release.Feature, "Inventory features, sprint "+fmt.Sprint(i+1), nil, []string{ref})
		outcome := "succeeded"
		if i == 2 || i == 5 {
			outcome = "failed"
		}
		l.ship(r, day+1, "standard", []string{"staging", "prod-us"}, outcome)
	}

	// Today: the checkout fix waits for CAB; a feature release is planned.
	l.at(86, 9)
	l.component("payments-lib@2.1.1", []ci.Dependency{{CI: "payments-db", Constraint: ">=13.0.0, <14.0.0"}}, ci.Candidate)
	l.component("checkout-api@1.4.3", []ci.Dependency{{CI: "payments-lib", Constraint: "^2.1.0"}}, ci.Approved)
	r1 := l.release("1.4.3", release.ProblemFix, "Pool sizing and retry budget for checkout", []string{p1}, []string{"checkout-api@1.4.3"})
	l.at(87, 14)
	l.validate(p1, "pat")
	chg := l.change(r1, "normal", "prod-eu", "high", "memory-leak-patch", false)
	// its change model's checklist, attested by the engineer who did the work (gate rule checklist)
	l.tick(chg, "erin", "heap profile before/after attached", "heap and pool profiles at 400 rps before/after: wiki/checkout/pool-1.4.3")
	l.tick(chg, "erin", "soak test of at least 24h passed", "staging soak of 26h at 1.5x peak load, no pool timeouts")
	l.approve(chg, "carl", approval.Approve, "CAB 2026: approved for the Thursday window, canary first")
	l.meeting("Weekly CAB", 91, 14, []string{"carl", "cora", "pat"})
	holiday := l.meeting("Weekly CAB", 98, 14, []string{"carl", "cora"})
	l.moveMeeting(holiday, cab.Canceled, "no quorum in the holiday week; emergency changes go to the on-call CAB member")
	l.component("search-api@3.2.0", nil, ci.Candidate)
	l.release("3.2.0", release.Feature, "Faceted search", nil, []string{"search-api@3.2.0"})

	l.at(88, 9)
	p4 := l.problem("Inventory timeouts from the warehouse API", 3, "eli", []string{"inventory-svc"}, []string{"prod-us"}, incs["inventory-svc"][:2])
	p5 := l.problem("Edge gateway TLS handshake failures", 2, "erin", []string{"edge-gateway"}, []string{"prod-eu"}, incs["edge-gateway"][:2])
	l.moves(p5, "pat", problem.Assess)
	p6 := l.problem("payments-db replication lag during backups", 2, "eli", []string{"payments-db"}, nil, nil)
	l.moves(p6, "pat", problem.Assess, problem.RCA)
	l.rca(p6, "eli", "infrastructure", "backup job saturates the replica's disk I/O", "")
	p7 := l.problem("Checkout errors (duplicate of PRB-1)", 3, "eli", []string{"checkout-api"}, nil, nil)
	l.moves(p7, "pat", problem.Canceled)
	_ = p4
	l.at(90, 0)
}

// incidents opens incidents for r every r.every days; those before the fix resolve after an hour.
func (l *loader) incidents(r recurring) []string {
	var ids []string
	for day := r.from; day <= r.to; day += r.every {
		for _, env := range r.envs {
			l.at(day, 3+len(ids)%12)
			opened := l.clk.t
			in := incident.Incident{Title: r.title, Source: incident.SourceAlertmanager, CI: r.ci, Env: env, Severity: r.severity,
				Labels: labels.Set{"alertname": r.alert, "service": r.ci, "env": env}, OpenedAt: opened}
			got, err := l.st.CreateIncident(l.ctx, l.as("ci-bot"), in)
			if !l.check("incident", err) {
				return ids
			}
			ids = append(ids, got.ID)
			l.clk.t = opened.Add(75 * 60e9)
			id := mustID(got.ID)
			_, err = l.st.UpdateIncident(l.ctx, l.as("erin"), id, 0, "incident.move", func(i *incident.Incident, c store.IncidentContext) error {
				return i.Move(incident.Resolved, c.Now)
			})
			l.check("resolve incident", err)
		}
	}
	return ids
}
