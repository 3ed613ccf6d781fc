package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/store"
)

// listWebhookDeliveries lists an endpoint's deliveries, newest event first.
func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	q, err := newListQuery(r.URL.Query(), "status")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.WebhookDeliveryFilter{Status: q.str("status"), StartingAfter: q.str("starting_after")}
	if f.Limit, err = q.limit(); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	list, more, err := s.eng.ListWebhookDeliveries(r.Context(), p.Scope, id, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList("/v1/webhook_endpoints/"+id+"/deliveries", list, more))
}
