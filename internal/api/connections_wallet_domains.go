package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

type walletDomainRequest struct {
	DomainName string `json:"domain_name"`
}

// registerWalletDomain registers the checkout's domain for Apple Pay and Google Pay
// with the connection's provider.
func (s *Server) registerWalletDomain(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req walletDomainRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.RegisterWalletDomain(ctx, p.Scope, id, req.DomainName)
	})
}
