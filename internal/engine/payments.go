package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// Job kinds the engine enqueues and works.
const (
	JobReconcilePayment = "payment.reconcile"
	JobSubmitRefund     = "refund.submit"
	JobExpireSweep      = "payment.expire_sweep"
	JobPurgeIdempotency = "idempotency.purge"
	JobAttemptSweep     = "payment.attempt_sweep"
)

// CreatePayment creates a payment awaiting a payment method.
func (e *Engine) CreatePayment(ctx context.Context, actor payment.Actor, s store.Scope, params payment.CreateParams) (*payment.Payment, error) {
	p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), s.MerchantID, s.Livemode, params, e.now(), e.cfg.PaymentExpiry)
	if err != nil {
		return nil, err
	}
	p.CheckoutURL = e.cfg.BaseURL + "/pay/" + p.ID
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		if err := tx.InsertPayment(ctx, p); err != nil {
			return nil, err
		}
		return p, e.recordPayment(ctx, tx, actor, payment.EventPaymentCreated, p, "")
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// GetPayment reads one payment.
func (e *Engine) GetPayment(ctx context.Context, s store.Scope, id string) (*payment.Payment, error) {
	p, err := e.store.GetPayment(ctx, s, id)
	if err != nil {
		return nil, notFound(err, "payment", id)
	}
	return p, nil
}

// ListPayments lists payments, newest first.
func (e *Engine) ListPayments(ctx context.Context, s store.Scope, f store.PaymentFilter) ([]*payment.Payment, bool, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, false, payment.Invalid("status", payment.CodeParameterInvalid, "unknown status %q: use one of %v", f.Status, payment.Statuses())
	}
	list, more, err := e.store.ListPayments(ctx, s, f)
	return list, more, storeErr(err)
}

// ListPaymentEvents returns a payment's history, oldest first.
func (e *Engine) ListPaymentEvents(ctx context.Context, s store.Scope, id string, f store.EventFilter) ([]*payment.Event, bool, error) {
	if _, err := e.GetPayment(ctx, s, id); err != nil {
		return nil, false, err
	}
	f.PaymentID = id
	list, more, err := e.store.ListEvents(ctx, s, f)
	return list, more, storeErr(err)
}

// ListEvents returns the merchant's event stream, newest first.
func (e *Engine) ListEvents(ctx context.Context, s store.Scope, f store.EventFilter) ([]*payment.Event, bool, error) {
	list, more, err := e.store.ListEvents(ctx, s, f)
	return list, more, storeErr(err)
}

// GetEvent reads one event.
func (e *Engine) GetEvent(ctx context.Context, s store.Scope, id string) (*payment.Event, error) {
	ev, err := e.store.GetEvent(ctx, s, id)
	if err != nil {
		return nil, notFound(err, "event", id)
	}
	return ev, nil
}

// ConfirmParams choose how a payment is paid.
type ConfirmParams struct {
	Provider      string
	PaymentMethod string
	// PaymentMethodType says which kind of method PaymentMethod is (card,
	// apple_pay, …), for provider tokens that cannot be told apart offline; empty
	// lets the provider tell.
	PaymentMethodType string
}

