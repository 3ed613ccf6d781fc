package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/webhook"
)

// Outbound webhooks (to merchants; webhooks.go takes providers' inbound ones).
//
// When an event is appended, the same transaction inserts one delivery per enabled
// endpoint of the merchant and mode that subscribed to its type, and a job for each
// delivery that may go at once: a commit can never have an event without its
// deliveries, nor a delivery without the job that sends it (transactional outbox).
//
// Ordered endpoints (the default) receive the events of one payment one at a time,
// in event order: a delivery whose payment has an earlier delivery still open
// (pending or waiting) to the same endpoint is inserted waiting, without a job, and
// the transaction that settles a delivery hands over to the next waiting one by
// queueing its job. Both happen under the payment's row lock, so a handover is never
// missed; the job queue (FOR UPDATE SKIP LOCKED claims, one job per delivery by its
// unique key) makes sure no delivery is sent by two processes at once.

// JobWebhookDelivery sends one delivery; its args are a deliveryRef.
const JobWebhookDelivery = "webhook.deliver"

// Id prefixes of outbound webhook objects.
const (
	PrefixWebhookEndpoint = "we_"
	PrefixWebhookDelivery = "whd_"
)

// Defaults of WebhookConfig.
const (
	// DefaultWebhookDisableAfter is how many deliveries in a row may fail every
	// attempt of the schedule before their endpoint is disabled.
	DefaultWebhookDisableAfter = 3
	// DefaultSecretGrace is how long a rotated-out signing secret keeps signing.
	DefaultSecretGrace = 24 * time.Hour
	// MaxSecretGrace bounds a rotation's grace period.
	MaxSecretGrace = 7 * 24 * time.Hour
)

// WebhookConfig tunes outbound webhooks.
type WebhookConfig struct {
	// RetrySchedule is how long to wait after each failed attempt; nil means
	// webhook.DefaultSchedule (about three days).
	RetrySchedule webhook.Schedule
	// DisableAfter is how many deliveries in a row may be given up before their
	// endpoint is disabled; zero means DefaultWebhookDisableAfter.
	DisableAfter int
	// Client checks endpoint URLs and sends; nil means one with default options.
	Client *webhook.Client
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	if len(c.RetrySchedule) == 0 {
		c.RetrySchedule = webhook.DefaultSchedule
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = DefaultWebhookDisableAfter
	}
	if c.Client == nil {
		c.Client = webhook.NewClient(webhook.Options{})
	}
	return c
}

// deliveryRef is a webhook delivery job's args.
type deliveryRef struct {
	MerchantID string `json:"merchant_id"`
	Livemode   bool   `json:"livemode"`
	DeliveryID string `json:"delivery_id"`
}

// deliveryJobKey is the unique key of a delivery's job: at most one job per
// delivery exists at a time, so no delivery is ever sent twice at once.
func deliveryJobKey(id string) string { return "webhook:" + id }

// deliveryMaxAttempts bounds job-level retries of a delivery job, which happen only
// when the worker itself fails (e.g. the database is down); delivery attempts are
// scheduled by the worker and counted on the delivery.
const deliveryMaxAttempts = 1000

// appendEvent appends ev and queues its deliveries. paymentLocked says the caller
// holds the row lock of ev's payment, as every payment change does; otherwise it
// is taken before the event is numbered when an ordered endpoint needs it, so that
// the events of one payment are numbered in the order they commit.
func (e *Engine) appendEvent(ctx context.Context, tx store.Tx, ev *payment.Event, paymentLocked bool) error {
	s := store.Scope{MerchantID: ev.MerchantID, Livemode: ev.Livemode}
	eps, err := tx.ActiveWebhookEndpoints(ctx, s)
	if err != nil {
		return err
	}
	var matched []*store.WebhookEndpoint
	ordered := false
	for _, ep := range eps {
		if webhook.Matches(ep.EnabledEvents, ev.Type) {
			matched = append(matched, ep)
			ordered = ordered || ep.Ordered
		}
	}
	if ordered && !paymentLocked && ev.PaymentID != "" {
		if _, err := tx.GetPaymentForUpdate(ctx, s, ev.PaymentID); err != nil {
			return err
		}
	}
	if err := tx.InsertEvent(ctx, ev); err != nil {
		return err
	}
	for _, ep := range matched {
		d := &store.WebhookDelivery{ID: payment.NewID(PrefixWebhookDelivery), MerchantID: ev.MerchantID,
			Livemode: ev.Livemode, EndpointID: ep.ID, EventID: ev.ID, EventSeq: ev.Seq, EventType: ev.Type,
			PaymentID: ev.PaymentID, NextAttemptAt: ev.CreatedAt, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt}
		if err := e.openDelivery(ctx, tx, s, ep.Ordered, d, true); err != nil {
			return err
		}
	}
	return nil
}

