// Package driver carries a deployment's actions to the target: exec runs a
// command, webhook POSTs a signed request, reported waits for the user's
// pipeline to report each stage. It is an adapter at the edge: the rollout
// engine decides, a driver only does.
package driver

import "context"

// Actions a driver performs.
const (
	Deploy   = "deploy"
	Promote  = "promote"
	Rollback = "rollback"
	Abort    = "abort"
)

// Action is everything a driver is told about one step.
type Action struct {
	Kind            string `json:"action"`
	Deployment      string `json:"deployment"` // DEP-n
	Release         string `json:"release"`    // REL-n
	Version         string `json:"version"`
	PreviousVersion string `json:"previous_version"` // last verified in Env, "" if none
	Env             string `json:"env"`
	Stage           string `json:"stage"`
	Weight          int    `json:"weight"`
}

// Driver performs an action. A nil error is success; the log (capped) is
// kept in the deployment's log either way.
type Driver interface {
	Run(ctx context.Context, a Action) (log string, err error)
}
