package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/store"
)

// waitFlags are gate check's --wait, --timeout and --interval.
type waitFlags struct {
	wait              bool
	timeout, interval time.Duration
}

func (w *waitFlags) flags(f *pflag.FlagSet) {
	f.BoolVar(&w.wait, "wait", false, "evaluate again until the gate allows or --timeout passes (approvals still to come)")
	f.DurationVar(&w.timeout, "timeout", 30*time.Minute, "with --wait: how long to wait; still blocked then: exit 1")
	f.DurationVar(&w.interval, "interval", 10*time.Second, "with --wait: time between evaluations")
}

// check refuses --timeout or --interval without --wait, and durations that are not positive.
func (w *waitFlags) check(cmd *cobra.Command) error {
	for _, name := range []string{"timeout", "interval"} {
		if cmd.Flags().Changed(name) && !w.wait {
			return fault.Field("--"+name, "needs --wait")
		}
	}
	if w.timeout <= 0 || w.interval <= 0 {
		return fault.Field("--wait", "--timeout and --interval must be positive, got %s and %s", w.timeout, w.interval)
	}
	return nil
}

// evaluateGate asks the server for one evaluation and returns it with the raw answer.
func evaluateGate(a *app, body map[string]any) (store.GateEvaluation, []byte, error) {
	var ev store.GateEvaluation
	resp, err := a.call("POST", "/api/v1/gates/evaluate", nil, body, nil)
	if err != nil {
		return ev, nil, err
	}
	if err := json.Unmarshal(resp.Body, &ev); err != nil {
		return ev, nil, fault.Wrap(err, "decode verdict")
	}
	return ev, resp.Body, nil
}

// waitGate evaluates the gate every w.interval until the decision is not
// blocked or w.timeout has passed since the start (one last evaluation is
// made at the timeout), and returns the last evaluation. Each time the
// first failing rule differs from the previous evaluation's, it writes one
// line to progress. An error of the server or of the connection ends the
// wait with that error.
func waitGate(a *app, body map[string]any, w waitFlags, progress io.Writer) (store.GateEvaluation, []byte, error) {
	deadline := time.Now().Add(w.timeout)
	shown := ""
	for {
		ev, raw, err := evaluateGate(a, body)
		if err != nil || ev.Decision != gate.Blocked {
			return ev, raw, err
		}
		left := time.Until(deadline)
		if first := firstFailing(ev.Verdict); first.Rule != shown {
			shown = first.Rule
			fmt.Fprintf(progress, "fixgate: %s to %s blocked by %s: %s (%s); waiting up to %s\n", ev.Release, ev.Environment,
				first.Rule, clip(first.Reason, 80), ev.ID, left.Round(time.Second))
		}
		if left <= 0 {
			return ev, raw, nil
		}
		time.Sleep(min(w.interval, left))
	}
}

// firstFailing returns the verdict's first failing line (zero when none fails).
func firstFailing(v gate.Verdict) gate.Result {
	for _, r := range v.Rules {
		if r.Result == gate.Fail {
			return r
		}
	}
	return gate.Result{}
}

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
