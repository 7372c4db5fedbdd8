package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
)

// adminUserData is one user's admin page.
type adminUserData struct {
	U          auth.User
	Roles      []roleBox
	Tokens     []auth.Token
	TokensPage pagerData
	Sessions   sessionsView
	Self       bool          // the admin's own account
	Changed    []audit.Event // after a stale form: what changed since it was rendered
}

type roleBox struct {
	Role    auth.Role
	Checked bool
}

// adminUser shows a user: roles (editable), tokens, live sessions.
func (s *Server) adminUser(w http.ResponseWriter, r *http.Request, v *visit) error {
	data, err := s.adminUserView(r, v, r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "admin_user.html", "User "+data.U.Name, data)
}

func (s *Server) adminUserView(r *http.Request, v *visit, name string) (*adminUserData, error) {
	ctx := r.Context()
	u, err := s.store.GetUser(ctx, name)
	if err != nil {
		return nil, err
	}
	data := &adminUserData{U: u, Self: u.Name == v.principal.User}
	for _, role := range auth.AllRoles {
		data.Roles = append(data.Roles, roleBox{role, slices.Contains(u.Roles, role)})
	}
	var before int64
	if b := r.URL.Query().Get("tokens_before"); b != "" {
		if before, err = strconv.ParseInt(b, 10, 64); err != nil {
			return nil, fault.Field("tokens_before", "must be a token number")
		}
	}
	toks, err := s.store.ListTokens(ctx, u.Name, before, adminPerPage+1)
	if err != nil {
		return nil, err
	}
	if len(toks) > adminPerPage {
		toks = toks[:adminPerPage]
		data.TokensPage.Next = "/admin/users/" + url.PathEscape(u.Name) + "?tokens_before=" + strconv.FormatInt(toks[len(toks)-1].ID, 10) + "#tokens"
	}
	data.Tokens = toks
	xs, err := s.store.ListSessions(ctx, u.Name, true, adminPerPage)
	data.Sessions = sessionsView{Items: xs, Back: "/admin/users/" + u.Name}
	return data, err
}

// updateUser changes a user's roles and disabled flag at the revision the
// form was rendered at: store.UpdateUser as PATCH /api/v1/users/{name}
// (audited; a change of roles or a disabling ends the user's sessions). A
// stale form (412) shows the user as they are now and what changed.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PathValue("name")
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	rev, _ := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if rev <= 0 {
		return fault.Field("revision", "is required: the revision the page showed")
	}
	var roles []auth.Role
	for _, x := range r.PostForm["roles"] {
		roles = append(roles, auth.Role(x))
	}
	disabled := r.PostForm.Get("disabled") != ""
	u, err := s.store.UpdateUser(r.Context(), v.actor, name, rev, func(u *auth.User) error {
		u.Roles = roles
		if disabled && !u.Disabled && u.Name == v.principal.User { // as PATCH /api/v1/users/{name}
			return fault.Field("disabled", "you cannot disable yourself")
		}
		u.Disabled = disabled
		return u.Validate()
	})
	switch fault.CodeOf(err) {
	case "":
	case fault.PreconditionFailed, fault.Invalid:
		return s.userRefused(w, r, v, name, rev, err)
	default:
		return err
	}
	done := fmt.Sprintf("%s saved: roles %s%s.", u.Name, joinRoles(u.Roles), map[bool]string{true: ", disabled", false: ""}[u.Disabled])
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.Name)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}

// userRefused shows the user page as it is now with the refusal (400 or
// 412) and, for a stale form, the audited changes after its revision.
func (s *Server) userRefused(w http.ResponseWriter, r *http.Request, v *visit, name string, rev int64, cause error) error {
	data, err := s.adminUserView(r, v, name)
	if err != nil {
		return err
	}
	status, fe := http.StatusBadRequest, fault.As(cause)
	msg := fe.Message
	if fe.Field != "" {
		msg = fe.Field + ": " + msg
	}
	if fe.Code == fault.PreconditionFailed {
		status = http.StatusPreconditionFailed
		if data.Changed, err = s.store.AuditEventsAfter(r.Context(), "user", name, rev, maxChanges); err != nil {
			return err
		}
	}
	return s.renderView(w, r, v, status, "admin_user.html", &view{Title: "User " + name, Path: r.URL.Path, Data: data, Error: msg, Field: fe.Field})
}

// issueToken issues a token for a user (store.CreateToken, as POST
// /api/v1/users/{name}/tokens; it ends the user's sessions) and shows its
// secret this once.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	name := r.PathValue("name")
	tok, plain, err := s.store.CreateToken(r.Context(), v.actor, name, r.PostForm.Get("label"))
	if err != nil {
		return err
	}
	what := fmt.Sprintf("token %d of %s", tok.ID, tok.User)
	if tok.Label != "" {
		what += " (" + tok.Label + ")"
	}
	return s.render(w, r, v, http.StatusCreated, "admin_secret.html", "Token issued", secretData{What: what, Secret: plain,
		Use: "Use it as a bearer token (Authorization: Bearer …) for the API and the CLI.", Back: "/admin/users/" + url.PathEscape(name) + "#tokens"})
}

// revokeToken revokes a token (store.RevokeToken, as DELETE
// /api/v1/tokens/{id}; it ends its user's sessions).
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return fault.Field("id", "must be a token number")
	}
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	if err := s.store.RevokeToken(r.Context(), v.actor, id); err != nil {
		return err
	}
	done := "Token " + strconv.FormatInt(id, 10) + " revoked."
	http.Redirect(w, r, adminBack(r.PostForm.Get("back"))+"?done="+url.QueryEscape(done)+"#tokens", http.StatusSeeOther)
	return nil
}
