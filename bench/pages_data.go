package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/cab"
	"fixgate/internal/control"
	"fixgate/internal/cycle"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/store"
)

// What the pages case adds to the gate dataset (pagesExtra), so that every
// list has more than one page and every filter has values to select.
const (
	pageProblemIncidents = 1000 // incidents of PRB-1, the problem the pages show
	pageKnownErrors      = 120  // known errors at least (one in ten releases on the large history)
	pageMeetings         = 60   // past CAB meetings besides CAB-1
	pageDeploymentsEvery = 5    // one history deployment per 5 releases,
	pageDeploymentsMin   = 120  // and one for each of the first 120
)

// pagesExtra adds what the gate dataset lacks for the pages: CAB-1 (the
// next meeting) and pageMeetings past ones; KE-1 (of PRB-1) and more known
// errors of the CIs, labelled ci= (half ci-000) and, one in three,
// team=payments; pageProblemIncidents incidents of PRB-1 opened in the
// last 30 days (what a signature preview reads); and finished deployments
// of the history releases (succeeded, one in ten rolled back), inserted as
// rows (the history's releases never went through the gate; the pages read
// the rows only).
func pagesExtra(ctx context.Context, st *store.Store, releases int) error {
	rm := audit.Actor{User: "rm", Role: "release_manager"}
	now := st.Now()
	if _, err := st.CreateMeeting(ctx, rm, cab.Record{Title: "weekly CAB", ScheduledAt: now.Add(24 * time.Hour), Attendees: []string{"cab"}}); err != nil {
		return err
	}
	for i := 1; i <= pageMeetings; i++ {
		if _, err := st.CreateMeeting(ctx, rm, cab.Record{Title: fmt.Sprint("weekly CAB ", i), ScheduledAt: now.Add(-time.Duration(i) * 7 * 24 * time.Hour),
			Attendees: []string{"cab"}}); err != nil {
			return err
		}
	}
	if err := pagesKnownErrors(ctx, st, max(pageKnownErrors, releases/10)); err != nil {
		return err
	}
	pm := audit.Actor{User: "pm", Role: "problem_manager"} // CYC-1, a release cycle targeting PRB-1
	if _, err := st.CreateCycle(ctx, pm, cycle.Cycle{Name: "train", Starts: now, Ends: now.Add(30 * 24 * time.Hour), Envs: []string{"prod-eu"}}); err != nil {
		return err
	}
	if _, err := st.AddCycleProblem(ctx, pm, "CYC-1", 0, "PRB-1"); err != nil {
		return err
	}
	at := now.Add(-30 * 24 * time.Hour)
	rows := make([]incident.Incident, pageProblemIncidents)
	for j := range rows {
		rows[j] = benchIncident(2_000_000+j, at)
		rows[j].CI, rows[j].Problem = "ci-000", "PRB-1"
	}
	if _, _, _, bad, err := st.ImportIncidents(ctx, audit.System("bench"), rows); err != nil || len(bad) > 0 {
		return fmt.Errorf("incidents of PRB-1: %v %v", err, bad)
	}
	year, err := control.ParsePeriod(now.UTC().Format("2006")) // ASSESS-1, the controls over this year
	if err != nil {
		return err
	}
	if _, err := st.AssessControls(ctx, audit.Actor{User: "admin", Role: "admin", RequestID: "bench"}, year); err != nil {
		return err
	}
	// history releases are ids 5.. (gateFix made 1-4)
	_, err = st.DB().ExecContext(ctx, `INSERT INTO deployments (release_id, env, status, path, started_at, finished_at, rev, created_by, created_at, updated_at)
		SELECT id, 'prod-eu', CASE WHEN id % 10 = 0 THEN 'rolled_back' ELSE 'succeeded' END, '[]', created_at, created_at, 1, 'bench', created_at, created_at
		FROM releases WHERE id > 4 AND (id % $1 = 0 OR id <= $2) ORDER BY id`, pageDeploymentsEvery, 4+pageDeploymentsMin)
	return err
}

// pagesKnownErrors creates n known errors: KE-1 of PRB-1 (ci-000, "leaks
// memory"), then one per CI in turn (half on ci-000), one in four a leak,
// one in three labelled team=payments.
func pagesKnownErrors(ctx context.Context, st *store.Store, n int) error {
	pm := audit.Actor{User: "pm", Role: "problem_manager"}
	for j := 0; j < n; j++ {
		k := knownerror.KnownError{Title: "ci-000 leaks memory under load", Problem: "PRB-1", Symptoms: "heap grows until OOM",
			Workaround: "restart ci-000 nightly", Labels: labels.Set{"ci": "ci-000"}}
		if j > 0 {
			c := ciName(j % gateCIs)
			if j%2 == 0 {
				c = ciName(0)
			}
			what := "times out under load"
			if j%4 == 0 {
				what = "leaks memory under load"
			}
			k = knownerror.KnownError{Title: c + " " + what, Symptoms: "p99 above the SLO", Workaround: "scale " + c + " out", Labels: labels.Set{"ci": c}}
			if j%3 == 0 {
				k.Labels["team"] = "payments"
			}
		}
		if _, err := st.CreateKnownError(ctx, pm, k); err != nil {
			return err
		}
	}
	return nil
}

