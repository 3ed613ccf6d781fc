package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// deleteWebhookEndpoint stops an endpoint for good. It takes no body.
func (s *Server) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	id := r.PathValue("id")
	s.mutate(w, r, p, nil, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.DeleteWebhookEndpoint(ctx, p.Scope, id)
	})
}
