package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/store"
)

func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	q, err := newListQuery(r.URL.Query(), "payment_id", "type", "created[gte]", "created[lt]")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := invoiceFilter(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.PaymentID, f.StartingAfter = q.str("payment_id"), q.str("starting_after")
	if f.Limit, err = q.limit(); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, more, err := s.eng.ListInvoices(r.Context(), p.Scope, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList("/v1/invoices", list, more))
}

// invoiceFilter reads the filters lists and exports share.
func invoiceFilter(q *listQuery) (store.InvoiceFilter, error) {
	f := store.InvoiceFilter{Type: invoice.Type(q.str("type"))}
	var err error
	if f.CreatedGTE, err = q.time("created[gte]"); err != nil {
		return f, err
	}
	f.CreatedLT, err = q.time("created[lt]")
	return f, err
}
