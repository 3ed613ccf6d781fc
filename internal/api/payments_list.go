package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func (s *Server) listPayments(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	f, err := paymentFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, more, err := s.eng.ListPayments(r.Context(), p.Scope, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList("/v1/payments", list, more))
}

func paymentFilter(r *http.Request) (store.PaymentFilter, error) {
	q, err := newListQuery(r.URL.Query(), "status", "provider", "order_id", "created[gte]", "created[lt]")
	if err != nil {
		return store.PaymentFilter{}, err
	}
	f := store.PaymentFilter{Status: payment.Status(q.str("status")), Provider: q.str("provider"),
		OrderID: q.str("order_id"), StartingAfter: q.str("starting_after")}
	if f.Limit, err = q.limit(); err != nil {
		return f, err
	}
	if f.CreatedGTE, err = q.time("created[gte]"); err != nil {
		return f, err
	}
	if f.CreatedLT, err = q.time("created[lt]"); err != nil {
		return f, err
	}
	return f, nil
}
