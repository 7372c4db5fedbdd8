package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Reads of the web UI's change pages (internal/web/page_changes*.go): the
// newest changes first, and whether a person may tick a change's checklist
// (the rule CheckChangeItem applies, asked before the form is shown).

// RecentChanges returns changes newest first (id descending) before id
// before (0: from the newest), at most f.Limit, filtered by f's status,
// type, release and environment (f.After is ignored). A status filter
// reads the index changes(status, id).
func (s *Store) RecentChanges(ctx context.Context, f ChangeFilter, before int64) ([]change.Change, error) {
	f.Page = f.Page.Norm()
	if before <= 0 {
		before = maxID
	}
	return s.listChanges(ctx, f, "id < ?", before, "id DESC")
}

// MayTickChecklist returns nil when user may tick items of change id's
// checklist as far as separation of duties goes (the check CheckChangeItem
// makes: someone who approved the change or its release does not attest
// its items), else the Forbidden refusal CheckChangeItem would give, with
// its rule. Nothing is written: the page explains the refusal before the
// form is sent; CheckChangeItem still decides. Returns NotFound.
func (s *Store) MayTickChecklist(ctx context.Context, user string, id int64) error {
	return s.snapshot(ctx, func(tx *Tx) error {
		c, _, err := scanChange(tx.queryRow(ctx, `SELECT `+changeCols+` FROM changes WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("change %s not found", ident.Change.Format(id))
		}
		if err != nil {
			return err
		}
		return tx.checklistSoD(ctx, user, c)
	})
}
