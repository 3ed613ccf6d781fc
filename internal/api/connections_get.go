package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	c, err := s.eng.GetConnection(r.Context(), p.Scope, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
