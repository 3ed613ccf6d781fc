package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// ApplePaySessionParams ask for an Apple Pay merchant session.
type ApplePaySessionParams struct {
	// Provider is the connection's provider that will take the payment.
	Provider string
	// DisplayName is the merchant name the payment sheet shows (1-64 characters).
	DisplayName string
	// DomainName is the host the checkout page runs on, e.g. pay.shop.example.
	DomainName string
}

// ApplePaySession is a validated Apple Pay merchant session.
type ApplePaySession struct {
	Object    string `json:"object"`
	PaymentID string `json:"payment_id"`
	Provider  string `json:"provider"`
	// MerchantSession is the provider's opaque object for the browser's
	// ApplePaySession.completeMerchantValidation, passed on untouched.
	MerchantSession json.RawMessage `json:"merchant_session"`
}

// ApplePaySession validates the merchant for Apple Pay on the web, for a payment
// about to be paid with Apple Pay through p.Provider. Only providers that validate
// server-side (Adyen) do this; with the others (Stripe) the provider's own script
// validates on a registered domain, and the error says so.
func (e *Engine) ApplePaySession(ctx context.Context, s store.Scope, paymentID string, p ApplePaySessionParams) (*ApplePaySession, error) {
	pay, err := e.GetPayment(ctx, s, paymentID)
	if err != nil {
		return nil, err
	}
	if pay.Status != payment.StatusRequiresPaymentMethod && pay.Status != payment.StatusFailed {
		return nil, payment.Errorf(payment.KindConflict, payment.CodePaymentInvalidState,
			"payment %s is %s: an Apple Pay session is only for a payment still waiting to be paid", pay.ID, pay.Status)
	}
	if p.Provider == "" {
		return nil, payment.Invalid("provider", payment.CodeParameterMissing,
			"provider is required: the provider that will take the Apple Pay payment, e.g. \"adyen\"")
	}
	b, err := e.connectorFor(ctx, s, p.Provider)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(b.offered(), string(provider.MethodApplePay)) {
		return nil, payment.Invalid("provider", payment.CodeParameterInvalid,
			"your %s connection does not offer apple_pay: enable it with PATCH /v1/provider_connections/%s", p.Provider, b.conn.ID)
	}
	v, ok := b.raw.(provider.ApplePayMerchantValidator)
	if !ok {
		if _, reg := b.raw.(provider.WalletDomainRegistrar); reg {
			return nil, payment.Invalid("provider", payment.CodeParameterInvalid,
				"%s validates Apple Pay merchants itself, in its own script, on domains registered with it: "+
					"register the checkout's domain once with POST /v1/provider_connections/%s/wallet_domains", p.Provider, b.conn.ID)
		}
		return nil, payment.Invalid("provider", payment.CodeParameterInvalid, "%s does not take Apple Pay on the web", p.Provider)
	}
	session, err := v.ApplePaySession(ctx, p.DisplayName, p.DomainName)
	if err != nil {
		return nil, providerErr(err)
	}
	return &ApplePaySession{Object: "apple_pay_session", PaymentID: pay.ID, Provider: p.Provider, MerchantSession: session}, nil
}

// WalletDomain is a domain registered for wallets at a provider, as the API shows it.
type WalletDomain struct {
	Object       string `json:"object"`
	ConnectionID string `json:"connection_id"`
	Provider     string `json:"provider"`
	DomainName   string `json:"domain_name"`
	// ProviderReference is the provider's id of the registration.
	ProviderReference string `json:"provider_reference"`
	// ApplePay and GooglePay are the provider's status of each wallet on the domain.
	ApplePay  string `json:"apple_pay"`
	GooglePay string `json:"google_pay"`
	// StatusMessage is the provider's reason when a wallet is not active.
	StatusMessage string `json:"status_message,omitempty"`
}

// RegisterWalletDomain registers the checkout's domain for Apple Pay and Google Pay
// with a connection's provider, for providers that validate wallet merchants
// themselves (Stripe). Others are refused with what to do instead.
func (e *Engine) RegisterWalletDomain(ctx context.Context, s store.Scope, connectionID, domain string) (*WalletDomain, error) {
	c, err := e.findConnection(ctx, e.store, s, connectionID)
	if err != nil {
		return nil, err
	}
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" {
		return nil, payment.Invalid("domain_name", payment.CodeParameterMissing,
			"domain_name is required: the host your checkout runs on, e.g. pay.shop.example")
	}
	if !provider.ValidDomain(domain) {
		return nil, payment.Invalid("domain_name", payment.CodeParameterInvalid,
			"domain_name must be a bare host name such as pay.shop.example (no scheme, port or path), got %q", domain)
	}
	reg, ok := e.providers.Lookup(c.Provider)
	if !ok {
		return nil, payment.Invalid("id", payment.CodeParameterInvalid, "connection %s is for %q, which this paymux does not know", c.ID, c.Provider)
	}
	b, err := e.bind(reg, c)
	if err != nil {
		return nil, err
	}
	r, ok := b.raw.(provider.WalletDomainRegistrar)
	if !ok {
		if _, v := b.raw.(provider.ApplePayMerchantValidator); v {
			return nil, payment.Invalid("id", payment.CodeParameterInvalid,
				"%s does not register domains through its API: add the domain in its dashboard; paymux validates Apple Pay sessions through POST /v1/payments/{id}/apple_pay_session", c.Provider)
		}
		return nil, payment.Invalid("id", payment.CodeParameterInvalid, "%s does not take wallets on the web", c.Provider)
	}
	d, err := r.RegisterWalletDomain(ctx, domain)
	if err != nil {
		return nil, providerErr(err)
	}
	out := &WalletDomain{Object: "wallet_domain", ConnectionID: c.ID, Provider: c.Provider, DomainName: d.Domain,
		ProviderReference: d.Reference, ApplePay: d.ApplePay, GooglePay: d.GooglePay, StatusMessage: d.Reason}
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		return out, e.audit(ctx, tx, s, "provider_connection.wallet_domain_registered", "provider_connection", c.ID, nil, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
