// Package deploy holds the deployment record: one release rolled out into
// one environment along a path of stages, its lifecycle, its event log and
// the rule that decides which deployments are live. It does no I/O.
package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/lifecycle"
	"fixgate/internal/policy"
)

// Status values of a deployment.
const (
	Pending     = "pending"
	Blocked     = "blocked"
	Running     = "running"
	Paused      = "paused"
	RollingBack = "rolling_back"
	Succeeded   = "succeeded"
	RolledBack  = "rolled_back"
	Failed      = "failed"
	Aborted     = "aborted"
)

// Machine is the deployment lifecycle. A deployment that has not started
// may be blocked (the gate refused it: the record of the attempt) and
// released again, or aborted. A running deployment is driven by the rollout
// engine (internal/rollout): it pauses for a person (a gate that now blocks,
// inconclusive analysis), rolls back (a failed check, a recurrence, a
// driver failure), succeeds at the last stage, fails or is aborted. A
// succeeded deployment is still watched: while its watch window is open a
// recurrence rolls it back (Move checks the window). rolling_back ends only
// in rolled_back, once the driver restored the previous version; a driver
// that keeps failing leaves it rolling_back, never rolled_back. rolled_back,
// failed and aborted are final.
var Machine = lifecycle.Machine{Record: "deployment", Moves: map[string][]string{
	Pending:     {Running, Blocked, Aborted},
	Blocked:     {Pending, Aborted},
	Running:     {Paused, RollingBack, Succeeded, Failed, Aborted},
	Paused:      {Running, RollingBack, Aborted},
	RollingBack: {RolledBack},
	Succeeded:   {RollingBack},
	RolledBack:  nil,
	Failed:      nil,
	Aborted:     nil,
}}

// Final reports whether status is an end state.
func Final(status string) bool { return Machine.Known(status) && len(Machine.Allowed(status)) == 0 }

// Active reports whether a deployment in status is being driven or watched
// by the rollout engine (or waits for a person in the middle of it).
func Active(status string) bool {
	return status == Running || status == Paused || status == RollingBack
}

// Stage is one step of a rollout: traffic (or instance) weight in percent,
// analysed for Duration (JSON: a duration string as the policy writes it,
// "30s", "5m", "1h"; 0 or absent: the stage waits for `deploy promote`)
// with the analysis templates named in Analysis.
type Stage struct {
	Name     string          `json:"name"`
	Weight   int             `json:"weight"`
	Duration policy.Duration `json:"duration,omitempty"`
	Analysis []string        `json:"analysis,omitempty"`
}

// FromPolicy converts a policy path.
func FromPolicy(ps []policy.Stage) []Stage {
	out := make([]Stage, len(ps))
	for i, s := range ps {
		out[i] = Stage{Name: s.Name, Weight: s.Weight, Duration: s.Duration, Analysis: append([]string(nil), s.Analysis...)}
	}
	return out
}

// MaxStages bounds a path.
const MaxStages = 20

// DefaultPath is the path of a deployment that names none: all at once.
func DefaultPath() []Stage { return []Stage{{Name: "full", Weight: 100}} }

// ValidatePath checks a rollout path: 1 to MaxStages stages with unique
// names, weights from 1 to 100 strictly increasing, the last one 100.
// Returns Invalid naming "path".
func ValidatePath(path []Stage) error {
	if len(path) == 0 {
		return fault.Field("path", "needs at least one stage")
	}
	if len(path) > MaxStages {
		return fault.Field("path", "has %d stages, at most %d are allowed", len(path), MaxStages)
	}
	seen := map[string]bool{}
	for i, s := range path {
		if err := ident.ValidName("path", s.Name); err != nil {
			return fault.Field("path", "stage %d: name: %s", i+1, fault.As(err).Message)
		}
		if seen[s.Name] {
			return fault.Field("path", "stage %d: name %q is used twice", i+1, s.Name)
		}
		seen[s.Name] = true
		if s.Weight < 1 || s.Weight > 100 {
			return fault.Field("path", "stage %d (%s): weight must be 1 to 100, got %d", i+1, s.Name, s.Weight)
		}
		if i > 0 && s.Weight <= path[i-1].Weight {
			return fault.Field("path", "stage %d (%s): weight %d must be greater than %d of %s", i+1, s.Name, s.Weight,
				path[i-1].Weight, path[i-1].Name)
		}
	}
	if last := path[len(path)-1]; last.Weight != 100 {
		return fault.Field("path", "the last stage (%s) must have weight 100, got %d", last.Name, last.Weight)
	}
	return nil
}

// PathString renders a path as "canary 10% → full 100%".
func PathString(path []Stage) string {
	parts := make([]string, len(path))
	for i, s := range path {
		parts[i] = fmt.Sprintf("%s %d%%", s.Name, s.Weight)
	}
	return strings.Join(parts, " → ")
}

