package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func newIncident() incident.Incident {
	return incident.Incident{Title: "Checkout 500s", CI: "checkout-api", Env: "prod-eu", Severity: 2,
		Labels: labels.Set{"alertname": "High5xx"}}
}

func auditCount(t *testing.T, s *store.Store) int64 {
	t.Helper()
	n, broken, err := s.VerifyAudit(context.Background())
	if err != nil || broken != nil {
		t.Fatalf("audit chain: %v %+v", err, broken)
	}
	return n
}

func TestIncidentCreateGetUpdate(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	in := newIncident()
	in.ExternalID = "PD-1"
	inc, err := s.CreateIncident(ctx, alice, in)
	if err != nil {
		t.Fatal(err)
	}
	if inc.ID != "INC-1" || inc.Status != incident.Open || inc.Source != "api" || !inc.OpenedAt.Equal(clock.T) || inc.Revision != 1 ||
		inc.Fingerprint == "" || inc.CreatedBy != "alice" {
		t.Fatalf("created %+v", inc)
	}
	got, err := s.GetIncident(ctx, 1)
	if err != nil || got.Labels["alertname"] != "High5xx" || got.ExternalID != "PD-1" || !got.OpenedAt.Equal(inc.OpenedAt) {
		t.Fatalf("get %+v %v", got, err)
	}
	clock.Advance(time.Hour)
	res, err := s.UpdateIncident(ctx, alice, 1, 1, "incident.move", func(i *incident.Incident, c store.IncidentContext) error {
		return i.Move(incident.Resolved, c.Now)
	})
	if err != nil || res.Status != incident.Resolved || !res.ResolvedAt.Equal(clock.T) || res.Revision != 2 {
		t.Fatalf("resolve %+v %v", res, err)
	}
	n0 := auditCount(t, s)
	_, err = s.UpdateIncident(ctx, alice, 1, 1, "incident.update", func(i *incident.Incident, _ store.IncidentContext) error {
		i.Title = "lost"
		return nil
	})
	if fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale: %v", err)
	}
	_, err = s.UpdateIncident(ctx, alice, 1, 0, "incident.move", func(i *incident.Incident, c store.IncidentContext) error {
		return i.Move(incident.Resolved, c.Now)
	})
	if fe := fault.As(err); fe == nil || fe.Code != fault.Conflict || fe.Extra["current_status"] != incident.Resolved {
		t.Fatalf("illegal move: %v", err)
	}
	_, err = s.UpdateIncident(ctx, alice, 1, 0, "incident.update", func(i *incident.Incident, _ store.IncidentContext) error {
		i.Status = "bogus"
		return nil
	})
	if fault.CodeOf(err) == "" {
		t.Fatal("a direct status write was accepted")
	}
	if _, err := s.LinkIncident(ctx, alice, 1, 42, 0); fault.As(err) == nil || fault.As(err).Field != "problem" {
		t.Fatalf("link unknown problem: %v", err)
	}
	if got, _ := s.GetIncident(ctx, 1); got.Title != "Checkout 500s" || got.Revision != 2 || auditCount(t, s) != n0 {
		t.Fatalf("refused updates wrote: %+v", got)
	}
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 1}, nil); err != nil {
		t.Fatal(err)
	}
	linked, err := s.LinkIncident(ctx, alice, 1, 1, 2)
	if err != nil || linked.Problem != "PRB-1" || linked.Revision != 3 {
		t.Fatalf("link %+v %v", linked, err)
	}
	ev, _ := s.AuditEventsFor(ctx, "incident", "INC-1", 10)
	if len(ev) != 3 || ev[2].Action != "incident.link" {
		t.Fatalf("events %+v", ev)
	}
}

func TestIncidentRefusedCreateWritesNothing(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "x", CI: "checkout-api", Env: "prod-eu", Severity: 1, ExternalID: "E1"}); err != nil {
		t.Fatal(err)
	}
	n0 := auditCount(t, s)
	for field, mut := range map[string]func(*incident.Incident){
		"ci":          func(i *incident.Incident) { i.CI = "nope" },
		"env":         func(i *incident.Incident) { i.Env = "nope" },
		"problem":     func(i *incident.Incident) { i.Problem = "PRB-9" },
		"severity":    func(i *incident.Incident) { i.Severity = 9 },
		"opened_at":   func(i *incident.Incident) { i.OpenedAt = clock.T.Add(time.Hour) },
		"external_id": func(i *incident.Incident) { i.ExternalID = "E1" },
	} {
		in := newIncident()
		mut(&in)
		_, err := s.CreateIncident(ctx, alice, in)
		if fe := fault.As(err); fe == nil || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	list, _ := s.ListIncidents(ctx, store.IncidentFilter{})
	if len(list) != 1 || auditCount(t, s) != n0 {
		t.Fatalf("refused creates wrote %d incidents, %d events", len(list)-1, auditCount(t, s)-n0)
	}
}

