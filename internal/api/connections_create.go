package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// createConnectionRequest is a new provider connection. Its credentials are sealed
// at once and never shown again, nor logged.
type createConnectionRequest struct {
	Provider    string            `json:"provider"`
	Credentials map[string]string `json:"credentials"`
	Methods     []string          `json:"methods"`
	BaseURL     string            `json:"base_url"`
	Enabled     *bool             `json:"enabled"`
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createConnectionRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	params := engine.CreateConnectionParams{Provider: req.Provider, Credentials: req.Credentials,
		Methods: req.Methods, BaseURL: req.BaseURL, Enabled: req.Enabled}
	s.mutate(w, r, p, body, http.StatusCreated, func(ctx context.Context) (any, error) {
		return s.eng.CreateConnection(ctx, p.Scope, params)
	})
}
