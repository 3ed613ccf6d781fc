package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// updateWebhookEndpointRequest changes an endpoint. Whether it is ordered cannot
// change (it is refused as an unknown field): make a new endpoint instead.
type updateWebhookEndpointRequest struct {
	URL           *string  `json:"url"`
	EnabledEvents []string `json:"enabled_events"`
	Description   *string  `json:"description"`
	Enabled       *bool    `json:"enabled"`
}

func (s *Server) updateWebhookEndpoint(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateWebhookEndpointRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	params := engine.UpdateWebhookEndpointParams{URL: req.URL, EnabledEvents: req.EnabledEvents,
		Description: req.Description, Enabled: req.Enabled}
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.UpdateWebhookEndpoint(ctx, p.Scope, id, params)
	})
}
