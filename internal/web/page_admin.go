package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/store"
	"fixgate/internal/webhook"
)

// The admin pages: users and their roles, tokens, webhooks and live
// sessions. Every action is the store call of the matching API route
// (PATCH /api/v1/users/{name}, POST /api/v1/users/{name}/tokens, DELETE
// /api/v1/tokens/{id}, POST and DELETE /api/v1/webhooks), so it is audited
// and guarded by revisions as there; ending a session is store.EndSession.

// adminPerPage bounds each list of the admin pages (a variable for tests).
var adminPerPage = 50

type adminData struct {
	Users                                 []auth.User
	Webhooks                              []webhook.Subscription
	Sessions                              sessionsView
	UsersPage, WebhooksPage, SessionsPage pagerData
	Hook                                  webhookForm // the create form, kept when it was refused
}

// sessionsView is the "sessions" block: live sessions, each with an end
// button that comes back to Back.
type sessionsView struct {
	Items []store.Session
	Back  string
}

// webhookForm is what the create form sent.
type webhookForm struct {
	URL, Events, Description string
	Active, AllowPrivate     bool
}

// admin shows users, webhooks and live sessions, each paginated by its own cursor.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, v *visit) error {
	data, err := s.adminView(r)
	if err != nil {
		return err
	}
	data.Hook.Active = true
	return s.render(w, r, v, http.StatusOK, "admin.html", "Administration", data)
}

func (s *Server) adminView(r *http.Request) (*adminData, error) {
	ctx, q, data := r.Context(), r.URL.Query(), &adminData{}
	users, err := s.store.ListUsers(ctx, q.Get("users_after"), adminPerPage+1)
	if err != nil {
		return nil, err
	}
	if len(users) > adminPerPage {
		users = users[:adminPerPage]
		data.UsersPage.Next = adminNext(q, "users", "users_after", users[len(users)-1].Name)
	}
	data.Users = users
	if err := s.adminWebhooks(r, data); err != nil {
		return nil, err
	}
	return data, s.adminSessions(r, data)
}

// adminNext is the admin page's URL with the cursors kv (key, value, …)
// moved and the others kept, scrolled to anchor.
func adminNext(q url.Values, anchor string, kv ...string) string {
	n := url.Values{}
	for _, k := range []string{"users_after", "webhooks_after", "sessions_exp", "sessions_id"} {
		if q.Get(k) != "" {
			n.Set(k, q.Get(k))
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Set(kv[i], kv[i+1])
	}
	return "/admin?" + n.Encode() + "#" + anchor
}

func (s *Server) adminWebhooks(r *http.Request, data *adminData) error {
	q := r.URL.Query()
	var after int64
	if a := q.Get("webhooks_after"); a != "" {
		n, err := webhook.Kind.Parse("webhooks_after", a)
		if err != nil {
			return err
		}
		after = n
	}
	hooks, err := s.store.ListWebhooks(r.Context(), store.Page{After: after, Limit: adminPerPage + 1})
	if err != nil {
		return err
	}
	if len(hooks) > adminPerPage {
		hooks = hooks[:adminPerPage]
		data.WebhooksPage.Next = adminNext(q, "webhooks", "webhooks_after", hooks[len(hooks)-1].ID)
	}
	data.Webhooks = hooks
	return nil
}

func (s *Server) adminSessions(r *http.Request, data *adminData) error {
	q := r.URL.Query()
	var c store.LiveCursor
	if e := q.Get("sessions_exp"); e != "" {
		t, err := time.Parse(time.RFC3339Nano, e)
		n, err2 := strconv.ParseInt(q.Get("sessions_id"), 10, 64)
		if err != nil || err2 != nil {
			return fault.Field("sessions_exp", "is not a cursor of this page")
		}
		c = store.LiveCursor{ExpiresAt: t, ID: n}
	}
	xs, err := s.store.LiveSessions(r.Context(), c, adminPerPage+1)
	if err != nil {
		return err
	}
	if len(xs) > adminPerPage {
		xs = xs[:adminPerPage]
		last := xs[len(xs)-1]
		data.SessionsPage.Next = adminNext(q, "sessions", "sessions_exp", last.ExpiresAt.UTC().Format(time.RFC3339Nano),
			"sessions_id", strconv.FormatInt(last.ID, 10))
	}
	data.Sessions = sessionsView{Items: xs, Back: "/admin"}
	return nil
}

// endSession ends a live session (store.EndSession, audited as
// session.end), then goes back to the page the form came from.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return fault.Field("id", "must be a session number")
	}
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	if err := s.store.EndSession(r.Context(), v.actor, id, "ended by "+v.principal.User); err != nil {
		return err
	}
	back := adminBack(r.PostForm.Get("back"))
	http.Redirect(w, r, back+"?done="+url.QueryEscape("Session "+strconv.FormatInt(id, 10)+" ended.")+"#sessions", http.StatusSeeOther)
	return nil
}

// adminBack returns where an admin form goes back to: /admin or one
// user's page, never anywhere else.
func adminBack(back string) string {
	name, ok := strings.CutPrefix(back, "/admin/users/")
	if ok && name != "" && !strings.ContainsAny(name, "/?#\\") {
		return "/admin/users/" + url.PathEscape(name)
	}
	return "/admin"
}
