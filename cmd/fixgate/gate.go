package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/store"
)

func init() { recordCommands = append(recordCommands, newGateCmd) }

func newGateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "gate", Short: "Release gate: ask whether a release may be deployed"}
	cmd.AddCommand(gateCheckCmd(a), gateShowCmd(a), gateListCmd(a))
	return cmd
}

func gateCheckCmd(a *app) *cobra.Command {
	var env, at, junitFile string
	var path []string
	var w waitFlags
	cmd := &cobra.Command{Use: "check REL-n --env NAME", Short: "Evaluate the gate (exit 0 allowed, 1 blocked, 2 undecided, bad input or server unreachable)",
		Long: "Asks the server to evaluate the release gate and prints one line per rule.\n" +
			"--output text|json|junit; junit writes one test case per rule for CI report viewers.\n" +
			"--wait evaluates again every --interval until the gate allows (exit 0) or --timeout passes (exit 1,\n" +
			"the last verdict printed); a line on stderr says which rule blocks whenever that changes.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"release": args[0], "environment": env}
			if at != "" {
				body["at"] = at
			}
			if len(path) > 0 {
				stages, err := parsePath(path)
				if err != nil {
					return err
				}
				body["path"] = stages
			}
			if err := w.check(cmd); err != nil {
				return err
			}
			var ev store.GateEvaluation
			var raw []byte
			var err error
			if w.wait {
				ev, raw, err = waitGate(a, body, w, cmd.ErrOrStderr())
			} else {
				ev, raw, err = evaluateGate(a, body)
			}
			if err != nil {
				return err
			}
			switch a.output {
			case "json":
				err = a.printJSON(raw)
			case "junit":
				err = writeJUnit(a, ev)
			default:
				err = writeVerdict(a, ev)
			}
			if err != nil {
				return err
			}
			if junitFile != "" {
				if err := saveJUnit(junitFile, ev); err != nil {
					return err
				}
			}
			return gateExit(ev)
		}}
	f := cmd.Flags()
	f.StringVar(&env, "env", "", "target environment (required)")
	f.StringVar(&at, "at", "", "planned deployment time, RFC 3339 with a zone (default: now)")
	f.StringArrayVar(&path, "stage", nil, "deployment path stage NAME:WEIGHT, in order (repeatable; default: the change model's rollout path)")
	f.StringVar(&junitFile, "junit-file", "", "also write the JUnit report to this file (for CI report publishers)")
	w.flags(f)
	cmd.MarkFlagRequired("env")
	return cmd
}

// saveJUnit writes the JUnit report of ev to path.
func saveJUnit(path string, ev store.GateEvaluation) error {
	f, err := os.Create(path)
	if err != nil {
		return fault.Field("--junit-file", "cannot create %s: %v", path, err)
	}
	if err := writeJUnit(&app{out: f}, ev); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fault.Field("--junit-file", "cannot write %s: %v", path, err)
	}
	return nil
}

// parsePath reads "canary:10" stages.
func parsePath(xs []string) ([]map[string]any, error) {
	var out []map[string]any
	for _, x := range xs {
		name, w, ok := strings.Cut(x, ":")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || name == "" {
			return nil, fault.Field("--stage", "%q: want NAME:WEIGHT, e.g. canary:10", x)
		}
		out = append(out, map[string]any{"name": name, "weight": n})
	}
	return out, nil
}

// gateExit maps the decision to the exit code: allowed 0, blocked 1
// (negative), undecided 2 (an error).
func gateExit(ev store.GateEvaluation) error {
	switch ev.Decision {
	case gate.Allowed:
		return nil
	case gate.Blocked:
		n := 0
		for _, r := range ev.Verdict.Rules {
			if r.Result == gate.Fail {
				n++
			}
		}
		return negative{msg: fmt.Sprintf("fixgate: %s to %s is blocked: %d rule(s) failed (%s)", ev.Release, ev.Environment, n, ev.ID)}
	}
	return fault.New(fault.PreconditionFailed, "%s to %s: the gate could not decide (%s); fix the input or the policy and ask again",
		ev.Release, ev.Environment, ev.ID)
}

func ruleWord(r gate.Result) string {
	if r.Undecided {
		return "ERROR"
	}
	return strings.ToUpper(r.Result)
}

// writeVerdict prints a header and one line per rule: result, rule, reason, records.
func writeVerdict(a *app, ev store.GateEvaluation) error {
	fmt.Fprintf(a.out, "%s %s to %s at %s: %s (risk %s, policy v%d %s)\n", ev.ID, ev.Release, ev.Environment,
		ev.At.Format("2006-01-02T15:04:05Z07:00"), strings.ToUpper(ev.Decision), orDashText(ev.RiskClass), ev.PolicyVersion, shortHash(ev.PolicyHash))
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	for _, r := range ev.Verdict.Rules {
		recs := ""
		if len(r.Records) > 0 {
			recs = " [" + strings.Join(r.Records, ", ") + "]"
		}
		fmt.Fprintf(w, "%s\t%s\t%s%s\n", ruleWord(r), r.Rule, r.Reason, recs)
	}
	return w.Flush()
}

func orDashText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortHash(h string) string {
	if len(h) > 19 {
		return h[:19]
	}
	return h
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"timestamp,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// writeJUnit prints the verdict as a JUnit report: one testsuite, one
// testcase per rule line; fail is a <failure>, an undecided line an
// <error>, warn a passing case with <system-out>, skip <skipped/>.
func writeJUnit(a *app, ev store.GateEvaluation) error {
	s := junitSuite{Name: fmt.Sprintf("fixgate gate %s %s", ev.Release, ev.Environment), Time: ev.CreatedAt.Format("2006-01-02T15:04:05")}
	seen := map[string]int{}
	for _, r := range ev.Verdict.Rules {
		seen[r.Rule]++
		name := r.Rule
		if seen[r.Rule] > 1 {
			name = fmt.Sprintf("%s #%d", r.Rule, seen[r.Rule])
		}
		c := junitCase{Name: name, Classname: "fixgate.gate." + ev.Environment}
		detail := r.Reason
		if len(r.Records) > 0 {
			detail += "\nrecords: " + strings.Join(r.Records, ", ")
		}
		switch {
		case r.Undecided:
			c.Error, s.Errors = &junitMessage{Message: r.Reason, Body: detail}, s.Errors+1
		case r.Result == gate.Fail:
			c.Failure, s.Failures = &junitMessage{Message: r.Reason, Body: detail}, s.Failures+1
		case r.Result == gate.Skip:
			c.Skipped, s.Skipped = &junitMessage{Message: r.Reason}, s.Skipped+1
		case r.Result == gate.Warn:
			c.SystemOut = "WARN: " + detail
		default:
			c.SystemOut = detail
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		return fault.Wrap(err, "encode junit")
	}
	fmt.Fprintf(a.out, "%s%s\n", xml.Header, out)
	return nil
}
