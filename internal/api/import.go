package api

import (
	"net/http"
	"sort"

	"fixgate/internal/fault"
	"fixgate/internal/importer"
	"fixgate/internal/incident"
)

// MaxImportRows bounds the rows of one import request (the CLI sends 1,000).
const MaxImportRows = 5000

type importIn struct {
	Rows []importer.Row `json:"rows"`
}

// importRowError is one row the server did not import; Row is its index in rows (0-based).
type importRowError struct {
	Row   int    `json:"row"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

type importOut struct {
	Created int              `json:"created"`
	Updated int              `json:"updated"`
	Skipped int              `json:"skipped"` // unchanged rows (a re-import)
	Errors  []importRowError `json:"errors"`
}

// importIncidents upserts a batch of incidents by external_id in one
// transaction: bad rows are reported by index and skipped, good rows land.
func (s *Server) importIncidents(w http.ResponseWriter, r *http.Request, c *call) error {
	var in importIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if len(in.Rows) == 0 {
		return fault.Field("rows", "is empty: send at least one row")
	}
	if len(in.Rows) > MaxImportRows {
		return fault.Field("rows", "has %d rows: send at most %d per request", len(in.Rows), MaxImportRows)
	}
	rows := make([]incident.Incident, len(in.Rows))
	for i, x := range in.Rows {
		rows[i] = incident.Incident{ExternalID: x.ExternalID, Title: x.Title, Source: incident.SourceImport, CI: x.CI, Env: x.Env,
			Severity: x.Severity, Labels: x.Labels, ResolvedAt: x.ResolvedAt}
		if x.OpenedAt != nil {
			rows[i].OpenedAt = *x.OpenedAt
		}
	}
	created, updated, skipped, rowErrs, err := s.store.ImportIncidents(r.Context(), c.actor, rows)
	if err != nil {
		return err
	}
	out := importOut{Created: created, Updated: updated, Skipped: skipped, Errors: []importRowError{}}
	for n, e := range rowErrs {
		re := importRowError{Row: n, Error: e.Error()}
		if fe := fault.As(e); fe != nil {
			re.Field, re.Error = fe.Field, fe.Message
		}
		out.Errors = append(out.Errors, re)
	}
	sort.Slice(out.Errors, func(i, j int) bool { return out.Errors[i].Row < out.Errors[j].Row })
	return writeJSON(w, http.StatusOK, out)
}
