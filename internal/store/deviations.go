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
	// Problem is set, and the change fields are empty, for a problem's
	// deviation (a hand move to resolved: DeviationProductionFix).
	Problem string `json:"problem,omitempty"`
}

// DeviationFilter selects deviations: Step, when set, is the step skipped
// (DeviationSoD for the separation-of-duties bypasses). Paging is by
// change: After is a change id, and every deviation of a change is on the
// same page.
type DeviationFilter struct {
	Step string
	// Record "problem" lists the deviations of problems instead (paged by
	// resolution id); "" or "change" those of changes.
	Record string
	Page
}

// ListDeviations returns the deviations of changes after f.After, in change
// id then recording order, from at most f.Limit changes, and the change id
// to continue after (0 on the last page).
func (s *Store) ListDeviations(ctx context.Context, f DeviationFilter) ([]DeviationRecord, int64, error) {
	f.Page = f.Page.Norm()
	if f.Record == "problem" {
		return s.listProblemDeviations(ctx, f)
	}
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

// listProblemDeviations returns the deviations of problems (hand moves to
// resolved) with id after f.After, at most f.Limit, in recording order, and
// the id to continue after (0 on the last page). Their ID is PRB-n#id.
func (s *Store) listProblemDeviations(ctx context.Context, f DeviationFilter) ([]DeviationRecord, int64, error) {
	out := []DeviationRecord{}
	if f.Step != "" && f.Step != DeviationProductionFix {
		return out, 0, nil
	}
	var w filter
	w.add("kind = ?", ResolvedByDeviation)
	w.add("id > ?", f.After)
	rows, err := s.db.QueryContext(ctx, problemResolutionSelect+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, 0, errf(err, "list problem deviations")
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		r, err := scanResolution(rows)
		if err != nil {
			return nil, 0, errf(err, "scan problem resolution")
		}
		last = r.ID
		out = append(out, DeviationRecord{ID: r.Problem + "#" + strconv.FormatInt(r.ID, 10), Problem: r.Problem,
			Deviation:   change.Deviation{StepSkipped: DeviationProductionFix, Reason: r.Reason, ApprovedBy: r.ApprovedBy, At: r.At},
			RequestedBy: r.RequestedBy})
	}
	if len(out) < f.Limit {
		last = 0
	}
	return out, last, errf(rows.Err(), "list problem deviations")
}
