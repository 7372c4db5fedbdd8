// Package testbin starts the real Prometheus and Alertmanager for
// integration tests (the Debian packages prometheus and
// prometheus-alertmanager, which .ci/run installs), each on a free loopback
// port with its own configuration and storage in a temporary directory,
// stopped when the test ends.
//
// Need decides what a missing binary means: the test is skipped, unless
// CI=true or FIXGATE_INTEGRATION=1, where it fails.
package testbin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binaries of the Debian packages.
const (
	Prometheus   = "prometheus"
	Alertmanager = "prometheus-alertmanager"
)

// Need returns the path of each binary named. A missing one skips the test,
// unless CI=true or FIXGATE_INTEGRATION=1: then the test fails.
func Need(t testing.TB, bins ...string) []string {
	t.Helper()
	var out []string
	for _, b := range bins {
		p, err := exec.LookPath(b)
		if err != nil {
			if os.Getenv("CI") == "true" || os.Getenv("FIXGATE_INTEGRATION") == "1" {
				t.Fatalf("%s is not installed (CI=true or FIXGATE_INTEGRATION=1): apt-get install prometheus prometheus-alertmanager jq (.ci/run does)", b)
			}
			t.Skipf("%s is not installed (apt-get install prometheus prometheus-alertmanager); FIXGATE_INTEGRATION=1 makes this a failure", b)
		}
		out = append(out, p)
	}
	return out
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitFor polls cond every 50 ms until it holds or limit passes (then the test fails).
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer collects a daemon's output while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Daemon runs bin with args (a Prometheus-family server listening on
// addr), kills it when the test ends (logging its output if the test
// failed) and waits until its /-/ready answers 200; it returns the base URL.
func Daemon(t testing.TB, name, bin, addr string, args ...string) string {
	t.Helper()
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, logs.String())
		}
	})
	base := "http://" + addr
	WaitFor(t, 30*time.Second, name+" is ready", func() bool {
		select {
		case <-done:
			t.Fatalf("%s exited:\n%s", name, logs.String())
		default:
		}
		res, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return base
}

// StartPrometheus runs Prometheus scraping each target (host:port, path
// /metrics, job "app") every second and returns its base URL.
func StartPrometheus(t testing.TB, bin string, targets ...string) string {
	t.Helper()
	return StartPrometheusWith(t, bin, Scrape{Targets: targets})
}

// Scrape is the one scrape job StartPrometheusWith configures.
type Scrape struct {
	Job     string   // job_name; "app" when empty
	Token   string   // bearer token sent with each scrape; none when empty
	Targets []string // host:port, path /metrics
}

// StartPrometheusWith runs Prometheus scraping s every second and returns
// its base URL.
func StartPrometheusWith(t testing.TB, bin string, s Scrape) string {
	t.Helper()
	dir := t.TempDir()
	job := s.Job
	if job == "" {
		job = "app"
	}
	quoted := make([]string, len(s.Targets))
	for i, tg := range s.Targets {
		quoted[i] = strconv.Quote(tg)
	}
	var auth string
	if s.Token != "" {
		auth = fmt.Sprintf("    authorization:\n      type: Bearer\n      credentials: %q\n", s.Token)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: %q\n%s    static_configs:\n      - targets: [%s]\n",
		job, auth, strings.Join(quoted, ", "))
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	return Daemon(t, "prometheus", bin, addr, "--config.file="+path, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
}

// StartAlertmanager runs Alertmanager with one webhook receiver posting to
// hook with a bearer token (as an operator configures fixgate's
// /api/v1/hooks/alertmanager), grouping by alertname with waits of 1 s
// and resends every 2 s, and returns its base URL.
func StartAlertmanager(t testing.TB, bin, hook, token string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: fixgate
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: fixgate
    webhook_configs:
      - url: %q
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %q
`, hook, token)
	path := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	return Daemon(t, "alertmanager", bin, addr, "--config.file="+path, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
}

// PostAlert posts one alert to Alertmanager's API v2 (endsAt zero: firing).
func PostAlert(t testing.TB, base string, labels map[string]string, startsAt, endsAt time.Time) {
	t.Helper()
	a := map[string]any{"labels": labels, "annotations": map[string]string{"summary": "integration test alert"},
		"startsAt": startsAt.Format(time.RFC3339Nano), "generatorURL": "http://prometheus.invalid/graph"}
	if !endsAt.IsZero() {
		a["endsAt"] = endsAt.Format(time.RFC3339Nano)
	}
	body, _ := json.Marshal([]any{a})
	res, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST %s/api/v2/alerts: %s", base, res.Status)
	}
}

// Query runs an instant PromQL query and returns the first sample's value;
// false when there is none or Prometheus did not answer.
func Query(base, q string) (float64, bool) {
	res, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(res.Body).Decode(&out) != nil || len(out.Data.Result) == 0 {
		return 0, false
	}
	s, _ := out.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
