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
// The body is streamed: each row is decoded and checked on its own and the
// good ones spooled to a temporary file (spoolImport), then handed to the
// store importBatch rows at a time, so memory holds a batch, not the body.
func (s *Server) importIncidents(w http.ResponseWriter, r *http.Request, c *call) error {
	sp, err := spoolImport(r.Body, "")
	if err != nil {
		return err
	}
	defer sp.Close()
	next, err := sp.batches()
	if err != nil {
		return err
	}
	created, updated, skipped, rowErrs, err := s.store.ImportIncidentBatches(r.Context(), c.actor, func() ([]incident.Incident, error) {
		xs, err := next()
		rows := make([]incident.Incident, len(xs))
		for i, x := range xs {
			rows[i] = incident.Incident{ExternalID: x.ExternalID, Title: x.Title, Source: incident.SourceImport, CI: x.CI, Env: x.Env,
				Severity: x.Severity, Labels: x.Labels, ResolvedAt: x.ResolvedAt}
			if x.OpenedAt != nil {
				rows[i].OpenedAt = *x.OpenedAt
			}
		}
		return rows, err
	})
	if err != nil {
		return err
	}
	out := importOut{Created: created, Updated: updated, Skipped: skipped, Errors: sp.errs}
	for n, e := range rowErrs {
		re := importRowError{Row: sp.idx[n], Error: e.Error()}
		if fe := fault.As(e); fe != nil {
			re.Field, re.Error = fe.Field, fe.Message
		}
		out.Errors = append(out.Errors, re)
	}
	if out.Errors == nil {
		out.Errors = []importRowError{}
	}
	sort.Slice(out.Errors, func(i, j int) bool { return out.Errors[i].Row < out.Errors[j].Row })
	return writeJSON(w, http.StatusOK, out)
}
