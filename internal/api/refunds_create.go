package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

type createRefundRequest struct {
	PaymentID string            `json:"payment_id"`
	Amount    amountField       `json:"amount"`
	Reason    string            `json:"reason"`
	Metadata  map[string]string `json:"metadata"`
}

func (s *Server) createRefund(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createRefundRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Amount.set && req.Amount.v <= 0 {
		s.writeError(w, r, invalidAmount(req.Amount.v, "omit it to refund everything refundable"))
		return
	}
	params := engine.RefundParams{PaymentID: req.PaymentID, Amount: req.Amount.v, Reason: req.Reason,
		Metadata: req.Metadata, IdempotencyKey: r.Header.Get("Idempotency-Key")}
	s.mutate(w, r, p, body, http.StatusCreated, func(ctx context.Context) (any, error) {
		return s.eng.CreateRefund(ctx, p.Actor(), p.Scope, params)
	})
}
