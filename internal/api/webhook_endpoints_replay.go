package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
)

// replayWebhookDeliveriesRequest chooses which of an endpoint's deliveries to send
// again: since is an RFC 3339 time or unix seconds; status is "failed" or "all".
type replayWebhookDeliveriesRequest struct {
	Since  string `json:"since"`
	Status string `json:"status"`
}

func (s *Server) replayWebhookDeliveries(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req replayWebhookDeliveriesRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	params := engine.ReplayParams{Status: req.Status}
	if req.Since != "" {
		if n, err := strconv.ParseInt(req.Since, 10, 64); err == nil {
			params.Since = time.Unix(n, 0).UTC()
		} else if params.Since, err = time.Parse(time.RFC3339Nano, req.Since); err != nil {
			s.writeError(w, r, payment.Invalid("since", payment.CodeParameterInvalid,
				"since must be an RFC 3339 time such as 2026-11-24T00:00:00Z (or unix seconds), got %q", req.Since))
			return
		}
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.ReplayWebhookDeliveries(ctx, p.Scope, id, params)
	})
}
