package adyen

import (
	"github.com/paymux/paymux/internal/provider"
)

// Name is the provider's registry name.
const Name = "adyen"

// APIVersion is the Checkout API version every request uses; it is part of the base
// URL, so an account's settings cannot change the shape of what this package parses.
// It is the version of the OpenAPI spec the contract tests run Prism on.
const APIVersion = "v71"

// Capabilities: cards and the card wallets (Apple Pay and Google Pay tokens from
// Adyen's Drop-in or Components), with the full authorise/capture/void/refund life
// cycle and notifications. StatusLookup is false: Adyen has no endpoint that reads a
// payment, so its outcomes arrive by notification (see doc.go).
var Capabilities = provider.Capabilities{
	Methods:       []provider.Method{provider.MethodCard, provider.MethodApplePay, provider.MethodGooglePay},
	ManualCapture: true, PartialCapture: true, Void: true, Refund: true, PartialRefund: true,
	Webhooks: true, StatusLookup: false,
}

// Options tune the connector's HTTP client; the zero value is ready for production.
type Options = provider.ClientOptions

// Registration describes Adyen to the provider registry. New validates the
// connection's credentials and mode (see doc.go) and builds a connector; it does not
// call Adyen.
func Registration(opts Options) provider.Registration {
	opts = opts.WithDefaults()
	return provider.Registration{
		Name: Name, DisplayName: "Adyen", Capabilities: Capabilities,
		ValidateCredentials: ValidateCredentials, WebhookAck: NotificationResponse, MethodOf: MethodOf,
		New: func(conn provider.Connection) (provider.Connector, error) {
			return newConnector(conn, opts)
		},
	}
}

func newConnector(conn provider.Connection, opts Options) (*connector, error) {
	cfg, err := parseConfig(conn)
	if err != nil {
		return nil, err
	}
	return &connector{cfg: cfg, api: newClient(cfg, opts)}, nil
}

// connector is a client of one Adyen merchant account in one mode. It keeps no
// state between calls.
type connector struct {
	provider.Unsupported
	cfg config
	api *client
}

var (
	_ provider.Connector         = (*connector)(nil)
	_ provider.Verifier          = (*connector)(nil)
	_ provider.RedirectCompleter = (*connector)(nil)
)
