package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// accessEntry is what the access log learns while a request is served: the
// handler that authenticates the caller records the actor here.
type accessEntry struct{ actor string }

const accessKey ctxKey = 2

// noteActor records the authenticated user for the request's access-log line.
func noteActor(r *http.Request, user string) {
	if e, ok := r.Context().Value(accessKey).(*accessEntry); ok {
		e.actor = user
	}
}

// NoteActor records the user a page request acts for, for its access-log
// line (internal/web calls it once it has read the session).
func NoteActor(r *http.Request, user string) { noteActor(r, user) }

// RequestID returns the request's id (X-Request-Id, or the one generated).
func RequestID(r *http.Request) string { return requestID(r) }

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog counts every request in the metrics and writes one line per request after it is served: method, the
// route pattern that matched (never the raw path, which may hold ids in
// any number), status, duration, request id and the authenticated actor.
// It must run inside withRequestID, on the request the mux sees, so that
// the mux's Pattern is visible afterwards.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e := &accessEntry{}
		r = r.WithContext(context.WithValue(r.Context(), accessKey, e))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			status, took := max(sw.status, 200), time.Since(start)
			s.metrics.Request(r.Method, route, status, took)
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
				slog.Duration("duration", took), slog.String("request_id", requestID(r)), slog.String("actor", e.actor))
		}()
		next.ServeHTTP(sw, r)
	})
}
