// Package providertest is the test kit every payment connector runs: given a
// provider's stateful fake (stripefake, paypalfake, adyenfake, …) it starts a whole
// paymux (internal/testutil/apptest, on SQLite and PostgreSQL) and drives it through
// its HTTP API the way a merchant, a shopper and the provider do:
//
//   - a provider connection created with POST /v1/provider_connections whose
//     base_url points at the fake;
//   - payments created and confirmed with that provider, the shopper's step at the
//     provider (3-D Secure, an approval page) walked like a browser, the return to
//     /pay/{id}/return (GET or POST), automatic and manual capture, a partial
//     refund, and the provider's webhooks delivered to /hooks/{provider}/{id}, twice
//     and late; final states and the payment's events checked;
//   - a duplicate return and a webhook racing the return converging on one state,
//     each step once in the events;
//   - the shopper failing the challenge or cancelling;
//   - faults on the request that moves money (timeout, 500, 429 with Retry-After,
//     malformed JSON, connection reset after the request was executed): the fake
//     counts its charges, and the payment is never charged twice and ends in the
//     state the provider's ledger says, through retries, reconciliation or webhooks;
//   - the connection's methods enforced at confirm, and its circuit breaker opening
//     after consecutive failures and closing after a successful trial.
//
// See docs/connectors.md.
package providertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/testutil/apptest"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// Fake is a provider's stateful test server, as the kit drives it.
type Fake interface {
	// Credentials are those of a test connection to the fake.
	Credentials() map[string]string
	// Charges counts the provider-side payments made for paymux payment paymentID
	// that hold or took the shopper's money.
	Charges(paymentID string) int
	// Inject arms a fault for the next requests that move money (or every request,
	// with Everywhere); ClearFaults disarms it.
	Inject(fakepsp.Fault)
	ClearFaults()
	// TakeWebhooks returns the signed webhooks the provider sent since the last call.
	TakeWebhooks() []fakepsp.Webhook
}

// Subject is one connector under test.
type Subject struct {
	// Provider is the connector's registry name.
	Provider string
	// NewFake starts a fresh test server of the provider for the paymux env and
	// returns it with its URL (the connection's base_url, "" for none). Each paymux
	// the kit starts gets its own, so that faults injected for one never reach
	// another.
	NewFake func(t testing.TB, env *apptest.Env) (Fake, string)
	// NoFaults leaves out the fault and circuit breaker flows, for a provider whose
	// fake cannot inject faults (the sandbox, which runs inside paymux).
	NoFaults bool
	// Direct is a payment method the provider charges at confirm, with no shopper
	// step; "" when every payment goes through the shopper (PayPal).
	Direct string
	// Redirect is a payment method that sends the shopper to the provider (3-D
	// Secure, an approval page) before the payment completes.
	Redirect string
	// MethodType is the payment method type of Direct and Redirect ("card").
	MethodType string
	// Reconciles says the provider answers status lookups, so a payment left
	// processing by an uncertain outcome settles through reconciliation alone; the
	// kit then holds the webhooks back until it has. Without it (Adyen), the
	// webhooks settle it.
	Reconciles bool
	// OtherMethod is another type the provider takes, which the kit offers alone on
	// the connection to check that confirm refuses MethodType; "" when the provider
	// takes one type only.
	OtherMethod string
	// Engines are the database engines to run on; nil means apptest.Engines.
	Engines []string
	// Options are added to the kit's own apptest options.
	Options []apptest.Option
}

// Kit timings: short enough for CI, long enough for the retries they exercise.
const (
	providerTimeout = 2 * time.Second
	reconcileAfter  = 300 * time.Millisecond
	settleWithin    = 20 * time.Second
	amount          = 1000
)

// Run runs every flow of the kit for s, on each engine.
func Run(t *testing.T, s Subject) {
	t.Helper()
	engines := s.Engines
	if engines == nil {
		engines = apptest.Engines
	}
	for _, name := range engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := Start(t, s, name)
			t.Run("automatic capture through the shopper's step", k.AutomaticCapture)
			t.Run("manual capture, partial capture, partial refund", k.ManualCapture)
			t.Run("duplicate returns and a racing webhook converge", k.RacingReturns)
			t.Run("the shopper fails or cancels", k.ShopperFails)
			t.Run("confirm enforces the connection's methods", k.Methods)
			if s.NoFaults {
				return
			}
			for _, f := range Faults() {
				t.Run("fault "+string(f.Kind), func(t *testing.T) { k.Fault(t, f) })
			}
		})
	}
	if s.NoFaults {
		return
	}
	t.Run("circuit breaker", func(t *testing.T) {
		t.Parallel()
		clock := &clock{t: time.Now()}
		k := Start(t, s, engines[0], apptest.WithReconcileAfter(time.Hour),
			apptest.WithBreakerConfig(provider.BreakerConfig{Failures: 2, CoolDown: time.Minute, Now: clock.now}))
		k.Breaker(t, clock.add)
	})
}

