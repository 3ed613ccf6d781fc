package stripe

import (
	"context"
	"errors"
	"net/http"

	"github.com/paymux/paymux/internal/provider"
)

// Verify checks the connection's secret key against Stripe without moving money,
// by listing at most one PaymentIntent (which a restricted key needs to read
// anyway). It returns nil when Stripe accepts the key; a *provider.Error that is
// neither Temporary nor Uncertain when Stripe refuses it (401: wrong, expired or
// revoked key; 403: a restricted key without PaymentIntents access), with a
// message safe to show the merchant; any other error when Stripe could not be
// asked.
func (c *connector) Verify(ctx context.Context) error {
	var list struct {
		Object string `json:"object"`
	}
	err := c.api.get(ctx, "/v1/payment_intents", (&form{}).add("limit", "1"), &list)
	if err == nil {
		return nil
	}
	var ce *callError
	if errors.As(err, &ce) {
		switch ce.status {
		case http.StatusUnauthorized:
			return &provider.Error{Provider: Name, Code: "authentication_failed",
				Message: "Stripe refused the secret_key: it is wrong, expired or revoked; copy it again from the Stripe Dashboard (Developers → API keys)"}
		case http.StatusForbidden:
			return &provider.Error{Provider: Name, Code: "permission_denied",
				Message: "Stripe refused the restricted key: give it write access to PaymentIntents and Refunds"}
		}
	}
	return providerError(err)
}
