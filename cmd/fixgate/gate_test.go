package main

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"fixgate/internal/api"
	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/environment"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// gateServer starts the API over a fresh store holding REL-1 (a feature
// release by admin) and REL-2 (approved by cab), environment staging, and
// returns the flags that reach it as a pipeline.
func gateServer(t *testing.T) (*store.Store, string, []string) {
	t.Helper()
	s, _ := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{User: "admin", Role: "admin"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, bot, err := s.CreateUser(ctx, admin, auth.User{Name: "bot", Roles: []auth.Role{auth.Pipeline}})
	must(err)
	_, _, err = s.CreateUser(ctx, admin, auth.User{Name: "cab", Roles: []auth.Role{auth.CABMember}})
	must(err)
	_, err = s.CreateEnvironment(ctx, admin, environment.Environment{Name: "staging", Tier: environment.Staging})
	must(err)
	for _, v := range []string{"2.0.0", "2.1.0"} {
		_, err = s.CreateRelease(ctx, admin, release.Release{Version: v, Type: release.Feature})
		must(err)
	}
	_, err = s.CreateApproval(ctx, audit.Actor{User: "cab", Role: "cab_member"},
		approval.Approval{Record: "REL-2", RecordType: approval.RecordRelease, Decision: "approve"}, 0)
	must(err)
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL, []string{"--url", srv.URL, "--token", bot}
}

// runGate runs the CLI with stdout captured; it returns the exit code and stdout.
func runGate(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, stdout, _ := runCLI(t, args...)
	return code, stdout
}

// runCLI runs the CLI with stdout and stderr captured.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	outf, err := os.Create(dir + "/stdout")
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(dir + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved, savedErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outf, errf
	code = run(args)
	os.Stdout, os.Stderr = saved, savedErr
	o, _ := os.ReadFile(outf.Name())
	e, _ := os.ReadFile(errf.Name())
	return code, string(o), string(e)
}

// TestGateCheckExitCodes: 0 allowed, 1 blocked, 2 undecided, bad input or
// server unreachable; text, json and junit outputs.
func TestGateCheckExitCodes(t *testing.T) {
	_, url, flags := gateServer(t)
	report := t.TempDir() + "/gate.xml"
	code, out := runGate(t, append(flags, "gate", "check", "REL-2", "--env", "staging", "--junit-file", report)...)
	if code != 0 || !strings.Contains(out, "ALLOWED") || !strings.Contains(out, "PASS") || !strings.Contains(out, "approvals") {
		t.Fatalf("allowed: exit %d\n%s", code, out)
	}
	if b, err := os.ReadFile(report); err != nil || !strings.Contains(string(b), `<testsuite name="fixgate gate REL-2 staging" tests="14" failures="0"`) {
		t.Fatalf("junit file: %v\n%s", err, b)
	}
	code, out = runGate(t, append(flags, "gate", "check", "REL-1", "--env", "staging")...)
	if code != 1 || !strings.Contains(out, "BLOCKED") || !strings.Contains(out, "FAIL") {
		t.Fatalf("blocked: exit %d\n%s", code, out)
	}
	code, out = runGate(t, append(flags, "gate", "check", "REL-1", "--env", "staging", "-o", "json")...)
	if code != 1 || !strings.Contains(out, `"decision": "blocked"`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}

	code, out = runGate(t, append(flags, "gate", "check", "REL-1", "--env", "staging", "--output", "junit")...)
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Skipped   *struct{} `xml:"skipped"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != 1 || len(suites.Suites) != 1 {
		t.Fatalf("junit: exit %d %v\n%s", code, err, out)
	}
	ts := suites.Suites[0]
	failed := map[string]string{}
	for _, c := range ts.Cases {
		if c.Failure != nil {
			failed[c.Name] = c.Failure.Message
		}
	}
	if ts.Tests != len(ts.Cases) || ts.Tests < 10 || ts.Failures != len(failed) || !strings.Contains(failed["approvals"], "approv") {
		t.Fatalf("junit suite: %+v", ts)
	}

	// undecided: a custom rule that divides by zero (exit 2, the report still printed)
	req, _ := http.NewRequest("PUT", url+"/api/v1/policy", strings.NewReader(
		"gate:\n  custom:\n    - name: ratio\n      expr: \"1 / (size(approvals) - size(approvals)) == 1\"\n      message: ratio\n"))
	req.Header.Set("Authorization", "Bearer fgt_admin")
	req.Header.Set("Content-Type", "application/yaml")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("put policy: %v %v", err, res)
	}
	code, out = runGate(t, append(flags, "gate", "check", "REL-2", "--env", "staging", "-o", "junit")...)
	if code != 2 || !strings.Contains(out, "<error") {
		t.Fatalf("undecided: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		append(flags, "gate", "check", "REL-9", "--env", "staging"),
		append(flags, "gate", "check", "REL-2", "--env", "moon"),
		append(flags, "gate", "check", "REL-2"),
		append(flags, "gate", "check", "REL-2", "--env", "staging", "--at", "tomorrow"),
		append(flags, "gate", "check", "REL-2", "--env", "staging", "--stage", "canary"),
		{"--url", "http://127.0.0.1:1", "--token", "x", "gate", "check", "REL-2", "--env", "staging"},
	} {
		if code, out := runGate(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args[2:], code, out)
		}
	}
}

// TestServeRefusesInvalidPolicy: an invalid --policy stops serve with exit 2
// before the database is created.
func TestServeRefusesInvalidPolicy(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("gate:\n  rules:\n    open_problems:\n      min_priority: 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _ := runGate(t, "serve", "--db", "sqlite:"+dir+"/x.db", "--data-dir", dir+"/data", "--policy", bad); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if _, err := os.Stat(dir + "/x.db"); !os.IsNotExist(err) {
		t.Fatalf("the database was created: %v", err)
	}
}