// ConfirmPayment sends the payment to a provider with the given payment method.
func (e *Engine) ConfirmPayment(ctx context.Context, actor payment.Actor, s store.Scope, id string, cp ConfirmParams) (*payment.Payment, error) {
	p, err := e.GetPayment(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if err := p.CheckConfirmable(); err != nil {
		return nil, err
	}
	if cp.PaymentMethod == "" {
		return nil, payment.Invalid("payment_method", payment.CodeParameterMissing,
			"payment_method is required: a provider token, or in test mode a sandbox method such as \"pm_card_visa\"")
	}
	b, err := e.connectorFor(ctx, s, cp.Provider)
	if err != nil {
		return nil, err
	}
	if err := checkMethod(b, cp); err != nil {
		return nil, err
	}
	if p.CaptureMethod == payment.CaptureManual && !b.reg.Capabilities.ManualCapture {
		return nil, payment.Invalid("capture_method", payment.CodeParameterInvalid,
			"%s does not support manual capture: create the payment with capture_method \"automatic\"", b.reg.Name)
	}
	// The attempt number makes the provider key, so a retry of the same attempt
	// (after a crash or timeout) sends the same key and the provider charges at most
	// once. The attempt is recorded before the call: if this process dies during it,
	// the pending-attempt sweep asks the provider what became of it.
	attempt := p.Attempts + 1
	if p.AttemptPending {
		attempt = p.Attempts // resume the attempt a crash or a timeout left open
	}
	if !p.AttemptPending {
		err = e.store.Write(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
			ok, err := tx.BeginAttempt(ctx, s, id, attempt, b.reg.Name, b.conn.ID, e.now())
			if err != nil || ok {
				return err
			}
			// Someone else moved the payment since it was read: say what happened.
			cur, err := tx.GetPayment(ctx, s, id)
			if err != nil {
				return notFound(err, "payment", id)
			}
			if err := cur.CheckConfirmable(); err != nil {
				return err
			}
			return payment.Errorf(payment.KindConflict, payment.CodeConcurrentUpdate,
				"payment %s is being confirmed by another request: retry after it finishes", id)
		})
		if err != nil {
			return nil, storeErr(err)
		}
	}
	pctx, cancel := e.providerCtx(ctx)
	defer cancel()
	out, perr := b.Authorize(pctx, provider.AuthorizeRequest{
		PaymentID: p.ID, IdempotencyKey: authorizeKey(p.ID, attempt),
		Amount: p.Amount, Currency: p.Currency, CaptureMethod: p.CaptureMethod,
		PaymentMethod: cp.PaymentMethod, ReturnURL: e.cfg.BaseURL + "/pay/" + p.ID + "/return",
		OrderID: p.OrderID, Description: p.Description, Customer: p.Customer,
	})
	var (
		pe       *provider.Error
		refusal  *payment.Error
		keepBusy bool // the failure goes to the caller as provider_error
	)
	switch {
	case perr == nil:
	case errors.Is(perr, provider.ErrCircuitOpen):
		// Nothing was sent: the payment stays as it was, for a retry later.
		return nil, e.closeAttempt(ctx, s, id, attempt, providerErr(perr))
	case errors.As(perr, &pe) && pe.Uncertain:
		// The provider may have acted: hold the payment in processing and let the
		// reconciliation job ask for the truth.
		out = payment.Outcome{Status: payment.StatusProcessing}
	case errors.As(perr, &pe):
		out = payment.Outcome{Status: payment.StatusFailed, FailureCode: pe.Code, FailureMessage: pe.Message}
		keepBusy = true
	case errors.As(perr, &refusal):
		// Refused before it reached the provider (e.g. an unknown test method):
		// close the attempt and report the error; the payment is unchanged.
		return nil, e.closeAttempt(ctx, s, id, attempt, perr)
	default:
		return nil, e.closeAttempt(ctx, s, id, attempt, providerErr(perr))
	}
	// What the payment looks like after BeginAttempt, if nothing else touched it: the
	// outcome can then be written without reading the row again (the version check
	// in UpdatePayment catches anything that did change, and the slow path follows).
	var known *payment.Payment
	if !p.AttemptPending {
		k := *p
		k.Attempts, k.AttemptPending, k.Version = attempt, true, p.Version+1
		k.Provider, k.ConnectionID = b.reg.Name, b.conn.ID
		known = &k
	}
	var res *payment.Payment
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		if known != nil {
			cur := *known
			err := e.recordAttempt(ctx, tx, actor, &cur, out)
			if err == nil {
				res = &cur
				return &cur, nil
			}
			if !errors.Is(err, store.ErrStale) {
				return nil, err
			}
		}
		cur, err := tx.GetPaymentForUpdate(ctx, s, id)
		if err != nil {
			return nil, notFound(err, "payment", id)
		}
		if !cur.AttemptPending || cur.Attempts != attempt || cur.CheckConfirmable() != nil {
			// A concurrent confirm of the same attempt, the sweep or the provider's
			// webhook recorded the outcome first: the payment already says it.
			if cur.Attempts == attempt && (!cur.AttemptPending || cur.CheckConfirmable() != nil) {
				res = cur
				return cur, nil
			}
			return nil, payment.Errorf(payment.KindConflict, payment.CodeConcurrentUpdate,
				"payment %s was confirmed by another request at the same time", id)
		}
		res = cur
		return cur, e.recordAttempt(ctx, tx, actor, cur, out)
	})
	if err != nil {
		return nil, err
	}
	if keepBusy {
		return nil, providerErr(perr)
	}
	return res, nil
}

func authorizeKey(paymentID string, attempt int) string {
	return fmt.Sprintf("%s-authorize-%d", paymentID, attempt)
}