// openDelivery makes d pending (with a job due at d.NextAttemptAt) or, for an
// ordered endpoint whose payment has an earlier delivery still open, waiting; then
// inserts it (fresh) or stores it. The caller holds the payment's row lock.
func (e *Engine) openDelivery(ctx context.Context, tx store.Tx, s store.Scope, ordered bool, d *store.WebhookDelivery, fresh bool) error {
	d.Status = store.DeliveryPending
	if ordered && d.PaymentID != "" {
		_, err := tx.OpenWebhookDeliveryBefore(ctx, s, d.EndpointID, d.PaymentID, d.EventSeq)
		switch {
		case err == nil:
			d.Status = store.DeliveryWaiting
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	var err error
	if fresh {
		err = tx.InsertWebhookDelivery(ctx, d)
	} else {
		err = tx.UpdateWebhookDelivery(ctx, d)
	}
	if err != nil || d.Status != store.DeliveryPending {
		return err
	}
	return queueDelivery(ctx, tx, d, fresh)
}

// queueDelivery makes sure the pending delivery d has a job due at d.NextAttemptAt.
// A job already queued is brought forward; one running now is left to finish (its
// attempt is the one asked for).
func queueDelivery(ctx context.Context, tx store.Tx, d *store.WebhookDelivery, fresh bool) error {
	key := deliveryJobKey(d.ID)
	if !fresh {
		found, err := tx.RescheduleJobByKey(ctx, key, d.NextAttemptAt)
		if err != nil || found {
			return err
		}
	}
	args, err := json.Marshal(deliveryRef{MerchantID: d.MerchantID, Livemode: d.Livemode, DeliveryID: d.ID})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobWebhookDelivery, MerchantID: d.MerchantID, Args: args,
		RunAt: d.NextAttemptAt, UniqueKey: key, MaxAttempts: deliveryMaxAttempts})
}

// WorkWebhookDelivery makes one attempt at a delivery and records it: delivered on a
// 2xx; otherwise due again after the schedule's next wait, or given up once the
// schedule is spent. Every attempt carries the same event id and body, so that
// receivers can drop duplicates (delivery is at least once: a crash between sending
// and recording sends again).
func (e *Engine) WorkWebhookDelivery(ctx context.Context, j store.Job) error {
	var ref deliveryRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	s := store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}
	d, err := e.store.GetWebhookDelivery(ctx, s, ref.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return storeErr(err)
	}
	if d.Status != store.DeliveryPending {
		return nil // settled meanwhile, or waiting for its turn: nothing to send
	}
	if now := e.now(); d.NextAttemptAt.After(now) {
		return RunAgain{At: d.NextAttemptAt} // e.g. a crash before the job was rescheduled
	}
	ep, err := e.store.GetWebhookEndpoint(ctx, s, d.EndpointID)
	if err != nil {
		return storeErr(err)
	}
	if ep.DeletedAt != nil || ep.Status != store.WebhookEnabled {
		why := "not sent: the endpoint was disabled"
		if ep.DeletedAt != nil {
			why = "not sent: the endpoint was deleted"
		}
		return e.settleDelivery(ctx, j, ep, d, nil, why)
	}
	ev, err := e.store.GetEvent(ctx, s, d.EventID)
	if err != nil {
		return storeErr(err)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	secrets, err := e.signingSecrets(ep)
	if err != nil {
		return err
	}
	at := e.now()
	res := e.cfg.Webhooks.Client.Send(ctx, webhook.Request{URL: ep.URL, Livemode: ep.Livemode, Body: body,
		EventID: ev.ID, DeliveryID: d.ID, Attempt: d.Attempts + 1, Secrets: secrets, At: at})
	if errors.Is(ctx.Err(), context.Canceled) {
		// paymux is stopping: this attempt does not count; the job runs again once its
		// lease ends (the receiver may have got it, which at-least-once allows).
		return ctx.Err()
	}
	attempt := &store.WebhookAttempt{MerchantID: d.MerchantID, DeliveryID: d.ID, At: at, HTTPStatus: res.Status,
		LatencyMS: res.Latency.Milliseconds(), ResponseExcerpt: res.Excerpt, Error: res.Error}
	return e.settleDelivery(ctx, j, ep, d, attempt, "")
}

