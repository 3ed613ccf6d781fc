package stripe

import (
	"log/slog"
	"net/http"
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

// Options tune the connector; the zero value is ready for production.
type Options struct {
	// HTTPClient sends the requests. Its Timeout should be zero: each call is bounded
	// by its context, or by Timeout when the context has no deadline. Nil means a
	// client with its own transport.
	HTTPClient *http.Client
	// Logger receives one debug line per HTTP attempt (method, path, status, Stripe
	// request id, attempt, duration) and a warning per retry. Keys, bodies and
	// signatures are never logged. Nil discards.
	Logger *slog.Logger
	// Now is the clock webhook timestamps are checked against. Nil means time.Now.
	Now func() time.Time
	// Timeout bounds a call whose context has no deadline. Zero means 30 s.
	Timeout time.Duration
	// MaxRetries is how many times a call is retried, with the same idempotency key,
	// after a network error, a 409, a 429 or a 5xx. Zero means 2; negative disables.
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled for each further retry
	// (with jitter) when Stripe sends no Retry-After. Zero means 500 ms.
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

// Registration describes Stripe to the provider registry. New validates the
// connection's credentials and mode (see doc.go) and builds a connector; it does
// not call Stripe.
func Registration(opts Options) provider.Registration {
	opts = opts.withDefaults()
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
