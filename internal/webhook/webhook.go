// Package webhook holds outgoing webhook subscriptions, the HMAC-SHA256
// signature of their deliveries, an HTTP client whose dialer refuses
// private, loopback and link-local addresses at dial time (so DNS
// rebinding and redirects cannot reach them), and the delivery worker with
// exponential backoff. The worker reaches the database only through the
// Queue interface it declares.
package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Kind numbers subscriptions: WH-n.
var Kind = ident.Kind{Prefix: "WH", Name: "webhook"}

// Limits of a subscription.
const (
	MaxURL         = 2048
	MaxEvents      = 64
	MinSecret      = 16
	MaxSecret      = 256
	MaxDescription = 500
)

// AllEvents subscribes to every event.
const AllEvents = "*"

// Subscription is one outgoing webhook. Secret is write-only: it is never
// encoded (the API shows it once, on creation, when it generated it).
type Subscription struct {
	ID           string    `json:"id"`
	URL          string    `json:"url"`
	Events       []string  `json:"events"` // event names, or ["*"]
	Description  string    `json:"description"`
	Active       bool      `json:"active"`
	AllowPrivate bool      `json:"allow_private"` // the admin allows private, loopback and link-local targets
	Secret       string    `json:"-"`
	Revision     int64     `json:"revision"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

var eventName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// Validate checks and normalises the fields a caller sets: the URL is an
// absolute http(s) URL without credentials (and not a private address
// literal unless AllowPrivate), events are sorted and unique. Returns an
// Invalid error naming the field.
func (s *Subscription) Validate() error {
	s.URL = strings.TrimSpace(s.URL)
	if err := checkURL(s.URL, s.AllowPrivate); err != nil {
		return err
	}
	if len(s.Events) == 0 {
		return fault.Field("events", "is required: a list of event names (e.g. problem.recurred) or [\"*\"]")
	}
	if len(s.Events) > MaxEvents {
		return fault.Field("events", "has more than %d entries", MaxEvents)
	}
	for _, e := range s.Events {
		if e != AllEvents && !ValidEvent(e) {
			return fault.Field("events", "%q is not an event name (like problem.recurred) or *", clip(e))
		}
	}
	s.Events = slices.Compact(slices.Sorted(slices.Values(s.Events)))
	if slices.Contains(s.Events, AllEvents) {
		s.Events = []string{AllEvents}
	}
	s.Description = strings.TrimSpace(s.Description)
	if len(s.Description) > MaxDescription {
		return fault.Field("description", "is longer than %d bytes", MaxDescription)
	}
	if n := len(s.Secret); n != 0 && (n < MinSecret || n > MaxSecret) {
		return fault.Field("secret", "must be %d to %d bytes (or omit it to have one generated)", MinSecret, MaxSecret)
	}
	return nil
}

// ValidateStored is Validate for a subscription that exists: its secret
// signs every delivery, so it can be replaced but never emptied.
func (s *Subscription) ValidateStored() error {
	if s.Secret == "" {
		return fault.Field("secret", "must not be empty: omit it to keep the current secret")
	}
	return s.Validate()
}

func checkURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return fault.Field("url", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > MaxURL || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return fault.Field("url", "must be an absolute http:// or https:// URL of at most %d bytes", MaxURL)
	}
	if u.User != nil {
		return fault.Field("url", "must not carry credentials: receivers verify the X-Fixgate-Signature header instead")
	}
	if u.Fragment != "" {
		return fault.Field("url", "must not carry a #fragment")
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !allowPrivate {
		if why := Forbidden(ip); why != "" {
			return fault.Field("url", "%s is a %s address: set allow_private to deliver there", ip, why)
		}
	}
	return nil
}

// ValidEvent reports whether s is an event name: dotted lower-case words, like problem.recurred.
func ValidEvent(s string) bool { return eventName.MatchString(s) }

// Matches reports whether the subscription wants event.
func (s *Subscription) Matches(event string) bool {
	return slices.Contains(s.Events, AllEvents) || slices.Contains(s.Events, event)
}

// NewSecret returns a random secret (32 bytes, hex).
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

func clip(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
