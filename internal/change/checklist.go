package change

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
)

// SourcePolicy is the source of a checklist item that the policy's change
// model lists; an item a completed review added has the review's id (PIR-n).
const SourcePolicy = "policy"

// MaxEvidence bounds a tick's evidence note or link.
const MaxEvidence = 2000

// ChecklistEntry is one item of a change's checklist and, when ticked, who
// attested it, when, and the evidence they gave (a note or a link).
type ChecklistEntry struct {
	Item     string     `json:"item"`
	Source   string     `json:"source"` // SourcePolicy, or the PIR-n that added the item
	Ticked   bool       `json:"ticked"`
	TickedBy string     `json:"ticked_by,omitempty"`
	TickedAt *time.Time `json:"ticked_at,omitempty"`
	Evidence string     `json:"evidence,omitempty"`
}

// Checklist is the checklist of one change: the items of its change model
// that apply, each ticked or not. Before the change is approved (it enters
// scheduled) the model's current list applies: the policy's items, then
// the items completed reviews added. When it is approved the list is
// frozen (FrozenAt): items added to the model later do not apply to it.
type Checklist struct {
	Change   string           `json:"change"`
	Model    string           `json:"model"`
	Status   string           `json:"status"`   // the change's status
	Revision int64            `json:"revision"` // the change's revision: send it back to tick
	FrozenAt *time.Time       `json:"frozen_at"`
	FrozenBy string           `json:"frozen_by,omitempty"`
	Items    []ChecklistEntry `json:"items"`
	Missing  []string         `json:"missing"` // items not ticked, in list order
}

// Add appends item from source unless the list holds it already (the
// policy's items come first, so an item a review repeats keeps "policy").
func (cl *Checklist) Add(item, source string) {
	if cl.index(item) < 0 {
		cl.Items = append(cl.Items, ChecklistEntry{Item: item, Source: source})
	}
}

// Freeze replaces the list with the one frozen at approval (items with
// their sources, ticks dropped: ApplyTick them again).
func (cl *Checklist) Freeze(items []ChecklistEntry, at time.Time, by string) {
	cl.Items = nil
	for _, it := range items {
		cl.Add(it.Item, it.Source)
	}
	at = at.UTC()
	cl.FrozenAt, cl.FrozenBy = &at, by
}

// ApplyTick marks item ticked by by at at with evidence. A tick of an item
// the list does not hold (the model changed, or the list was frozen
// without it) is ignored: it attests nothing the change needs.
func (cl *Checklist) ApplyTick(item, by string, at time.Time, evidence string) {
	if i := cl.index(item); i >= 0 {
		at = at.UTC()
		e := &cl.Items[i]
		e.Ticked, e.TickedBy, e.TickedAt, e.Evidence = true, by, &at, evidence
	}
}

// Finish sets Missing from the items and makes the lists non-nil.
func (cl *Checklist) Finish() {
	if cl.Items == nil {
		cl.Items = []ChecklistEntry{}
	}
	cl.Missing = []string{}
	for _, it := range cl.Items {
		if !it.Ticked {
			cl.Missing = append(cl.Missing, it.Item)
		}
	}
}

// Check ticks item as an attestation by by at now, with an optional
// evidence note or link, and returns the ticked entry. Returns Conflict on
// a change in a final state or an item already ticked, and Invalid naming
// "item" for an item the checklist does not hold (or none) and "evidence"
// for evidence longer than MaxEvidence.
func (cl *Checklist) Check(item, by, evidence string, now time.Time) (ChecklistEntry, error) {
	item, evidence = strings.TrimSpace(item), strings.TrimSpace(evidence)
	i, err := cl.find(item)
	if err != nil {
		return ChecklistEntry{}, err
	}
	if len(evidence) > MaxEvidence {
		return ChecklistEntry{}, fault.Field("evidence", "is longer than %d characters", MaxEvidence)
	}
	if e := cl.Items[i]; e.Ticked {
		return ChecklistEntry{}, fault.Conflictf("%q on %s was ticked by %s at %s; uncheck it first to attest it again",
			item, cl.Change, e.TickedBy, e.TickedAt.Format(time.RFC3339))
	}
	cl.ApplyTick(item, by, now, evidence)
	cl.Finish()
	return cl.Items[i], nil
}

// Uncheck withdraws the tick of item and returns the entry as it was.
// Returns Conflict on a change in a final state or an item not ticked, and
// Invalid naming "item" for an item the checklist does not hold.
func (cl *Checklist) Uncheck(item string) (ChecklistEntry, error) {
	item = strings.TrimSpace(item)
	i, err := cl.find(item)
	if err != nil {
		return ChecklistEntry{}, err
	}
	before := cl.Items[i]
	if !before.Ticked {
		return ChecklistEntry{}, fault.Conflictf("%q on %s is not ticked", item, cl.Change)
	}
	cl.Items[i] = ChecklistEntry{Item: before.Item, Source: before.Source}
	cl.Finish()
	return before, nil
}

// find returns the index of item, refusing a change in a final state and
// an item the checklist does not hold.
func (cl *Checklist) find(item string) (int, error) {
	if len(Machine.Allowed(cl.Status)) == 0 {
		return -1, fault.Conflictf("change %s is %s; its checklist can no longer change", cl.Change, cl.Status)
	}
	if item == "" {
		return -1, fault.Field("item", "is required: the text of a checklist item of %s", cl.Change)
	}
	i := cl.index(item)
	if i < 0 {
		return -1, fault.Field("item", "%q is not on the checklist of %s: %s", clip(item, 200), cl.Change, cl.describe())
	}
	return i, nil
}

// describe names the items the checklist holds, and why it holds them.
func (cl *Checklist) describe() string {
	if cl.Model == "" {
		return "the change names no change model, so it has no checklist"
	}
	items := make([]string, len(cl.Items))
	for i, it := range cl.Items {
		items[i] = fmt.Sprintf("%q", it.Item)
	}
	list := "no items"
	if len(items) > 0 {
		list = strings.Join(items, ", ")
	}
	if cl.FrozenAt != nil {
		return fmt.Sprintf("its items (change model %s, frozen when it was approved at %s) are %s", cl.Model, cl.FrozenAt.Format(time.RFC3339), list)
	}
	return fmt.Sprintf("its items (change model %s) are %s", cl.Model, list)
}

func (cl *Checklist) index(item string) int {
	return slices.IndexFunc(cl.Items, func(e ChecklistEntry) bool { return e.Item == item })
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
