package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/jobs"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// Artifact retention (GET /artifacts): the policy's retention classes,
// what a purge would delete now (a dry run: jobs.PurgeArtifacts as GET
// /api/v1/artifacts/expired), the purge itself for admins (POST
// /artifacts/purge, as POST /api/v1/artifacts/purge), the legal holds in
// force on artifacts and releases, and one artifact looked up by digest
// (?sha256=) with the form that places or lifts its hold (POST
// /artifacts/{sha256}/hold|unhold: store.SetArtifactHold at the revision
// the page was rendered at, the API's roles).

// expiredShown bounds the dry run's list on the page (the purge takes all).
const expiredShown = 100

// retentionData is what retention.html shows.
type retentionData struct {
	Classes      []retentionClass
	Expired      []store.PurgeCandidate
	ExpiredCount int
	ExpiredBytes int64
	Purged       *jobs.PurgeReport // what a purge just deleted
	CanPurge     bool
	CanHold      bool
	NoStorage    bool // no data directory: nothing to purge from the pages
	Held         []store.Artifact
	HeldNext     string
	HeldReleases []store.ReleaseLegalHold
	Lookup       string        // the digest asked for
	Artifact     *artifactView // the artifact looked up
	Reason       string        // the hold form's reason, kept after a refusal
	Changed      []audit.Event // after a stale hold form: what changed since
}

// retentionClass is one class of the policy, with what the policy uses it for.
type retentionClass struct {
	Name, Keep, Description string
	Default, CriticalFix    bool
}

// artifactView is an artifact with when its retention ends.
type artifactView struct {
	store.Artifact
	Expires *time.Time
	Expired bool
}

func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.renderRetention(w, r, v, r.URL.Query().Get("sha256"), nil, nil)
}

// renderRetention shows the page, with artifact sha looked up ("" for
// none); purged is a purge's report, failure a refused hold.
func (s *Server) renderRetention(w http.ResponseWriter, r *http.Request, v *visit, sha string, purged *jobs.PurgeReport, failure error) error {
	ctx := r.Context()
	pol, _, err := s.cfg.Policy(ctx)
	if err != nil {
		return err
	}
	d := &retentionData{Classes: classesOf(pol), Purged: purged, CanPurge: s.allows(v, "POST /artifacts/purge"),
		CanHold: s.allows(v, "POST /artifacts/{sha256}/hold"), NoStorage: s.cfg.Files == nil, Lookup: strings.TrimSpace(sha),
		Reason: r.PostForm.Get("reason")}
	dry, err := jobs.PurgeArtifacts(ctx, s.store, nil, v.actor, v.now, true)
	if err != nil {
		return err
	}
	d.ExpiredCount = len(dry.Items)
	for _, c := range dry.Items {
		d.ExpiredBytes += c.Size
	}
	d.Expired = dry.Items[:min(len(dry.Items), expiredShown)]
	if err := s.loadHolds(r, d); err != nil {
		return err
	}
	vw := &view{Title: "Artifact retention", Path: r.URL.Path, Data: d, Flash: r.URL.Query().Get("done")}
	if d.Lookup != "" {
		a, err := s.store.GetArtifact(ctx, d.Lookup)
		if fe := fault.As(err); fe != nil && (fe.Code == fault.Invalid || fe.Code == fault.NotFound) && failure == nil {
			failure = err
		} else if err != nil && failure == nil {
			return err
		} else if err == nil {
			av := &artifactView{Artifact: a}
			if exp, ok := pol.Expiry(a.RetentionClass, a.CreatedAt); ok {
				av.Expires, av.Expired = &exp, !exp.After(v.now)
			}
			d.Artifact = av
		}
	}
	status := http.StatusOK
	if fe := fault.As(failure); fe != nil {
		status, vw.Error, vw.Field = api.StatusOf(failure), fieldMessage(fe), fe.Field
		if stale(failure) && d.Artifact != nil {
			rev := failureRev(r)
			if d.Changed, err = s.changedSince(ctx, "artifact", d.Artifact.SHA256, rev); err != nil {
				return err
			}
			vw.Error = "the artifact changed since the page was loaded (revision " + strconv.FormatInt(rev, 10) + ", now " +
				strconv.FormatInt(d.Artifact.Revision, 10) + "): nothing was recorded; check it and send the form again"
		}
	}
	return s.renderView(w, r, v, status, "retention.html", vw)
}

// failureRev is the revision a refused form carried.
func failureRev(r *http.Request) int64 {
	n, _ := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	return n
}

// classesOf lists the policy's retention classes in its order.
func classesOf(pol *policy.Policy) []retentionClass {
	var out []retentionClass
	for _, name := range pol.RetentionNames() {
		c := pol.RetentionClasses[name]
		out = append(out, retentionClass{Name: name, Keep: c.Keep.String(), Description: c.Description,
			Default: name == pol.Retention.DefaultClass, CriticalFix: name == pol.Retention.CriticalFixClass})
	}
	return out
}

// loadHolds fills the holds in force: artifacts (listPageRows a page, by
// digest, ?held_after=) and releases (the first listPageRows).
func (s *Server) loadHolds(r *http.Request, d *retentionData) error {
	after := r.URL.Query().Get("held_after")
	var err error
	if d.Held, err = s.store.HeldArtifacts(r.Context(), after, listPageRows); err != nil {
		return err
	}
	if n := len(d.Held); n == listPageRows {
		d.HeldNext = withParam(r, "held_after", d.Held[n-1].SHA256) + "#holds"
	}
	d.HeldReleases, err = s.store.HeldReleases(r.Context(), 0, listPageRows)
	return err
}

// purgeNow purges now what has expired and no hold keeps, as the hourly
// job does, and shows what went (each purge is audited as artifact.purge).
func (s *Server) purgeNow(w http.ResponseWriter, r *http.Request, v *visit) error {
	if s.cfg.Files == nil {
		return fault.New(fault.Unavailable, "this server has no data directory for artifacts (--data-dir): nothing to purge")
	}
	rep, err := jobs.PurgeArtifacts(r.Context(), s.store, s.cfg.Files, v.actor, v.now, false)
	if err != nil {
		return err
	}
	return s.renderRetention(w, r, v, "", &rep, nil)
}

// artifactHold places (on) or lifts the legal hold on the artifact of the
// path at the form's revision, with its reason.
func (s *Server) artifactHold(on bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		sha := r.PathValue("sha256")
		reason, rev, err := holdForm(r)
		if err == nil {
			if _, err = s.store.SetArtifactHold(r.Context(), v.actor, sha, rev, on, reason); err == nil {
				what := "Legal hold placed on artifact "
				if !on {
					what = "Legal hold lifted from artifact "
				}
				q := url.Values{"sha256": {sha}, "done": {what + sha + ": " + reason}}
				http.Redirect(w, r, "/artifacts?"+q.Encode()+"#artifact", http.StatusSeeOther)
				return nil
			}
		}
		if !personal(err) {
			return err
		}
		return s.renderRetention(w, r, v, sha, nil, s.refused(r, v.actor, err))
	}
}