// recordAttempt stores the provider's answer to attempt cur.Attempts.
func (e *Engine) recordAttempt(ctx context.Context, tx store.Tx, actor payment.Actor, cur *payment.Payment, out payment.Outcome) error {
	from := cur.Status
	cur.AttemptPending = false
	if _, err := cur.Apply(out, e.now()); err != nil {
		return err
	}
	cur.UpdatedAt = e.now()
	if err := tx.UpdatePayment(ctx, cur); err != nil {
		return err
	}
	if err := e.recordPayment(ctx, tx, actor, payment.PaymentEventType(cur.Status), cur, from); err != nil {
		return err
	}
	if cur.Status == payment.StatusProcessing {
		return enqueue(ctx, tx, JobReconcilePayment, cur.MerchantID,
			paymentRef{cur.MerchantID, cur.Livemode, cur.ID}, e.now().Add(e.cfg.ReconcileAfter))
	}
	return nil
}

// closeAttempt clears an attempt that never reached the provider and returns cause.
func (e *Engine) closeAttempt(ctx context.Context, s store.Scope, id string, attempt int, cause error) error {
	err := e.store.Write(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetPaymentForUpdate(ctx, s, id)
		if err != nil || !cur.AttemptPending || cur.Attempts != attempt {
			return err
		}
		cur.AttemptPending = false
		return tx.UpdatePayment(ctx, cur)
	})
	if err != nil {
		return storeErr(err)
	}
	return cause
}

