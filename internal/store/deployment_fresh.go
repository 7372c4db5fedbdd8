package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// freshTables maps the id prefixes of the gate input whose edits change
// the verdict (a release's content voids its approvals, a change's window,
// an environment's freeze, a problem's state) to their table and key.
var freshTables = map[string]struct{ table, key string }{
	"REL-": {"releases", "id"},
	"CHG-": {"changes", "id"},
	"PRB-": {"problems", "id"},
	"env:": {"environments", "name"},
}

// checkInputsCurrent refuses a start whose gate evaluation read a release,
// change, problem or environment that has changed since: the deployment
// must run on what the gate judged. It runs in the start's write
// transaction, so nothing can change between the check and the insert
// (SQLite serialises writers; on PostgreSQL the rows are read FOR SHARE).
// Returns PreconditionFailed naming the records that changed.
func (tx *Tx) checkInputsCurrent(ctx context.Context, revs map[string]int64) error {
	var changed []string
	for id, rev := range revs {
		for prefix, t := range freshTables {
			if !strings.HasPrefix(id, prefix) {
				continue
			}
			var key any = strings.TrimPrefix(id, prefix)
			if prefix != "env:" {
				k, _ := ident.KindOf(id)
				n, err := k.Parse("id", id)
				if err != nil {
					return err
				}
				key = n
			}
			q := `SELECT rev FROM ` + t.table + ` WHERE ` + t.key + ` = $1`
			if tx.dialect == Postgres {
				q += ` FOR SHARE`
			}
			var cur int64
			err := tx.queryRow(ctx, q, key).Scan(&cur)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if cur != rev {
				changed = append(changed, id)
			}
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Strings(changed)
	return fault.New(fault.PreconditionFailed, "%s changed after the gate evaluated them; start again so the gate judges what runs",
		strings.Join(changed, ", "))
}

// checkEvaluationCurrent is checkInputsCurrent for the stored evaluation
// gateID (GATE-n): a promotion runs on what the gate judged just before it.
func (tx *Tx) checkEvaluationCurrent(ctx context.Context, gateID string) error {
	n, err := ident.Gate.Parse("gate", gateID)
	if err != nil {
		return err
	}
	revs := map[string]int64{}
	if err := tx.queryRow(ctx, `SELECT input_revisions FROM gate_evaluations WHERE id = $1`, n).Scan(jsonCol{&revs}); err != nil {
		return err
	}
	return tx.checkInputsCurrent(ctx, revs)
}
