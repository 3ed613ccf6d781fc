package api

import (
	"encoding/csv"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
)

// exportInvoices answers GET /v1/invoices/export: every invoice and credit note of
// the period, oldest first, for accounting, as JSON (amounts in minor units) or CSV
// (decimal amounts, net, tax and gross columns per rate).
func (s *Server) exportInvoices(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	q, err := newQuery(r.URL.Query(), "format", "created[gte]", "created[lt]")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := q.str("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		s.writeError(w, r, payment.Invalid("format", payment.CodeParameterInvalid, "format must be json or csv, got %q", format))
		return
	}
	f, err := invoiceFilter(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows, err := s.eng.ExportInvoices(r.Context(), p.Scope, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, newList("/v1/invoices/export", rows, false))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName(p.Scope.Livemode)+`.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(invoice.CSV(rows)) // the status is sent: a broken connection is all that can fail
}

func exportName(live bool) string {
	if live {
		return "invoices"
	}
	return "invoices-test"
}
