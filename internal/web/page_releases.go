package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// Releases: the list (GET /releases) and one release (GET /releases/{id})
// with the gate's verdict for each environment (a dry run: nothing is
// recorded), its approvals and who may still decide, its notes, artifacts
// and deployments. Deciding is page_releases_decide.go.

// releasesPageSize is one page of the release list.
const releasesPageSize = 50

type releaseListData struct {
	Releases []release.Release
	Status   string
	Type     string
	Problem  string
	Statuses []string
	Types    []string
	Next     string
}

func (s *Server) releaseList(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := releaseListData{Status: q.Get("status"), Type: q.Get("type"), Problem: q.Get("problem"),
		Statuses: release.Machine.States(), Types: release.Types}
	f := store.ReleaseFilter{Status: d.Status, Type: d.Type, Page: store.Page{Limit: releasesPageSize}}
	if f.Status != "" && !release.Machine.Known(f.Status) {
		return fault.Field("status", "unknown release state %q", f.Status)
	}
	if f.Type != "" && !slices.Contains(release.Types, f.Type) {
		return fault.Field("type", "unknown release type %q", f.Type)
	}
	var err error
	if d.Problem != "" {
		if f.Problem, err = ident.Problem.Parse("problem", d.Problem); err != nil {
			return err
		}
	}
	before, err := cursor(q.Get("before"), ident.Release)
	if err != nil {
		return err
	}
	if d.Releases, err = s.store.RecentReleases(r.Context(), f, before); err != nil {
		return err
	}
	if n := len(d.Releases); n == releasesPageSize {
		next := url.Values{"before": {d.Releases[n-1].ID}}
		for k, val := range map[string]string{"status": d.Status, "type": d.Type, "problem": d.Problem} {
			if val != "" {
				next.Set(k, val)
			}
		}
		d.Next = "/releases?" + next.Encode()
	}
	return s.render(w, r, v, http.StatusOK, "releases.html", "Releases", d)
}

// cursor parses a list cursor: a record id of kind k ("" is 0).
func cursor(s string, k ident.Kind) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return k.Parse("cursor", s)
}

// releaseData is what release.html shows.
type releaseData struct {
	Release     release.Release
	Gates       []verdictView
	MoreEnvs    bool
	Approvals   []approvalRow
	Counting    approval.Verdict
	Decide      decideForm
	Evidence    releaseEvidence // notes, artifacts, RCA documents, legal hold (page_releases_evidence.go)
	Deployments []releaseDeploymentRow
	DepsPager   pagerLink
	Changed     []audit.Event // after a stale form: what changed since its revision
}

// approvalRow is one decision with whether it counts now.
type approvalRow struct {
	approval.Approval
	State string // "counts", "superseded", "stale"
	Class string
}

// decideForm is the approve/reject form, or why the viewer cannot decide.
type decideForm struct {
	Allowed  bool
	Refusal  string   // the domain's reason when not allowed
	Roles    []string // approving roles the viewer holds (a choice when more than one)
	Revision int64
	Comment  string
}

// maxGateEnvs bounds the environments judged on a release page; the policy
// page's dry run answers for any other.
const maxGateEnvs = 20

// deploymentsPageSize is one page of a release's deployments.
const deploymentsPageSize = 20

func (s *Server) releasePage(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := ident.Release.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := s.loadRelease(r.Context(), r, v, id)
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "release.html", d.Release.ID+" "+d.Release.Version, d)
}

// loadRelease reads everything release.html shows of release id for v.
func (s *Server) loadRelease(ctx context.Context, r *http.Request, v *visit, id int64) (*releaseData, error) {
	rel, err := s.store.GetRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &releaseData{Release: rel}
	if d.Gates, d.MoreEnvs, err = s.releaseGates(ctx, id, v); err != nil {
		return nil, err
	}
	if err := s.loadApprovals(ctx, v, d); err != nil {
		return nil, err
	}
	if err := s.loadEvidence(ctx, v, d); err != nil {
		return nil, err
	}
	after, err := cursor(r.URL.Query().Get("deployments_after"), ident.Deployment)
	if err != nil {
		return nil, err
	}
	deps, err := s.store.ListDeployments(ctx, store.DeploymentFilter{Release: id,
		Page: store.Page{After: after, Limit: deploymentsPageSize}})
	if err != nil {
		return nil, err
	}
	for _, x := range deps {
		d.Deployments = append(d.Deployments, releaseDeploymentRow{Deployment: x, Stage: stageOf(x)})
	}
	if n := len(deps); n == deploymentsPageSize {
		d.DepsPager.Next = "/releases/" + rel.ID + "?deployments_after=" + deps[n-1].ID + "#deployments"
	}
	return d, nil
}

