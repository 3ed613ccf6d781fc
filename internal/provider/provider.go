package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"github.com/paymux/paymux/internal/payment"
)

// Method is a payment method type a provider can take.
type Method string

// Payment method types.
const (
	MethodCard      Method = "card"
	MethodApplePay  Method = "apple_pay"
	MethodGooglePay Method = "google_pay"
	MethodPayPal    Method = "paypal"
	MethodBNPL      Method = "bnpl"
	MethodSatispay  Method = "satispay"
	MethodAlipay    Method = "alipay_plus"
	MethodMetaPay   Method = "meta_pay"
)

// Capabilities is what a provider can do, declared as data so that unsupported calls
// are refused before they reach the provider and the checkout shows only what works.
type Capabilities struct {
	Methods        []Method
	ManualCapture  bool
	PartialCapture bool
	Void           bool
	Refund         bool
	PartialRefund  bool
	Webhooks       bool
	StatusLookup   bool
	// TestOnly providers (the sandbox) refuse live mode.
	TestOnly bool
}

// Supports reports whether m is among the declared methods.
func (c Capabilities) Supports(m Method) bool {
	for _, x := range c.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// Connection is one merchant's account at a provider, in one mode, with its
// decrypted credentials. It lives only in memory for the duration of a call.
type Connection struct {
	ID          string
	MerchantID  string
	Livemode    bool
	Provider    string
	Credentials map[string]string
	// BaseURL overrides the provider's API host; allowed only in test mode, so
	// tests can point a connection at a local spec-driven server.
	BaseURL string
}

// AuthorizeRequest asks the provider to authorise (and, with automatic capture,
// capture) a payment.
type AuthorizeRequest struct {
	PaymentID      string
	IdempotencyKey string
	Amount         int64
	Currency       string
	CaptureMethod  payment.CaptureMethod
	PaymentMethod  string
	// ReturnURL is paymux's own return endpoint; the shopper comes back there after a
	// redirect or 3-D Secure, and paymux then sends them to the merchant's return_url.
	ReturnURL   string
	OrderID     string
	Description string
	Customer    payment.Customer
}

// CaptureRequest captures Amount of an authorised payment.
type CaptureRequest struct {
	PaymentID         string
	IdempotencyKey    string
	ProviderReference string
	Amount            int64
	Currency          string
}

// VoidRequest releases an authorisation.
type VoidRequest struct {
	PaymentID         string
	IdempotencyKey    string
	ProviderReference string
}

// StatusRequest looks a payment up at the provider.
type StatusRequest struct {
	PaymentID         string
	ProviderReference string
	// IdempotencyKey is that of the last authorisation; providers that index payments
	// by it can find one whose answer was lost.
	IdempotencyKey string
}

// RefundRequest refunds Amount of a captured payment.
type RefundRequest struct {
	PaymentID         string
	RefundID          string
	IdempotencyKey    string
	ProviderReference string
	Amount            int64
	Currency          string
	Reason            string
}

// RefundResult is the provider's answer to a refund.
type RefundResult struct {
	State             payment.RefundState
	ProviderReference string
	FailureCode       string
	FailureMessage    string
}

// WebhookRequest is an inbound provider webhook as received.
type WebhookRequest struct {
	Header http.Header
	Body   []byte
}

// WebhookEvent is one verified, translated provider notification.
type WebhookEvent struct {
	// ID is the provider's event id; paymux records it so a redelivery changes nothing.
	ID string
	// PaymentID is paymux's id when the provider echoes it; otherwise the engine looks
	// the payment up by ProviderReference.
	PaymentID         string
	ProviderReference string
	// Payment is set for payment status news; Refund (with RefundID) for refund news;
	// Dispute for news of a chargeback.
	Payment  *payment.Outcome
	RefundID string
	Refund   *RefundResult
	Dispute  *Dispute
	// CaptureFailure is set when the provider reports that a capture it had
	// accepted failed afterwards (Adyen's CAPTURE_FAILED): nothing was captured, and
	// the payment goes back to requires_capture with the failure kept.
	CaptureFailure *Failure
}

// Failure is a provider's code and message for something that failed.
type Failure struct {
	Code    string
	Message string
}

// Dispute news kinds.
const (
	DisputeCreated = "created"
	DisputeUpdated = "updated"
	DisputeClosed  = "closed"
)

// Dispute is a shopper's chargeback of a payment, as the provider reports it. It
// does not move the payment's state: money comes back only if the dispute is lost,
// and the provider settles that outside the payment.
type Dispute struct {
	// News is DisputeCreated, DisputeUpdated or DisputeClosed.
	News string
	// Reference is the provider's id of the dispute.
	Reference string
	// Amount is in paymux's minor units of Currency.
	Amount   int64
	Currency string
	// Reason and Status are the provider's words, e.g. "fraudulent", "needs_response", "won".
	Reason string
	Status string
}

// Connector is a client of one provider connection. Methods return *Error for
// provider-side failures; ErrNotSupported where the capability is missing.
type Connector interface {
	// Authorize sends a payment to the provider. The outcome's Status is one of
	// requires_action (with RedirectURL), processing, requires_capture, succeeded, failed.
	Authorize(ctx context.Context, r AuthorizeRequest) (payment.Outcome, error)
	// Capture captures an authorised payment; the outcome is succeeded (or processing).
	Capture(ctx context.Context, r CaptureRequest) (payment.Outcome, error)
	// Void releases an authorisation; the outcome is canceled.
	Void(ctx context.Context, r VoidRequest) (payment.Outcome, error)
	// Refund refunds part or all of a captured payment.
	Refund(ctx context.Context, r RefundRequest) (RefundResult, error)
	// Status asks the provider for the payment's true state.
	Status(ctx context.Context, r StatusRequest) (payment.Outcome, error)
	// ParseWebhook verifies an inbound webhook's signature and translates it. It
	// returns ErrBadSignature for a forged or stale delivery.
	ParseWebhook(ctx context.Context, r WebhookRequest) ([]WebhookEvent, error)
}

// Errors connectors return.
var (
	ErrNotSupported = errors.New("not supported by this provider")
	// ErrUnknownPayment: the provider has no record of the payment (the request
	// never reached it).
	ErrUnknownPayment = errors.New("the provider has no record of this payment")
	ErrBadSignature   = errors.New("webhook signature invalid")
)

// Error is a failure reported by, or on the way to, a provider.
type Error struct {
	Provider string
	Code     string // the provider's own code, kept for operators
	Message  string
	// Uncertain means the request may have reached the provider and taken effect
	// (timeout or connection reset after sending); the outcome must be reconciled.
	Uncertain bool
	// Temporary means a retry with the same idempotency key may succeed.
	Temporary bool
	Err       error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Provider, e.Message)
	if e.Code != "" {
		msg = fmt.Sprintf("%s: %s (%s)", e.Provider, e.Message, e.Code)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ReturnRequest is the shopper's return to paymux after a redirect or 3-D Secure,
// with the parameters the provider appended to the return URL (or posted to it).
type ReturnRequest struct {
	StatusRequest
	// CaptureMethod is the payment's, for providers whose answer does not carry it.
	CaptureMethod payment.CaptureMethod
	// Params are the return's query parameters, or its form fields when the
	// provider sent the shopper back with a POST.
	Params url.Values
}

// RedirectCompleter is implemented by connectors whose provider needs what the
// shopper brought back from a redirect to finish the payment (Adyen's
// redirectResult goes to /payments/details). The engine calls it on the shopper's
// return instead of Status; connectors without it are asked for Status, which
// finishes what their provider needs finishing (PayPal captures or authorises an
// approved order there). Without return parameters it answers as Status does.
type RedirectCompleter interface {
	CompleteRedirect(ctx context.Context, r ReturnRequest) (payment.Outcome, error)
}

// Verifier is implemented by connectors that can check their connection's
// credentials against the provider without moving money (e.g. by reading the
// account). Verify returns nil when the provider accepts them, a *Error that is
// neither Temporary nor Uncertain when it refuses them (its Message is shown to the
// merchant, so it must not contain a credential), and any other error when the
// provider could not be asked.
type Verifier interface {
	Verify(ctx context.Context) error
}

// Registration describes a provider to the registry: its name, capabilities and how
// to build a connector for a connection.
type Registration struct {
	Name         string
	DisplayName  string
	Capabilities Capabilities
	New          func(conn Connection) (Connector, error)
	// WebhookAck is the body of the 200 answer to an accepted inbound webhook, for
	// providers that expect a particular one (Adyen: "[accepted]"); empty means a
	// small JSON object.
	WebhookAck string
	// ValidateCredentials, when set, checks a new connection's credentials and base
	// URL offline before they are stored: the keys the provider needs are present and
	// well formed, and they belong to the connection's mode (no test key in a live
	// connection, nor the reverse). baseURL is "" or a test-mode override already
	// checked to be an http(s) URL. The error's message is shown to the merchant, so
	// it names keys and says what is wrong, and never includes a credential's value.
	ValidateCredentials func(livemode bool, creds map[string]string, baseURL string) error
	// MethodOf, when set, tells offline which payment method type a payment_method
	// value is (a sandbox test method, Adyen's paymentMethod JSON, "paypal"), so that
	// a confirm with a method the connection does not offer is refused before
	// anything is sent. ok false means it cannot tell (an opaque token); the confirm
	// then needs payment_method_type when the connection offers only some of the
	// provider's methods.
	MethodOf func(paymentMethod string) (m Method, ok bool)
}

// Registry is the explicit list of providers this binary offers. It is built once in
// cmd/paymux and read-only afterwards.
type Registry struct {
	regs map[string]Registration
}

// NewRegistry builds a registry; a duplicate name is a programming error.
func NewRegistry(regs ...Registration) (*Registry, error) {
	r := &Registry{regs: make(map[string]Registration, len(regs))}
	for _, reg := range regs {
		if reg.Name == "" || reg.New == nil {
			return nil, fmt.Errorf("provider registration %q is incomplete", reg.Name)
		}
		if _, dup := r.regs[reg.Name]; dup {
			return nil, fmt.Errorf("provider %q registered twice", reg.Name)
		}
		r.regs[reg.Name] = reg
	}
	return r, nil
}

// Lookup returns the registration of name.
func (r *Registry) Lookup(name string) (Registration, bool) {
	reg, ok := r.regs[name]
	return reg, ok
}

// Names lists the registered providers, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.regs))
	for n := range r.regs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
