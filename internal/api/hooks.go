package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/provider"
)

// providerWebhook takes an inbound provider webhook. It answers 2xx only after the
// event and its effect committed, so a provider retries anything not yet safe.
func (s *Server) providerWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxWebhookBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ack, err := s.eng.HandleProviderWebhook(r.Context(), r.PathValue("provider"), r.PathValue("connection"),
		provider.WebhookRequest{Header: r.Header.Clone(), Body: body})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ack != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(ack))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"received": true})
}