// pagerLink is what the "pager" partial takes: the next page's URL ("" when none).
type pagerLink struct{ Next string }

// releaseDeploymentRow is a deployment with its stage as text.
type releaseDeploymentRow struct {
	deploy.Deployment
	Stage string
}

// stageOf says where a deployment is on its path: "canary (1 of 3)".
func stageOf(d deploy.Deployment) string {
	if d.CurrentStage < 0 || d.CurrentStage >= len(d.Path) {
		return ""
	}
	return fmt.Sprintf("%s (%d of %d)", d.Path[d.CurrentStage].Name, d.CurrentStage+1, len(d.Path))
}

// releaseGates dry-runs the gate for release id in each environment (at
// most maxGateEnvs) now, under the policy in force. Nothing is recorded.
func (s *Server) releaseGates(ctx context.Context, id int64, v *visit) ([]verdictView, bool, error) {
	pol, _, err := s.cfg.Policy(ctx)
	if err != nil {
		return nil, false, err
	}
	envs, err := s.store.ListEnvironments(ctx, "", "", maxGateEnvs+1)
	if err != nil {
		return nil, false, err
	}
	more := len(envs) > maxGateEnvs
	envs = envs[:min(len(envs), maxGateEnvs)]
	out := make([]verdictView, 0, len(envs))
	for _, e := range envs {
		vd, err := s.store.DryRunGate(ctx, store.GateQuery{Release: id, Env: e.Name, At: v.now}, pol)
		if err != nil {
			return nil, false, err
		}
		out = append(out, viewVerdict(e.Name, vd))
	}
	return out, more, nil
}

// loadApprovals fills the release's decisions, which of them count, and
// the decision form or the reason the viewer may not decide, as the store
// (the same rules as CreateApproval) answers it.
func (s *Server) loadApprovals(ctx context.Context, v *visit, d *releaseData) error {
	rel := d.Release
	all, err := s.store.ListApprovals(ctx, store.ApprovalFilter{Record: rel.ID, Page: store.Page{Limit: store.MaxLimit}})
	if err != nil {
		return err
	}
	if d.Counting, err = s.store.ApprovalVerdict(ctx, rel.ID); err != nil {
		return err
	}
	for _, a := range all {
		d.Approvals = append(d.Approvals, rowOf(a, d.Counting, rel))
	}
	d.Decide = decideForm{Revision: rel.Revision, Roles: approvingRoles(v)}
	role, err := approval.ActingRole(v.principal.Roles, "")
	if err == nil {
		a := v.actor
		a.Role = string(role)
		err = s.store.MayApprove(ctx, a, rel.ID)
	}
	return d.Decide.allow(err)
}

// allow records the domain's answer to "may the viewer decide?": a rule's
// refusal is explained on the page, a failure is returned.
func (f *decideForm) allow(err error) error {
	switch fault.CodeOf(err) {
	case "":
		f.Allowed = true
	case fault.Forbidden, fault.Conflict, fault.Invalid, fault.PreconditionFailed:
		f.Refusal = fault.As(err).Message
	default:
		return err
	}
	return nil
}

func rowOf(a approval.Approval, cur approval.Verdict, rel release.Release) approvalRow {
	counts := slices.ContainsFunc(cur.Approvals, func(x approval.Approval) bool { return x.ID == a.ID }) ||
		slices.ContainsFunc(cur.Rejection, func(x approval.Approval) bool { return x.ID == a.ID })
	switch {
	case counts:
		return approvalRow{Approval: a, State: "counts", Class: "ok"}
	case !approval.Binds(a.RecordRevision, a.RecordContent, rel.Revision, rel.Fingerprint()):
		return approvalRow{Approval: a, State: "stale: the release was edited since", Class: "warn"}
	}
	return approvalRow{Approval: a, State: "superseded by the approver's later decision", Class: "muted"}
}

// approvingRoles lists the approving roles v holds, strongest first.
func approvingRoles(v *visit) []string {
	var out []string
	for _, r := range approval.Roles {
		if v.principal.Has(r) {
			out = append(out, string(r))
		}
	}
	return out
}
