package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// RunAgain asks the job runner to run a job again at At without counting a failure:
// periodic work, or work that is waiting for a provider.
type RunAgain struct{ At time.Time }

func (r RunAgain) Error() string { return "run again at " + r.At.Format(time.RFC3339) }

var systemActor = payment.Actor{Type: payment.ActorSystem, ID: "jobs"}

// WorkReconcile asks the provider for the state of a payment left processing.
func (e *Engine) WorkReconcile(ctx context.Context, j store.Job) error {
	var ref paymentRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	s := store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}
	p, err := e.SyncPayment(ctx, systemActor, s, ref.PaymentID)
	if err != nil {
		return err
	}
	if p.Status == payment.StatusProcessing {
		backoff := time.Duration(j.Attempts) * e.cfg.ReconcileAfter
		if backoff > time.Hour {
			backoff = time.Hour
		}
		return RunAgain{At: e.now().Add(backoff)}
	}
	return nil
}

// WorkSubmitRefund sends a refund left unsubmitted by a crash.
func (e *Engine) WorkSubmitRefund(ctx context.Context, j store.Job) error {
	var ref refundRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	s := store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}
	r, err := e.submitRefund(ctx, systemActor, s, ref.RefundID, nil)
	if err != nil {
		return err
	}
	if r.Status == payment.RefundPending && !r.Submitted {
		return fmt.Errorf("refund %s: provider not reached yet", r.ID)
	}
	return nil
}

// ExpireInterval is how often abandoned payments are looked for: a tenth of the
// expiry, between one second and thirty.
func (e *Engine) ExpireInterval() time.Duration {
	d := e.cfg.PaymentExpiry / 10
	return min(max(d, time.Second), 30*time.Second)
}

// WorkExpireSweep expires every payment past its expiry, then reschedules itself.
func (e *Engine) WorkExpireSweep(ctx context.Context, _ store.Job) error {
	if _, err := e.ExpirePayments(ctx); err != nil {
		return err
	}
	return RunAgain{At: e.now().Add(e.ExpireInterval())}
}

// ExpirePayments moves open payments past their expiry to expired.
func (e *Engine) ExpirePayments(ctx context.Context) (int, error) {
	n := 0
	for {
		keys, err := e.store.ExpiredPayments(ctx, e.now(), 200)
		if err != nil {
			return n, storeErr(err)
		}
		for _, k := range keys {
			s := store.Scope{MerchantID: k.MerchantID, Livemode: k.Livemode}
			err := e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
				p, err := tx.GetPaymentForUpdate(ctx, s, k.ID)
				if err != nil {
					return err
				}
				from := p.Status
				if !p.Expire(e.now()) {
					return nil
				}
				if err := tx.UpdatePayment(ctx, p); err != nil {
					return err
				}
				n++
				return e.recordPayment(ctx, tx, systemActor, payment.PaymentEventType(p.Status), p, from)
			})
			if err != nil {
				return n, storeErr(err)
			}
		}
		if len(keys) < 200 {
			return n, nil
		}
	}
}

// staleAttempt is the age of a pending attempt whose process died during the call:
// no live call lasts longer than the provider timeout.
func (e *Engine) staleAttempt() time.Duration { return e.cfg.ProviderTimeout + 15*time.Second }

// WorkAttemptSweep resolves provider calls left open by a crash, every ten seconds,
// so that such a payment reaches its true state within a minute of a restart.
func (e *Engine) WorkAttemptSweep(ctx context.Context, _ store.Job) error {
	if _, err := e.ResolvePendingAttempts(ctx, e.staleAttempt()); err != nil {
		return err
	}
	return RunAgain{At: e.now().Add(10 * time.Second)}
}

// WorkPurgeIdempotency forgets Idempotency-Keys older than retention, hourly.
func (e *Engine) WorkPurgeIdempotency(retention time.Duration) func(ctx context.Context, j store.Job) error {
	return func(ctx context.Context, _ store.Job) error {
		err := e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.PurgeIdempotency(ctx, e.now().Add(-retention))
			return err
		})
		if err != nil {
			return storeErr(err)
		}
		return RunAgain{At: e.now().Add(time.Hour)}
	}
}

// SchedulePeriodic makes sure the periodic jobs exist; unique keys keep one of each
// however many instances start.
func (e *Engine) SchedulePeriodic(ctx context.Context) error {
	return storeErr(e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, kind := range []string{JobExpireSweep, JobPurgeIdempotency, JobAttemptSweep} {
			// Periodic jobs retry with backoff on failure but are never given up on.
			if err := tx.EnqueueJob(ctx, store.Job{Kind: kind, Args: []byte("{}"), RunAt: e.now(),
				UniqueKey: "periodic:" + kind, MaxAttempts: 1 << 30}); err != nil {
				return err
			}
		}
		return nil
	}))
}