func TestListIncidentsFiltersAndPages(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 1}, nil); err != nil {
		t.Fatal(err)
	}
	start := clock.T
	for i := 0; i < 9; i++ {
		in := newIncident()
		in.Severity = 1 + i%4
		in.OpenedAt = start.Add(-time.Duration(9-i) * time.Hour)
		if i%3 == 0 {
			in.Problem = "PRB-1"
		}
		if _, err := s.CreateIncident(ctx, alice, in); err != nil {
			t.Fatal(err)
		}
	}
	s.UpdateIncident(ctx, alice, 2, 0, "incident.move", func(i *incident.Incident, c store.IncidentContext) error {
		return i.Move(incident.Resolved, c.Now)
	})
	var ids []string
	f := store.IncidentFilter{Page: store.Page{Limit: 4}}
	for {
		page, err := s.ListIncidents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range page {
			ids = append(ids, i.ID)
		}
		if len(page) < 4 {
			break
		}
		f.After = int64(len(ids))
	}
	if len(ids) != 9 || ids[0] != "INC-1" || ids[8] != "INC-9" {
		t.Fatalf("paged %v", ids)
	}
	for name, tc := range map[string]struct {
		f    store.IncidentFilter
		want []string
	}{
		"problem":  {store.IncidentFilter{Problem: 1}, []string{"INC-1", "INC-4", "INC-7"}},
		"status":   {store.IncidentFilter{Status: incident.Resolved}, []string{"INC-2"}},
		"severity": {store.IncidentFilter{Severity: 2, CI: "checkout-api", Env: "prod-eu"}, []string{"INC-2", "INC-6"}},
		"window":   {store.IncidentFilter{Since: start.Add(-3 * time.Hour), Until: start.Add(-time.Hour)}, []string{"INC-7", "INC-8"}},
		"none":     {store.IncidentFilter{CI: "other"}, nil},
	} {
		got, err := s.ListIncidents(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		for _, i := range got {
			gotIDs = append(gotIDs, i.ID)
		}
		if len(gotIDs) != len(tc.want) || len(gotIDs) > 0 && (gotIDs[0] != tc.want[0] || gotIDs[len(gotIDs)-1] != tc.want[len(tc.want)-1]) {
			t.Errorf("%s: got %v, want %v", name, gotIDs, tc.want)
		}
	}
}

func TestImportIncidentsUpserts(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	opened := clock.T.Add(-2 * time.Hour)
	resolved := clock.T.Add(-time.Hour)
	row := func(ext string, sev int) incident.Incident {
		return incident.Incident{ExternalID: ext, Title: "imported " + ext, CI: "checkout-api", Env: "prod-eu", Severity: sev, OpenedAt: opened}
	}
	rows := []incident.Incident{row("A", 1), row("B", 2), row("", 2), row("C", 9), row("D", 3)}
	rows[1].ResolvedAt = &resolved
	rows[4].CI = "ghost"
	n0 := auditCount(t, s)
	created, updated, skipped, rowErrs, err := s.ImportIncidents(ctx, alice, rows)
	if err != nil || created != 2 || updated != 0 || skipped != 0 || len(rowErrs) != 3 {
		t.Fatalf("first import: %d %d %d %v %v", created, updated, skipped, rowErrs, err)
	}
	for i, field := range map[int]string{2: "external_id", 3: "severity", 4: "ci"} {
		if fe := fault.As(rowErrs[i]); fe == nil || fe.Field != field {
			t.Errorf("row %d: %v, want field %s", i, rowErrs[i], field)
		}
	}
	if auditCount(t, s)-n0 != 2 {
		t.Fatalf("audit events: %d", auditCount(t, s)-n0)
	}
	b, _ := s.GetIncident(ctx, 2)
	if b.Source != incident.SourceImport || b.Status != incident.Resolved || !b.ResolvedAt.Equal(resolved) || b.ExternalID != "B" {
		t.Fatalf("imported resolved row: %+v", b)
	}
	// Re-import: A unchanged (skipped), B reopened with a new title, E new;
	// a row repeated in the batch updates the row it created.
	clock.Advance(time.Minute)
	a2, b2 := row("A", 1), row("B", 2)
	b2.Title = "renamed"
	e1, e2 := row("E", 4), row("E", 3)
	created, updated, skipped, rowErrs, err = s.ImportIncidents(ctx, alice, []incident.Incident{a2, b2, e1, e2})
	if err != nil || created != 1 || updated != 2 || skipped != 1 || len(rowErrs) != 0 {
		t.Fatalf("re-import: %d %d %d %v %v", created, updated, skipped, rowErrs, err)
	}
	b, _ = s.GetIncident(ctx, 2)
	if b.Title != "renamed" || b.Status != incident.Open || b.ResolvedAt != nil || b.Revision != 2 {
		t.Fatalf("re-imported B: %+v", b)
	}
	e, _ := s.GetIncident(ctx, 3)
	if e.ExternalID != "E" || e.Severity != 3 || e.Revision != 2 {
		t.Fatalf("E: %+v", e)
	}
	all, _ := s.ListIncidents(ctx, store.IncidentFilter{})
	if len(all) != 3 || auditCount(t, s)-n0 != 5 {
		t.Fatalf("after re-import: %d incidents, %d events", len(all), auditCount(t, s)-n0)
	}
}