// clock is the breakers' clock in the breaker flow, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Faults are the faults the kit injects into the request that moves money.
func Faults() []fakepsp.Fault {
	return []fakepsp.Fault{
		{Kind: fakepsp.Timeout, Hold: 3 * providerTimeout},
		{Kind: fakepsp.Error500},
		{Kind: fakepsp.RateLimit429},
		{Kind: fakepsp.Malformed},
		{Kind: fakepsp.Reset, Times: -1}, // every retry too: the outcome stays unknown
	}
}

// Kit is a running paymux with a connection to a fake of the subject's provider.
type Kit struct {
	S    Subject
	Fake Fake
	Env  *apptest.Env
	Conn string // the provider connection's id
	shop string // the merchant's return_url
	sh   *shopper
}

// Start starts paymux on engine with a connection to s's fake.
func Start(t *testing.T, s Subject, engine string, opts ...apptest.Option) *Kit {
	t.Helper()
	all := append([]apptest.Option{apptest.WithProviderTimeout(providerTimeout), apptest.WithReconcileAfter(reconcileAfter),
		apptest.WithBreaker(50, time.Second)}, s.Options...)
	env := apptest.Start(t, engine, append(all, opts...)...)
	fake, base := s.NewFake(t, env)
	// Payments go through the merchant's oldest enabled connection to a provider:
	// any the merchant has already (the built-in sandbox's) is switched off.
	var list struct {
		Data []struct{ ID, Provider string }
	}
	if err := json.Unmarshal(env.Secret("GET", "/v1/provider_connections", nil).MustStatus(t, http.StatusOK).Body, &list); err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Data {
		if c.Provider == s.Provider {
			env.Secret("PATCH", "/v1/provider_connections/"+c.ID, map[string]any{"enabled": false}).MustStatus(t, http.StatusOK)
		}
	}
	body := map[string]any{"provider": s.Provider, "credentials": fake.Credentials()}
	if base != "" {
		body["base_url"] = base
	}
	c := env.Secret("POST", "/v1/provider_connections", body).MustStatus(t, http.StatusCreated).JSON(t)
	return &Kit{S: s, Fake: fake, Env: env, Conn: str(c, "id"), shop: "https://shop.example/thanks?order=o-1", sh: newShopper(env.URL)}
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }
func num(m map[string]any, k string) int64  { f, _ := m[k].(float64); return int64(f) }

// CreatePayment creates a payment of amount EUR with the capture method.
func (k *Kit) CreatePayment(t *testing.T, capture string) string {
	t.Helper()
	p := k.Env.Secret("POST", "/v1/payments", map[string]any{"amount": amount, "currency": "EUR", "capture_method": capture,
		"order_id": "o-1", "description": "kit payment", "customer": map[string]string{"email": "shopper@example.com"},
		"return_url": k.shop}).MustStatus(t, http.StatusCreated).JSON(t)
	return str(p, "id")
}

// Confirm confirms payment id with the subject's provider and a payment method.
func (k *Kit) Confirm(t *testing.T, id, method string) map[string]any {
	t.Helper()
	return k.Env.Secret("POST", "/v1/payments/"+id+"/confirm", map[string]any{"provider": k.S.Provider, "payment_method": method}).
		MustStatus(t, http.StatusOK).JSON(t)
}

// Get reads payment id.
func (k *Kit) Get(t *testing.T, id string) map[string]any {
	t.Helper()
	return k.Env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, http.StatusOK).JSON(t)
}

// Shopper walks the shopper through the provider's pages from the payment's
// next_action, approving or not, up to the step back to paymux.
func (k *Kit) Shopper(t *testing.T, p map[string]any, approve bool) Return {
	t.Helper()
	na, _ := p["next_action"].(map[string]any)
	if str(p, "status") != "requires_action" || str(na, "redirect_url") == "" {
		t.Fatalf("payment %s does not send the shopper anywhere: %v", str(p, "id"), p)
	}
	return k.sh.walk(t, str(na, "redirect_url"), approve)
}

