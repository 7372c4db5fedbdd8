package driver

import (
	"context"
	"errors"
)

// ErrReported is what Reported.Run returns: nothing was done, and the
// action's outcome will come from the user's pipeline (or Argo Rollouts,
// Flagger, Spinnaker …) through `fixgate deploy report DEP-n --stage NAME
// --status succeeded|failed`. It is not a failure: the engine checks
// errors.Is(err, ErrReported) and waits for the report, still analysing
// the stage and answering `deploy wait` meanwhile.
var ErrReported = errors.New("reported driver: the pipeline performs this action and reports it with fixgate deploy report")

// Reported is the driver of a deployment carried out outside fixgate. Its
// Run does nothing and returns ErrReported; an engine may equally test for
// the type (d.(driver.Reported)) before calling Run at all.
type Reported struct{}

// Run returns "" and ErrReported whatever the action.
func (Reported) Run(context.Context, Action) (string, error) { return "", ErrReported }
