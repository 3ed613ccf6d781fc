package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// getWebhookDelivery shows a delivery with its attempts.
func (s *Server) getWebhookDelivery(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	d, err := s.eng.GetWebhookDelivery(r.Context(), p.Scope, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
