package api

import (
	"context"
	"net/http"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
)

// rotateWebhookSecretRequest sets how long the current secret keeps signing.
type rotateWebhookSecretRequest struct {
	GracePeriod *int64 `json:"grace_period"`
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req rotateWebhookSecretRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	var grace *time.Duration
	if req.GracePeriod != nil {
		most := int64(engine.MaxSecretGrace / time.Second)
		if *req.GracePeriod < 0 || *req.GracePeriod > most {
			s.writeError(w, r, payment.Invalid("grace_period", payment.CodeParameterInvalid,
				"grace_period is seconds from 0 to %d (7 days), got %d", most, *req.GracePeriod))
			return
		}
		g := time.Duration(*req.GracePeriod) * time.Second
		grace = &g
	}
	id := r.PathValue("id")
	s.mutateShowingSecret(w, r, p, body, http.StatusOK, func(ctx context.Context) (*engine.WebhookEndpoint, error) {
		return s.eng.RotateWebhookSecret(ctx, p.Scope, id, grace)
	})
}
