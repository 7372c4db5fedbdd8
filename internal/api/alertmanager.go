package api

import (
	"net/http"

	"fixgate/internal/alertmanager"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// alertmanagerMaxBody lets the decoder see (and refuse with 413) a body one
// byte over its own limit before the transport limit cuts it.
const alertmanagerMaxBody = alertmanager.DefaultMaxBytes + 64<<10

// alertmanagerHook receives an Alertmanager webhook notification (payload
// version 4). It answers 200 only after the signals are committed; a
// transient database fault is 503 so that Alertmanager retries, and a 4xx
// means the payload can never succeed (Alertmanager drops it).
func (s *Server) alertmanagerHook(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := alertmanager.Decode(r.Body, alertmanager.DefaultMaxBytes)
	if err != nil {
		return err
	}
	res, err := s.store.IngestAlerts(r.Context(), c.actor, p)
	if err != nil {
		return err
	}
	s.metrics.Notification(res.New, res.Duplicates)
	return writeJSON(w, http.StatusOK, res)
}

type signalOut = store.SignalOut

// alertmanagerIn documents the notification body (unknown fields are tolerated).
type alertmanagerIn = alertmanager.Payload

func (s *Server) listSignals(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.SignalFilter{Page: pg, Fingerprint: q.Get("fingerprint")}
	if v := q.Get("problem"); v != "" {
		if f.Problem, err = ident.Problem.Parse("problem", v); err != nil {
			return err
		}
	}
	items, err := s.store.ListSignals(r.Context(), f)
	if err != nil {
		return err
	}
	out := List[signalOut]{Items: items}
	if len(items) > 0 {
		out.NextCursor = nextCursor(len(items), pg, items[len(items)-1].ID)
	}
	return writeJSON(w, http.StatusOK, out)
}
