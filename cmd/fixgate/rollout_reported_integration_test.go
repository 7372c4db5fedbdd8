package main

import (
	"bytes"
	"os"
	"os/exec"

	"fixgate/internal/testbin"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/deploy"
)

// TestRolloutReportedDriverIntegration runs the pipeline loop that
// docs/rollouts.md gives for the reported driver, as written (its sleep
// shortened), with `fixgate` the CLI and ./deploy.sh a script that logs
// what it is asked. A release whose deploy.sh succeeds goes canary →
// full and succeeds (the loop's `deploy wait` exits 0); one whose deploy.sh
// fails on promote is reported failed, the loop is asked for the rollback,
// reports it, and `deploy wait` exits 1. Skipped without sh and jq (the
// loop needs them) unless CI=true, which fails instead; -short skips it too.
func TestRolloutReportedDriverIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("runs rollouts of seconds")
	}
	testbin.Need(t, "sh", "jq") // the documented loop needs them; CI installs jq
	t.Parallel()
	loop := docLoop(t)
	r := newRig(t, rigOpts{envPath: "slow", watch: "1s"})
	good := r.release("4.0.0")
	r.approve(good)
	bad := r.release("4.0.1")
	r.approve(bad)
	r.serve("")

	bin := t.TempDir()
	wrapper := "#!/bin/sh\nFIXGATE_TEST_AS=cli exec " + shellQuote(os.Args[0]) + " \"$@\"\n"
	r.must(os.WriteFile(filepath.Join(bin, "fixgate"), []byte(wrapper), 0o755))
	work := t.TempDir()
	deploySh := `#!/bin/sh
echo "$RELEASE $1 $2" >> deploy.log
[ "$1:$RELEASE" != "promote:` + bad + `" ]
`
	r.must(os.WriteFile(filepath.Join(work, "deploy.sh"), []byte(deploySh), 0o755))
	runLoop := func(rel string) (int, string) {
		cmd := exec.Command("sh", "-c", "set -u\n"+loop)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FIXGATE_URL="+r.url,
			"FIXGATE_TOKEN="+r.bot, "RELEASE="+rel, "TARGET_ENV=prod-eu")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		r.must(cmd.Start())
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode(), out.String()
			}
			r.must(err)
			return 0, out.String()
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("the loop for %s did not end in 60s:\n%s", rel, out.String())
		}
		return 0, ""
	}

	// the watch is 1 s: under load it may end before deploy wait answers, so
	// verified (succeeded, then watched) is as good an answer as succeeded
	if code, out := runLoop(good); code != 0 || !strings.Contains(out, "DEP-1 succeeded") && !strings.Contains(out, "DEP-1 verified") {
		t.Fatalf("loop for %s: exit %d\n%s", good, code, out)
	}
	if d := r.deployment("DEP-1"); d.Status != deploy.Succeeded || d.Driver != "reported" {
		t.Fatalf("DEP-1 %+v", d)
	}
	if code, out := runLoop(bad); code != 1 || !strings.Contains(out, "DEP-2 is rolled_back") {
		t.Fatalf("loop for %s: exit %d, want 1\n%s", bad, code, out)
	}
	d := r.deployment("DEP-2")
	if d.Status != deploy.RolledBack || !strings.Contains(d.RollbackCause, "promote of stage full failed") {
		t.Fatalf("DEP-2 %+v", d)
	}
	b, err := os.ReadFile(filepath.Join(work, "deploy.log"))
	r.must(err)
	want := []string{good + " deploy 10", good + " promote 100", bad + " deploy 10", bad + " promote 100", bad + " rollback 0"}
	if got := strings.Split(strings.TrimSpace(string(b)), "\n"); !slices.Equal(got, want) {
		t.Fatalf("deploy.sh was asked %q, want %q", got, want)
	}
	if len(r.calls("")) != 0 {
		t.Fatal("the exec driver ran for a reported deployment")
	}
}

// docLoop returns the reported driver's loop from docs/rollouts.md, its
// sleep shortened to 0.2 s.
func docLoop(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/rollouts.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "A loop a pipeline can run:\n\n```sh\n")
	loop, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 || !strings.Contains(loop, "sleep 5") {
		t.Fatal("docs/rollouts.md has no reported-driver loop (a ```sh block after \"A loop a pipeline can run:\" that sleeps 5)")
	}
	return strings.Replace(loop, "sleep 5", "sleep 0.2", 1)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
