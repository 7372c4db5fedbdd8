package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"fixgate/internal/driver"
	"fixgate/internal/engine"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// newPrometheus builds the Measurer of prometheus checks for
// --prometheus-url; nil (no URL) leaves the engine to measure them as
// errors naming the flag.
var newPrometheus func(url string) (engine.Measurer, error)

// prometheusMeasurer returns the Measurer for url ("" : none).
func prometheusMeasurer(url string) (engine.Measurer, error) {
	if url == "" {
		return nil, nil
	}
	if newPrometheus == nil {
		return nil, fault.Field("prometheus-url", "this build has no Prometheus client")
	}
	return newPrometheus(url)
}

// policyDriver returns the driver named name in pol: the user's pipeline
// (`reported`, never called: the engine waits for its reports) or a
// command (exec).
func policyDriver(pol *policy.Policy, name string) (driver.Driver, error) {
	d, ok := pol.Drivers[name]
	switch {
	case !ok && name == rollout.ReportedDriver, ok && d.Reported != nil:
		return reportedDriver{}, nil
	case ok && d.Exec != nil:
		return execDriver{cmd: d.Exec.Command, timeout: time.Duration(d.Exec.Timeout)}, nil
	case ok && d.Webhook != nil:
		return nil, fault.Field("driver", "driver %q: webhook drivers are not available in this build", name)
	}
	return nil, fault.Field("driver", "unknown driver %q", name)
}

type reportedDriver struct{}

func (reportedDriver) Run(context.Context, driver.Action) (string, error) {
	return "", fault.Conflictf("a reported driver is not run: the pipeline reports with `fixgate deploy report`")
}

// execDriver runs its command (no shell) with the action in FIXGATE_*
// variables, killed at its timeout (default 10 minutes); exit 0 is success.
type execDriver struct {
	cmd     []string
	timeout time.Duration
}

const maxExecOutput = 64 << 10

func (e execDriver) Run(ctx context.Context, a driver.Action) (string, error) {
	if len(e.cmd) == 0 {
		return "", fault.Field("driver", "exec driver without a command")
	}
	to := e.timeout
	if to <= 0 {
		to = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	c := exec.CommandContext(ctx, e.cmd[0], e.cmd[1:]...)
	c.Env = append(os.Environ(), "FIXGATE_ACTION="+a.Kind, "FIXGATE_DEPLOYMENT="+a.Deployment, "FIXGATE_RELEASE="+a.Release,
		"FIXGATE_VERSION="+a.Version, "FIXGATE_PREVIOUS_VERSION="+a.PreviousVersion, "FIXGATE_ENV="+a.Env,
		"FIXGATE_STAGE="+a.Stage, "FIXGATE_WEIGHT="+strconv.Itoa(a.Weight), "FIXGATE_ACTION_KEY="+engine.ActionKey(ctx))
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	log := out.String()
	if len(log) > maxExecOutput {
		log = log[len(log)-maxExecOutput:]
	}
	if ctx.Err() == context.DeadlineExceeded {
		return log, fmt.Errorf("killed after its timeout of %v", to)
	}
	return log, err
}
