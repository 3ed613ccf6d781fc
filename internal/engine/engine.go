// Package engine carries out every payment operation: creating, confirming,
// capturing, cancelling and refunding payments, taking provider webhooks, expiring
// abandoned payments, and managing merchants and their keys. The JSON API, the hosted
// checkout, the backoffice and background jobs all go through it, so each rule is
// enforced in one place and every change is recorded as an event with its actor.
//
// The engine never holds a database transaction across a provider call: it reads,
// calls the provider with an idempotency key derived from paymux's own ids, then
// writes the outcome, re-checking the state under a row lock.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/secretbox"
	"github.com/paymux/paymux/internal/store"
)

// Config holds the engine's settings.
type Config struct {
	// BaseURL is where paymux is reachable from browsers and providers.
	BaseURL string
	// PaymentExpiry is how long a payment may wait for the shopper.
	PaymentExpiry time.Duration
	// ReconcileAfter is when a payment left processing is first looked up at its provider.
	ReconcileAfter time.Duration
	// RefundRecoverAfter is when an unsubmitted refund is sent again after a crash.
	RefundRecoverAfter time.Duration
	// FollowLag is how long after an event is written its transaction may still
	// commit: zero on SQLite (one writer commits in order), seconds on PostgreSQL.
	FollowLag time.Duration
	// ProviderTimeout bounds one provider call, retries included. Zero means
	// DefaultProviderTimeout.
	ProviderTimeout time.Duration
	// Breaker tunes the per-connection circuit breakers in front of providers.
	Breaker provider.BreakerConfig
	// Webhooks tunes outbound webhooks to merchants.
	Webhooks WebhookConfig
	// Mail sets up emails to shoppers and operators.
	Mail MailConfig
}

// Engine is the payment service.
type Engine struct {
	store     store.Store
	providers *provider.Registry
	box       *secretbox.Box
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	wake      func()
	keys      *ttlCache[string, *store.APIKey]
	conns     *ttlCache[string, *store.Connection]
	breakers  *provider.Breakers
}

// Deps are what the engine is built from.
type Deps struct {
	Store     store.Store
	Providers *provider.Registry
	Box       *secretbox.Box
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Wake tells the job runner that a job is due now; nil means nothing to tell.
	Wake func()
}

// New builds an engine.
func New(d Deps, cfg Config) *Engine {
	if cfg.PaymentExpiry <= 0 {
		cfg.PaymentExpiry = 24 * time.Hour
	}
	if cfg.ReconcileAfter <= 0 {
		cfg.ReconcileAfter = time.Minute
	}
	if cfg.RefundRecoverAfter <= 0 {
		cfg.RefundRecoverAfter = 30 * time.Second
	}
	if cfg.ProviderTimeout <= 0 {
		cfg.ProviderTimeout = DefaultProviderTimeout
	}
	cfg.Webhooks = cfg.Webhooks.withDefaults()
	cfg.Mail = cfg.Mail.withDefaults()
	clock := d.Now
	if clock == nil {
		clock = time.Now
	}
	// Stores keep microseconds: truncating here makes a response and a later read of
	// the same object identical.
	now := func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	e := &Engine{store: d.Store, providers: d.Providers, box: d.Box, cfg: cfg, log: d.Logger, now: now, wake: d.Wake,
		keys: newTTLCache[string, *store.APIKey](), conns: newTTLCache[string, *store.Connection](),
		breakers: provider.NewBreakers(cfg.Breaker)}
	if e.wake == nil {
		e.wake = func() {}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e
}

// Store returns the engine's store, for read-only views such as the backoffice.
func (e *Engine) Store() store.Store { return e.store }

// Config returns the engine's settings.
func (e *Engine) Config() Config { return e.cfg }

// Breakers returns the per-connection circuit breakers, for operators' views.
func (e *Engine) Breakers() *provider.Breakers { return e.breakers }

// TxHook runs inside the final write transaction of an operation with the
// operation's result. The API uses it to store an Idempotency-Key's response in the
// same commit as the change it describes, so a crash can never separate the two.
type TxHook func(ctx context.Context, tx store.Tx, result any) error

type txHookKey struct{}

// WithTxHook returns a context whose next operation calls hook in its final transaction.
func WithTxHook(ctx context.Context, hook TxHook) context.Context {
	return context.WithValue(ctx, txHookKey{}, hook)
}

// write runs fn in a transaction and then, in the same transaction, the context's
// TxHook with fn's result. It does not stop when the caller hangs up: often a
// provider has already acted, and its outcome must be recorded all the same.
func (e *Engine) write(ctx context.Context, fn func(ctx context.Context, tx store.Tx) (any, error)) error {
	err := e.store.Write(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
		res, err := fn(ctx, tx)
		if err != nil {
			return err
		}
		if hook, ok := ctx.Value(txHookKey{}).(TxHook); ok && hook != nil {
			return hook(ctx, tx, res)
		}
		return nil
	})
	return storeErr(err)
}

