package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/webhook"
	"fixgate/internal/webhook/delivery"
)

// Retries of a webhook driver: at most Attempts POSTs, the n-th retry
// after RetryBase·2^(n-1), all within the driver's timeout.
const (
	Attempts  = 3
	RetryBase = 200 * time.Millisecond
)

// HeaderIdempotencyKey carries Action.Key.
const HeaderIdempotencyKey = "Fixgate-Idempotency-Key"

// snippet is how much of each answer's body goes into the log.
const snippet = 512

// Webhook POSTs each action as JSON to a URL, signed as outgoing webhooks
// are (webhook.Sign over the exact body, which carries the send time), and
// retries a network error, a 5xx, a 408 or a 429 with exponential backoff.
// Timeout bounds the whole Run, retries included.
type Webhook struct {
	name    string
	url     string
	secret  string
	timeout time.Duration
	maxLog  int
	client  *http.Client
}

// body is what a webhook driver POSTs: the action and the send time (Unix
// seconds, equal to the X-Fixgate-Timestamp header), so that the signature
// covers the timestamp as well as the facts.
type body struct {
	Action
	SentAt int64 `json:"sent_at"`
}

func newWebhook(name string, p policy.WebhookDriver, opt Options) (*Webhook, error) {
	u, err := checkURL(p.URL, opt.AllowPrivate)
	if err != nil {
		return nil, fault.Field("driver", "%q: webhook.url %s", name, err)
	}
	if p.SecretEnv == "" {
		return nil, fault.Field("driver", "%q: webhook.secret_env is required: the environment variable holding the signing secret", name)
	}
	secret := opt.Getenv(p.SecretEnv)
	if secret == "" {
		return nil, fault.Field("driver", "%q: webhook.secret_env: the environment variable %s is unset or empty", name, p.SecretEnv)
	}
	w := &Webhook{name: name, url: u, secret: secret, maxLog: opt.MaxLog,
		timeout: orDefault(p.Timeout, DefaultWebhookTimeout), client: opt.HTTPClient}
	if w.client == nil {
		// The client's own timeouts are a margin past the Run's deadline,
		// so that the deadline, not a transport timer racing it, ends a
		// slow attempt and the error says "timed out".
		w.client = delivery.NewClient(opt.AllowPrivate, w.timeout+time.Second)
	}
	return w, nil
}

// checkURL applies the URL rules of outgoing webhooks (absolute http(s),
// no credentials, no fragment) and refuses a private address literal
// unless allowPrivate. It returns the URL trimmed.
func checkURL(raw string, allowPrivate bool) (string, error) {
	sub := webhook.Subscription{URL: raw, Events: []string{webhook.AllEvents}, AllowPrivate: true}
	if err := sub.Validate(); err != nil {
		if fe := fault.As(err); fe != nil {
			return "", errors.New(fe.Message)
		}
		return "", err
	}
	u, _ := url.Parse(sub.URL)
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !allowPrivate {
		if why := webhook.Forbidden(ip); why != "" {
			return "", fmt.Errorf("%s is a %s address and the server does not allow private driver targets", ip, why)
		}
	}
	return sub.URL, nil
}

// Timeout is the time a Run may take, retries included.
func (w *Webhook) Timeout() time.Duration { return w.timeout }

// Run POSTs a until an answer is 2xx, an answer is final (3xx, 4xx other
// than 408 and 429, a refused address), the attempts are spent or the
// timeout leaves no room for the next one. The log has one line per
// attempt with the status and the first bytes of the answer. A timeout
// wraps context.DeadlineExceeded; a cancelled ctx wraps ctx's error.
func (w *Webhook) Run(ctx context.Context, a Action) (string, error) {
	runCtx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	log := &capped{max: w.maxLog}
	var err error
	n := 1
	for ; n <= Attempts; n++ {
		if n > 1 && !pause(runCtx, RetryBase<<(n-2)) {
			if runCtx.Err() == nil {
				err = fmt.Errorf("%w (the %s timeout leaves no time for attempt %d)", err, w.timeout, n)
			}
			n--
			break
		}
		var retry bool
		retry, err = w.post(runCtx, a, n, log)
		if err == nil {
			return log.String(), nil
		}
		fmt.Fprintf(log, "attempt %d/%d: %s\n", n, Attempts, err)
		if !retry {
			break
		}
	}
	n = min(n, Attempts)
	prefix := fmt.Sprintf("webhook driver %q", w.name)
	switch {
	case ctx.Err() != nil:
		return log.String(), fmt.Errorf("%s: cancelled at attempt %d/%d (%w)", prefix, n, Attempts, ctx.Err())
	case runCtx.Err() != nil:
		return log.String(), fmt.Errorf("%s: timed out after %s at attempt %d/%d (%w)", prefix, w.timeout, n, Attempts, context.DeadlineExceeded)
	}
	return log.String(), fmt.Errorf("%s: attempt %d/%d: %w", prefix, n, Attempts, err)
}

// pause waits d, unless ctx ends first or its deadline comes before d is
// up (then no attempt could follow); it reports whether to go on.
func pause(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// post makes attempt n. It logs a successful answer itself; on failure it
// returns the error and whether another attempt may succeed.
func (w *Webhook) post(ctx context.Context, a Action, n int, log io.Writer) (retry bool, err error) {
	now := time.Now()
	b, err := json.Marshal(body{Action: a, SentAt: now.Unix()})
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(b))
	if err != nil {
		return false, err
	}
	setHeaders(req.Header, a, n, now, webhook.Sign(w.secret, b))
	res, err := w.client.Do(req)
	if err != nil {
		var re *delivery.RefusedError
		if errors.As(err, &re) {
			return false, re
		}
		return ctx.Err() == nil, err
	}
	defer res.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(res.Body, snippet))
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	status := fmt.Sprintf("HTTP %d in %s", res.StatusCode, time.Since(now).Round(time.Millisecond))
	if t := strings.TrimSpace(strings.ToValidUTF8(string(head), "\uFFFD")); t != "" {
		status += ": " + t
	}
	code := res.StatusCode
	switch {
	case code >= 200 && code < 300:
		fmt.Fprintf(log, "attempt %d/%d: %s\n", n, Attempts, status)
		return false, nil
	case code >= 300 && code < 400:
		return false, fmt.Errorf("%s (redirect to %q not followed: point the driver at the final URL)", status, res.Header.Get("Location"))
	case code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		return true, errors.New(status)
	}
	return false, errors.New(status)
}

// setHeaders sets the headers of attempt n of a, sent at now with the
// body's signature sig.
func setHeaders(h http.Header, a Action, n int, now time.Time, sig string) {
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "fixgate-driver/1")
	h.Set(webhook.HeaderEvent, "driver."+a.Kind)
	id := a.Key
	if id == "" {
		id = a.Deployment + "/" + a.Kind + "/" + a.Stage
	}
	h.Set(webhook.HeaderDelivery, id+"."+strconv.Itoa(n))
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	if a.Key != "" {
		h.Set(HeaderIdempotencyKey, a.Key)
	}
}
