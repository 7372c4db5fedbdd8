package api

import (
	"net/http"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

type auditOut = audit.Event

type verifyOut struct {
	OK       bool   `json:"ok"`
	Verified int64  `json:"verified"`
	BrokenAt int64  `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	rt, id := q.Get("record_type"), q.Get("record_id")
	if rt == "" {
		return fault.Field("record_type", "is required")
	}
	if id == "" {
		return fault.Field("record_id", "is required")
	}
	p, err := pageLimitOnly(r)
	if err != nil {
		return err
	}
	evs, err := s.store.AuditEventsFor(r.Context(), rt, id, p.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, List[audit.Event]{Items: evs})
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	n, b, err := s.store.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	out := verifyOut{OK: b == nil, Verified: n}
	if b != nil {
		out.BrokenAt, out.Reason = b.Seq, b.Reason
	}
	return writeJSON(w, http.StatusOK, out)
}

// latestCheckpoint serves the latest signed audit checkpoint as a C2SP
// signed note (text/plain), for auditors and witnesses to keep outside the
// database; 404 until the server (serve --audit-key) signed one.
func (s *Server) latestCheckpoint(w http.ResponseWriter, r *http.Request, c *call) error {
	signed, err := s.store.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(signed)
	return err
}
