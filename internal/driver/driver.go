// Package driver carries a deployment's actions to the target: exec runs a
// command, webhook POSTs a signed request, reported waits for the user's
// pipeline to report each stage. It is an adapter at the edge: the rollout
// engine decides, a driver only does. The protocol a target sees (the
// environment variables, the JSON body, the headers and the signature) is
// documented in docs/drivers.md.
package driver

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

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
	// Key identifies this action of this deployment, e.g.
	// "DEP-7/promote/canary/1" (deployment / action / stage / the engine's
	// sequence number of the action). The engine keeps it stable across
	// retries and server restarts, so a receiver can de-duplicate: the same
	// Key is the same action, asked again. "" when the caller has none.
	Key string `json:"key"`
}

// Driver performs an action. A nil error is success; the log (capped) is
// kept in the deployment's log either way.
type Driver interface {
	Run(ctx context.Context, a Action) (log string, err error)
}

// Defaults of Options and of the policy's timeouts.
const (
	DefaultMaxLog         = 64 << 10
	DefaultExecTimeout    = 5 * time.Minute
	DefaultWebhookTimeout = 30 * time.Second
)

// Options are the server's settings shared by every driver.
type Options struct {
	// Getenv reads the webhook secret's variable (default os.Getenv).
	Getenv func(string) string
	// AllowPrivate lets webhooks reach private, loopback and link-local
	// addresses; off by default, as for outgoing webhooks.
	AllowPrivate bool
	// HTTPClient replaces the webhook's SSRF-guarded client (then the
	// caller answers for the addresses it reaches; AllowPrivate still
	// governs address literals in the URL). Optional.
	HTTPClient *http.Client
	// MaxLog caps the log of one Run in bytes (default DefaultMaxLog).
	MaxLog int
}

// New builds the driver named name from its policy entry. It returns an
// Invalid error (field "driver") when the entry sets no kind or several,
// an exec entry has no command, a webhook's URL is not an acceptable
// target or its secret variable is unnamed, unset or empty. The secret is
// read once, here.
func New(name string, d policy.Driver, opt Options) (Driver, error) {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if opt.MaxLog <= 0 {
		opt.MaxLog = DefaultMaxLog
	}
	n := 0
	for _, set := range []bool{d.Exec != nil, d.Webhook != nil, d.Reported != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fault.Field("driver", "%q must set exactly one of exec, webhook or reported (it sets %d)", name, n)
	}
	switch {
	case d.Exec != nil:
		return newExec(name, *d.Exec, opt)
	case d.Webhook != nil:
		return newWebhook(name, *d.Webhook, opt)
	}
	return Reported{}, nil
}

// Env returns the variables an exec driver adds to its command's
// environment for a, in this order: FIXGATE_ACTION, FIXGATE_DEPLOYMENT,
// FIXGATE_RELEASE, FIXGATE_VERSION, FIXGATE_PREVIOUS_VERSION, FIXGATE_ENV,
// FIXGATE_STAGE, FIXGATE_WEIGHT, FIXGATE_IDEMPOTENCY_KEY. Each is present,
// empty when a has no value for it.
func Env(a Action) []string {
	return []string{
		"FIXGATE_ACTION=" + a.Kind,
		"FIXGATE_DEPLOYMENT=" + a.Deployment,
		"FIXGATE_RELEASE=" + a.Release,
		"FIXGATE_VERSION=" + a.Version,
		"FIXGATE_PREVIOUS_VERSION=" + a.PreviousVersion,
		"FIXGATE_ENV=" + a.Env,
		"FIXGATE_STAGE=" + a.Stage,
		"FIXGATE_WEIGHT=" + strconv.Itoa(a.Weight),
		"FIXGATE_IDEMPOTENCY_KEY=" + a.Key,
	}
}

// orDefault returns d as a duration, def when it is zero or negative.
func orDefault(d policy.Duration, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

// capped keeps the first max bytes written to it and counts the rest.
// It is not safe for concurrent writes: exec.Cmd serialises writes when
// Stdout and Stderr are the same comparable writer.
type capped struct {
	buf     []byte
	max     int
	dropped int64
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if room > len(p) {
		room = len(p)
	}
	if room > 0 {
		c.buf = append(c.buf, p[:room]...)
	}
	c.dropped += int64(len(p) - max(room, 0))
	return len(p), nil
}

// String returns the kept bytes as storable text (valid UTF-8, no NUL,
// which PostgreSQL's text refuses) and, when bytes were dropped, a last
// line saying how many.
func (c *capped) String() string {
	s := strings.ToValidUTF8(string(c.buf), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if c.dropped > 0 {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s += fmt.Sprintf("[fixgate: log capped at %d bytes, %d more bytes dropped]\n", c.max, c.dropped)
	}
	return s
}
