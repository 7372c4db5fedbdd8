package webhook

import (
	"encoding/json"
	"time"
)

// Retry policy: after failed attempt n the next comes Backoff(n) later;
// after MaxAttempts the event is given up (its log keeps every attempt).
const (
	MaxAttempts = 10
	FirstDelay  = time.Minute
	MaxDelay    = time.Hour
)

// Backoff returns the wait after failed attempt n (1-based): 1m, 2m, 4m … capped at 1h.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return MaxDelay
	}
	return min(FirstDelay<<(n-1), MaxDelay)
}

// Job is one claimed outbox event with the subscriptions still owed it.
type Job struct {
	OutboxID   int64
	Event      string
	Payload    json.RawMessage
	CreatedAt  time.Time
	Attempt    int       // this attempt's number, 1-based
	LeaseUntil time.Time // the claim; Finish is refused once another worker took it
	Targets    []Subscription
}

// Attempt is one delivery of one job to one subscription (a log row).
type Attempt struct {
	WebhookID  string
	StatusCode int // 0 when no HTTP answer
	Error      string
	At         time.Time
	Duration   time.Duration
}

// OK reports a 2xx answer.
func (a Attempt) OK() bool { return a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300 }

// Envelope is the JSON body of a delivery.
type Envelope struct {
	ID        int64           `json:"id"` // the event id: the same on every retry (receivers de-duplicate on it)
	Event     string          `json:"event"`
	CreatedAt time.Time       `json:"created_at"`
	Payload   json.RawMessage `json:"payload"`
}

// PingEvent is the event of a test delivery.
const PingEvent = "webhook.ping"