// ResolvePendingAttempts asks providers about attempts that were started before
// olderThan ago and never recorded, because the process died during the call.
func (e *Engine) ResolvePendingAttempts(ctx context.Context, olderThan time.Duration) (int, error) {
	keys, err := e.store.StalePendingAttempts(ctx, e.now().Add(-olderThan), 100)
	if err != nil {
		return 0, storeErr(err)
	}
	n := 0
	for _, k := range keys {
		s := store.Scope{MerchantID: k.MerchantID, Livemode: k.Livemode}
		p, err := e.GetPayment(ctx, s, k.ID)
		if err != nil {
			return n, err
		}
		b, err := e.connectorOf(ctx, p.ConnectionID)
		if err != nil {
			return n, err
		}
		pctx, cancel := e.providerCtx(ctx)
		out, err := b.Status(pctx, provider.StatusRequest{PaymentID: p.ID, IdempotencyKey: authorizeKey(p.ID, p.Attempts)})
		cancel()
		neverArrived := errors.Is(err, provider.ErrUnknownPayment)
		if err != nil && !neverArrived {
			e.log.Warn("resolve pending attempt", "payment", p.ID, "err", err)
			continue
		}
		err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
			cur, err := tx.GetPaymentForUpdate(ctx, s, k.ID)
			if err != nil || !cur.AttemptPending || cur.Attempts != p.Attempts {
				return nil, err
			}
			if neverArrived || cur.CheckConfirmable() != nil {
				// Nothing happened at the provider, or a webhook already told the
				// outcome: the attempt is simply closed.
				cur.AttemptPending = false
				return nil, tx.UpdatePayment(ctx, cur)
			}
			n++
			return nil, e.recordAttempt(ctx, tx, systemActor, cur, out)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// paymentRef is the argument of jobs that work on one payment.
type paymentRef struct {
	MerchantID string `json:"merchant_id"`
	Livemode   bool   `json:"livemode"`
	PaymentID  string `json:"payment_id"`
}

// CapturePayment captures amount (0 means everything capturable).
func (e *Engine) CapturePayment(ctx context.Context, actor payment.Actor, s store.Scope, id string, amount int64) (*payment.Payment, error) {
	p, err := e.GetPayment(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if err := p.CheckCapturable(amount); err != nil {
		return nil, err
	}
	if amount == 0 {
		amount = p.AmountCapturable
	}
	b, err := e.connectorOf(ctx, p.ConnectionID)
	if err != nil {
		return nil, err
	}
	if amount < p.AmountCapturable && !b.reg.Capabilities.PartialCapture {
		return nil, payment.Invalid("amount", payment.CodeParameterInvalid, "%s does not support partial capture: omit amount to capture %d", b.reg.Name, p.AmountCapturable)
	}
	pctx, cancel := e.providerCtx(ctx)
	defer cancel()
	out, err := b.Capture(pctx, provider.CaptureRequest{PaymentID: p.ID, IdempotencyKey: captureKey(p),
		ProviderReference: p.ProviderReference, Amount: amount, Currency: p.Currency})
	if err != nil {
		return nil, providerErr(err)
	}
	var res *payment.Payment
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		cur, err := tx.GetPaymentForUpdate(ctx, s, id)
		if err != nil {
			return nil, notFound(err, "payment", id)
		}
		if cur.Status == payment.StatusSucceeded && cur.AmountCaptured == amount {
			res = cur // the provider's webhook recorded this capture first
			return cur, nil
		}
		if cur.CaptureFailures != p.CaptureFailures {
			// The provider already reported this very capture as failed (it took
			// it, then the scheme refused it): the payment says so.
			res = cur
			return cur, nil
		}
		from := cur.Status
		captured := amount
		if out.AmountCaptured > 0 && out.AmountCaptured <= amount {
			captured = out.AmountCaptured // what the provider says it took
		}
		if err := cur.Capture(captured, e.now()); err != nil {
			return nil, err
		}
		if out.ProviderReference != "" {
			cur.ProviderReference = out.ProviderReference
		}
		if err := tx.UpdatePayment(ctx, cur); err != nil {
			return nil, err
		}
		res = cur
		return cur, e.recordPayment(ctx, tx, actor, payment.EventPaymentCaptured, cur, from)
	})
	return res, err
}

// captureKey is the idempotency key of p's next capture: the first is
// "<id>-capture", as a retry of it must be; after a capture the provider accepted
// and then reported failed, the next one is a new request with a key of its own.
func captureKey(p *payment.Payment) string {
	if p.CaptureFailures == 0 {
		return p.ID + "-capture"
	}
	return fmt.Sprintf("%s-capture-%d", p.ID, p.CaptureFailures+1)
}

// CancelPayment voids a payment that was not captured.
func (e *Engine) CancelPayment(ctx context.Context, actor payment.Actor, s store.Scope, id string) (*payment.Payment, error) {
	p, err := e.GetPayment(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if err := p.CheckCancelable(); err != nil {
		return nil, err
	}
	// Only an authorisation or a pending challenge holds anything at the provider.
	if p.ConnectionID != "" && (p.Status == payment.StatusRequiresCapture || p.Status == payment.StatusRequiresAction) {
		b, err := e.connectorOf(ctx, p.ConnectionID)
		if err != nil {
			return nil, err
		}
		pctx, cancel := e.providerCtx(ctx)
		defer cancel()
		if _, err := b.Void(pctx, provider.VoidRequest{PaymentID: p.ID, IdempotencyKey: p.ID + "-void",
			ProviderReference: p.ProviderReference}); err != nil && !errors.Is(err, provider.ErrNotSupported) {
			return nil, providerErr(err)
		}
	}
	var res *payment.Payment
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		cur, err := tx.GetPaymentForUpdate(ctx, s, id)
		if err != nil {
			return nil, notFound(err, "payment", id)
		}
		from := cur.Status
		if err := cur.Cancel(e.now()); err != nil {
			return nil, err
		}
		if err := tx.UpdatePayment(ctx, cur); err != nil {
			return nil, err
		}
		res = cur
		return cur, e.recordPayment(ctx, tx, actor, payment.PaymentEventType(cur.Status), cur, from)
	})
	return res, err
}

// LocatePayment finds the scope of a payment from its id alone, for public pages.
func (e *Engine) LocatePayment(ctx context.Context, id string) (store.Scope, error) {
	k, err := e.store.LocatePayment(ctx, id)
	if err != nil {
		return store.Scope{}, notFound(err, "payment", id)
	}
	return store.Scope{MerchantID: k.MerchantID, Livemode: k.Livemode}, nil
}

// SyncPayment asks the provider for the payment's true state and records it. The
// reconciliation job uses it; webhooks may bring the same news, and whichever
// comes second changes nothing.
func (e *Engine) SyncPayment(ctx context.Context, actor payment.Actor, s store.Scope, id string) (*payment.Payment, error) {
	return e.ReturnPayment(ctx, actor, s, id, nil)
}

