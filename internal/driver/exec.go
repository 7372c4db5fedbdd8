package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// waitDelay is how long Run waits, after the command exited or was killed,
// for processes that escaped its process group and still hold its output
// pipes; then it closes the pipes and returns.
const waitDelay = 500 * time.Millisecond

// Exec runs a command for each action: argv, no shell, in its own process
// group, with the server's environment plus Env(a). Exit status 0 is
// success. Output (stdout and stderr interleaved) is the log, capped at
// MaxLog. At the timeout, or when ctx ends, the whole process group gets
// SIGKILL.
type Exec struct {
	name    string
	argv    []string
	timeout time.Duration
	maxLog  int
}

func newExec(name string, p policy.ExecDriver, opt Options) (*Exec, error) {
	if len(p.Command) == 0 || p.Command[0] == "" {
		return nil, fault.Field("driver", "%q: exec.command is required: the program and its arguments, e.g. [./deploy.sh]", name)
	}
	return &Exec{name: name, argv: append([]string(nil), p.Command...),
		timeout: orDefault(p.Timeout, DefaultExecTimeout), maxLog: opt.MaxLog}, nil
}

// Timeout is the time a Run may take.
func (e *Exec) Timeout() time.Duration { return e.timeout }

// Run runs the command for a and returns its capped output. The error says
// whether the command could not start, exited non-zero (wrapping
// *exec.ExitError), died of a signal, timed out (wrapping
// context.DeadlineExceeded) or was cancelled (wrapping ctx's error).
func (e *Exec) Run(ctx context.Context, a Action) (string, error) {
	runCtx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, e.argv[0], e.argv[1:]...)
	cmd.Env = append(os.Environ(), Env(a)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay
	out := &capped{max: e.maxLog}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// Exited 0, but a child it left behind still held the output open.
		fmt.Fprintf(out, "\n[fixgate: the command exited 0 but a process it started kept its output open; later output is not kept]\n")
		err = nil
	}
	return out.String(), e.explain(ctx, runCtx, err)
}

// killGroup sends SIGKILL to the process group pgid leads.
func killGroup(pgid int) error {
	err := syscall.Kill(-pgid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// explain turns cmd.Run's error into one a person can act on.
func (e *Exec) explain(parent, runCtx context.Context, err error) error {
	if err == nil {
		return nil
	}
	prefix := fmt.Sprintf("exec driver %q", e.name)
	if runCtx.Err() != nil {
		if perr := parent.Err(); perr != nil {
			return fmt.Errorf("%s: cancelled (%w); its process group was killed", prefix, perr)
		}
		return fmt.Errorf("%s: timed out after %s; its process group was killed: %w", prefix, e.timeout, context.DeadlineExceeded)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &runError{fmt.Sprintf("%s: killed by signal %s (%d)", prefix, ws.Signal(), int(ws.Signal())), err}
		}
		return &runError{fmt.Sprintf("%s: exit code %d", prefix, ee.ExitCode()), err}
	}
	return fmt.Errorf("%s: could not run %q: %w", prefix, e.argv[0], err)
}

// runError is a message of its own over the error it explains.
type runError struct {
	msg string
	err error
}

func (e *runError) Error() string { return e.msg }
func (e *runError) Unwrap() error { return e.err }
