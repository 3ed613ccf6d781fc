package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

type applePaySessionRequest struct {
	Provider    string `json:"provider"`
	DisplayName string `json:"display_name"`
	DomainName  string `json:"domain_name"`
}

// applePaySession validates the merchant for Apple Pay when the shopper opens the
// payment sheet (the browser's onvalidatemerchant).
func (s *Server) applePaySession(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req applePaySessionRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.ApplePaySession(ctx, p.Scope, id, engine.ApplePaySessionParams{Provider: req.Provider,
			DisplayName: req.DisplayName, DomainName: req.DomainName})
	})
}
