package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// issueInvoiceRequest has no fields yet; an unknown one is refused like anywhere else.
type issueInvoiceRequest struct{}

// issueInvoice answers POST /v1/payments/{id}/invoice: the payment's invoice,
// issued now if it has none.
func (s *Server) issueInvoice(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req issueInvoiceRequest
	if err := decodeStrict(body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.IssueInvoice(ctx, p.Actor(), p.Scope, id)
	})
}
