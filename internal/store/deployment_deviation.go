package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// deviationChange reads r.Deviation (CHG-n#i), normalises it and sets
// r.Change from it when empty; it returns i. A deviation of another change
// than r.Change is Invalid naming "deviation".
func deviationChange(r *StartRequest) (int, error) {
	if r.Deviation == "" {
		return 0, nil
	}
	chg, num, ok := strings.Cut(r.Deviation, "#")
	i, err := strconv.Atoi(num)
	if !ok || err != nil || i < 1 {
		return 0, fault.Field("deviation", "%q is not a deviation id CHG-n#i (the i-th deviation that `fixgate change show CHG-n` lists)", r.Deviation)
	}
	n, err := ident.Change.Parse("deviation", chg)
	if err != nil {
		return 0, err
	}
	r.Deviation = ident.Change.Format(n) + "#" + strconv.Itoa(i)
	if r.Change == "" {
		r.Change = ident.Change.Format(n)
	} else if m, err := ident.Change.Parse("change", r.Change); err != nil || m != n {
		return 0, fault.Field("deviation", "%s is a deviation of %s, not of %s", r.Deviation, ident.Change.Format(n), r.Change)
	}
	return i, nil
}

// checkStartDeviation checks that deviation i of change chg exists, is
// approved and covers now; the gate honours it when the rule it names
// fails (its line is a warning then).
func (s *Store) checkStartDeviation(ctx context.Context, id, chg string, i int) error {
	if id == "" {
		return nil
	}
	n, _ := ident.Change.Parse("change", chg)
	c, _, err := scanChange(s.db.QueryRowContext(ctx, `SELECT `+changeCols+` FROM changes WHERE id = $1`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return fault.Field("deviation", "change %s does not exist", chg)
	}
	if err != nil {
		return errf(err, "deviation")
	}
	if i > len(c.Deviations) {
		return fault.Field("deviation", "%s has %d deviation(s); %s does not exist", chg, len(c.Deviations), id)
	}
	dv := c.Deviations[i-1]
	if dv.ApprovedBy == "" {
		return fault.Field("deviation", "%s is not approved", id)
	}
	if !dv.Covers(s.Now()) {
		return fault.Field("deviation", "%s does not cover now (its period is over or has not begun)", id)
	}
	return nil
}
