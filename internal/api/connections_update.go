package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// updateConnectionRequest changes a connection. Credentials, provider and base URL
// are not among its fields, so they are refused by name: a new connection is made
// instead, and the old one deleted.
type updateConnectionRequest struct {
	Enabled *bool    `json:"enabled"`
	Methods []string `json:"methods"`
}

func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateConnectionRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, params := r.PathValue("id"), engine.UpdateConnectionParams{Enabled: req.Enabled, Methods: req.Methods}
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.UpdateConnection(ctx, p.Scope, id, params)
	})
}
