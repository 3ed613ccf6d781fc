package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// deleteConnection disables and hides a connection; payments made through it can
// still be refunded. It takes no body.
func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	id := r.PathValue("id")
	s.mutate(w, r, p, nil, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.DeleteConnection(ctx, p.Scope, id)
	})
}
