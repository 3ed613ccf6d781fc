package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/store"
)

func (s *Server) listPaymentNotifications(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	q, err := newListQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.NotificationFilter{StartingAfter: q.str("starting_after")}
	if f.Limit, err = q.limit(); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	list, more, err := s.eng.ListPaymentNotifications(r.Context(), p.Scope, id, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList("/v1/payments/"+id+"/notifications", list, more))
}
