package stripe

import (
	"strings"
	"time"

	"github.com/paymux/paymux/internal/provider"
)

// Name is the provider's registry name.
const Name = "stripe"

// APIVersion is the Stripe API version every request pins with the Stripe-Version
// header, so that an account's default version, changed in the Dashboard, cannot
// change the shape of what this package parses. It is the version of the OpenAPI
// spec bundled with stripe-mock v0.203.0, which the contract tests run against with
// -strict-version-check.
const APIVersion = "2026-08-26.dahlia"

// DefaultBaseURL is Stripe's API host, the only one a live connection talks to.
const DefaultBaseURL = "https://api.stripe.com"

// Capabilities: cards and the card wallets, with the full authorise/capture/void/
// refund life cycle, webhooks and status lookups, in test and live mode.
var Capabilities = provider.Capabilities{
	Methods:       []provider.Method{provider.MethodCard, provider.MethodApplePay, provider.MethodGooglePay},
	ManualCapture: true, PartialCapture: true, Void: true, Refund: true, PartialRefund: true,
	Webhooks: true, StatusLookup: true,
}

// Options tune the connector's HTTP client; the zero value is ready for production.
type Options = provider.ClientOptions

// Registration describes Stripe to the provider registry. New validates the
// connection's credentials and mode (see doc.go) and builds a connector; it does
// not call Stripe.
func Registration(opts Options) provider.Registration {
	opts = opts.WithDefaults()
	return provider.Registration{
		Name: Name, DisplayName: "Stripe", Capabilities: Capabilities,
		ValidateCredentials: ValidateCredentials, MethodOf: MethodOf,
		New: func(conn provider.Connection) (provider.Connector, error) {
			cfg, err := parseConfig(conn)
			if err != nil {
				return nil, err
			}
			return &connector{cfg: cfg, api: newClient(cfg, opts), now: opts.Now}, nil
		},
	}
}

// connector is a client of one Stripe account in one mode. It keeps no state
// between calls.
type connector struct {
	provider.Unsupported
	cfg config
	api *client
	now func() time.Time
}

var _ provider.Connector = (*connector)(nil)

// MethodOf tells the payment method type of a payment_method value offline where it
// can: Stripe's test card methods (pm_card_…) are cards. A PaymentMethod id from
// Stripe.js (pm_…) may be a card or a card in a wallet, which only Stripe knows.
func MethodOf(pm string) (provider.Method, bool) {
	if strings.HasPrefix(pm, "pm_card_") {
		return provider.MethodCard, true
	}
	return "", false
}
