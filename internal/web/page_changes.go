package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// Changes: the list (GET /changes, newest first, by status and type) and
// one change (GET /changes/{id}): its state, model, risk, window, release,
// deviations, its approvals and CAB decisions (which of them count), and
// its checklist with each item's tick, whether the list is frozen, and for
// a person who may tick the tick and untick forms. Ticking is
// page_changes_checklist.go.

// changeWorkers may tick and untick checklist items: the roles of POST
// /api/v1/changes/{id}/checklist (the API's changeRW).
var changeWorkers = []auth.Role{auth.ReleaseManager, auth.Engineer, auth.ProblemManager, auth.Admin}

// changesPageSize is one page of the change list.
const changesPageSize = 50

type changeListData struct {
	Changes  []change.Change
	Status   string
	Type     string
	Statuses []string
	Types    []string
	Next     string
}

func (s *Server) changeList(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := changeListData{Status: q.Get("status"), Type: q.Get("type"), Statuses: change.Machine.States(), Types: change.Types}
	if d.Status != "" && !change.Machine.Known(d.Status) {
		return fault.Field("status", "unknown change state %q", d.Status)
	}
	if d.Type != "" && !slices.Contains(change.Types, d.Type) {
		return fault.Field("type", "unknown change type %q", d.Type)
	}
	before, err := cursor(q.Get("before"), ident.Change)
	if err != nil {
		return err
	}
	f := store.ChangeFilter{Status: d.Status, Type: d.Type, Page: store.Page{Limit: changesPageSize}}
	if d.Changes, err = s.store.RecentChanges(r.Context(), f, before); err != nil {
		return err
	}
	if n := len(d.Changes); n == changesPageSize {
		next := url.Values{"before": {d.Changes[n-1].ID}}
		for k, val := range map[string]string{"status": d.Status, "type": d.Type} {
			if val != "" {
				next.Set(k, val)
			}
		}
		d.Next = "/changes?" + next.Encode()
	}
	return s.render(w, r, v, http.StatusOK, "changes.html", "Changes", d)
}

// changeData is what change.html shows.
type changeData struct {
	Change    change.Change
	Release   *release.Release // nil when the change names none
	Checklist change.Checklist
	Items     []checklistRow
	Approvals []approvalRow
	Counting  approval.Verdict
	// MayEdit: the viewer holds a role of the tick forms; Refusal: why
	// separation of duties refuses them a tick (they may still untick);
	// Final: the change is closed, failed or canceled and its list no
	// longer changes.
	MayEdit bool
	Refusal string
	Final   bool
	Roles   string        // the roles that may tick, for the viewers who may not
	Form    tickForm      // the posted form, kept when it is answered with an error
	Changed []audit.Event // after a stale form: what changed since its revision
}

// checklistRow is a checklist item with its evidence as a link when it is one.
type checklistRow struct {
	change.ChecklistEntry
	Link string // the evidence when it is an http(s) URL
}

func (s *Server) changePage(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := ident.Change.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := s.loadChange(r.Context(), v, id)
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "change.html", d.Change.ID+" "+d.Change.Title, d)
}

// loadChange reads everything change.html shows of change id for v.
func (s *Server) loadChange(ctx context.Context, v *visit, id int64) (*changeData, error) {
	c, err := s.store.GetChange(ctx, id)
	if err != nil {
		return nil, err
	}
	pol, _, err := s.cfg.Policy(ctx)
	if err != nil {
		return nil, err
	}
	d := &changeData{Change: c, Final: len(change.Machine.Allowed(c.Status)) == 0, MayEdit: s.allows(v, "POST /changes/{id}/checklist/check"),
		Roles: strings.ReplaceAll(joinRoles(changeWorkers), ",", ", ")}
	if d.Checklist, err = s.store.ChangeChecklist(ctx, id, pol); err != nil {
		return nil, err
	}
	for _, it := range d.Checklist.Items {
		d.Items = append(d.Items, checklistRow{ChecklistEntry: it, Link: evidenceLink(it.Evidence)})
	}
	if c.Release != "" {
		n, err := ident.Release.Parse("release", c.Release)
		if err != nil {
			return nil, err
		}
		rel, err := s.store.GetRelease(ctx, n)
		if err != nil {
			return nil, err
		}
		d.Release = &rel
	}
	if err := s.loadChangeApprovals(ctx, d); err != nil {
		return nil, err
	}
	if d.MayEdit && !d.Final && len(d.Checklist.Missing) > 0 {
		if err := s.store.MayTickChecklist(ctx, v.actor.User, id); err != nil {
			if fault.CodeOf(err) != fault.Forbidden {
				return nil, err
			}
			d.Refusal = fault.As(err).Message
		}
	}
	return d, nil
}

// loadChangeApprovals fills the change's decisions (in or out of a CAB
// meeting) and which of them count now (store.ApprovalVerdict).
func (s *Server) loadChangeApprovals(ctx context.Context, d *changeData) error {
	c := d.Change
	all, err := s.store.ListApprovals(ctx, store.ApprovalFilter{Record: c.ID, Page: store.Page{Limit: store.MaxLimit}})
	if err != nil {
		return err
	}
	if d.Counting, err = s.store.ApprovalVerdict(ctx, c.ID); err != nil {
		return err
	}
	for _, a := range all {
		d.Approvals = append(d.Approvals, decisionRow(a, d.Counting, c.Revision, c.Fingerprint(), "the change"))
	}
	return nil
}

// decisionRow says whether decision a counts now for a record at revision
// rev with content fingerprint content (what names the record).
func decisionRow(a approval.Approval, cur approval.Verdict, rev int64, content, what string) approvalRow {
	is := func(x approval.Approval) bool { return x.ID == a.ID }
	switch {
	case slices.ContainsFunc(cur.Approvals, is) || slices.ContainsFunc(cur.Rejection, is):
		return approvalRow{Approval: a, State: "counts", Class: "ok"}
	case !approval.Binds(a.RecordRevision, a.RecordContent, rev, content):
		return approvalRow{Approval: a, State: "stale: " + what + " was edited since", Class: "warn"}
	}
	return approvalRow{Approval: a, State: "superseded by the approver's later decision", Class: "muted"}
}

// evidenceLink returns evidence when it is a single http(s) URL, else "".
func evidenceLink(evidence string) string {
	if strings.ContainsAny(evidence, " \t\n") {
		return ""
	}
	u, err := url.Parse(evidence)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return evidence
}
