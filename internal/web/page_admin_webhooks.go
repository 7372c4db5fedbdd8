package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/webhook"
)

// secretData is the page that shows a generated secret, this once.
type secretData struct {
	What   string // "token 7 of pm", "webhook WH-2"
	Secret string
	Use    string // how the secret is used
	Back   string
}

// createWebhook subscribes a URL (store.CreateWebhook, as POST
// /api/v1/webhooks) with a generated secret, shown once on the answer. A
// refused form shows the admin page again with the error and the form as sent.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	f := webhookForm{URL: strings.TrimSpace(r.PostForm.Get("url")), Events: r.PostForm.Get("events"),
		Description: r.PostForm.Get("description"), Active: r.PostForm.Get("active") != "", AllowPrivate: r.PostForm.Get("allow_private") != ""}
	sub := webhook.Subscription{URL: f.URL, Events: splitEvents(f.Events), Description: f.Description, Active: f.Active, AllowPrivate: f.AllowPrivate}
	out, err := s.store.CreateWebhook(r.Context(), v.actor, sub)
	if fe := fault.As(err); fe != nil && fe.Code == fault.Invalid {
		return s.adminRefused(w, r, v, http.StatusBadRequest, err, f)
	}
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusCreated, "admin_secret.html", "Webhook "+out.ID, secretData{What: "webhook " + out.ID + " (" + out.URL + ")",
		Secret: out.Secret, Use: "Each delivery is signed with it; give it to the receiver now.", Back: "/admin#webhooks"})
}

// splitEvents reads the events field: names separated by commas or spaces.
func splitEvents(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// deleteWebhook deletes a subscription at the revision the page showed
// (store.DeleteWebhook, as DELETE /api/v1/webhooks/{id}); a stale form
// shows the admin page as it is now (412).
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := webhook.Kind.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	rev, _ := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if rev <= 0 {
		return fault.Field("revision", "is required: the revision the page showed")
	}
	err = s.store.DeleteWebhook(r.Context(), v.actor, id, rev)
	if fault.CodeOf(err) == fault.PreconditionFailed {
		return s.adminRefused(w, r, v, http.StatusPreconditionFailed, err, webhookForm{Active: true})
	}
	if err != nil {
		return err
	}
	done := webhook.Kind.Format(id) + " deleted; its delivery log stays."
	http.Redirect(w, r, "/admin?done="+url.QueryEscape(done)+"#webhooks", http.StatusSeeOther)
	return nil
}

// adminRefused shows the admin page as it is now with the refusal.
func (s *Server) adminRefused(w http.ResponseWriter, r *http.Request, v *visit, status int, cause error, f webhookForm) error {
	data, err := s.adminView(r)
	if err != nil {
		return err
	}
	data.Hook = f
	fe := fault.As(cause)
	msg := fe.Message
	if fe.Field != "" {
		msg = fe.Field + ": " + msg
	}
	return s.renderView(w, r, v, status, "admin.html", &view{Title: "Administration", Path: r.URL.Path, Data: data, Error: msg, Field: fe.Field})
}
