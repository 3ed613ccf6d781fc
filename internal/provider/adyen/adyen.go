package adyen

import (
	"log/slog"
	"net/http"
	"time"

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

// Options tune the connector; the zero value is ready for production.
type Options struct {
	// HTTPClient sends the requests. Its Timeout should be zero: each call is bounded
	// by its context, or by Timeout when the context has no deadline. Nil means a
	// client with its own transport.
	HTTPClient *http.Client
	// Logger receives one debug line per HTTP attempt (path, status, attempt,
	// duration), one more with Adyen's error code and pspReference for an error
	// answer, and a warning per retry. API keys, HMAC keys, bodies and payment
	// method data are never logged. Nil discards.
	Logger *slog.Logger
	// Now is the clock Retry-After dates are read against. Nil means time.Now.
	Now func() time.Time
	// Timeout bounds a call whose context has no deadline. Zero means 30 s.
	Timeout time.Duration
	// MaxRetries is how many times a call is retried, with the same idempotency key,
	// after a network error, a 429, a 5xx or an answer marked Transient-Error. Zero
	// means 2; negative disables.
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled for each further retry
	// (with jitter) when Adyen sends no Retry-After. Zero means 500 ms.
	RetryBackoff time.Duration
	// MaxRetryWait caps one wait between attempts: a Retry-After longer than this,
	// or than what is left of the call's deadline, ends the call with a temporary
	// error instead. Zero means 10 s.
	MaxRetryWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = 2
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 500 * time.Millisecond
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 10 * time.Second
	}
	return o
}

// Registration describes Adyen to the provider registry. New validates the
// connection's credentials and mode (see doc.go) and builds a connector; it does not
// call Adyen.
func Registration(opts Options) provider.Registration {
	opts = opts.withDefaults()
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
