package api

import (
	"bytes"
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
)

// createWebhookEndpointRequest is a new outbound webhook endpoint.
type createWebhookEndpointRequest struct {
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabled_events"`
	Description   string   `json:"description"`
	Ordered       *bool    `json:"ordered"`
}

func (s *Server) createWebhookEndpoint(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createWebhookEndpointRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	params := engine.CreateWebhookEndpointParams{URL: req.URL, EnabledEvents: req.EnabledEvents,
		Description: req.Description, Ordered: req.Ordered}
	s.mutateShowingSecret(w, r, p, body, http.StatusCreated, func(ctx context.Context) (*engine.WebhookEndpoint, error) {
		return s.eng.CreateWebhookEndpoint(ctx, p.Scope, params)
	})
}

// mutateShowingSecret runs op as mutate does, and shows the signing secret op made
// in the answer to this request only. The response stored for an Idempotency-Key,
// and replayed to a retry with it, never holds the secret: it is shown once.
func (s *Server) mutateShowingSecret(w http.ResponseWriter, r *http.Request, p *engine.Principal, body []byte, success int,
	op func(ctx context.Context) (*engine.WebhookEndpoint, error)) {
	var made *engine.WebhookEndpoint
	buf := &bufferedResponse{ResponseWriter: w}
	s.mutate(buf, r, p, body, success, func(ctx context.Context) (any, error) {
		ep, err := op(ctx)
		if err != nil {
			return nil, err
		}
		made = ep
		stored := *ep
		stored.Secret = ""
		return &stored, nil
	})
	if made != nil && buf.status == success {
		writeJSON(w, success, made)
		return
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
}

// bufferedResponse holds a response's status and body (its headers go through).
type bufferedResponse struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
