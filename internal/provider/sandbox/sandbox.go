// Package sandbox is paymux's built-in test provider. It behaves like a real PSP:
// it keeps its own record of each transaction, answers after a configurable
// latency, sends 3-D Secure shoppers to a challenge page, and reports asynchronous
// outcomes as signed HTTP webhooks to paymux's public inbound-webhook URL, through the
// same intake as every real provider. It takes test payments only.
package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// Name is the provider's registry name.
const Name = "sandbox"

// JobWebhook is the job kind that delivers a sandbox webhook.
const JobWebhook = "sandbox.webhook"

// Deps are what the sandbox needs from its host process.
type Deps struct {
	// Store keeps the sandbox's transactions and its webhook jobs.
	Store store.Store
	// Connection loads a connection (with its webhook secret) by id.
	Connection func(ctx context.Context, id string) (provider.Connection, error)
	// BaseURL is paymux's public URL, where webhooks are sent and the challenge page lives.
	BaseURL string
	// Latency is added to every API call, to behave like a remote PSP.
	Latency time.Duration
	// SettleAfter is when a pm_card_processing payment settles.
	SettleAfter time.Duration
	// Wake tells the job runner a webhook is due now.
	Wake   func()
	HTTP   *http.Client
	Logger *slog.Logger
	Now    func() time.Time
}

// Sandbox is the provider shared by all sandbox connections.
type Sandbox struct {
	d Deps
}

// New builds the sandbox.
func New(d Deps) *Sandbox {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Wake == nil {
		d.Wake = func() {}
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.SettleAfter <= 0 {
		d.SettleAfter = 5 * time.Second
	}
	return &Sandbox{d: d}
}

// Capabilities: everything, in test mode only.
var Capabilities = provider.Capabilities{
	Methods: []provider.Method{provider.MethodCard, provider.MethodApplePay, provider.MethodGooglePay,
		provider.MethodPayPal, provider.MethodBNPL},
	ManualCapture: true, PartialCapture: true, Void: true, Refund: true, PartialRefund: true,
	Webhooks: true, StatusLookup: true, TestOnly: true,
}

// Registration describes the sandbox to the provider registry.
func (s *Sandbox) Registration() provider.Registration {
	return provider.Registration{
		Name: Name, DisplayName: "Sandbox (test payments)", Capabilities: Capabilities,
		New: func(conn provider.Connection) (provider.Connector, error) {
			return &connector{sb: s, conn: conn}, nil
		},
		ValidateCredentials: validateCredentials,
		MethodOf: func(pm string) (provider.Method, bool) {
			b, ok := methods[pm]
			return b.methodType, ok
		},
	}
}

// MinWebhookSecret is the shortest webhook secret a sandbox connection takes.
const MinWebhookSecret = 16

// validateCredentials: a sandbox connection needs only the secret its webhooks are
// signed with; a short one would let anyone forge them.
func validateCredentials(livemode bool, creds map[string]string, _ string) error {
	if livemode {
		return fmt.Errorf("the sandbox takes test payments only: create its connection with a test key (sk_test_…)")
	}
	for k := range creds {
		if k != "webhook_secret" {
			return fmt.Errorf("the sandbox takes one credential, webhook_secret: remove %q", k)
		}
	}
	if len(creds["webhook_secret"]) < MinWebhookSecret {
		return fmt.Errorf("credentials.webhook_secret is required, at least %d characters: the sandbox signs its webhooks with it", MinWebhookSecret)
	}
	return nil
}

// Verify accepts every sandbox connection: there is no account to check.
func (c *connector) Verify(context.Context) error { return nil }

var _ provider.Verifier = (*connector)(nil)

// behaviour is what a test payment method does.
type behaviour struct {
	methodType  provider.Method
	brand       string
	last4       string
	outcome     string // approve, decline, challenge, processing
	failCode    string
	failMessage string
	// dispute: once captured, the shopper disputes the charge (a dispute.created
	// webhook after SettleAfter), like Stripe's pm_card_createDispute.
	dispute bool
}

// methods are the test payment methods of DESIGN.md.
var methods = map[string]behaviour{
	"pm_card_visa":                 {methodType: provider.MethodCard, brand: "visa", last4: "4242", outcome: "approve"},
	"pm_card_mastercard":           {methodType: provider.MethodCard, brand: "mastercard", last4: "4444", outcome: "approve"},
	"pm_card_chargeDeclined":       {methodType: provider.MethodCard, brand: "visa", last4: "0002", outcome: "decline", failCode: "card_declined", failMessage: "The card was declined."},
	"pm_card_insufficientFunds":    {methodType: provider.MethodCard, brand: "visa", last4: "9995", outcome: "decline", failCode: "insufficient_funds", failMessage: "The card has insufficient funds."},
	"pm_card_threeDSecureRequired": {methodType: provider.MethodCard, brand: "visa", last4: "3220", outcome: "challenge"},
	"pm_card_processing":           {methodType: provider.MethodCard, brand: "visa", last4: "0077", outcome: "processing"},
	"pm_card_createDispute":        {methodType: provider.MethodCard, brand: "visa", last4: "0259", outcome: "approve", dispute: true},
	"pm_wallet_applepay":           {methodType: provider.MethodApplePay, brand: "visa", last4: "1111", outcome: "approve"},
	"pm_wallet_googlepay":          {methodType: provider.MethodGooglePay, brand: "mastercard", last4: "4444", outcome: "approve"},
	"pm_paypal":                    {methodType: provider.MethodPayPal, outcome: "approve"},
	"pm_bnpl":                      {methodType: provider.MethodBNPL, outcome: "approve"},
}

// TestMethods lists the sandbox's test payment methods, sorted.
func TestMethods() []string {
	out := make([]string, 0, len(methods))
	for m := range methods {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Sandbox transaction states, as the sandbox itself names them.
const (
	txnRequiresAction = "requires_action"
	txnProcessing     = "processing"
	txnAuthorized     = "authorized"
	txnCaptured       = "captured"
	txnFailed         = "failed"
	txnCanceled       = "canceled"
)

// pause waits half the configured latency: calls pause once on the way in and once
// on the way out, like a request and its response crossing a network, so a crash
// can fall between the provider acting and paymux hearing of it.
func (s *Sandbox) pause(ctx context.Context) error {
	if s.d.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(s.d.Latency / 2)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
