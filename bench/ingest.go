package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/labels"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// Ingest workload: 16 senders post Alertmanager notifications of 50 alerts;
// one post in five resends a notification the sender already posted (as
// Alertmanager does when it did not get the answer). Every new alert is a
// new firing alert with its own fingerprint (each opens an incident); half
// of them carry an alertname that one problem's signature matches.
const (
	ingestSenders  = 16
	ingestBatch    = 50
	ingestResendPc = 20
	ingestPrebuilt = 150 // notifications built ahead per sender
)

type ingestRun struct {
	rate       float64 // acknowledged alerts per second (200 answers, resends included)
	newRate    float64 // new signals per second
	p50, p99   time.Duration
	acked      int // alerts in notifications answered 200
	unique     int // distinct alerts among them
	errors     int
	signals    int           // signal rows stored
	incidents  int           // incidents stored
	duplicates int           // signals + incidents stored beyond the distinct alerts
	cpuPer1k   time.Duration // process CPU (server and senders) per 1000 acknowledged alerts
	sent       [][]byte
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchIngest measures POST /api/v1/hooks/alertmanager with 100 and with
// 10,000 problems holding signatures, and a raw insert of the same signal
// rows into a fresh database as the baseline.
func benchIngest(ctx context.Context, c config) error {
	fmt.Printf("\n[ingest] %d senders, %d alerts per notification, %d%% resends, %s per phase, %s\n",
		ingestSenders, ingestBatch, ingestResendPc, c.duration, dbLabel(c.db))
	large, err := ingestPhase(ctx, c, 10_000)
	if err != nil {
		return err
	}
	small, err := ingestPhase(ctx, c, 100)
	if err != nil {
		return err
	}
	raw, err := rawSignals(ctx, c.db, large.sent)
	if err != nil {
		return err
	}
	for _, r := range []struct {
		name string
		r    ingestRun
	}{{"100 problems", small}, {"10k problems", large}} {
		fmt.Printf("  %-13s %7.0f acked alerts/s (%6.0f new/s)  p50 %-9s p99 %-9s errors %d  signals %d incidents %d  duplicates %d  CPU %s per 1000 acked\n",
			r.name, r.r.rate, r.r.newRate, r.r.p50, r.r.p99, r.r.errors, r.r.signals, r.r.incidents, r.r.duplicates, r.r.cpuPer1k.Round(time.Millisecond))
	}
	fmt.Printf("  raw insert of the same signal rows (one transaction per notification): %.0f rows/s\n", raw)
	fmt.Printf("  goal >= 5000 acked/s (SQLite): %.0f\n", large.rate)
	fmt.Printf("  ratio acked alerts/s (10k problems) / raw rows/s: %.2f (goal >= 0.3)\n", large.rate/raw)
	fmt.Printf("  ratio 100 / 10k problems: %.2f (goal <= 1.5)\n", small.rate/large.rate)
	return nil
}

// ingestPhase runs the workload against a fresh server whose database holds
// problems problems, each with one signature.
func ingestPhase(ctx context.Context, c config, problems int) (ingestRun, error) {
	var out ingestRun
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return out, err
	}
	defer done()
	t0 := time.Now()
	tok, err := ingestDataset(ctx, st, problems)
	if err != nil {
		return out, err
	}
	fmt.Printf("  (dataset of %d problems with signatures built in %s)\n", problems, time.Since(t0).Round(time.Millisecond))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, err
	}
	srv := api.NewHTTPServer("", api.New(api.Config{Store: st, Logger: accessLogger()}).Handler())
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/hooks/alertmanager"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: ingestSenders * 2}}

	// Notifications are built before the clock starts: building them is the
	// sender's work, not fixgate's, and both share the machine's CPUs.
	bodies := make([][][]byte, ingestSenders)
	for i := range bodies {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		for n := 0; n < ingestPrebuilt; n++ {
			bodies[i] = append(bodies[i], ingestPayload(r, i, n, problems))
		}
	}
	if f := os.Getenv("FIXGATE_BENCH_CPUPROFILE"); f != "" && problems > 100 {
		w, err := os.Create(f)
		if err != nil {
			return out, err
		}
		pprof.StartCPUProfile(w)
		defer func() { pprof.StopCPUProfile(); w.Close() }()
	}
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(c.duration)
	start, cpu0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	for i := 0; i < ingestSenders; i++ {
		wg.Add(1)
		go func(sender int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(sender), 8))
			var mine []time.Duration
			var fresh [][]byte
			acked, unique, bad := 0, 0, 0
			for k := 0; time.Now().Before(deadline); {
				body, resend := []byte(nil), false
				if len(fresh) > 0 && r.IntN(100) < ingestResendPc {
					body, resend = fresh[r.IntN(len(fresh))], true
				} else {
					if k < len(bodies[sender]) {
						body = bodies[sender][k]
					} else {
						body = ingestPayload(r, sender, k, problems)
					}
					k++
				}
				t0 := time.Now()
				ok := postAlerts(client, url, tok, body)
				if !ok {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
				acked += ingestBatch
				if !resend {
					unique += ingestBatch
					fresh = append(fresh, body)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			out.acked += acked
			out.unique += unique
			out.errors += bad
			out.sent = append(out.sent, fresh...)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if out.acked > 0 {
		out.cpuPer1k = (cpuTime() - cpu0) * 1000 / time.Duration(out.acked)
	}
	out.rate = float64(out.acked) / elapsed.Seconds()
	out.newRate = float64(out.unique) / elapsed.Seconds()
	out.p50, out.p99 = percentile(lat, 0.5).Round(time.Microsecond), percentile(lat, 0.99).Round(time.Microsecond)
	db := st.DB()
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM signals`).Scan(&out.signals); err != nil {
		return out, err
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&out.incidents); err != nil {
		return out, err
	}
	out.duplicates = max(out.signals-out.unique, 0) + max(out.incidents-out.unique, 0)
	if out.signals != out.unique || out.incidents != out.unique {
		fmt.Printf("  WARNING: %d distinct alerts acknowledged, %d signals and %d incidents stored\n", out.unique, out.signals, out.incidents)
	}
	return out, nil
}

func postAlerts(client *http.Client, url, tok string, body []byte) bool {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// ingestDataset creates the CI and environment the alerts name, problems
// problems with one signature each ({alertname="Ak",service="checkout-api"}),
// and a pipeline user; it returns that user's token.
func ingestDataset(ctx context.Context, st *store.Store, problems int) (string, error) {
	if _, _, err := st.Bootstrap(ctx, ""); err != nil {
		return "", err
	}
	if err := fillRefs(ctx, st); err != nil {
		return "", err
	}
	a := audit.System("bench")
	_, tok, err := st.CreateUser(ctx, a, auth.User{Name: "alertmanager", Roles: []auth.Role{auth.Pipeline}})
	if err != nil {
		return "", err
	}
	for i := 0; i < problems; i += 1000 {
		batch := make([]problem.Problem, 0, 1000)
		for j := i; j < min(i+1000, problems); j++ {
			batch = append(batch, problem.Problem{Title: fmt.Sprint("problem ", j), Priority: 1 + j%4, CIs: []string{"checkout-api"}})
		}
		if _, err := st.CreateProblems(ctx, a, batch); err != nil {
			return "", err
		}
	}
	for i := 0; i < problems; i++ {
		if _, err := st.AddSignature(ctx, a, int64(i+1), fmt.Sprintf(`{alertname="A%d",service="checkout-api"}`, i)); err != nil {
			return "", err
		}
	}
	return tok, nil
}

// ingestPayload is the JSON of a notification of 50 new firing alerts; the
// alertname is drawn from twice the number of problems, so half match.
func ingestPayload(r *rand.Rand, sender, n, problems int) []byte {
	at := time.Now().Add(-time.Minute).UTC()
	alerts := make([]map[string]any, ingestBatch)
	for i := range alerts {
		l := labels.Set{"alertname": fmt.Sprint("A", r.IntN(2*problems)), "service": "checkout-api", "env": "prod-eu",
			"severity": "warning", "instance": fmt.Sprintf("pod-%d-%d-%d", sender, n, i)}
		alerts[i] = map[string]any{"status": "firing", "labels": l, "annotations": map[string]string{"summary": "error rate above 5%"},
			"startsAt": at.Format(time.RFC3339Nano), "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph",
			"fingerprint": alertmanager.Fingerprint(l)}
	}
	body, _ := json.Marshal(map[string]any{"version": "4", "groupKey": fmt.Sprintf("{}:{sender=%q}", fmt.Sprint(sender)), "status": "firing",
		"receiver": "fixgate", "groupLabels": map[string]string{}, "commonLabels": map[string]string{"service": "checkout-api"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093", "truncatedAlerts": 0, "alerts": alerts})
	return body
}

// rawSignals inserts the signal rows of the notifications sent (decoded, as
// fixgate stores them: dedup key, fingerprint, status, labels, times, env,
// ci) into a fresh database with the same schema, one transaction per
// notification, with each database's fastest plain insert (prepared
// single-row INSERT on SQLite, one multi-row INSERT on PostgreSQL). It
// returns rows per second.
func rawSignals(ctx context.Context, db string, sent [][]byte) (float64, error) {
	st, done, err := openFresh(ctx, db)
	if err != nil {
		return 0, err
	}
	defer done()
	sqlite := st.Dialect() == store.SQLite
	var ps []*alertmanager.Payload
	for _, b := range sent {
		p, err := alertmanager.Parse(b)
		if err != nil {
			return 0, err
		}
		ps = append(ps, p)
	}
	const head = `INSERT INTO signals (dedup_key, fingerprint, status, labels, starts_at, ends_at, received_at, env, ci) VALUES `
	now := time.Now().UTC().Format(time.RFC3339Nano)
	rows := 0
	t0 := time.Now()
	for _, p := range ps {
		row := func(i int) []any {
			al := p.Alerts[i]
			lb, _ := json.Marshal(al.Labels)
			return []any{alertmanager.DedupKey(al), al.Fingerprint, al.Status, string(lb), al.StartsAt.UTC().Format(time.RFC3339Nano),
				nil, now, store.SignalEnv(al.Labels), store.SignalCI(al.Labels)}
		}
		if err := rawTx(ctx, st.DB(), sqlite, head, 9, len(p.Alerts), row); err != nil {
			return 0, err
		}
		rows += len(p.Alerts)
	}
	return float64(rows) / time.Since(t0).Seconds(), nil
}

// rawTx inserts n rows in one transaction.
func rawTx(ctx context.Context, db *sql.DB, sqlite bool, head string, cols, n int, row func(int) []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if sqlite {
		st, err := tx.PrepareContext(ctx, head+"("+ph(1, cols)+")")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if _, err := st.ExecContext(ctx, row(i)...); err != nil {
				return err
			}
		}
		st.Close()
	} else {
		var b bytes.Buffer
		b.WriteString(head)
		args := make([]any, 0, n*cols)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + ph(len(args)+1, cols) + ")")
			args = append(args, row(i)...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