// ParseStage reads "NAME:WEIGHT[:DURATION]" (the CLI's --stage; DURATION
// as policy.ParseDuration reads it, e.g. 30s, 5m). Returns Invalid naming field.
func ParseStage(field, s string) (Stage, error) {
	name, rest, ok := strings.Cut(s, ":")
	w, dur, hasDur := strings.Cut(rest, ":")
	n, err := strconv.Atoi(w)
	if !ok || err != nil || strconv.Itoa(n) != w {
		return Stage{}, fault.Field(field, "%q is not NAME:WEIGHT[:DURATION] (e.g. canary:10:5m)", s)
	}
	st := Stage{Name: name, Weight: n}
	if hasDur {
		d, err := policy.ParseDuration(dur)
		if err != nil {
			return Stage{}, fault.Field(field, "%q: duration %q is not a duration (e.g. 30s, 5m, 1h)", s, dur)
		}
		st.Duration = policy.Duration(d)
	}
	return st, nil
}

// Deployment is one release rolled out into one environment.
type Deployment struct {
	ID           string     `json:"id"`
	Release      string     `json:"release"`          // REL-n
	Env          string     `json:"env"`              // environment name
	Change       string     `json:"change,omitempty"` // CHG-n authorising it, if any
	Status       string     `json:"status"`
	Path         []Stage    `json:"path"`
	CurrentStage int        `json:"current_stage"` // index into Path
	StartedAt    *time.Time `json:"started_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	// Driver names the policy's driver that carries the actions ("" for a
	// planning record that never started).
	Driver string `json:"driver,omitempty"`
	// Gate is the evaluation (GATE-n) that allowed or blocked the start.
	Gate string `json:"gate,omitempty"`
	// PreviousVersion is what a rollback restores: the release version of
	// the last verified (else succeeded) deployment into Env for the same CIs.
	PreviousVersion  string     `json:"previous_version,omitempty"`
	StageStartedAt   *time.Time `json:"stage_started_at,omitempty"` // the current stage's action succeeded
	PromoteRequested bool       `json:"promote_requested,omitempty"`
	PauseReason      string     `json:"pause_reason,omitempty"`
	RollbackCause    string     `json:"rollback_cause,omitempty"`
	WatchUntil       *time.Time `json:"watch_until,omitempty"` // the watch window after 100 %
	// Times reports need.
	FirstFailureAt    *time.Time `json:"first_failure_at,omitempty"`
	RollbackDecidedAt *time.Time `json:"rollback_decided_at,omitempty"`
	RollbackDoneAt    *time.Time `json:"rollback_done_at,omitempty"`
	VerifiedAt        *time.Time `json:"verified_at,omitempty"`
	NextStepAt        *time.Time `json:"next_step_at,omitempty"` // when the engine looks at it again
	Revision          int64      `json:"revision"`
	CreatedBy         string     `json:"created_by"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Watching reports whether d succeeded and its watch window is open at now.
func (d *Deployment) Watching(now time.Time) bool {
	return d.Status == Succeeded && d.VerifiedAt == nil && d.WatchUntil != nil && now.Before(*d.WatchUntil)
}

// Validate checks the fields a person sets: the release and change ids,
// the environment name and the path (DefaultPath when empty). Ids are
// normalised. Returns Invalid naming the field.
func (d *Deployment) Validate() error {
	n, err := ident.Release.Parse("release", d.Release)
	if err != nil {
		return err
	}
	d.Release = ident.Release.Format(n)
	if err := ident.ValidName("env", d.Env); err != nil {
		return err
	}
	if d.Change != "" {
		n, err := ident.Change.Parse("change", d.Change)
		if err != nil {
			return err
		}
		d.Change = ident.Change.Format(n)
	}
	if len(d.Path) == 0 {
		d.Path = DefaultPath()
	}
	if err := ValidatePath(d.Path); err != nil {
		return err
	}
	if d.CurrentStage < 0 || d.CurrentStage >= len(d.Path) {
		return fault.Field("current_stage", "must be 0 to %d", len(d.Path)-1)
	}
	return nil
}

// Stage returns the current stage.
func (d *Deployment) Stage() Stage {
	if d.CurrentStage < 0 || d.CurrentStage >= len(d.Path) {
		return Stage{}
	}
	return d.Path[d.CurrentStage]
}

// Move applies a lifecycle move at now. started_at is set when the
// deployment first runs, finished_at when it reaches an end state. Returns
// Conflict for an illegal move and PreconditionFailed when succeeding
// before the last stage.
func (d *Deployment) Move(to string, now time.Time) error {
	if err := Machine.Check(d.Status, to); err != nil {
		return err
	}
	if d.Status == Succeeded && to == RollingBack && !d.Watching(now) {
		return fault.Conflictf("%s succeeded and its watch window is over; deploy the previous release again to undo it", d.ID)
	}
	if to == Succeeded && d.CurrentStage < len(d.Path)-1 {
		return fault.New(fault.PreconditionFailed, "%s is at stage %s (%d%%); advance through the remaining stages before it can succeed",
			d.ID, d.Stage().Name, d.Stage().Weight)
	}
	if to == Running && d.StartedAt == nil {
		d.StartedAt = &now
	}
	if Final(to) || to == Succeeded {
		d.FinishedAt = &now
	}
	d.Status = to
	return nil
}

// Advance moves a running deployment to its next stage. Returns Conflict
// when it is not running, or at the last stage (move it to succeeded instead).
func (d *Deployment) Advance() error {
	if d.Status != Running {
		return &fault.Error{Code: fault.Conflict, Message: fmt.Sprintf("%s is %s; only a running deployment advances", d.ID, d.Status),
			Extra: map[string]any{"current_status": d.Status}}
	}
	if d.CurrentStage >= len(d.Path)-1 {
		return &fault.Error{Code: fault.Conflict,
			Message: fmt.Sprintf("%s is at its last stage %s (%d%%); move it to succeeded instead", d.ID, d.Stage().Name, d.Stage().Weight),
			Extra:   map[string]any{"current_stage": d.CurrentStage}}
	}
	d.CurrentStage++
	return nil
}

// Kinds of event the server writes itself; a pipeline may not use them, so
// the log's lifecycle entries can be trusted.
const (
	EventCreated  = "created"
	EventStatus   = "status"
	EventAdvanced = "advanced"
	EventUpdated  = "updated"
)

// Event is one entry of a deployment's log. Links name the records
// involved (DEP-n, REL-n, the PRB-n the release resolves, CHG-n …).
type Event struct {
	ID         int64     `json:"id"`
	Deployment string    `json:"deployment"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	Stage      string    `json:"stage"` // the stage the deployment was at
	Message    string    `json:"message"`
	Links      []string  `json:"links"`
	Actor      string    `json:"actor"`
}

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)

// MaxLinks and MaxMessage bound an event.
const (
	MaxLinks   = 50
	MaxMessage = 4000
)

// ValidateAppended checks an event a client appends: kind is a short
// lower-case word that is not one of the server's own kinds, message at most
// MaxMessage bytes, links are record ids (normalised, de-duplicated).
// Returns Invalid naming the field.
func (e *Event) ValidateAppended() error {
	if !kindRE.MatchString(e.Kind) {
		return fault.Field("kind", "%q is not a short word (lower-case letters, digits, '_', '-', '.'; at most 32, starting with a letter)", e.Kind)
	}
	if e.Kind == EventCreated || e.Kind == EventStatus || e.Kind == EventAdvanced || e.Kind == EventUpdated {
		return fault.Field("kind", "%q is written by fixgate itself; use the transitions or advance endpoints", e.Kind)
	}
	e.Message = strings.TrimSpace(e.Message)
	if len(e.Message) > MaxMessage {
		return fault.Field("message", "is longer than %d bytes", MaxMessage)
	}
	if len(e.Links) > MaxLinks {
		return fault.Field("links", "at most %d links", MaxLinks)
	}
	links, err := NormalizeLinks(e.Links)
	e.Links = links
	return err
}

// NormalizeLinks parses record ids ("prb-3" → "PRB-3"), sorts and de-duplicates
// them. Returns Invalid naming "links" for anything that is not a record id.
func NormalizeLinks(links []string) ([]string, error) {
	out := make([]string, 0, len(links))
	for i, l := range links {
		k, ok := ident.KindOf(l)
		if !ok {
			return nil, fault.Field("links", "entry %d: %q is not a record id (e.g. PRB-3, INC-12)", i+1, l)
		}
		n, err := k.Parse("links", l)
		if err != nil {
			return nil, err
		}
		out = append(out, k.Format(n))
	}
	return SortLinks(out), nil
}

// SortLinks orders record ids by prefix then number and removes duplicates.
func SortLinks(links []string) []string {
	out := slices.Clone(links)
	slices.SortFunc(out, func(a, b string) int {
		pa, na := splitID(a)
		pb, nb := splitID(b)
		if c := strings.Compare(pa, pb); c != 0 {
			return c
		}
		return na - nb
	})
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func splitID(s string) (string, int) {
	p, n, _ := strings.Cut(s, "-")
	x, _ := strconv.Atoi(n)
	return p, x
}

// Live is a deployment that is what runs in its environment for some CIs.
type Live struct {
	Deployment string    `json:"deployment"`
	Release    string    `json:"release"`
	Version    string    `json:"version"`
	Components []string  `json:"components"` // every component version of the release, CI@VERSION
	CIs        []string  `json:"cis"`        // the CIs this deployment is live for
	Change     string    `json:"change,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
}

// CheckEditable returns Conflict unless the deployment has not started
// (pending or blocked): once it runs, its path and change are history.
func (d *Deployment) CheckEditable() error {
	if d.Status != Pending && d.Status != Blocked {
		return fault.Conflictf("deployment %s is %s; only a pending or blocked deployment can change", d.ID, d.Status)
	}
	return nil
}
