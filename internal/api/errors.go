package api

import (
	"errors"
	"log/slog"
	"net/http"

	"fixgate/internal/fault"
)

// statusOf is the one table mapping error codes to HTTP statuses.
var statusOf = map[fault.Code]int{
	fault.Invalid:            http.StatusBadRequest,
	fault.Unauthorized:       http.StatusUnauthorized,
	fault.Forbidden:          http.StatusForbidden,
	fault.NotFound:           http.StatusNotFound,
	fault.Conflict:           http.StatusConflict,
	fault.PreconditionFailed: http.StatusPreconditionFailed,
	fault.TooLarge:           http.StatusRequestEntityTooLarge,
	fault.MethodNotAllowed:   http.StatusMethodNotAllowed,
	fault.Unavailable:        http.StatusServiceUnavailable,
	fault.Internal:           http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem detail. Field names the input at fault.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Code      string         `json:"code"`
	Field     string         `json:"field,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
}

// writeError answers err as application/problem+json. Internal errors are
// logged and answered without their detail.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := fault.CodeOf(err)
	status := statusOf[code]
	p := Problem{Type: "about:blank", Status: status, Code: string(code), Title: http.StatusText(status),
		Detail: err.Error(), Instance: r.URL.Path, RequestID: requestID(r)}
	if fe := fault.As(err); fe != nil {
		p.Field, p.Extra = fe.Field, fe.Extra
		p.Detail = fe.Message
		if fe.Field != "" {
			p.Detail = fe.Field + ": " + fe.Message
		}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		p.Status, p.Code, p.Title = http.StatusRequestEntityTooLarge, string(fault.TooLarge), http.StatusText(http.StatusRequestEntityTooLarge)
	}
	if code == fault.Internal {
		slog.Error("internal error", "err", err, "path", r.URL.Path, "request_id", p.RequestID)
		p.Detail = "internal error; the server log has the details (request " + p.RequestID + ")"
	}
	if code == fault.Unavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	writeJSONBody(w, p)
}

// StatusOf returns the HTTP status for err's code, from the same table the
// API answers with; the pages use it too.
func StatusOf(err error) int {
	return statusOf[fault.CodeOf(err)]
}
