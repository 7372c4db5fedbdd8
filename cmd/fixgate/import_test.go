package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fixgate/internal/api"
	"fixgate/internal/incident"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// importServer starts the API over a fresh store with CI checkout-api and
// environment prod-eu, and returns the global flags that reach it as admin.
func importServer(t *testing.T) (*store.Store, []string) {
	t.Helper()
	s, _ := storetest.Open(t)
	if _, _, err := s.Bootstrap(context.Background(), "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	for path, body := range map[string]string{"/api/v1/cis": `{"name":"checkout-api","kind":"service"}`,
		"/api/v1/environments": `{"name":"prod-eu","tier":"production"}`} {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer fgt_admin")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("seed %s: %v %v", path, err, res)
		}
		res.Body.Close()
	}
	return s, []string{"--url", srv.URL, "--token", "fgt_admin"}
}

// runCapture runs the CLI with stdout captured; it returns the exit code and stdout.
func runCapture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runGate(t, args...)
}

func listAll(t *testing.T, s *store.Store) map[string]incident.Incident {
	t.Helper()
	xs, err := s.ListIncidents(context.Background(), store.IncidentFilter{Page: store.Page{Limit: 500}})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]incident.Incident{}
	for _, x := range xs {
		m[x.ExternalID] = x
	}
	return m
}

// TestImportIncidentsCSV: good rows land even when others are bad (exit 2,
// each bad row named by its line), and a re-import changes nothing.
func TestImportIncidentsCSV(t *testing.T) {
	s, flags := importServer(t)
	file := filepath.Join(t.TempDir(), "export.csv")
	csv := "Number,Short description,ci,env,Priority,opened_at,resolved_at,Team\n" +
		"SN-1,Checkout 500s,checkout-api,prod-eu,1,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,payments\n" +
		"SN-2,Slow pages,checkout-api,prod-eu,P3,2026-03-01 12:00:00+01:00,,\n" +
		"SN-3,wrong column count,checkout-api\n" +
		"SN-4,zoneless,checkout-api,prod-eu,2,2026-03-01 10:00:00,,\n" +
		"SN-5,unknown env,checkout-api,prod-us,2,2026-03-01T10:00:00Z,,\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(flags, "import", "incidents", file, "--map", "Number=external_id", "--map", "Short description=title",
		"--map", "Priority=severity", "--map", "Team=label.team", "-o", "json")
	code, out := runCapture(t, args...)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (some rows bad): %s", code, out)
	}
	var sum importSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sum.Rows != 5 || sum.Created != 2 || sum.Updated != 0 || sum.Skipped != 0 || len(sum.Rejected) != 3 {
		t.Fatalf("summary %+v", sum)
	}
	wantLocs := map[string]string{"line 4": "", "line 5": "opened_at", "line 6": "env"}
	for _, r := range sum.Rejected {
		f, ok := wantLocs[r.Loc]
		if !ok || r.Field != f {
			t.Errorf("rejected %+v", r)
		}
	}
	got := listAll(t, s)
	if len(got) != 2 || got["SN-1"].Status != incident.Resolved || got["SN-1"].Labels["team"] != "payments" ||
		got["SN-1"].Source != incident.SourceImport || got["SN-2"].Severity != 3 || got["SN-2"].OpenedAt.Hour() != 11 {
		t.Fatalf("stored %+v", got)
	}
	// Re-import: nothing changes, both good rows are skipped.
	code, out = runCapture(t, args...)
	if code != 2 {
		t.Fatalf("re-import exit %d: %s", code, out)
	}
	json.Unmarshal([]byte(out), &sum)
	if sum.Created != 0 || sum.Updated != 0 || sum.Skipped != 2 {
		t.Fatalf("re-import summary %+v", sum)
	}
	again := listAll(t, s)
	for k, v := range got {
		if again[k].Revision != v.Revision {
			t.Errorf("%s changed on re-import: rev %d → %d", k, v.Revision, again[k].Revision)
		}
	}
}

// TestImportIncidentsJSONClean: a clean JSON file exits 0; a later export
// with a changed row updates only that row.
func TestImportIncidentsJSONClean(t *testing.T) {
	s, flags := importServer(t)
	file := filepath.Join(t.TempDir(), "export.json")
	write := func(title string) {
		body := `[{"external_id":"J-1","title":"` + title + `","ci":"checkout-api","env":"prod-eu","severity":2,"labels":{"service":"checkout"}},
			{"external_id":"J-2","title":"other","ci":"checkout-api","env":"prod-eu","severity":"4","opened_at":"2026-03-01T08:00:00Z"}]`
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("first")
	if code, out := runCapture(t, append(flags, "import", "incidents", file)...); code != 0 || !strings.Contains(out, "2 created") {
		t.Fatalf("exit %d: %s", code, out)
	}
	write("renamed")
	if code, out := runCapture(t, append(flags, "import", "incidents", file)...); code != 0 || !strings.Contains(out, "1 updated, 1 skipped") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if got := listAll(t, s); got["J-1"].Title != "renamed" || got["J-1"].Labels["service"] != "checkout" || len(got) != 2 {
		t.Fatalf("stored %+v", got)
	}
	// A file without a needed column sends nothing.
	os.WriteFile(file, []byte(`external_id,title`), 0o600)
	if code, _ := runCapture(t, append(flags, "import", "incidents", file, "--format", "csv")...); code != 2 {
		t.Fatalf("header error: exit %d", code)
	}
}

// TestImportManyBatches: more rows than one batch all land.
func TestImportManyBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s, flags := importServer(t)
	var b strings.Builder
	b.WriteString("external_id,title,ci,env,severity\n")
	for i := range importBatch + 7 {
		b.WriteString("B-" + strings.Repeat("x", i%3) + strconv.Itoa(i) + ",t,checkout-api,prod-eu,3\n")
	}
	file := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(file, []byte(b.String()), 0o600)
	code, out := runCapture(t, append(flags, "import", "incidents", file)...)
	if code != 0 || !strings.Contains(out, strconv.Itoa(importBatch+7)+" created") {
		t.Fatalf("exit %d: %s", code, out)
	}
	n := 0
	for pg := (store.Page{Limit: 500}); ; {
		xs, err := s.ListIncidents(context.Background(), store.IncidentFilter{Page: pg})
		if err != nil {
			t.Fatal(err)
		}
		n += len(xs)
		if len(xs) < 500 {
			break
		}
		pg.After += 500
	}
	if n != importBatch+7 {
		t.Fatalf("%d incidents stored", n)
	}
}