// Back takes the shopper back to paymux and checks that paymux sends them on to
// the merchant's return_url with the payment's id and a status; it returns that
// status.
func (k *Kit) Back(t *testing.T, id string, r Return) string {
	t.Helper()
	status, err := k.back(id, r)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// back is Back for any goroutine.
func (k *Kit) back(id string, r Return) (string, error) {
	u, err := k.sh.back(r)
	if err != nil {
		return "", err
	}
	want, _ := url.Parse(k.shop)
	q := u.Query()
	if u.Host != want.Host || u.Path != want.Path || q.Get("order") != "o-1" || q.Get("payment_id") != id || q.Get("status") == "" {
		return "", fmt.Errorf("paymux sent the shopper to %s, want %s with payment_id=%s and a status", u, k.shop, id)
	}
	return q.Get("status"), nil
}

// Deliver posts the webhooks to paymux's intake and requires a 2xx for each.
func (k *Kit) Deliver(t *testing.T, hooks []fakepsp.Webhook) {
	t.Helper()
	if err := k.deliver(hooks); err != nil {
		t.Fatal(err)
	}
}

// deliver is Deliver for any goroutine.
func (k *Kit) deliver(hooks []fakepsp.Webhook) error {
	for _, h := range hooks {
		req, err := http.NewRequest(http.MethodPost, k.Env.URL+"/hooks/"+k.S.Provider+"/"+k.Conn, strings.NewReader(string(h.Body)))
		if err != nil {
			return err
		}
		req.Header = h.Header.Clone()
		resp, err := k.Env.Client.Do(req)
		if err != nil {
			return fmt.Errorf("deliver webhook: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("paymux answered %d to a genuine %s webhook: %s", resp.StatusCode, k.S.Provider, h.Body)
		}
	}
	return nil
}

// Settle delivers the provider's webhooks (each twice, the second time in reverse
// order, as providers redeliver and reorder) until cond holds for the payment,
// and returns it.
func (k *Kit) Settle(t *testing.T, id string, what string, cond func(p map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(settleWithin)
	for {
		hooks := k.Fake.TakeWebhooks()
		k.Deliver(t, hooks)
		slices.Reverse(hooks)
		k.Deliver(t, hooks)
		p := k.Get(t, id)
		if cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment %s never became %s within %s: %v", id, what, settleWithin, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Events lists the types of payment id's events, oldest first.
func (k *Kit) Events(t *testing.T, id string) []string {
	t.Helper()
	var list struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	r := k.Env.Secret("GET", "/v1/payments/"+id+"/events?limit=100", nil).MustStatus(t, http.StatusOK)
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(list.Data))
	for i, e := range list.Data {
		out[i] = e.Type
	}
	return out
}

// WantEvents requires payment id's events to be exactly want.
func (k *Kit) WantEvents(t *testing.T, id string, want ...string) {
	t.Helper()
	if got := k.Events(t, id); !slices.Equal(got, want) {
		t.Fatalf("payment %s events = %v, want %v", id, got, want)
	}
}

// NoDuplicateEvents requires every event type to appear at most once.
func (k *Kit) NoDuplicateEvents(t *testing.T, id string) []string {
	t.Helper()
	got := k.Events(t, id)
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e] {
			t.Fatalf("payment %s has %s twice: %v", id, e, got)
		}
		seen[e] = true
	}
	return got
}

// Charged requires the fake to hold exactly n charges for payment id.
func (k *Kit) Charged(t *testing.T, id string, n int) {
	t.Helper()
	if got := k.Fake.Charges(id); got != n {
		t.Fatalf("%s holds %d charges for payment %s, want %d", k.S.Provider, got, id, n)
	}
}

// Refund refunds part of payment id and waits for the refund to succeed.
func (k *Kit) Refund(t *testing.T, id string, part int64) map[string]any {
	t.Helper()
	r := k.Env.Secret("POST", "/v1/refunds", map[string]any{"payment_id": id, "amount": part}).MustStatus(t, http.StatusCreated).JSON(t)
	rid := str(r, "id")
	deadline := time.Now().Add(settleWithin)
	for str(r, "status") != "succeeded" {
		if str(r, "status") == "failed" || time.Now().After(deadline) {
			t.Fatalf("refund %s of %s: %v", rid, id, r)
		}
		time.Sleep(50 * time.Millisecond)
		k.Deliver(t, k.Fake.TakeWebhooks())
		r = k.Env.Secret("GET", "/v1/refunds/"+rid, nil).MustStatus(t, http.StatusOK).JSON(t)
	}
	if num(r, "amount") != part {
		t.Fatalf("refund %s: %v", rid, r)
	}
	return r
}

// Pay confirms payment id with the redirect method and walks the shopper through,
// approving; it returns the shopper's way back to paymux.
func (k *Kit) Pay(t *testing.T, id string) Return {
	t.Helper()
	p := k.Confirm(t, id, k.S.Redirect)
	if str(p, "provider") != k.S.Provider || str(p, "status") != "requires_action" {
		t.Fatalf("confirmed payment: %v", p)
	}
	return k.Shopper(t, p, true)
}

// AutomaticCapture pays with the redirect method: confirm, the shopper's step,
// the return to paymux (and a reload of it), the provider's webhooks late, twice
// and reordered, a partial refund; it checks the final states, the exact events
// and that the provider charged once.
func (k *Kit) AutomaticCapture(t *testing.T) {
	id := k.CreatePayment(t, "automatic")
	ret := k.Pay(t, id)
	if status := k.Back(t, id, ret); status != "succeeded" {
		t.Fatalf("the shopper came back to a %s payment, want succeeded", status)
	}
	p := k.Get(t, id)
	if str(p, "status") != "succeeded" || num(p, "amount_captured") != amount || str(p, "provider_reference") == "" {
		t.Fatalf("payment after the return: %v", p)
	}
	// The provider's webhooks arrive late, twice and out of order: they change nothing.
	k.Settle(t, id, "succeeded", func(p map[string]any) bool { return str(p, "status") == "succeeded" })
	k.WantEvents(t, id, "payment.created", "payment.requires_action", "payment.succeeded")
	// A reload of the return page sends the shopper on again and changes nothing.
	if status := k.Back(t, id, ret); status != "succeeded" {
		t.Fatalf("a second return says %s", status)
	}
	k.Refund(t, id, 300)
	p = k.Settle(t, id, "partly refunded", func(p map[string]any) bool { return num(p, "amount_refunded") == 300 })
	if str(p, "refund_status") != "partial" || str(p, "status") != "succeeded" || num(p, "amount_captured") != amount {
		t.Fatalf("payment after a partial refund: %v", p)
	}
	k.WantEvents(t, id, "payment.created", "payment.requires_action", "payment.succeeded", "refund.created", "refund.succeeded")
	k.Charged(t, id, 1)
}

// ManualCapture authorises through the shopper's step, captures part, refunds part
// of that, and checks the final states, the exact events and one charge.
func (k *Kit) ManualCapture(t *testing.T) {
	id := k.CreatePayment(t, "manual")
	if status := k.Back(t, id, k.Pay(t, id)); status != "requires_capture" {
		t.Fatalf("the shopper came back to a %s payment, want requires_capture", status)
	}
	p := k.Settle(t, id, "requires_capture", func(p map[string]any) bool { return str(p, "status") == "requires_capture" })
	if num(p, "amount_capturable") != amount || num(p, "amount_captured") != 0 {
		t.Fatalf("authorised payment: %v", p)
	}
	p = k.Env.Secret("POST", "/v1/payments/"+id+"/capture", map[string]any{"amount": 600}).MustStatus(t, http.StatusOK).JSON(t)
	if str(p, "status") != "succeeded" || num(p, "amount_captured") != 600 || num(p, "amount_capturable") != 0 {
		t.Fatalf("captured payment: %v", p)
	}
	k.Settle(t, id, "captured", func(p map[string]any) bool { return num(p, "amount_captured") == 600 })
	k.Refund(t, id, 200)
	p = k.Settle(t, id, "partly refunded", func(p map[string]any) bool { return num(p, "amount_refunded") == 200 })
	if str(p, "status") != "succeeded" || num(p, "amount_captured") != 600 || str(p, "refund_status") != "partial" {
		t.Fatalf("payment after capture and refund: %v", p)
	}
	k.WantEvents(t, id, "payment.created", "payment.requires_action", "payment.requires_capture", "payment.captured",
		"refund.created", "refund.succeeded")
	k.Charged(t, id, 1)
}

// RacingReturns: the provider's webhook and several returns of the same shopper
// (a double click, a reload, a second paymux instance) arrive together.
func (k *Kit) RacingReturns(t *testing.T) {
	id := k.CreatePayment(t, "automatic")
	ret := k.Pay(t, id)
	hooks := k.Fake.TakeWebhooks() // what the provider sent when the shopper approved
	var wg sync.WaitGroup
	statuses := make([]string, 3)
	errs := make([]error, 4)
	for i := range statuses {
		wg.Go(func() { statuses[i], errs[i] = k.back(id, ret) })
	}
	wg.Go(func() { errs[3] = k.deliver(hooks) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p := k.Settle(t, id, "succeeded", func(p map[string]any) bool { return str(p, "status") == "succeeded" })
	if num(p, "amount_captured") != amount {
		t.Fatalf("payment: %v", p)
	}
	for _, s := range statuses {
		if s != "succeeded" && s != "processing" && s != "requires_action" {
			t.Fatalf("a racing return sent the shopper on with status %s (all: %v)", s, statuses)
		}
	}
	ev := k.NoDuplicateEvents(t, id)
	if ev[0] != "payment.created" || ev[1] != "payment.requires_action" || ev[len(ev)-1] != "payment.succeeded" {
		t.Fatalf("events: %v", ev)
	}
	k.Charged(t, id, 1)
}

// ShopperFails: the shopper fails 3-D Secure or cancels at the provider; the
// payment is not charged and says so.
func (k *Kit) ShopperFails(t *testing.T) {
	id := k.CreatePayment(t, "automatic")
	p := k.Confirm(t, id, k.S.Redirect)
	status := k.Back(t, id, k.Shopper(t, p, false))
	p = k.Settle(t, id, "settled without money", func(p map[string]any) bool {
		return str(p, "status") == "failed" || str(p, "status") == "requires_action"
	})
	if status != str(p, "status") {
		t.Fatalf("the shopper was sent on with status %s; the payment is %s", status, str(p, "status"))
	}
	if str(p, "status") == "failed" && str(p, "failure_code") == "" {
		t.Fatalf("a failed payment without failure_code: %v", p)
	}
	k.Charged(t, id, 0)
	k.NoDuplicateEvents(t, id)
}

// Methods: a payment method type the connection does not offer, or its provider
// does not take, is refused with a 400 that names the methods on offer.
func (k *Kit) Methods(t *testing.T) {
	confirm := func(id string, body map[string]any) map[string]any {
		body["provider"] = k.S.Provider
		r := k.Env.Secret("POST", "/v1/payments/"+id+"/confirm", body).MustStatus(t, http.StatusBadRequest).JSON(t)
		e, _ := r["error"].(map[string]any)
		if str(e, "type") != "invalid_request_error" || str(e, "code") == "" || str(e, "message") == "" {
			t.Fatalf("error shape: %v", r)
		}
		return e
	}
	id := k.CreatePayment(t, "automatic")
	method := k.S.Direct
	if method == "" {
		method = k.S.Redirect
	}
	e := confirm(id, map[string]any{"payment_method": method, "payment_method_type": "meta_pay"})
	if str(e, "param") != "payment_method_type" || !strings.Contains(str(e, "message"), k.S.MethodType) {
		t.Fatalf("a type the provider does not take: %v", e)
	}
	if k.S.OtherMethod != "" {
		path := "/v1/provider_connections/" + k.Conn
		all := k.Env.Secret("GET", path, nil).MustStatus(t, http.StatusOK).JSON(t)["methods"]
		k.Env.Secret("PATCH", path, map[string]any{"methods": []string{k.S.OtherMethod}}).MustStatus(t, http.StatusOK)
		e = confirm(id, map[string]any{"payment_method": method})
		msg := str(e, "message")
		if str(e, "param") != "payment_method" || !strings.Contains(msg, k.S.OtherMethod) || !strings.Contains(msg, k.S.MethodType) ||
			!strings.Contains(msg, path) {
			t.Fatalf("a method switched off: %v", e)
		}
		k.Env.Secret("PATCH", path, map[string]any{"methods": all}).MustStatus(t, http.StatusOK)
	}
	if p := k.Get(t, id); str(p, "status") != "requires_payment_method" || k.Fake.Charges(id) != 0 {
		t.Fatalf("a refused confirm changed the payment: %v", p)
	}
	k.WantEvents(t, id, "payment.created")
	// On offer again: the same confirm goes through.
	k.Confirm(t, id, method)
}

// Fault: the request that moves money fails with f. Whatever the connector makes
// of it (a retry with the same idempotency key, or an uncertain outcome that leaves
// the payment processing for reconciliation and webhooks), the payment ends in the
// state the provider's ledger says, charged once.
func (k *Kit) Fault(t *testing.T, f fakepsp.Fault) {
	id := k.CreatePayment(t, "automatic")
	var p map[string]any
	if k.S.Direct != "" {
		k.Fake.Inject(f)
		p = k.Confirm(t, id, k.S.Direct)
		k.Fake.ClearFaults()
	} else {
		ret := k.Pay(t, id)
		k.Fake.Inject(f)
		k.Back(t, id, ret)
		k.Fake.ClearFaults()
		p = k.Get(t, id)
	}
	switch str(p, "status") {
	case "succeeded", "processing":
	default:
		t.Fatalf("after a %s fault the payment is %v", f.Kind, p)
	}
	settled := func(p map[string]any) bool { return str(p, "status") == "succeeded" || str(p, "status") == "failed" }
	if str(p, "status") == "processing" && k.S.Reconciles {
		// Reconciliation alone finds the truth; the webhooks, held back until then,
		// change nothing.
		deadline := time.Now().Add(settleWithin)
		for p = k.Get(t, id); !settled(p); p = k.Get(t, id) {
			if time.Now().After(deadline) {
				t.Fatalf("reconciliation never settled payment %s: %v", id, p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	p = k.Settle(t, id, "settled", settled)
	charges := k.Fake.Charges(id)
	switch {
	case charges > 1:
		t.Fatalf("after a %s fault %s charged payment %s %d times", f.Kind, k.S.Provider, id, charges)
	case charges == 1 && (str(p, "status") != "succeeded" || num(p, "amount_captured") != amount):
		t.Fatalf("%s charged payment %s but paymux says %v", k.S.Provider, id, p)
	case charges == 0 && str(p, "status") == "succeeded":
		t.Fatalf("%s holds no charge for payment %s but paymux says %v", k.S.Provider, id, p)
	}
	if f.Kind.Executes() && charges != 1 {
		t.Fatalf("the %s fault hit after %s executed the request, so it holds %d charges, want 1", f.Kind, k.S.Provider, charges)
	}
	k.NoDuplicateEvents(t, id)
	if str(p, "status") == "succeeded" {
		// A client retrying the confirm now cannot charge again.
		r := k.Env.Secret("POST", "/v1/payments/"+id+"/confirm", map[string]any{"provider": k.S.Provider, "payment_method": k.S.Redirect})
		if r.Status != http.StatusConflict {
			t.Fatalf("confirming a succeeded payment again answered %d: %s", r.Status, r.Body)
		}
		k.Charged(t, id, 1)
	}
}

// Breaker: a provider failing every call opens the connection's breaker after two
// failed operations; calls then fail fast with provider_circuit_open and the payment
// unchanged; after the cool-down a trial call goes through and closes it. The kit
// must have been started with a breaker of two failures and a one-minute cool-down
// on a clock that advance moves, and no reconciliation during the flow.
func (k *Kit) Breaker(t *testing.T, advance func(time.Duration)) {
	method := k.S.Direct
	if method == "" {
		method = k.S.Redirect
	}
	k.Fake.Inject(fakepsp.Fault{Kind: fakepsp.Error500, Times: -1, Everywhere: true})
	for range 2 {
		id := k.CreatePayment(t, "automatic")
		r := k.Env.Secret("POST", "/v1/payments/"+id+"/confirm", map[string]any{"provider": k.S.Provider, "payment_method": method})
		if r.Status != http.StatusOK && r.Status != http.StatusBadGateway {
			t.Fatalf("confirm against a failing provider answered %d: %s", r.Status, r.Body)
		}
	}
	id := k.CreatePayment(t, "automatic")
	r := k.Env.Secret("POST", "/v1/payments/"+id+"/confirm", map[string]any{"provider": k.S.Provider, "payment_method": method})
	e, _ := r.JSON(t)["error"].(map[string]any)
	if r.Status != http.StatusBadGateway || str(e, "type") != "provider_error" || str(e, "code") != "provider_circuit_open" ||
		!strings.Contains(str(e, "message"), "nothing was sent") {
		t.Fatalf("confirm behind an open breaker answered %d: %s", r.Status, r.Body)
	}
	if p := k.Get(t, id); str(p, "status") != "requires_payment_method" {
		t.Fatalf("a refused confirm changed the payment: %v", p)
	}
	k.Fake.ClearFaults()
	advance(61 * time.Second) // past the cool-down
	p := k.Confirm(t, id, method)
	if s := str(p, "status"); s != "succeeded" && s != "requires_action" {
		t.Fatalf("the trial call after the cool-down: %v", p)
	}
	if st := k.Env.App.Engine.Breakers().State(k.Conn); st.Open || st.Failures != 0 {
		t.Fatalf("breaker after a successful trial: %+v", st)
	}
}
