package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func newEndpoint(s store.Scope, created time.Time, mods ...func(*store.WebhookEndpoint)) *store.WebhookEndpoint {
	ep := &store.WebhookEndpoint{ID: payment.NewID("we_"), MerchantID: s.MerchantID, Livemode: s.Livemode,
		URL: "https://shop.example/hooks?k=ü", Description: "ERP", EnabledEvents: []string{"payment.succeeded", "refund.failed"},
		Ordered: true, Status: store.WebhookEnabled, Secret: []byte{1, 0, 2, 255}, SecretHint: "whsec_…abcd",
		CreatedAt: created, UpdatedAt: created}
	for _, m := range mods {
		m(ep)
	}
	return ep
}

func newDelivery(ep *store.WebhookEndpoint, paymentID string, seq int64, status string, created time.Time) *store.WebhookDelivery {
	return &store.WebhookDelivery{ID: payment.NewID("whd_"), MerchantID: ep.MerchantID, Livemode: ep.Livemode,
		EndpointID: ep.ID, EventID: payment.NewID(payment.PrefixEvent), EventSeq: seq, EventType: "payment.succeeded",
		PaymentID: paymentID, Status: status, NextAttemptAt: created, CreatedAt: created, UpdatedAt: created}
}

func insertEndpoints(t *testing.T, st store.Store, eps ...*store.WebhookEndpoint) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, ep := range eps {
			if err := tx.InsertWebhookEndpoint(ctx, ep); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertDeliveries(t *testing.T, st store.Store, ds ...*store.WebhookDelivery) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, d := range ds {
			if err := tx.InsertWebhookDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
}

func hookIDs[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

func endpointID(ep *store.WebhookEndpoint) string { return ep.ID }
func deliveryID(d *store.WebhookDelivery) string  { return d.ID }

func testWebhooks(t *testing.T, open Opener) {
	parallel(t, open, "Endpoints", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		a := newEndpoint(b.scope, t0)
		c := newEndpoint(b.scope, t0.Add(time.Second), func(ep *store.WebhookEndpoint) {
			ep.Ordered, ep.Status, ep.DisabledReason = false, store.WebhookDisabled, "too many failures"
			ep.PreviousSecret, ep.PreviousSecretExpiresAt = []byte("sealed-old"), t0.Add(24*time.Hour)
			ep.FailingSince, ep.ConsecutiveFailures, ep.EnabledEvents = t0, 3, []string{"*"}
		})
		e := newEndpoint(b.scope, t0.Add(2*time.Second))
		other := newEndpoint(otherMode(b.scope), t0)
		insertEndpoints(t, b.st, a, c, e, other)
		for _, ep := range []*store.WebhookEndpoint{a, c, e} {
			got, err := b.st.GetWebhookEndpoint(ctx, b.scope, ep.ID)
			wantNoErr(t, "GetWebhookEndpoint", err)
			checkSame(t, "GetWebhookEndpoint", got, ep)
		}
		_, err := b.st.GetWebhookEndpoint(ctx, b.scope, other.ID)
		wantErr(t, "GetWebhookEndpoint(other mode)", err, store.ErrNotFound)
		_, err = b.st.GetWebhookEndpoint(ctx, store.Scope{MerchantID: payment.NewID(payment.PrefixMerchant)}, a.ID)
		wantErr(t, "GetWebhookEndpoint(other merchant)", err, store.ErrNotFound)

		active, err := b.st.ActiveWebhookEndpoints(ctx, b.scope)
		wantNoErr(t, "ActiveWebhookEndpoints", err)
		if got := hookIDs(active, endpointID); !slices.Equal(got, []string{a.ID, e.ID}) {
			t.Errorf("ActiveWebhookEndpoints = %v, want the enabled ones oldest first %v", got, []string{a.ID, e.ID})
		}
		page, more, err := b.st.ListWebhookEndpoints(ctx, b.scope, store.WebhookEndpointFilter{Limit: 2})
		wantNoErr(t, "ListWebhookEndpoints", err)
		if got := hookIDs(page, endpointID); !more || !slices.Equal(got, []string{e.ID, c.ID}) {
			t.Errorf("first page %v more=%v", got, more)
		}
		page, more, err = b.st.ListWebhookEndpoints(ctx, b.scope, store.WebhookEndpointFilter{Limit: 2, StartingAfter: c.ID})
		wantNoErr(t, "ListWebhookEndpoints", err)
		if got := hookIDs(page, endpointID); more || !slices.Equal(got, []string{a.ID}) {
			t.Errorf("second page %v more=%v", got, more)
		}
		_, _, err = b.st.ListWebhookEndpoints(ctx, b.scope, store.WebhookEndpointFilter{StartingAfter: other.ID})
		if payment.ErrorCode(err) != payment.CodeParameterInvalid {
			t.Errorf("ListWebhookEndpoints(starting_after of another mode): %v", err)
		}

		// Update every field; delete one.
		deleted := t0.Add(time.Hour)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			ep, err := tx.FindWebhookEndpointForUpdate(ctx, b.scope, a.ID)
			if err != nil {
				return err
			}
			ep.URL, ep.Description, ep.EnabledEvents, ep.Status = "https://new.example/h", "", []string{"*"}, store.WebhookDisabled
			ep.DisabledReason, ep.Secret, ep.SecretHint = "by request", []byte("new"), "whsec_…new0"
			ep.PreviousSecret, ep.PreviousSecretExpiresAt = []byte{1, 0, 2, 255}, t0.Add(time.Minute)
			ep.FailingSince, ep.ConsecutiveFailures, ep.UpdatedAt = t0.Add(time.Second), 1, t0.Add(time.Hour)
			if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
				return err
			}
			*a = *ep
			ep2, err := tx.FindWebhookEndpointForUpdate(ctx, b.scope, e.ID)
			if err != nil {
				return err
			}
			ep2.DeletedAt, ep2.UpdatedAt = &deleted, deleted
			*e = *ep2
			return tx.UpdateWebhookEndpoint(ctx, ep2)
		})
		got, err := b.st.GetWebhookEndpoint(ctx, b.scope, a.ID)
		wantNoErr(t, "GetWebhookEndpoint", err)
		checkSame(t, "updated endpoint", got, a)
		got, err = b.st.GetWebhookEndpoint(ctx, b.scope, e.ID)
		wantNoErr(t, "GetWebhookEndpoint(deleted)", err)
		checkSame(t, "deleted endpoint", got, e)
		if n, err := b.st.CountWebhookEndpoints(ctx, b.scope); err != nil || n != 2 {
			t.Errorf("CountWebhookEndpoints = %d, %v; want 2 (deleted ones are not counted)", n, err)
		}
		if active, _ := b.st.ActiveWebhookEndpoints(ctx, b.scope); len(active) != 0 {
			t.Errorf("ActiveWebhookEndpoints = %v, want none: a and c are disabled, e is deleted", hookIDs(active, endpointID))
		}
		if page, _, _ := b.st.ListWebhookEndpoints(ctx, b.scope, store.WebhookEndpointFilter{}); !slices.Equal(hookIDs(page, endpointID), []string{c.ID, a.ID}) {
			t.Errorf("ListWebhookEndpoints after a delete = %v", hookIDs(page, endpointID))
		}
		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			x := *other
			x.Livemode = b.scope.Livemode
			return tx.UpdateWebhookEndpoint(ctx, &x)
		})
		wantErr(t, "UpdateWebhookEndpoint(other mode)", err, store.ErrNotFound)
	})

	parallel(t, open, "Deliveries", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		ep := newEndpoint(b.scope, t0)
		ep2 := newEndpoint(b.scope, t0)
		insertEndpoints(t, b.st, ep, ep2)
		pay, pay2 := payment.NewID(payment.PrefixPayment), payment.NewID(payment.PrefixPayment)
		d1 := newDelivery(ep, pay, 10, store.DeliverySucceeded, t0)
		d2 := newDelivery(ep, pay, 11, store.DeliveryPending, t0.Add(time.Second))
		d3 := newDelivery(ep, pay, 12, store.DeliveryWaiting, t0.Add(2*time.Second))
		d4 := newDelivery(ep, pay2, 13, store.DeliveryFailed, t0.Add(3*time.Second))
		d5 := newDelivery(ep, pay, 14, store.DeliveryWaiting, t0.Add(4*time.Second))
		x := newDelivery(ep2, pay, 11, store.DeliveryPending, t0)
		d1.Attempts, d1.LastAttemptAt, d1.LastHTTPStatus, d1.DeliveredAt, d1.Manual = 2, t0, 204, t0, true
		d4.LastError = "answered HTTP 500"
		insertDeliveries(t, b.st, d1, d2, d3, d4, d5, x)
		for _, d := range []*store.WebhookDelivery{d1, d2, d3, d4, d5, x} {
			got, err := b.st.GetWebhookDelivery(ctx, b.scope, d.ID)
			wantNoErr(t, "GetWebhookDelivery", err)
			checkSame(t, "GetWebhookDelivery", got, d)
		}
		_, err := b.st.GetWebhookDelivery(ctx, otherMode(b.scope), d1.ID)
		wantErr(t, "GetWebhookDelivery(other mode)", err, store.ErrNotFound)
		dup := newDelivery(ep, pay, 99, store.DeliveryPending, t0)
		dup.EventID = d1.EventID
		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error { return tx.InsertWebhookDelivery(ctx, dup) })
		wantErr(t, "InsertWebhookDelivery(same endpoint and event)", err, store.ErrDuplicate)

		list, more, err := b.st.ListWebhookDeliveries(ctx, b.scope, store.WebhookDeliveryFilter{EndpointID: ep.ID, Limit: 3})
		wantNoErr(t, "ListWebhookDeliveries", err)
		if got := hookIDs(list, deliveryID); !more || !slices.Equal(got, []string{d5.ID, d4.ID, d3.ID}) {
			t.Errorf("first page %v more=%v, want newest event first", got, more)
		}
		list, more, err = b.st.ListWebhookDeliveries(ctx, b.scope, store.WebhookDeliveryFilter{EndpointID: ep.ID, StartingAfter: d3.ID})
		if got := hookIDs(list, deliveryID); err != nil || more || !slices.Equal(got, []string{d2.ID, d1.ID}) {
			t.Errorf("second page %v more=%v %v", got, more, err)
		}
		list, _, err = b.st.ListWebhookDeliveries(ctx, b.scope, store.WebhookDeliveryFilter{EndpointID: ep.ID, Status: store.DeliveryWaiting})
		if got := hookIDs(list, deliveryID); err != nil || !slices.Equal(got, []string{d5.ID, d3.ID}) {
			t.Errorf("waiting %v %v", got, err)
		}
		_, _, err = b.st.ListWebhookDeliveries(ctx, b.scope, store.WebhookDeliveryFilter{EndpointID: ep.ID, StartingAfter: x.ID})
		if payment.ErrorCode(err) != payment.CodeParameterInvalid {
			t.Errorf("ListWebhookDeliveries(starting_after of another endpoint): %v", err)
		}

		// The ordering queries, inside a transaction as the engine runs them.
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			open, err := tx.OpenWebhookDeliveryBefore(ctx, b.scope, ep.ID, pay, 14)
			if err != nil || open.ID != d2.ID {
				t.Errorf("OpenWebhookDeliveryBefore(14) = %v, %v; want the earliest open one, %s", open, err, d2.ID)
			}
			_, err = tx.OpenWebhookDeliveryBefore(ctx, b.scope, ep.ID, pay, 11)
			wantErr(t, "OpenWebhookDeliveryBefore(11)", err, store.ErrNotFound)
			_, err = tx.OpenWebhookDeliveryBefore(ctx, b.scope, ep.ID, pay2, 100)
			wantErr(t, "OpenWebhookDeliveryBefore(a payment with none open)", err, store.ErrNotFound)
			next, err := tx.NextWaitingWebhookDelivery(ctx, b.scope, ep.ID, pay)
			if err != nil || next.ID != d3.ID {
				t.Errorf("NextWaitingWebhookDelivery = %v, %v; want %s", next, err, d3.ID)
			}
			_, err = tx.NextWaitingWebhookDelivery(ctx, b.scope, ep2.ID, pay)
			wantErr(t, "NextWaitingWebhookDelivery(none)", err, store.ErrNotFound)
			rs, more, err := tx.ReplayableWebhookDeliveries(ctx, b.scope, ep.ID, []string{store.DeliveryFailed, store.DeliverySucceeded}, time.Time{}, 1)
			if err != nil || !more || !slices.Equal(hookIDs(rs, deliveryID), []string{d1.ID}) {
				t.Errorf("ReplayableWebhookDeliveries(limit 1) = %v %v %v", hookIDs(rs, deliveryID), more, err)
			}
			rs, more, err = tx.ReplayableWebhookDeliveries(ctx, b.scope, ep.ID, []string{store.DeliveryFailed, store.DeliverySucceeded}, t0.Add(time.Second), 10)
			if err != nil || more || !slices.Equal(hookIDs(rs, deliveryID), []string{d4.ID}) {
				t.Errorf("ReplayableWebhookDeliveries(since) = %v %v %v", hookIDs(rs, deliveryID), more, err)
			}
			// Settle d2: d3 becomes the earliest open one.
			d, err := tx.GetWebhookDeliveryForUpdate(ctx, b.scope, d2.ID)
			if err != nil {
				return err
			}
			d.Status, d.Attempts, d.LastAttemptAt, d.LastHTTPStatus, d.LastError = store.DeliverySucceeded, 1, t0.Add(time.Minute), 200, ""
			d.NextAttemptAt, d.DeliveredAt, d.UpdatedAt, d.Manual = time.Time{}, t0.Add(time.Minute), t0.Add(time.Minute), true
			*d2 = *d
			return tx.UpdateWebhookDelivery(ctx, d)
		})
		got, err := b.st.GetWebhookDelivery(ctx, b.scope, d2.ID)
		wantNoErr(t, "GetWebhookDelivery", err)
		checkSame(t, "updated delivery", got, d2)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			open, err := tx.OpenWebhookDeliveryBefore(ctx, b.scope, ep.ID, pay, 14)
			if err != nil || open.ID != d3.ID {
				t.Errorf("after settling: OpenWebhookDeliveryBefore = %v, %v; want %s", open, err, d3.ID)
			}
			return nil
		})
	})

	parallel(t, open, "Attempts", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		ep := newEndpoint(b.scope, t0)
		insertEndpoints(t, b.st, ep)
		d := newDelivery(ep, payment.NewID(payment.PrefixPayment), 1, store.DeliveryPending, t0)
		insertDeliveries(t, b.st, d)
		var want []*store.WebhookAttempt
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			for i := 1; i <= 5; i++ {
				a := &store.WebhookAttempt{MerchantID: d.MerchantID, DeliveryID: d.ID, Attempt: i, At: t0.Add(time.Duration(i) * time.Minute),
					HTTPStatus: 500 + i, LatencyMS: int64(10 * i), ResponseExcerpt: "down ü", Error: "answered HTTP 50x"}
				if i == 5 {
					a.HTTPStatus, a.ResponseExcerpt, a.Error = 0, "", "connection refused"
				}
				if err := tx.InsertWebhookAttempt(ctx, a); err != nil {
					return err
				}
				want = append(want, a)
			}
			// The same attempt recorded again (a crash between sending and recording)
			// keeps the first record.
			return tx.InsertWebhookAttempt(ctx, &store.WebhookAttempt{MerchantID: d.MerchantID, DeliveryID: d.ID, Attempt: 5, At: t0})
		})
		got, err := b.st.ListWebhookAttempts(ctx, b.scope, d.ID, 3)
		wantNoErr(t, "ListWebhookAttempts", err)
		if len(got) != 3 {
			t.Fatalf("ListWebhookAttempts(3) = %d attempts", len(got))
		}
		for i, a := range got {
			checkSame(t, "attempt", a, want[i+2])
		}
		if got, err := b.st.ListWebhookAttempts(ctx, otherMode(b.scope), d.ID, 10); err != nil || len(got) != 0 {
			t.Errorf("ListWebhookAttempts(other mode) = %d, %v; want none", len(got), err)
		}
	})

	parallel(t, open, "RescheduleJobByKey", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			for _, k := range []string{"webhook:a", "webhook:b"} {
				if err := tx.EnqueueJob(ctx, store.Job{Kind: "webhook.deliver", UniqueKey: k, RunAt: t0.Add(time.Hour)}); err != nil {
					return err
				}
			}
			return nil
		})
		var claimed []store.Job
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			if ok, err := tx.RescheduleJobByKey(ctx, "webhook:a", t0); err != nil || !ok {
				t.Errorf("RescheduleJobByKey(queued) = %v, %v", ok, err)
			}
			if ok, err := tx.RescheduleJobByKey(ctx, "webhook:none", t0); err != nil || ok {
				t.Errorf("RescheduleJobByKey(unknown) = %v, %v", ok, err)
			}
			var err error
			claimed, err = tx.ClaimJobs(ctx, t0, 10, time.Minute)
			return err
		})
		if len(claimed) != 1 || claimed[0].UniqueKey != "webhook:a" {
			t.Fatalf("claimed %v, want only the job brought forward", claimed)
		}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			if ok, err := tx.RescheduleJobByKey(ctx, "webhook:a", t0); err != nil || ok {
				t.Errorf("RescheduleJobByKey(running) = %v, %v; a running job is left alone", ok, err)
			}
			return nil
		})
		if at, ok, err := b.st.NextJobAt(ctx); err != nil || !ok || !at.Equal(us(t0.Add(time.Minute))) {
			t.Errorf("NextJobAt = %v %v %v", at, ok, err)
		}
	})
}
