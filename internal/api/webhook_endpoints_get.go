package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// getWebhookEndpoint shows an endpoint; never its secret, only secret_hint.
func (s *Server) getWebhookEndpoint(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	ep, err := s.eng.GetWebhookEndpoint(r.Context(), p.Scope, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ep)
}