// storeErr turns storage failures into coded errors the API can show.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrUnavailable):
		return &payment.Error{Kind: payment.KindUnavailable, Code: payment.CodeDatabaseUnavailable,
			Message: "the database is unavailable; nothing was changed, retry shortly", Err: err}
	case errors.Is(err, store.ErrStale):
		return &payment.Error{Kind: payment.KindConflict, Code: payment.CodeConcurrentUpdate,
			Message: "the object was changed by another request at the same time; retry", Err: err}
	}
	return err
}

// notFound maps store.ErrNotFound to the API's 404 for object id.
func notFound(err error, object, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return payment.NotFound(object, id)
	}
	return storeErr(err)
}

// recordPayment appends an event for a change of p by actor, and queues the emails
// the change calls for (a confirmation, a failure notice, a reminder's job).
func (e *Engine) recordPayment(ctx context.Context, tx store.Tx, actor payment.Actor, typ string, p *payment.Payment, from payment.Status) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode payment event: %w", err)
	}
	// Payment changes hold the payment's row lock already (they updated or inserted it).
	if err := e.appendEvent(ctx, tx, &payment.Event{
		ID: payment.NewID(payment.PrefixEvent), MerchantID: p.MerchantID, Livemode: p.Livemode,
		Type: typ, PaymentID: p.ID, Actor: actor, FromStatus: string(from), ToStatus: string(p.Status),
		Data: payment.EventData{Object: data}, CreatedAt: e.now().UTC(),
	}, true); err != nil {
		return err
	}
	if p.Status == payment.StatusSucceeded && from != payment.StatusSucceeded {
		if err := e.queueInvoice(ctx, tx, p); err != nil {
			return err
		}
	}
	return e.notifyPayment(ctx, tx, actor, typ, p, from)
}

// recordRefund appends an event for a change of r by actor, and queues the
// shopper's notice of a refund that succeeded.
func (e *Engine) recordRefund(ctx context.Context, tx store.Tx, actor payment.Actor, typ string, r *payment.Refund, from payment.RefundState) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode refund event: %w", err)
	}
	if err := e.appendEvent(ctx, tx, &payment.Event{
		ID: payment.NewID(payment.PrefixEvent), MerchantID: r.MerchantID, Livemode: r.Livemode,
		Type: typ, PaymentID: r.PaymentID, Actor: actor, FromStatus: string(from), ToStatus: string(r.Status),
		Data: payment.EventData{Object: data}, CreatedAt: e.now().UTC(),
	}, false); err != nil {
		return err
	}
	return e.notifyRefund(ctx, tx, actor, typ, r)
}

// enqueue inserts a job in tx; jobs due now wake the runner after the commit.
func enqueue(ctx context.Context, tx store.Tx, kind, merchantID string, args any, runAt time.Time) error {
	b, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s job: %w", kind, err)
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: kind, MerchantID: merchantID, Args: b, RunAt: runAt})
}
