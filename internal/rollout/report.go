package rollout

import (
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// RuleReportedDriver names the rule AcceptsReport applies, in the refusal's
// Extra and its audit event.
const RuleReportedDriver = "reported_driver"

// AcceptsReport decides whether a pipeline's report (`deploy report`) may
// stand for an action of deployment d under pol: only a deployment whose
// driver is reported (IsReported: a policy driver `reported: {}`, or the
// built-in name "reported") takes reports. An exec or webhook driver is
// run by the rollout engine itself, and a person's "succeeded" must not
// replace what the driver answers; a driver the policy no longer defines
// is not run by anyone, and a report does not make it so. Returns Conflict
// naming the driver and its kind (Extra "rule", "driver", "driver_kind").
func AcceptsReport(pol *policy.Policy, d *deploy.Deployment) error {
	if IsReported(pol, d.Driver) {
		return nil
	}
	kind, why := "unknown", "which the policy in force does not define; nothing carries its actions"
	if drv, ok := pol.Drivers[d.Driver]; ok {
		switch {
		case drv.Exec != nil:
			kind, why = "exec", "an exec driver that the rollout engine runs itself"
		case drv.Webhook != nil:
			kind, why = "webhook", "a webhook driver that the rollout engine calls itself"
		}
	}
	name := d.Driver
	if name == "" {
		name = "(none)"
	}
	e := fault.Conflictf("%s is carried by driver %s, %s: only a deployment whose driver is reported takes reports", d.ID, name, why)
	e.Extra = map[string]any{"rule": RuleReportedDriver, "driver": d.Driver, "driver_kind": kind}
	return e
}
