package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// verifyConnectionRequest has no fields yet; an unknown one is refused like anywhere else.
type verifyConnectionRequest struct{}

func (s *Server) verifyConnection(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req verifyConnectionRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.VerifyConnection(ctx, p.Scope, id)
	})
}
