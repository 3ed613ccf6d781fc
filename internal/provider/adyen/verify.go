package adyen

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/paymux/paymux/internal/provider"
)

// Verify checks the connection's api_key and merchant_account against Adyen without
// moving money, by asking POST /paymentMethods which payment methods the merchant
// account offers. It returns nil when Adyen accepts both; a *provider.Error that is
// neither Temporary nor Uncertain when Adyen refuses them (401: wrong or revoked
// key; 403 or error 901: the credential may not use the merchant account, or lacks
// the Checkout webservice role), with a message safe to show the merchant; any
// other error when Adyen could not be asked.
func (c *connector) Verify(ctx context.Context) error {
	var res struct {
		PaymentMethods []json.RawMessage `json:"paymentMethods"`
	}
	req := struct {
		MerchantAccount string `json:"merchantAccount"`
	}{c.cfg.merchantAccount}
	err := c.api.post(ctx, "/paymentMethods", req, idempotencyKey("verify", ""), &res)
	if err == nil {
		return nil
	}
	var ce *callError
	if errors.As(err, &ce) {
		switch {
		case ce.status == http.StatusUnauthorized:
			return &provider.Error{Provider: Name, Code: "authentication_failed",
				Message: "Adyen refused the api_key: it is wrong, revoked, or from the other environment (test and live keys differ); generate it again under Developers → API credentials"}
		case ce.status == http.StatusForbidden || ce.code() == "901":
			return &provider.Error{Provider: Name, Code: "permission_denied",
				Message: "Adyen refused merchant account " + clip(c.cfg.merchantAccount) + " for this API credential: check the merchant_account name, give the credential access to it, and give it the Checkout webservice role"}
		}
	}
	return providerError(err)
}
