package driver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fixgate/internal/policy"
)

// sh returns an exec driver running script with sh -c; "$1" is arg.
func sh(t *testing.T, script string, timeout time.Duration, maxLog int, arg string) Driver {
	t.Helper()
	d, err := New("test", policy.Driver{Exec: &policy.ExecDriver{
		Command: []string{"sh", "-c", script, "sh", arg}, Timeout: policy.Duration(timeout)}}, Options{MaxLog: maxLog})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var action = Action{Kind: Rollback, Deployment: "DEP-7", Release: "REL-3", Version: "1.4.2",
	PreviousVersion: "1.4.1", Env: "prod-eu", Stage: "canary", Weight: 10, Key: "DEP-7/rollback/canary/4"}

func TestExecEnvironment(t *testing.T) {
	t.Setenv("FIXGATE_TEST_PARENT", "inherited")
	t.Setenv("FIXGATE_ACTION", "stale") // the action's value wins
	d := sh(t, `for v in FIXGATE_ACTION FIXGATE_DEPLOYMENT FIXGATE_RELEASE FIXGATE_VERSION FIXGATE_PREVIOUS_VERSION \
		FIXGATE_ENV FIXGATE_STAGE FIXGATE_WEIGHT FIXGATE_IDEMPOTENCY_KEY FIXGATE_TEST_PARENT; do
		eval "echo $v=\$$v"; done`, 0, 0, "")
	log, err := d.Run(context.Background(), action)
	if err != nil {
		t.Fatal(err, log)
	}
	want := strings.Join(append(Env(action), "FIXGATE_TEST_PARENT=inherited"), "\n") + "\n"
	if log != want {
		t.Fatalf("log:\n%s\nwant:\n%s", log, want)
	}
}

func TestExecNonZeroExit(t *testing.T) {
	log, err := sh(t, `echo to-stdout; echo to-stderr >&2; exit 3`, 0, 0, "").Run(context.Background(), action)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(err.Error(), "exit code 3") {
		t.Fatalf("err = %v, want exit code 3", err)
	}
	if log != "to-stdout\nto-stderr\n" {
		t.Fatalf("log = %q", log)
	}
}

func TestExecSignal(t *testing.T) {
	_, err := sh(t, `kill -TERM $$`, 0, 0, "").Run(context.Background(), action)
	if err == nil || !strings.Contains(err.Error(), "killed by signal terminated (15)") {
		t.Fatalf("err = %v", err)
	}
}

func TestExecNotFound(t *testing.T) {
	d, err := New("x", policy.Driver{Exec: &policy.ExecDriver{Command: []string{"/nonexistent/deploy"}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Run(context.Background(), action); err == nil || !strings.Contains(err.Error(), `could not run "/nonexistent/deploy"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestExecTimeoutKillsGroup: a child holding the output pipe is killed
// with its parent at the timeout, and Run returns promptly.
func TestExecTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	d := sh(t, `sleep 30 & echo $! > "$1"; echo started; wait`, 300*time.Millisecond, 0, pidFile)
	start := time.Now()
	log, err := d.Run(context.Background(), action)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Fatalf("err = %v", err)
	}
	if took > time.Second {
		t.Fatalf("Run took %s", took)
	}
	if log != "started\n" {
		t.Fatalf("log = %q", log)
	}
	pid := readPid(t, pidFile)
	waitGone(t, pid)
}

// TestExecEscapedChildCannotHang: a child in another session (out of reach
// of the group kill) keeps the pipe open; Run still returns.
func TestExecEscapedChildCannotHang(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	d := sh(t, `setsid sleep 30 & echo $! > "$1"; sleep 30`, 300*time.Millisecond, 0, pidFile)
	start := time.Now()
	_, err := d.Run(context.Background(), action)
	took := time.Since(start)
	pid := readPid(t, pidFile)
	syscall.Kill(pid, syscall.SIGKILL) // the escaped sleep this test started
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("Run took %s", took)
	}
}

// TestExecSuccessWithLingeringChild: exit 0 is success even when a
// background child still holds the output.
func TestExecSuccessWithLingeringChild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	log, err := sh(t, `sleep 30 & echo $! > "$1"; echo done`, 0, 0, pidFile).Run(context.Background(), action)
	syscall.Kill(readPid(t, pidFile), syscall.SIGKILL)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 1500*time.Millisecond || !strings.HasPrefix(log, "done\n") || !strings.Contains(log, "kept its output open") {
		t.Fatalf("took %s, log %q", time.Since(start), log)
	}
}

func TestExecCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sh(t, `sleep 30`, 0, 0, "").Run(ctx, action)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cancelled") || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}

func TestExecOutputCap(t *testing.T) {
	log, err := sh(t, `head -c 5000 /dev/zero | tr '\0' a; printf '\000\377' >&2`, 0, 1000, "").Run(context.Background(), action)
	if err != nil {
		t.Fatal(err)
	}
	head, tail, _ := strings.Cut(log, "\n")
	if head != strings.Repeat("a", 1000) || tail != "[fixgate: log capped at 1000 bytes, 4002 more bytes dropped]\n" {
		t.Fatalf("log = %q", log)
	}
}

func readPid(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitGone fails unless pid is gone (or a zombie) within a second.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("child %d still runs after the timeout", pid)
}
