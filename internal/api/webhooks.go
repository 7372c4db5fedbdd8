package api

import (
	"net/http"

	"fixgate/internal/auth"
	"fixgate/internal/store"
	"fixgate/internal/webhook"
	"fixgate/internal/webhook/delivery"
)

// Roles of the webhook routes: admins configure; auditors may read (never the secret).
var webhookReaders = []auth.Role{auth.Admin, auth.Auditor}

type webhookOut = webhook.Subscription

type deliveryOut = store.WebhookDelivery

type webhookCreate struct {
	URL          string   `json:"url"`
	Events       []string `json:"events"` // event names (problem.recurred …) or ["*"]
	Secret       string   `json:"secret"` // omit to have one generated (returned once)
	Description  string   `json:"description"`
	Active       *bool    `json:"active"` // default true
	AllowPrivate bool     `json:"allow_private"`
}

// webhookCreated is a new subscription; Secret is set only when the server
// generated it, and is never shown again.
type webhookCreated struct {
	webhook.Subscription
	Secret string `json:"secret,omitempty"`
}

type webhookPatch struct {
	URL          *string   `json:"url"`
	Events       *[]string `json:"events"`
	Secret       *string   `json:"secret"` // rotate (write-only)
	Description  *string   `json:"description"`
	Active       *bool     `json:"active"`
	AllowPrivate *bool     `json:"allow_private"`
	Revision     int64     `json:"revision"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	var in webhookCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	sub := webhook.Subscription{URL: in.URL, Events: in.Events, Secret: in.Secret, Description: in.Description,
		Active: in.Active == nil || *in.Active, AllowPrivate: in.AllowPrivate}
	out, err := s.store.CreateWebhook(r.Context(), c.actor, sub)
	if err != nil {
		return err
	}
	res := webhookCreated{Subscription: out}
	if in.Secret == "" {
		res.Secret = out.Secret
	}
	return writeRecord(w, http.StatusCreated, res, out.Revision)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListWebhooks(r.Context(), pg)
	if err != nil {
		return err
	}
	out := List[webhookOut]{Items: items}
	if len(items) > 0 {
		last, _ := webhook.Kind.Parse("id", items[len(items)-1].ID)
		out.NextCursor = nextCursor(len(items), pg, last)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := webhook.Kind.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.store.GetWebhook(r.Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	var in webhookPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := webhook.Kind.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	rev, err := requireIfMatch(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := s.store.UpdateWebhook(r.Context(), c.actor, id, rev, func(sub *webhook.Subscription) error {
		setIf(&sub.URL, in.URL)
		setIf(&sub.Events, in.Events)
		setIf(&sub.Secret, in.Secret)
		setIf(&sub.Description, in.Description)
		setIf(&sub.Active, in.Active)
		setIf(&sub.AllowPrivate, in.AllowPrivate)
		return nil
	})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := webhook.Kind.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	rev, err := ifMatch(r, 0)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(r.Context(), c.actor, id, rev); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": webhook.Kind.Format(id), "deleted": true})
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := webhook.Kind.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListWebhookDeliveries(r.Context(), id, pg)
	if err != nil {
		return err
	}
	out := List[store.WebhookDelivery]{Items: items}
	if len(items) > 0 {
		out.NextCursor = nextCursor(len(items), pg, items[len(items)-1].ID)
	}
	return writeJSON(w, http.StatusOK, out)
}

// pingOut is the outcome of a test delivery.
type pingOut struct {
	OK         bool   `json:"ok"`
	StatusCode int    `json:"status_code"` // 0: no HTTP answer
	Error      string `json:"error"`
	DurationMS int64  `json:"duration_ms"`
}

// pingWebhook sends a signed webhook.ping to the subscription now and
// reports the answer (not retried, not logged; the SSRF guard applies).
func (s *Server) pingWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := webhook.Kind.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	sub, err := s.store.GetWebhook(r.Context(), id)
	if err != nil {
		return err
	}
	a := (&delivery.Worker{Now: s.store.Now, Log: s.log}).Ping(r.Context(), sub)
	return writeJSON(w, http.StatusOK, pingOut{OK: a.OK(), StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.Duration.Milliseconds()})
}