// signingSecrets opens the endpoint's secret and, during a rotation's grace period,
// its previous one.
func (e *Engine) signingSecrets(ep *store.WebhookEndpoint) ([]string, error) {
	cur, err := e.box.Open(ep.Secret, []byte(ep.ID))
	if err != nil {
		return nil, fmt.Errorf("webhook endpoint %s secret: %w", ep.ID, err)
	}
	out := []string{string(cur)}
	if ep.PreviousSecret != nil && e.now().Before(ep.PreviousSecretExpiresAt) {
		prev, err := e.box.Open(ep.PreviousSecret, []byte(ep.ID))
		if err != nil {
			return nil, fmt.Errorf("webhook endpoint %s previous secret: %w", ep.ID, err)
		}
		out = append(out, string(prev))
	}
	return out, nil
}

// settleDelivery records an attempt (or, with attempt nil, gives the delivery up
// for reason) and what follows from it, in one transaction: the delivery's new
// state, the endpoint's health, the hand-over to the payment's next waiting
// delivery, and, once the delivery is settled, the end of its job (here, so that
// its unique key is free for a retry at once).
func (e *Engine) settleDelivery(ctx context.Context, j store.Job, ep *store.WebhookEndpoint, seen *store.WebhookDelivery, attempt *store.WebhookAttempt, reason string) error {
	s := store.Scope{MerchantID: seen.MerchantID, Livemode: seen.Livemode}
	cfg := e.cfg.Webhooks
	var again time.Time
	var disabled string
	err := e.store.Write(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
		again, disabled = time.Time{}, ""
		chained := ep.Ordered && seen.PaymentID != ""
		if chained {
			if _, err := tx.GetPaymentForUpdate(ctx, s, seen.PaymentID); err != nil {
				return err
			}
		}
		d, err := tx.GetWebhookDeliveryForUpdate(ctx, s, seen.ID)
		if err != nil {
			return err
		}
		now := e.now()
		if d.Status != store.DeliveryPending {
			// Only this job settles a pending delivery; keep the attempt for the record.
			if attempt != nil {
				attempt.Attempt = d.Attempts + 1
				return tx.InsertWebhookAttempt(ctx, attempt)
			}
			return nil
		}
		exhausted := false
		if attempt == nil {
			d.Status, d.LastError = store.DeliveryFailed, reason
		} else {
			d.Attempts++
			attempt.Attempt = d.Attempts
			if err := tx.InsertWebhookAttempt(ctx, attempt); err != nil {
				return err
			}
			d.LastAttemptAt, d.LastHTTPStatus, d.LastError = attempt.At, attempt.HTTPStatus, attempt.Error
			wait, more := cfg.RetrySchedule.Next(d.Attempts)
			switch {
			case attempt.Error == "":
				d.Status, d.DeliveredAt = store.DeliverySucceeded, now
			case d.Manual || !more:
				d.Status, exhausted = store.DeliveryFailed, !d.Manual
			default:
				again = now.Add(wait)
			}
		}
		d.UpdatedAt = now
		if again.IsZero() {
			d.NextAttemptAt = time.Time{}
		} else {
			d.NextAttemptAt = again
		}
		if err := tx.UpdateWebhookDelivery(ctx, d); err != nil {
			return err
		}
		if !again.IsZero() {
			// The runner reschedules the job when this returns RunAgain: doing it here
			// would let another runner claim it while this one still holds it.
			return nil
		}
		if err := tx.FinishJob(ctx, j.ID); err != nil {
			return err
		}
		if d.Status == store.DeliverySucceeded && (ep.ConsecutiveFailures > 0 || !ep.FailingSince.IsZero()) || exhausted {
			if disabled, err = e.noteEndpointHealth(ctx, tx, s, ep.ID, exhausted, now); err != nil {
				return err
			}
		}
		if chained {
			return e.handOver(ctx, tx, s, d, now)
		}
		return nil
	})
	if err != nil {
		return storeErr(err)
	}
	if disabled != "" {
		e.log.Warn("webhook endpoint disabled", "merchant", s.MerchantID, "endpoint", ep.ID, "reason", disabled)
	}
	if !again.IsZero() {
		return RunAgain{At: again}
	}
	return nil
}

