package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func newNotification(s store.Scope, paymentID string, created time.Time, mods ...func(*store.Notification)) *store.Notification {
	n := &store.Notification{ID: payment.NewID("ntf_"), MerchantID: s.MerchantID, Livemode: s.Livemode,
		PaymentID: paymentID, RelatedID: "re_x", Kind: "payment_succeeded", Recipient: "ada+ü@example.com", Locale: "pl",
		Subject: "Płatność potwierdzona: 12,50 zł", Status: store.NotificationQueued, NextAttemptAt: created,
		Data:  json.RawMessage(`{"amount":"12,50 zł","order_id":"o-1"}`),
		Actor: payment.Actor{Type: payment.ActorAPIKey, ID: "key_1"}, CreatedAt: created, UpdatedAt: created}
	for _, m := range mods {
		m(n)
	}
	return n
}

func insertNotifications(t *testing.T, st store.Store, ns ...*store.Notification) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, n := range ns {
			if err := tx.InsertNotification(ctx, n); err != nil {
				return err
			}
		}
		return nil
	})
}

func notificationID(n *store.Notification) string { return n.ID }

func testNotifications(t *testing.T, open Opener) {
	parallel(t, open, "RoundTripAndScope", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		a := newNotification(b.scope, "pay_a", t0)
		sent := newNotification(b.scope, "", t0.Add(time.Second), func(n *store.Notification) {
			n.Kind, n.RelatedID, n.Status, n.Attempts, n.LastError = "endpoint_disabled", "we_1", store.NotificationSent, 2, "451 try later"
			n.NextAttemptAt, n.SentAt, n.Actor = time.Time{}, t0.Add(time.Minute), payment.Actor{Type: payment.ActorSystem, ID: "jobs"}
		})
		other := newNotification(otherMode(b.scope), "pay_a", t0)
		insertNotifications(t, b.st, a, sent, other)
		for _, n := range []*store.Notification{a, sent} {
			got, err := b.st.GetNotification(ctx, b.scope, n.ID)
			wantNoErr(t, "GetNotification", err)
			checkSame(t, "GetNotification", got, n)
		}
		_, err := b.st.GetNotification(ctx, b.scope, other.ID)
		wantErr(t, "GetNotification of the other mode", err, store.ErrNotFound)
		_, err = b.st.GetNotification(ctx, newScope(false), a.ID)
		wantErr(t, "GetNotification of another merchant", err, store.ErrNotFound)

		// An update stores the attempt's outcome and nothing else.
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			n, err := tx.GetNotificationForUpdate(ctx, b.scope, a.ID)
			if err != nil {
				return err
			}
			n.Status, n.Attempts, n.LastError = store.NotificationFailed, 3, "550 mailbox unavailable"
			n.NextAttemptAt, n.UpdatedAt, n.SentAt = time.Time{}, t0.Add(time.Hour), time.Time{}
			n.Subject, n.Recipient = "changed", "changed@example.com" // not stored by an update
			return tx.UpdateNotification(ctx, n)
		})
		got, err := b.st.GetNotification(ctx, b.scope, a.ID)
		wantNoErr(t, "GetNotification after update", err)
		want := *a
		want.Status, want.Attempts, want.LastError = store.NotificationFailed, 3, "550 mailbox unavailable"
		want.NextAttemptAt, want.UpdatedAt = time.Time{}, t0.Add(time.Hour)
		checkSame(t, "after UpdateNotification", got, &want)

		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetNotificationForUpdate(ctx, newScope(false), a.ID); err != store.ErrNotFound {
				t.Errorf("GetNotificationForUpdate of another merchant: %v", err)
			}
			n := *other
			n.Livemode = !other.Livemode
			return tx.UpdateNotification(ctx, &n)
		})
		wantErr(t, "UpdateNotification in the wrong mode", err, store.ErrNotFound)
	})

	parallel(t, open, "ListByPayment", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		var mine []*store.Notification
		for i := range 5 {
			mine = append(mine, newNotification(b.scope, "pay_a", t0.Add(time.Duration(i%3)*time.Second)))
		}
		insertNotifications(t, b.st, mine...)
		insertNotifications(t, b.st, newNotification(b.scope, "pay_b", t0), newNotification(otherMode(b.scope), "pay_a", t0),
			newNotification(newScope(false), "pay_a", t0))
		// Newest first; ties by id, descending.
		want := slices.Clone(mine)
		slices.SortFunc(want, func(x, y *store.Notification) int {
			if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
				return c
			}
			return compareStrings(y.ID, x.ID)
		})
		var got []*store.Notification
		after := ""
		for {
			page, more, err := b.st.ListNotifications(ctx, b.scope, store.NotificationFilter{PaymentID: "pay_a", Limit: 2, StartingAfter: after})
			wantNoErr(t, "ListNotifications", err)
			got = append(got, page...)
			if !more {
				break
			}
			after = page[len(page)-1].ID
		}
		if g, w := hookIDs(got, notificationID), hookIDs(want, notificationID); !slices.Equal(g, w) {
			t.Errorf("ListNotifications walked %v, want %v", g, w)
		}
		_, _, err := b.st.ListNotifications(ctx, b.scope, store.NotificationFilter{PaymentID: "pay_b", StartingAfter: mine[0].ID})
		if payment.ErrorCode(err) != payment.CodeParameterInvalid {
			t.Errorf("a cursor of another payment: %v, want parameter_invalid", err)
		}
		none, more, err := b.st.ListNotifications(ctx, b.scope, store.NotificationFilter{PaymentID: "pay_none"})
		if err != nil || len(none) != 0 || more {
			t.Errorf("a payment without notifications: %d, %v, %v", len(none), more, err)
		}
	})

	parallel(t, open, "Settings", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		_, err := b.st.GetNotificationSettings(ctx, b.scope)
		wantErr(t, "GetNotificationSettings before any", err, store.ErrNotFound)
		ns := &store.NotificationSettings{MerchantID: b.scope.MerchantID, Livemode: b.scope.Livemode,
			Kinds: map[string]bool{"payment_reminder": true, "payment_failed": false}, ReminderDelay: 90 * time.Minute,
			DefaultLocale: "it", BrandName: "Caffè Roma", BrandColor: "#aa3300", LogoURL: "https://cdn.example/l.png",
			ReplyTo: "help@caffe.example", OperatorEmail: "ops@caffe.example", CreatedAt: t0, UpdatedAt: t0}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.PutNotificationSettings(ctx, ns) })
		got, err := b.st.GetNotificationSettings(ctx, b.scope)
		wantNoErr(t, "GetNotificationSettings", err)
		checkSame(t, "GetNotificationSettings", got, ns)
		_, err = b.st.GetNotificationSettings(ctx, otherMode(b.scope))
		wantErr(t, "GetNotificationSettings of the other mode", err, store.ErrNotFound)

		// A second put replaces everything but the creation time.
		again := *ns
		again.Kinds, again.ReminderDelay, again.DefaultLocale, again.BrandName = map[string]bool{}, time.Hour, "pl", ""
		again.CreatedAt, again.UpdatedAt = t0.Add(time.Hour), t0.Add(time.Hour)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.PutNotificationSettings(ctx, &again) })
		got, err = b.st.GetNotificationSettings(ctx, b.scope)
		wantNoErr(t, "GetNotificationSettings after a second put", err)
		again.CreatedAt = t0
		checkSame(t, "after a second put", got, &again)
	})

	parallel(t, open, "LockStoresDefaultsOnce", func(t *testing.T, b *bundle) {
		def := &store.NotificationSettings{MerchantID: b.scope.MerchantID, Livemode: b.scope.Livemode,
			Kinds: map[string]bool{}, ReminderDelay: time.Hour, DefaultLocale: "en", CreatedAt: t0, UpdatedAt: t0}
		var got *store.NotificationSettings
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.LockNotificationSettings(ctx, def)
			return err
		})
		checkSame(t, "LockNotificationSettings with none stored", got, def)
		stored, err := b.st.GetNotificationSettings(t.Context(), b.scope)
		wantNoErr(t, "GetNotificationSettings after the lock", err)
		checkSame(t, "stored defaults", stored, def)
		// With settings stored, the lock returns them and the defaults change nothing.
		other := *def
		other.DefaultLocale, other.BrandName = "pl", "ignored"
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.LockNotificationSettings(ctx, &other)
			return err
		})
		checkSame(t, "LockNotificationSettings with settings stored", got, def)
	})

	parallel(t, open, "WrittenWithItsJobOrNotAtAll", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		n := newNotification(b.scope, "pay_a", t0)
		err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertNotification(ctx, n); err != nil {
				return err
			}
			if err := tx.EnqueueJob(ctx, store.Job{Kind: "notification.send", MerchantID: n.MerchantID, RunAt: t0,
				UniqueKey: "notify:" + n.ID}); err != nil {
				return err
			}
			return errBoom
		})
		wantErr(t, "Write", err, errBoom)
		_, err = b.st.GetNotification(ctx, b.scope, n.ID)
		wantErr(t, "GetNotification after a failed Write", err, store.ErrNotFound)
		if _, ok, err := b.st.NextJobAt(ctx); err != nil || ok {
			t.Errorf("a job survived the failed Write: ok=%v, %v", ok, err)
		}
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
