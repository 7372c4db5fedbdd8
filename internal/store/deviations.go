package store

import (
	"context"
	"strconv"

	"fixgate/internal/change"
	"fixgate/internal/ident"
)

// DeviationSoD is the step a separation-of-duties bypass skips (gate rule 7).
const DeviationSoD = "separation_of_duties"

// DeviationRecord is one deviation of a change, with the change's context:
// the report of standard steps skipped, why, and who approved it.
type DeviationRecord struct {
	ID string `json:"id"` // CHG-n#i, i from 1 in recording order
	change.Deviation
	Change      string `json:"change"`
	ChangeType  string `json:"change_type"`
	Release     string `json:"release,omitempty"`
	Env         string `json:"env,omitempty"`
	RequestedBy string `json:"requested_by"`
	Status      string `json:"change_status"`
}

// DeviationFilter selects deviations: Step, when set, is the step skipped
// (DeviationSoD for the separation-of-duties bypasses). Paging is by
// change: After is a change id, and every deviation of a change is on the
// same page.
type DeviationFilter struct {
	Step string
	Page
}

// ListDeviations returns the deviations of changes after f.After, in change
// id then recording order, from at most f.Limit changes, and the change id
// to continue after (0 on the last page).
func (s *Store) ListDeviations(ctx context.Context, f DeviationFilter) ([]DeviationRecord, int64, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	w.add("deviations <> ?", "[]")
	if f.Step != "" {
		// a cheap pre-filter on the JSON text; the exact match is below
		w.add("deviations LIKE ?", "%"+f.Step+"%") // _ and % only widen it
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+changeCols+` FROM changes`+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, 0, errf(err, "list deviations")
	}
	defer rows.Close()
	out := []DeviationRecord{}
	var last int64
	scanned := 0
	for rows.Next() {
		scanned++
		c, id, err := scanChange(rows)
		if err != nil {
			return nil, 0, errf(err, "scan change")
		}
		last = id
		for i, d := range c.Deviations {
			if f.Step != "" && d.StepSkipped != f.Step {
				continue
			}
			out = append(out, DeviationRecord{ID: c.ID + "#" + strconv.Itoa(i+1), Deviation: d, Change: c.ID, ChangeType: c.Type,
				Release: c.Release, Env: c.Env, RequestedBy: c.RequestedBy, Status: c.Status})
		}
	}
	if scanned < f.Limit {
		last = 0
	}
	return out, last, errf(rows.Err(), "list deviations")
}

// sodDeviation returns the id of an approved separation-of-duties deviation
// covering now on change (CHG-n) or, for a release (REL-n), on one of its
// open changes; "" if there is none.
func (tx *Tx) sodDeviation(ctx context.Context, recordType, record string) (string, error) {
	q := `SELECT ` + changeCols + ` FROM changes WHERE id = $1`
	var arg any
	if recordType == "change" {
		arg, _ = ident.Change.Parse("record", record)
	} else {
		q = `SELECT ` + changeCols + ` FROM changes WHERE release_id = $1 AND status NOT IN ('closed', 'canceled', 'failed') ORDER BY id`
		arg, _ = ident.Release.Parse("record", record)
	}
	rows, err := tx.query(ctx, q, arg)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		c, _, err := scanChange(rows)
		if err != nil {
			return "", err
		}
		for i, d := range c.Deviations {
			if d.StepSkipped == DeviationSoD && d.ApprovedBy != "" && d.Reason != "" && d.Covers(tx.now) {
				return c.ID + "#" + strconv.Itoa(i+1), nil
			}
		}
	}
	return "", rows.Err()
}
