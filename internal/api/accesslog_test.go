package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestAccessLogLine: one JSON line per request with the route pattern (not
// the path), status, request id and the authenticated actor.
func TestAccessLogLine(t *testing.T) {
	ta := newTestAPI(t)
	var buf lockedBuffer
	srv := New(Config{Store: ta.store, DataDir: t.TempDir(), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	h := httptest.NewServer(srv.Handler())
	defer h.Close()
	get := func(path, tok, reqID string) {
		req, _ := http.NewRequest("GET", h.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.Header.Set("X-Request-Id", reqID)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	get("/api/v1/problems/PRB-77", ta.tokens["pm"], "req-a")
	get("/healthz", "", "req-b")
	get("/nowhere", "", "req-c")
	want := []map[string]any{
		{"method": "GET", "route": "GET /api/v1/problems/{id}", "status": 404.0, "request_id": "req-a", "actor": "pm"},
		{"method": "GET", "route": "GET /healthz", "status": 200.0, "request_id": "req-b", "actor": ""},
		{"method": "GET", "route": "unmatched", "status": 404.0, "request_id": "req-c", "actor": ""},
	}
	sc := bufio.NewScanner(bytes.NewReader(buf.b.Bytes()))
	var got []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if m["msg"] == "request" {
			got = append(got, m)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d access lines, want %d: %s", len(got), len(want), buf.b.String())
	}
	for i, w := range want {
		for k, v := range w {
			if got[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[i][k], v)
			}
		}
		if _, ok := got[i]["duration"]; !ok {
			t.Errorf("line %d has no duration", i)
		}
	}
}
