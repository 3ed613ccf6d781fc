package adyen

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// ApplePaySession validates the merchant with Apple Pay through Adyen's certificate:
// it calls POST /applePay/sessions with the name shown in the payment sheet, the
// domain the checkout runs on (registered with Apple through Adyen) and the
// connection's apple_pay_merchant_id, and returns the Apple Pay merchant session
// object to hand to ApplePaySession.completeMerchantValidation in the browser
// (Adyen sends it base64-encoded; it is decoded here).
func (c *connector) ApplePaySession(ctx context.Context, displayName, domainName string) (json.RawMessage, error) {
	displayName = strings.TrimSpace(displayName)
	domainName = strings.ToLower(strings.TrimSpace(domainName))
	if c.cfg.applePayMerchantID == "" {
		return nil, payment.Invalid("credentials."+CredApplePayMerchantID, payment.CodeParameterMissing,
			"Apple Pay needs the connection's %s: the merchantId in the Apple Pay configuration of Adyen's /paymentMethods answer", CredApplePayMerchantID)
	}
	if displayName == "" || len([]rune(displayName)) > 64 {
		return nil, payment.Invalid("display_name", payment.CodeParameterInvalid, "the Apple Pay display name must be 1-64 characters")
	}
	if !provider.ValidDomain(domainName) {
		return nil, payment.Invalid("domain_name", payment.CodeParameterInvalid,
			"the Apple Pay domain must be a bare host name such as shop.example.com (no scheme, port or path), got %q", clip(domainName))
	}
	req := struct {
		DisplayName        string `json:"displayName"`
		DomainName         string `json:"domainName"`
		MerchantIdentifier string `json:"merchantIdentifier"`
	}{displayName, domainName, c.cfg.applePayMerchantID}
	var res struct {
		Data string `json:"data"`
	}
	// A session is short-lived and moves no money: each call gets a fresh key.
	if err := c.api.post(ctx, "/applePay/sessions", req, idempotencyKey("applepay", ""), &res); err != nil {
		return nil, providerError(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(res.Data))
	if err != nil || !json.Valid(raw) || !strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
		return nil, &provider.Error{Provider: Name, Code: "invalid_response", Temporary: true,
			Message: "Adyen's Apple Pay session is not a base64-encoded JSON object"}
	}
	return json.RawMessage(raw), nil
}
