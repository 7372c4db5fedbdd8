package store_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/demo"
	"fixgate/internal/export"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var updateControlsGolden = flag.Bool("update-controls", false, "rewrite internal/store/testdata/assess_*.golden.json")

var auditor = audit.Actor{User: "audrey", Role: "auditor"}

// signCheckpoint signs a checkpoint over the trail as it is.
func signCheckpoint(t *testing.T, s *store.Store) {
	t.Helper()
	priv, _, err := audit.GenerateKey("fixgate.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignCheckpoint(context.Background(), priv); err != nil {
		t.Fatal(err)
	}
}

// TestAssessControlsQuietPeriod: a period where nothing happened gives
// samples of 0 and passes, once a checkpoint covers the audit trail;
// before, audit_chain is the one exception.
func TestAssessControlsQuietPeriod(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	p, _ := control.ParsePeriod("2026-Q3")
	first, err := s.AssessControls(ctx, auditor, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range first.Results {
		if r.Passed != (r.ID != control.AuditChain) {
			t.Errorf("without a checkpoint: %s passed=%v %v", r.ID, r.Passed, r.Exceptions)
		}
	}
	signCheckpoint(t, s)
	a, err := s.AssessControls(ctx, auditor, p)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Passed || a.ID != "ASSESS-2" || len(a.Results) != len(control.All) {
		t.Fatalf("assessment %+v, want ASSESS-2 passing with %d controls", a, len(control.All))
	}
	for _, r := range a.Results {
		if !r.Passed || len(r.Exceptions) != 0 || (r.ID != control.AuditChain && r.Sample != 0) {
			t.Errorf("%s: passed=%v sample=%d exceptions=%v, want a pass on an empty sample", r.ID, r.Passed, r.Sample, r.Exceptions)
		}
	}
	got, err := s.GetAssessment(ctx, 2)
	if err != nil || got.Period != p || len(got.Results) != len(a.Results) || !got.Passed {
		t.Fatalf("stored %+v, %v", got, err)
	}
	list, err := s.ListAssessments(ctx, "2026-Q3", 0)
	if err != nil || len(list) != 2 || list[0].ID != "ASSESS-2" || list[1].Passed {
		t.Fatalf("list %+v, %v", list, err)
	}
	evs, err := s.AuditEventsFor(ctx, "assessment", "ASSESS-2", 10)
	if err != nil || len(evs) != 1 || evs[0].Action != "assessment.create" {
		t.Fatalf("audit events %+v, %v", evs, err)
	}
}

// TestAssessControlsDemoGolden assesses the demo scenario (90 days ending
// 2026-11-25) for 2026 and compares every control's sample and exceptions
// with the golden file, the same on SQLite and PostgreSQL.
func TestAssessControlsDemoGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo scenario")
	}
	ctx := context.Background()
	dsn := storetest.DSN(t)
	if _, err := demo.Load(ctx, dsn, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	signCheckpoint(t, s)
	p, _ := control.ParsePeriod("2026")
	a, err := s.AssessControls(ctx, auditor, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Results {
		if a.Results[i].ID == control.AuditChain {
			a.Results[i].Sample = 0 // the chain's length grows with the demo; its verdict is what is compared
		}
	}
	got, _ := json.MarshalIndent(struct {
		Passed  bool             `json:"passed"`
		Results []control.Result `json:"results"`
	}{a.Passed, a.Results}, "", "  ")
	golden := filepath.Join("testdata", "assess_demo.golden.json")
	if *updateControlsGolden {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("assessment differs from %s (go test -run DemoGolden -update-controls):\n%s", golden, got)
	}
}

// TestExportAssessmentGolden: the evidence document of an assessment, in
// Markdown and HTML, equals the golden files on SQLite and PostgreSQL (the
// audit hashes are the same on both); the event signed before the
// checkpoint is covered, the one after is not.
func TestExportAssessmentGolden(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	p, _ := control.ParsePeriod("2026-Q3")
	if _, err := s.AssessControls(ctx, auditor, p); err != nil {
		t.Fatal(err)
	}
	signCheckpoint(t, s)
	clock.Advance(time.Hour)
	if _, err := s.AssessControls(ctx, auditor, p); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ASSESS-1", "ASSESS-2"} {
		d, err := s.ExportDocument(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := 10 // the event, nine controls
		if id == "ASSESS-1" {
			want = 11 // and the audit_chain exception: no checkpoint yet
		}
		if len(d.Statements) != want || d.Statements[0].Covered != (id == "ASSESS-1") {
			t.Fatalf("%s: %d statements, covered=%v", id, len(d.Statements), d.Statements[0].Covered)
		}
		for _, format := range []string{"md", "html"} {
			b, err := export.Render(&d, format)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "export_"+id+".golden."+format)
			if *updateControlsGolden {
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, err := os.ReadFile(golden); err != nil || string(want) != string(b) {
				t.Errorf("%s differs from %s (%v):\n%s", id, golden, err, b)
			}
		}
	}
	if _, err := s.ExportDocument(ctx, "ASSESS-3"); err == nil {
		t.Error("ASSESS-3 exported")
	}
}
