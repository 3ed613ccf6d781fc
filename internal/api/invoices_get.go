package api

import (
	"net/http"
	"strings"

	"github.com/paymux/paymux/internal/engine"
)

// getInvoice answers GET /v1/invoices/{id} with the document, and
// GET /v1/invoices/{id}.pdf with its PDF, stored when it was issued.
func (s *Server) getInvoice(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	id, pdf := strings.CutSuffix(r.PathValue("id"), ".pdf")
	if !pdf {
		inv, err := s.eng.GetInvoice(r.Context(), p.Scope, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, inv)
		return
	}
	inv, b, err := s.eng.InvoiceDocument(r.Context(), p.Scope, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(inv.Number)+`.pdf"`)
	// A document never changes once issued.
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// fileName keeps the characters of a document number that are safe in a file
// name and a header: "FV/2026-000001" becomes "FV-2026-000001".
func fileName(number string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '-'
	}, number)
}