// ReturnPayment completes a payment when the shopper comes back to paymux from a
// redirect or 3-D Secure, with the parameters the provider appended to the return
// URL or posted to it: a provider that needs them to finish the payment gets them
// (Adyen's redirectResult goes to /payments/details); the others are asked for the
// payment's state, which finishes what needs finishing (PayPal captures or
// authorises the order the shopper approved, per the payment's capture method;
// Stripe reads the PaymentIntent after 3-D Secure). The outcome is recorded with an
// event only if it changes the payment, so a reloaded return page, a second
// instance answering the same return and the provider's webhook racing the return
// all converge on one state, each step once in the events.
//
// An uncertain answer (the call may have taken effect) moves a payment that waited
// for the shopper to processing, so that reconciliation asks the provider until it
// knows, instead of leaving it to expire with the money perhaps taken.
func (e *Engine) ReturnPayment(ctx context.Context, actor payment.Actor, s store.Scope, id string, params url.Values) (*payment.Payment, error) {
	p, err := e.GetPayment(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if p.ConnectionID == "" || (p.Status != payment.StatusRequiresAction && p.Status != payment.StatusProcessing) {
		return p, nil
	}
	b, err := e.connectorOf(ctx, p.ConnectionID)
	if err != nil {
		return nil, err
	}
	pctx, cancel := e.providerCtx(ctx)
	defer cancel()
	sr := provider.StatusRequest{PaymentID: p.ID, ProviderReference: p.ProviderReference,
		IdempotencyKey: authorizeKey(p.ID, p.Attempts)}
	var out payment.Outcome
	if rc, ok := b.Connector.(provider.RedirectCompleter); ok {
		out, err = rc.CompleteRedirect(pctx, provider.ReturnRequest{StatusRequest: sr, CaptureMethod: p.CaptureMethod, Params: params})
	} else {
		out, err = b.Status(pctx, sr)
	}
	var pe *provider.Error
	switch {
	case errors.Is(err, provider.ErrUnknownPayment) && p.Status == payment.StatusProcessing:
		// Held in processing after an uncertain call that, it turns out, never
		// arrived: nothing was charged.
		out, err = payment.Outcome{Status: payment.StatusFailed, FailureCode: "not_received",
			FailureMessage: "the payment never reached the provider; confirm it again"}, nil
	case errors.As(err, &pe) && pe.Uncertain && p.Status == payment.StatusRequiresAction:
		e.log.Warn("uncertain provider answer on the shopper's return; reconciling", "payment", p.ID, "err", err)
		return e.applyOutcome(ctx, actor, s, id, payment.Outcome{Status: payment.StatusProcessing})
	}
	if err != nil {
		return nil, providerErr(err)
	}
	return e.applyOutcome(ctx, actor, s, id, out)
}

// applyOutcome records a provider's report on a payment, appending an event only if
// something changed.
func (e *Engine) applyOutcome(ctx context.Context, actor payment.Actor, s store.Scope, id string, out payment.Outcome) (*payment.Payment, error) {
	var res *payment.Payment
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		cur, err := tx.GetPaymentForUpdate(ctx, s, id)
		if err != nil {
			return nil, notFound(err, "payment", id)
		}
		res = cur
		return cur, e.applyInTx(ctx, tx, actor, cur, out)
	})
	return res, err
}

func (e *Engine) applyInTx(ctx context.Context, tx store.Tx, actor payment.Actor, p *payment.Payment, out payment.Outcome) error {
	from := p.Status
	if from == payment.StatusFailed && !p.AttemptPending &&
		(out.Status == payment.StatusRequiresAction || out.Status == payment.StatusProcessing) {
		// The transition table lets a failed payment start again, but only a new
		// confirm does that: news that the failed attempt was still under way is
		// stale (a provider's earlier webhook delivered late), not a new start.
		return nil
	}
	changed, err := p.Apply(out, e.now())
	if err != nil {
		return err
	}
	if p.AttemptPending && p.CheckConfirmable() != nil {
		// The provider's news of the attempt in flight arrived before its answer.
		p.AttemptPending, changed = false, true
	}
	if !changed {
		return nil
	}
	if err := tx.UpdatePayment(ctx, p); err != nil {
		return err
	}
	if from == p.Status {
		return nil // details only (e.g. card brand): no status event
	}
	if err := e.recordPayment(ctx, tx, actor, payment.PaymentEventType(p.Status), p, from); err != nil {
		return err
	}
	if p.Status == payment.StatusProcessing {
		// However it got here (a webhook, a return), a processing payment is looked
		// up at the provider until it settles.
		return enqueue(ctx, tx, JobReconcilePayment, p.MerchantID,
			paymentRef{p.MerchantID, p.Livemode, p.ID}, e.now().Add(e.cfg.ReconcileAfter))
	}
	return nil
}
