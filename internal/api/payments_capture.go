package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

type capturePaymentRequest struct {
	Amount amountField `json:"amount"`
}

func (s *Server) capturePayment(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req capturePaymentRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Amount.set && req.Amount.v <= 0 {
		s.writeError(w, r, invalidAmount(req.Amount.v, "omit it to capture everything"))
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.CapturePayment(ctx, p.Actor(), p.Scope, id, req.Amount.v)
	})
}
