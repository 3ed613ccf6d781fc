package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// retryWebhookDeliveryRequest has no fields; an unknown one is refused as anywhere else.
type retryWebhookDeliveryRequest struct{}

func (s *Server) retryWebhookDelivery(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req retryWebhookDeliveryRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.RetryWebhookDelivery(ctx, p.Scope, id)
	})
}
