package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

type confirmPaymentRequest struct {
	Provider          string `json:"provider"`
	PaymentMethod     string `json:"payment_method"`
	PaymentMethodType string `json:"payment_method_type"`
}

func (s *Server) confirmPayment(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req confirmPaymentRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.ConfirmPayment(ctx, p.Actor(), p.Scope, id, engine.ConfirmParams{Provider: req.Provider,
			PaymentMethod: req.PaymentMethod, PaymentMethodType: req.PaymentMethodType})
	})
}
