package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// createNotificationRequest is an operator's own email about a payment.
type createNotificationRequest struct {
	Subject string `json:"subject"`
	Message string `json:"message"`
	To      string `json:"to"`
	Locale  string `json:"locale"`
}

func (s *Server) createPaymentNotification(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createNotificationRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	params := engine.FreeNotificationParams{Subject: req.Subject, Message: req.Message, To: req.To, Locale: req.Locale}
	s.mutate(w, r, p, body, http.StatusCreated, func(ctx context.Context) (any, error) {
		return s.eng.SendFreeNotification(ctx, p.Actor(), p.Scope, id, params)
	})
}