// BenchmarkImportIncidents imports 10,000 new rows per iteration in one transaction.
func BenchmarkImportIncidents(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	s.CreateCI(ctx, alice, ci.CI{Name: "checkout-api", Kind: "service"})
	s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production})
	n := 0
	for b.Loop() {
		rows := make([]incident.Incident, 10000)
		for i := range rows {
			n++
			rows[i] = incident.Incident{ExternalID: "X-" + strconv.Itoa(n), Title: "t", CI: "checkout-api", Env: "prod-eu",
				Severity: 1 + n%4, OpenedAt: clock.T.Add(-time.Hour), Labels: labels.Set{"alertname": "A", "n": strconv.Itoa(n % 50)}}
		}
		created, _, _, errs, err := s.ImportIncidents(ctx, alice, rows)
		if err != nil || created != len(rows) || len(errs) != 0 {
			b.Fatalf("%d %v %v", created, errs, err)
		}
	}
}

// An import larger than one set-based chunk (PostgreSQL writes created rows
// 1000 at a time): a bad row stays a row error, a row repeating an earlier
// external id updates it, a row matching a signature is linked, and every
// created or updated row has its audit event.
func TestImportIncidentsAcrossChunks(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "imp", Priority: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSignature(ctx, alice, 1, `{alertname="Imp"}`); err != nil {
		t.Fatal(err)
	}
	n0 := auditCount(t, s)
	rows := make([]incident.Incident, 1203)
	for i := range rows {
		rows[i] = incident.Incident{ExternalID: "X-" + strconv.Itoa(i), Title: "t", CI: "checkout-api", Env: "prod-eu", Severity: 2,
			OpenedAt: clock.T.Add(-time.Hour), Labels: labels.Set{"alertname": "A"}}
	}
	rows[500].CI = "ghost"
	rows[7].Labels = labels.Set{"alertname": "Imp"}
	rows[1202].ExternalID, rows[1202].Severity = "X-3", 4
	created, updated, skipped, rowErrs, err := s.ImportIncidents(ctx, alice, rows)
	if err != nil || created != 1201 || updated != 1 || skipped != 0 || len(rowErrs) != 1 || rowErrs[500] == nil {
		t.Fatalf("import: %d %d %d %v %v", created, updated, skipped, rowErrs, err)
	}
	if n := auditCount(t, s) - n0; n != 1202 {
		t.Fatalf("audit events: %d", n)
	}
	byExt := map[string]incident.Incident{}
	for after := int64(0); ; {
		page, err := s.ListIncidents(ctx, store.IncidentFilter{Page: store.Page{After: after, Limit: store.MaxLimit}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, i := range page {
			byExt[i.ExternalID] = i
		}
		after, _ = strconv.ParseInt(strings.TrimPrefix(page[len(page)-1].ID, "INC-"), 10, 64)
	}
	if len(byExt) != 1201 {
		t.Fatalf("%d incidents", len(byExt))
	}
	if x := byExt["X-3"]; x.Severity != 4 || x.Revision != 2 {
		t.Fatalf("X-3: %+v", x)
	}
	if x := byExt["X-7"]; x.Problem != "PRB-1" {
		t.Fatalf("X-7 not linked: %+v", x)
	}
	if x := byExt["X-1201"]; x.Title != "t" || x.Problem != "" || x.Revision != 1 {
		t.Fatalf("X-1201: %+v", x)
	}
}
