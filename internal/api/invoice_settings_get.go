package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

func (s *Server) getInvoiceSettings(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	st, err := s.eng.GetInvoiceSettings(r.Context(), p.Scope)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
