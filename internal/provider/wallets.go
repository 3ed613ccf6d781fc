package provider

import (
	"context"
	"encoding/json"
	"strings"
)

// Wallets (Apple Pay, Google Pay) on the web need one step besides the payment: the
// browser's payment sheet must be allowed to run on the checkout's domain. Providers
// do it in one of two ways, and a connector implements the interface of its way.

// ApplePayMerchantValidator is a connector whose provider validates an Apple Pay
// merchant session server-side with its own Apple Pay certificate (Adyen): the
// checkout asks paymux for a session when the sheet opens.
type ApplePayMerchantValidator interface {
	// ApplePaySession returns the opaque merchant session object the browser hands
	// to ApplePaySession.completeMerchantValidation.
	ApplePaySession(ctx context.Context, displayName, domainName string) (json.RawMessage, error)
}

// WalletDomainRegistrar is a connector whose provider validates wallet merchants
// itself for domains registered with it (Stripe): the merchant registers the
// checkout's domain once.
type WalletDomainRegistrar interface {
	// RegisterWalletDomain registers domain (a bare host name) for the provider's
	// wallets; registering it again returns the same registration.
	RegisterWalletDomain(ctx context.Context, domain string) (WalletDomain, error)
}

// WalletDomain is a domain registered at a provider for wallets.
type WalletDomain struct {
	// Reference is the provider's id of the registration.
	Reference string
	Domain    string
	// ApplePay and GooglePay are the provider's status for each wallet
	// ("active", "inactive", …), empty when it does not say.
	ApplePay  string
	GooglePay string
	// Reason is the provider's explanation when a wallet is not active.
	Reason string
}

// ValidDomain says whether d is a bare, lower-case DNS host name with a dot (what
// Apple Pay and the providers accept as a web domain).
func ValidDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || !strings.Contains(d, ".") ||
		strings.Contains(d, "..") {
		return false
	}
	for _, r := range d {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}