// noteEndpointHealth records a success (clearing the endpoint's failure run) or a
// given-up delivery (flagging the endpoint as failing, and disabling it after
// DisableAfter in a row, which emails the merchant's operator address). It
// returns the reason when it disabled the endpoint.
func (e *Engine) noteEndpointHealth(ctx context.Context, tx store.Tx, s store.Scope, id string, failed bool, now time.Time) (string, error) {
	ep, err := tx.FindWebhookEndpointForUpdate(ctx, s, id)
	if err != nil {
		return "", err
	}
	disabled := ""
	if !failed {
		ep.ConsecutiveFailures, ep.FailingSince = 0, time.Time{}
	} else {
		ep.ConsecutiveFailures++
		if ep.FailingSince.IsZero() {
			ep.FailingSince = now
		}
		if ep.ConsecutiveFailures >= e.cfg.Webhooks.DisableAfter && ep.Status == store.WebhookEnabled && ep.DeletedAt == nil {
			disabled = fmt.Sprintf("disabled by paymux at %s: %d deliveries in a row failed every attempt over %s of retries; "+
				"fix the endpoint, enable it again, then replay its failed deliveries",
				now.Format(time.RFC3339), ep.ConsecutiveFailures, e.cfg.Webhooks.RetrySchedule.Span())
			ep.Status, ep.DisabledReason = store.WebhookDisabled, disabled
		}
	}
	ep.UpdatedAt = now
	if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
		return "", err
	}
	if disabled != "" {
		// The merchant's operator is told by email, in the same transaction.
		if err := e.notifyEndpointDisabled(ctx, tx, ep, disabled); err != nil {
			return "", err
		}
		return disabled, e.audit(ctx, tx, s, "webhook_endpoint.disabled", "webhook_endpoint", ep.ID, nil, endpointView(ep))
	}
	return disabled, nil
}

// handOver queues the next waiting delivery of settled's payment to the same
// endpoint, unless an earlier one is still open (then that one hands over in turn).
// The caller holds the payment's row lock.
func (e *Engine) handOver(ctx context.Context, tx store.Tx, s store.Scope, settled *store.WebhookDelivery, now time.Time) error {
	next, err := tx.NextWaitingWebhookDelivery(ctx, s, settled.EndpointID, settled.PaymentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.OpenWebhookDeliveryBefore(ctx, s, next.EndpointID, next.PaymentID, next.EventSeq); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	next.Status, next.NextAttemptAt, next.UpdatedAt = store.DeliveryPending, now, now
	if err := tx.UpdateWebhookDelivery(ctx, next); err != nil {
		return err
	}
	return queueDelivery(ctx, tx, next, false)
}
