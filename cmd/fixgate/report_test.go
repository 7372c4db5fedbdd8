package main

import (
	"strings"
	"testing"
)

// TestReportKPIOutputs: the auditor gets the report as a table, as CSV
// (one row per figure, null rates as empty values) and as the API's JSON;
// csv is refused for other commands.
func TestReportKPIOutputs(t *testing.T) {
	_, _, aud := tagServer(t)
	code, out, errOut := runCLI(t, append(aud, "report", "kpi", "--since", "30d", "--output", "csv")...)
	if code != 0 || !strings.HasPrefix(out, "figure,key,count,total,value\n") ||
		!strings.Contains(out, "\nchange_failure_rate,problem_fix,0,0,\n") || !strings.Contains(out, "\nincident_mttr,median_seconds,0,0,\n") {
		t.Fatalf("csv: %d %q %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, append(aud, "report", "kpi")...)
	if code != 0 || !strings.Contains(out, "FIGURE") || !strings.Contains(out, "targeted_releases") {
		t.Fatalf("text: %d %q", code, out)
	}
	code, out, _ = runCLI(t, append(aud, "report", "kpi", "-o", "json")...)
	if code != 0 || !strings.Contains(out, `"change_failure_rate"`) || !strings.Contains(out, `"rate": null`) {
		t.Fatalf("json: %d %q", code, out)
	}
	if code, _, _ = runCLI(t, append(aud, "problem", "list", "-o", "csv")...); code == 0 {
		t.Fatal("csv accepted by problem list")
	}
}

// TestReportPatternsOutputs: the patterns report as a table with its
// recommendations, as CSV (the header and one row per bucket and bin, null
// rates empty) and as the API's JSON.
func TestReportPatternsOutputs(t *testing.T) {
	_, _, aud := tagServer(t)
	code, out, errOut := runCLI(t, append(aud, "report", "patterns", "--since", "30d", "--output", "csv")...)
	if code != 0 || !strings.HasPrefix(out, "section,dimension,key,count,total,rate,records\nproblem_fix,all,all,0,0,,\n") ||
		!strings.Contains(out, "\nsize_failure,components,>3,0,0,,\n") ||
		!strings.Contains(out, "\nrecommendation,frequency/recurrence,not_enough_evidence,0,0,,frequency: not enough problems to recommend") {
		t.Fatalf("csv: %d %q %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, append(aud, "report", "patterns")...)
	if code != 0 || !strings.Contains(out, "SECTION") || !strings.Contains(out, "- not enough evidence: components: not enough deployments") {
		t.Fatalf("text: %d %q", code, out)
	}
	code, out, _ = runCLI(t, append(aud, "report", "patterns", "-o", "json")...)
	if code != 0 || !strings.Contains(out, `"failures"`) || !strings.Contains(out, `"rate": null`) {
		t.Fatalf("json: %d %q", code, out)
	}
	if code, _, errOut = runCLI(t, append(aud, "report", "patterns", "--since", "soon")...); code != 2 || !strings.Contains(errOut, "since") {
		t.Fatalf("bad period: %d %q", code, errOut)
	}
}
