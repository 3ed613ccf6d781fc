package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

func (s *Server) getNotificationSettings(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	ns, err := s.eng.GetNotificationSettings(r.Context(), p.Scope)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ns)
}
