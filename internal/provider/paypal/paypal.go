package paypal

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

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

// Options tune the connector; the zero value is ready for production.
type Options struct {
	// HTTPClient sends the requests. Its Timeout should be zero: each call is bounded
	// by its context, or by Timeout when the context has no deadline. Nil means a
	// client with its own transport.
	HTTPClient *http.Client
	// Logger receives one debug line per HTTP attempt (method, path, status, PayPal
	// debug id, attempt, duration) and a warning per retry. Credentials, access
	// tokens, request bodies and webhook signatures are never logged. Nil discards.
	Logger *slog.Logger
	// Now is the clock access-token lifetimes are measured with. Nil means time.Now.
	Now func() time.Time
	// Timeout bounds a call whose context has no deadline, and every token fetch.
	// Zero means 30 s.
	Timeout time.Duration
	// MaxRetries is how many times a call is retried, with the same PayPal-Request-Id,
	// after a network error, a 409, a 429 or a 5xx. Zero means 2; negative disables.
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled for each further retry (with
	// jitter) when PayPal sends no Retry-After. Zero means 500 ms.
	RetryBackoff time.Duration
	// MaxRetryWait caps one wait between attempts: a Retry-After longer than this, or
	// than what is left of the call's deadline, ends the call with a temporary error
	// instead. Zero means 10 s.
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

// Registration describes PayPal to the provider registry. New validates the
// connection's credentials and mode (see doc.go) and builds a connector; it does not
// call PayPal. Connectors built by one Registration share its access-token cache,
// so the engine may build one per operation and still fetch a token only when the
// cached one nears expiry.
func Registration(opts Options) provider.Registration {
	opts = opts.withDefaults()
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
