package web

import (
	"net/http"
	"strconv"
	"strings"

	"fixgate/internal/api"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// POST /releases/{id}/hold and /unhold: the legal hold of a release (none
// of its artifacts is purged while it holds), through store.SetReleaseHold
// as POST /api/v1/releases/{id}/hold and /unhold, with the release's
// revision the page was rendered at and the reason the audit event keeps.

// holders may place and lift legal holds (the API's holdRW).
var holders = []auth.Role{auth.Admin, auth.ReleaseManager, auth.ProblemManager}

// holdForm reads a hold form: the reason and the record's revision
// (required: the person holds what they read).
func holdForm(r *http.Request) (reason string, rev int64, err error) {
	if err := r.ParseForm(); err != nil {
		return "", 0, fault.Field("form", "cannot read the form: %v", err)
	}
	reason = strings.TrimSpace(r.PostForm.Get("reason"))
	rev, err = strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if err != nil || rev < 1 {
		return reason, 0, fault.Field("revision", "the form carries no revision; reload the page")
	}
	return reason, rev, nil
}

func (s *Server) releaseHold(on bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		id, err := ident.Release.Parse("id", r.PathValue("id"))
		if err != nil {
			return err
		}
		reason, rev, err := holdForm(r)
		if err == nil {
			if _, err = s.store.SetReleaseHold(r.Context(), v.actor, id, rev, on, reason); err == nil {
				what := "Legal hold placed on "
				if !on {
					what = "Legal hold lifted from "
				}
				return seeDone(w, r, "/releases/"+ident.Release.Format(id), what+ident.Release.Format(id)+": "+reason)
			}
		}
		return s.holdRefused(w, r, v, id, reason, rev, err)
	}
}

// holdRefused answers a hold the store refused: the release page as it
// stands now, with the reason kept, the API's status, and for a stale form
// what changed since its revision. Other errors get the error page.
func (s *Server) holdRefused(w http.ResponseWriter, r *http.Request, v *visit, id int64, reason string, rev int64, err error) error {
	if !personal(err) {
		return err
	}
	err = s.refused(r, v.actor, err)
	d, lerr := s.loadRelease(r.Context(), r, v, id)
	if lerr != nil {
		return lerr
	}
	d.Evidence.Reason = reason
	fe := fault.As(err)
	msg := fieldMessage(fe)
	if stale(err) {
		if d.Changed, lerr = s.changedSince(r.Context(), "release", d.Release.ID, rev); lerr != nil {
			return lerr
		}
		msg = d.Release.ID + " changed since the page was loaded (revision " + strconv.FormatInt(rev, 10) +
			", now " + strconv.FormatInt(d.Release.Revision, 10) + "): nothing was recorded; check it and send the form again"
	}
	return s.renderView(w, r, v, api.StatusOf(err), "release.html", &view{Title: d.Release.ID + " " + d.Release.Version,
		Path: r.URL.Path, Data: d, Error: msg, Field: fe.Field})
}
