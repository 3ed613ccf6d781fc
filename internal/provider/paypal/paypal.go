package paypal

import (
	"strings"

	"github.com/paymux/paymux/internal/provider"
)

// Name is the provider's registry name.
const Name = "paypal"

// PayPal's REST API hosts. A live connection talks only to LiveBaseURL, a test
// connection to SandboxBaseURL unless it overrides the base URL (tests do).
const (
	LiveBaseURL    = "https://api-m.paypal.com"
	SandboxBaseURL = "https://api-m.sandbox.paypal.com"
)

// Capabilities: PayPal Checkout (the PayPal wallet and whatever funding PayPal
// offers on its own pages), with the full authorise/capture/void/refund life cycle,
// partial capture and refund, webhooks and status lookups, in test and live mode.
var Capabilities = provider.Capabilities{
	Methods:       []provider.Method{provider.MethodPayPal},
	ManualCapture: true, PartialCapture: true, Void: true, Refund: true, PartialRefund: true,
	Webhooks: true, StatusLookup: true,
}

// Options tune the connector's HTTP client; the zero value is ready for production.
type Options = provider.ClientOptions

// Registration describes PayPal to the provider registry. New validates the
// connection's credentials and mode (see doc.go) and builds a connector; it does not
// call PayPal. Connectors built by one Registration share its access-token cache,
// so the engine may build one per operation and still fetch a token only when the
// cached one nears expiry.
func Registration(opts Options) provider.Registration {
	opts = opts.WithDefaults()
	tokens := newTokenCache()
	return provider.Registration{
		Name: Name, DisplayName: "PayPal", Capabilities: Capabilities,
		ValidateCredentials: ValidateCredentials, MethodOf: MethodOf,
		New: func(conn provider.Connection) (provider.Connector, error) {
			cfg, err := parseConfig(conn)
			if err != nil {
				return nil, err
			}
			return &connector{cfg: cfg, api: newClient(cfg, opts, tokens)}, nil
		},
	}
}

// connector is a client of one PayPal REST app in one environment. It keeps no
// payment state between calls.
type connector struct {
	provider.Unsupported
	cfg config
	api *client
}

var (
	_ provider.Connector = (*connector)(nil)
	_ provider.Verifier  = (*connector)(nil)
)

// MethodOf tells the payment method type of a payment_method value: "paypal" (or
// nothing) is the PayPal wallet, the only method a PayPal connection takes.
func MethodOf(pm string) (provider.Method, bool) {
	if m := strings.ToLower(strings.TrimSpace(pm)); m == "" || m == MethodPayPal {
		return provider.MethodPayPal, true
	}
	return "", false
}
