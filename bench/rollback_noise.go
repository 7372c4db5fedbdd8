package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/labels"
)

// alertBody is a notification of n firing alerts named name on service ci
// in prod-eu, each with its own instance label (a new fingerprint).
func alertBody(name, ci, instance string, n int) []byte {
	at := time.Now().UTC().Format(time.RFC3339Nano)
	alerts := make([]map[string]any, n)
	for i := range alerts {
		l := labels.Set{"alertname": name, "service": ci, "env": "prod-eu", "severity": "critical", "instance": fmt.Sprint(instance, "-", i)}
		alerts[i] = map[string]any{"status": "firing", "labels": l, "annotations": map[string]string{}, "startsAt": at,
			"endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph", "fingerprint": alertmanager.Fingerprint(l)}
	}
	body, _ := json.Marshal(map[string]any{"version": "4", "groupKey": "{}:{alertname=\"" + name + "\"}", "status": "firing",
		"receiver": "fixgate", "groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager:9093", "truncatedAlerts": 0, "alerts": alerts})
	return body
}

// noise sends unrelated notifications at noiseRate alerts/s until
// stopped, each from its own goroutine: new firing alerts of a service
// that is not a CI (each is stored as a signal and matched against the
// signatures, matching none; it opens no incident).
type noise struct {
	quit chan struct{}
	done chan rateResult
}

func startNoise(client *http.Client, base, tok string, rate int) *noise {
	n := &noise{quit: make(chan struct{}), done: make(chan rateResult, 1)}
	if rate < noiseBatch {
		n.done <- rateResult{}
		return n
	}
	go func() {
		var seq atomic.Int64
		r := openLoop(client, rate/noiseBatch, n.quit, func() *http.Request {
			k := seq.Add(1)
			return post1(base+"/api/v1/hooks/alertmanager", tok, alertBody("Noise", "noise-svc", fmt.Sprint("n", k), noiseBatch))
		})
		n.done <- r
	}()
	return n
}

func (n *noise) stop() rateResult {
	close(n.quit)
	return <-n.done
}

// openLoop is atRate until quit closes.
func openLoop(client *http.Client, rps int, quit chan struct{}, newReq func() *http.Request) rateResult {
	interval := time.Second / time.Duration(rps)
	var mu sync.Mutex
	var lat, lags []time.Duration
	var wg sync.WaitGroup
	r := rateResult{}
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		select {
		case <-quit:
			wg.Wait()
			r.p50, r.p99, r.lag = percentile(lat, 0.5).Round(time.Microsecond), percentile(lat, 0.99).Round(time.Microsecond), percentile(lags, 1).Round(time.Microsecond)
			return r
		case <-time.After(time.Until(at)):
		}
		r.sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := newReq()
			t0 := time.Now()
			res, err := client.Do(req)
			ok := err == nil && res.StatusCode == 200
			if err == nil {
				res.Body.Close()
			}
			mu.Lock()
			lat, lags = append(lat, time.Since(t0)), append(lags, t0.Sub(at))
			if !ok {
				r.errors++
			}
			mu.Unlock()
		}()
	}
}
