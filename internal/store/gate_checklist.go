package store

import (
	"encoding/json"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

// checklist returns the statement of the gate's second list that reads the
// checklist of the change the first list found into in.Change (rule
// checklist): none without a change or a change model.
func (g *gatherer) checklist(in *gate.Input, pol *policy.Policy) []readStmt {
	c := in.Change
	if c == nil {
		return nil
	}
	c.Checklist = []gate.ChecklistItem{}
	if c.Model == "" {
		return nil
	}
	id, err := ident.Change.Parse("change", c.ID)
	if err != nil {
		return nil
	}
	cl := &change.Checklist{Change: c.ID, Model: c.Model}
	policyItems(cl, pol)
	c.Checklist = cl.Items
	return []readStmt{checklistRead(id, cl, func() { c.Checklist, c.ChecklistFrozenAt = cl.Items, cl.FrozenAt })}
}

// policyItems adds the items the policy's change model cl.Model lists.
func policyItems(cl *change.Checklist, pol *policy.Policy) {
	cl.Items = []change.ChecklistEntry{}
	if pol == nil {
		return
	}
	for _, it := range pol.ChangeModels[cl.Model].Checklist {
		cl.Add(it, change.SourcePolicy)
	}
}

// checklistRead reads the rest of the checklist of change id (model
// cl.Model) into cl, which holds the policy's items: the list frozen when
// the change was approved (it replaces them), else the items completed
// reviews added to the model, in the order they were added; then the
// change's ticks. One statement, three indexed reads; after runs after
// each row.
func checklistRead(id int64, cl *change.Checklist, after func()) readStmt {
	return readStmt{`SELECT 0, 0, items, frozen_by, frozen_at, '', 0 FROM change_checklist_frozen WHERE change_id = $1
		UNION ALL SELECT 1, id, item, added_by, added_at, '', pir_id FROM change_model_checklist WHERE model = $2
		UNION ALL SELECT 2, 0, item, ticked_by, ticked_at, evidence, 0 FROM change_checklist_ticks WHERE change_id = $1
		ORDER BY 1, 2`, []any{id, cl.Model}, func(sc rowScanner) error {
		var kind int
		var seq, pirID int64
		var text, who, evidence string
		var at time.Time
		if err := sc.Scan(&kind, &seq, &text, &who, timeCol{&at}, &evidence, &pirID); err != nil {
			return err
		}
		switch {
		case kind == 0:
			var items []change.ChecklistEntry
			if err := json.Unmarshal([]byte(text), &items); err != nil {
				return err
			}
			cl.Freeze(items, at, who)
		case kind == 1 && cl.FrozenAt == nil:
			cl.Add(text, ident.PIR.Format(pirID))
		case kind == 2:
			cl.ApplyTick(text, who, at, evidence)
		}
		after()
		return nil
	}}
}
