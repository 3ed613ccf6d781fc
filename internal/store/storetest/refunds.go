package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func newRefund(p *payment.Payment, amount int64, created time.Time, key string) *payment.Refund {
	return &payment.Refund{
		ID: payment.NewID(payment.PrefixRefund), Object: "refund", MerchantID: p.MerchantID, Livemode: p.Livemode,
		PaymentID: p.ID, Amount: amount, Currency: p.Currency, Status: payment.RefundPending,
		Metadata: map[string]string{}, CreatedAt: created, UpdatedAt: created, IdempotencyKey: key,
	}
}

func insertRefunds(t *testing.T, st store.Store, rs ...*payment.Refund) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, r := range rs {
			if err := tx.InsertRefund(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func testRefunds(t *testing.T, open Opener) {
	parallel(t, open, "RoundTrip", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0, succeeded)
		insertPayments(t, b.st, p)
		r := newRefund(p, 250, t0.Add(time.Minute+999*time.Nanosecond), "idem-key-1")
		r.Reason, r.Metadata = "requested_by_customer", map[string]string{"ticket": "T-9", "note": "ünïcödé"}
		r.UpdatedAt = t0.Add(2 * time.Minute)
		insertRefunds(t, b.st, r)

		got, err := b.st.GetRefund(t.Context(), b.scope, r.ID)
		wantNoErr(t, "GetRefund", err)
		checkSame(t, "GetRefund", got, r)

		for _, c := range []struct {
			name  string
			scope store.Scope
			id    string
		}{
			{"OtherMerchant", newScope(false), r.ID},
			{"OtherMode", otherMode(b.scope), r.ID},
			{"Unknown", b.scope, payment.NewID(payment.PrefixRefund)},
		} {
			_, err := b.st.GetRefund(t.Context(), c.scope, c.id)
			wantErr(t, c.name+": GetRefund", err, store.ErrNotFound)
		}

		// Settle it through the transaction API and read it back.
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			cur, err := tx.GetRefundForUpdate(ctx, b.scope, r.ID)
			if err != nil {
				return err
			}
			checkSame(t, "GetRefundForUpdate", cur, r)
			cur.Settle(payment.RefundFailed, "sbx_re_1", "", "insufficient balance", t0.Add(3*time.Minute))
			if err := tx.UpdateRefund(ctx, cur); err != nil {
				return err
			}
			r = cur
			return nil
		})
		got, err = b.st.GetRefund(t.Context(), b.scope, r.ID)
		wantNoErr(t, "GetRefund after UpdateRefund", err)
		checkSame(t, "after UpdateRefund", got, r)
		if !got.Submitted || got.Status != payment.RefundFailed || got.FailureCode != "refund_failed" {
			t.Errorf("settled refund = %+v, want failed, submitted, failure_code refund_failed", got)
		}

		err = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
			ghost := newRefund(p, 1, t0, "")
			return tx.UpdateRefund(ctx, ghost)
		})
		wantErr(t, "UpdateRefund(unknown)", err, store.ErrNotFound)
	})

	parallel(t, open, "ListByPayment", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0, succeeded)
		q := newPayment(t, b.scope, t0, succeeded)
		insertPayments(t, b.st, p, q)
		var ofP []*payment.Refund
		for i := range 12 {
			// Pairs share a microsecond, so the id must break ties.
			ofP = append(ofP, newRefund(p, 10, t0.Add(time.Duration(i/2)*time.Microsecond), ""))
		}
		ofQ := newRefund(q, 10, t0.Add(time.Hour), "")
		insertRefunds(t, b.st, append(slices.Clone(ofP), ofQ)...)

		want := slices.Clone(ofP)
		slices.SortFunc(want, func(a, b *payment.Refund) int {
			if c := us(b.CreatedAt).Compare(us(a.CreatedAt)); c != 0 {
				return c
			}
			return 0
		})
		var walked []*payment.Refund
		f := store.RefundFilter{PaymentID: p.ID, Limit: 5}
		for page := 0; page < 10; page++ {
			got, more, err := b.st.ListRefunds(t.Context(), b.scope, f)
			wantNoErr(t, "ListRefunds", err)
			walked = append(walked, got...)
			if !more {
				break
			}
			f.StartingAfter = got[len(got)-1].ID
		}
		gotIDs, wantIDs := ids(walked), ids(want)
		slices.Sort(gotIDs)
		slices.Sort(wantIDs)
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("walking ListRefunds(payment %s) returned %v, want each of %v once", p.ID, ids(walked), ids(want))
		}
		for i := 1; i < len(walked); i++ {
			if walked[i].CreatedAt.After(walked[i-1].CreatedAt) {
				t.Errorf("refunds not newest first at %d", i)
			}
		}

		all, more, err := b.st.ListRefunds(t.Context(), b.scope, store.RefundFilter{Limit: 100})
		wantNoErr(t, "ListRefunds(all)", err)
		if len(all) != 13 || more || all[0].ID != ofQ.ID {
			t.Errorf("ListRefunds(all) = %v (more=%v), want 13 refunds, newest (%s) first", ids(all), more, ofQ.ID)
		}
		if got, _, err := b.st.ListRefunds(t.Context(), newScope(false), store.RefundFilter{PaymentID: p.ID}); err != nil || len(got) != 0 {
			t.Errorf("another merchant's ListRefunds(payment %s) = %v, %v; want none", p.ID, ids(got), err)
		}

		_, _, err = b.st.ListRefunds(t.Context(), b.scope, store.RefundFilter{StartingAfter: payment.NewID(payment.PrefixRefund)})
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Param != "starting_after" {
			t.Errorf("ListRefunds(unknown starting_after) = %v, want a *payment.Error with param starting_after", err)
		}
	})

	parallel(t, open, "ByIdempotencyKey", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0, succeeded)
		other := newScope(false)
		q := newPayment(t, other, t0, succeeded)
		insertPayments(t, b.st, p, q)
		mine := newRefund(p, 100, t0, "key-1")
		theirs := newRefund(q, 200, t0, "key-1")
		insertRefunds(t, b.st, mine, theirs, newRefund(p, 50, t0, "key-2"))
		for _, c := range []struct {
			name  string
			scope store.Scope
			key   string
			want  *payment.Refund
		}{
			{"Mine", b.scope, "key-1", mine},
			{"Theirs", other, "key-1", theirs},
			{"OtherMode", otherMode(b.scope), "key-1", nil},
			{"Unknown", b.scope, "key-3", nil},
		} {
			got, err := b.st.RefundByIdempotencyKey(t.Context(), c.scope, c.key)
			if c.want == nil {
				wantErr(t, c.name, err, store.ErrNotFound)
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			checkSame(t, c.name, got, c.want)
		}
	})
}
