package provider

import (
	"log/slog"
	"net/http"
	"time"
)

// ClientOptions tune a connector's HTTP client; every connector takes them (as its
// Options) and the zero value is ready for production.
type ClientOptions struct {
	// HTTPClient sends the requests. Its Timeout should be zero: each call is bounded
	// by its context, or by Timeout when the context has no deadline. Nil means a
	// client with its own transport.
	HTTPClient *http.Client
	// Logger receives one debug line per HTTP attempt (path, status, attempt,
	// duration), one more with the provider's error code for an error answer, and a
	// warning per retry. Keys, tokens, bodies and payment method data are never
	// logged. Nil discards.
	Logger *slog.Logger
	// Now is the clock Retry-After dates (and token expiries) are read against. Nil
	// means time.Now.
	Now func() time.Time
	// Timeout bounds a call whose context has no deadline. Zero means 30 s.
	Timeout time.Duration
	// MaxRetries is how many times a call is retried, with the same idempotency key,
	// after a network error, a 429 or a 5xx (where the provider's idempotency makes
	// that safe). Zero means 2; negative disables.
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled for each further retry (with
	// jitter) when the provider sends no Retry-After. Zero means 500 ms.
	RetryBackoff time.Duration
	// MaxRetryWait caps one wait between attempts: a Retry-After longer than this, or
	// than what is left of the call's deadline, ends the call with a temporary error
	// instead. Zero means 10 s.
	MaxRetryWait time.Duration
}

// WithDefaults fills in what o leaves zero.
func (o ClientOptions) WithDefaults() ClientOptions {
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

// RetryPolicy is the retry policy o describes.
func (o ClientOptions) RetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: o.MaxRetries, Backoff: o.RetryBackoff, MaxWait: o.MaxRetryWait, Now: o.Now}
}
