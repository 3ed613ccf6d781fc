package stripe

import (
	"context"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// paymentMethodDomain is the part of Stripe's PaymentMethodDomain paymux reads.
type paymentMethodDomain struct {
	ID         string `json:"id"`
	DomainName string `json:"domain_name"`
	ApplePay   struct {
		Status     string `json:"status"`
		StatusInfo struct {
			ErrorMessage string `json:"error_message"`
		} `json:"status_info"`
	} `json:"apple_pay"`
	GooglePay struct {
		Status string `json:"status"`
	} `json:"google_pay"`
}

// RegisterWalletDomain registers the checkout's domain with Stripe
// (POST /v1/payment_method_domains), after which Stripe.js validates Apple Pay and
// Google Pay merchants on it by itself. Stripe checks the domain-association file
// Apple requires, which paymux serves (PAYMUX_APPLE_PAY_DOMAIN_FILE).
func (c *connector) RegisterWalletDomain(ctx context.Context, domain string) (provider.WalletDomain, error) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if !provider.ValidDomain(domain) {
		return provider.WalletDomain{}, payment.Invalid("domain_name", payment.CodeParameterInvalid,
			"domain_name must be a bare host name such as shop.example.com (no scheme, port or path), got %q", domain)
	}
	var d paymentMethodDomain
	// The same domain registered again is the same registration: key it by domain.
	if err := c.api.post(ctx, "/v1/payment_method_domains", (&form{}).add("domain_name", domain),
		idempotencyKey("domain", domain), &d); err != nil {
		return provider.WalletDomain{}, providerError(err)
	}
	return provider.WalletDomain{Reference: d.ID, Domain: d.DomainName, ApplePay: d.ApplePay.Status,
		GooglePay: d.GooglePay.Status, Reason: d.ApplePay.StatusInfo.ErrorMessage}, nil
}