// pageVariants are, for a GET pattern, the other paths it is measured
// with: a query ("?...", added to the pattern's path) or a whole path
// ("/..."); key names the values that depend on the history (times, ids)
// so that the figures of both histories pair up.
type pageVariants struct {
	paths map[string][]string
	key   *strings.Replacer
}

// benchPageVariants are the filters and searches a person uses on each
// page, with values of the dataset; fillStart and fillEnd bracket the fill
// (the audit events' times). The second page of each list is not listed
// here: it is the page's own "next" link (measureWithNext).
func benchPageVariants(fillStart, fillEnd time.Time, releases int) pageVariants {
	minute := func(t time.Time) string { return t.UTC().Truncate(time.Minute).Format("2006-01-02T15:04") }
	mid := fillStart.Add(fillEnd.Sub(fillStart) / 2)
	from, to := minute(mid), minute(mid.Add(time.Minute))
	early := minute(fillStart.Add(time.Minute))
	oldProblem, oldRelease := fmt.Sprint("PRB-", 2+releases/2), fmt.Sprint("REL-", 4+releases/2)
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return "?" + v.Encode()
	}
	key := strings.NewReplacer(url.QueryEscape(from), "(mid)", url.QueryEscape(to), "(mid+1m)", url.QueryEscape(early), "(start+1m)",
		oldProblem, "PRB-(mid)", oldRelease, "REL-(mid)")
	return pageVariants{key: key, paths: map[string][]string{
		"GET /audit": {
			q("actor", "pm"), q("actor", "system"), q("actor", "rm"),
			q("record_id", "PRB-1"), q("record_id", "REL-4"), q("record_id", oldProblem), q("record_type", "incident", "record_id", "INC-5"),
			q("record_type", "problem"), q("record_type", "incident"),
			q("action", "problem.update"), q("action", "incident.import"), q("action", "problem.create"), q("action", "release.create"),
			q("from", from, "to", to), q("to", early), q("from", early),
			q("actor", "pm", "action", "problem.update"), q("actor", "system", "action", "problem.create"),
			q("actor", "system", "action", "release.create"), q("actor", "rm", "action", "incident.import"),
			q("actor", "pm", "record_id", "PRB-1"), q("record_type", "incident", "action", "incident.import"),
			q("actor", "system", "from", from, "to", to), q("action", "incident.import", "from", from, "to", to),
			q("actor", "pm", "to", early), q("record_type", "problem", "actor", "system", "action", "problem.create", "from", from),
		},
		"GET /problems": {
			q("status", "closed"), q("status", "fix_in_progress"), q("status", "new"), q("priority", "1"), q("priority", "3"),
			q("ci", "ci-000"), q("ci", "ci-001"), q("status", "closed", "priority", "4", "ci", "ci-000"),
			q("status", "fix_in_progress", "priority", "3"), q("status", "new", "ci", "ci-000"),
		},
		"GET /problems/{id}": {"/problems/" + oldProblem},
		"GET /problems/{id}/signatures/preview": {
			q("matcher", `{ci="ci-000"}`),                                            // PRB-1's 1,000 incidents (and ci-000's of the history)
			q("matcher", `{alertname="HighLatency"}`),                                // every incident of the history
			q("matcher", `{alertname="HighLatency",service="checkout",ci="ci-000"}`), // three labels
			q("matcher", `{alertname=~"High.*",ci!="ci-001"}`),                       // a regular expression and a negation
			q("matcher", `{alertname="DiskFull"}`),                                   // none
		},
		"GET /releases": {
			q("status", "planned"), q("status", "approved"), q("status", "verified"), q("type", "feature"), q("type", "problem-fix"),
			q("problem", "PRB-1"), q("problem", oldProblem), q("status", "planned", "type", "feature"), q("status", "planned", "type", "problem-fix"),
		},
		"GET /releases/{id}": {"/releases/REL-4", "/releases/" + oldRelease},
		"GET /deployments": {
			q("env", "prod-eu"), q("status", "succeeded"), q("status", "rolled_back"), q("status", "running"),
			q("env", "prod-eu", "status", "rolled_back"), q("env", "staging"),
		},
		"GET /deployments/{id}": {"/deployments/DEP-2"},
		"GET /known-errors": {
			q("q", "leak"), q("q", "no such text"), q("label", "ci=ci-000"), q("label", "ci=ci-007"), q("label", "ci=ci-000 team=payments"),
			q("status", "draft"), q("status", "published"), q("problem", "PRB-1"), q("q", "leak", "label", "ci=ci-000"),
		},
		"GET /cab":              {q("meeting", "CAB-1"), q("meeting", "CAB-2")},
		"GET /policy/dry-run":   {q("release", "REL-4", "env", "prod-eu"), q("release", oldRelease, "env", "prod-eu")},
		"GET /release-plan":     {q("resolves", "PRB-1")},
		"GET /cycles/plan":      {q("cycle", "CYC-1")},
		"GET /reports/patterns": {q("dim", "environment", "key", "prod-eu")}, // page_report_patterns.go: a drill-down
	}}
}

// pageSelected reports whether path contains one of only's comma-separated
// texts (FIXGATE_BENCH_PAGES_ONLY; "" selects every path).
func pageSelected(path, only string) bool {
	if only == "" {
		return true
	}
	for _, o := range strings.Split(only, ",") {
		if strings.Contains(path, o) {
			return true
		}
	}
	return false
}
