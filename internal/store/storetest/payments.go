package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func testPayments(t *testing.T, open Opener) {
	parallel(t, open, "RoundTrip", func(t *testing.T, b *bundle) {
		live := store.Scope{MerchantID: b.scope.MerchantID, Livemode: true}
		cases := []struct {
			name  string
			scope store.Scope
			build func(t *testing.T, s store.Scope) *payment.Payment
		}{
			{"EveryField", b.scope, func(t *testing.T, s store.Scope) *payment.Payment {
				p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), s.MerchantID, s.Livemode, payment.CreateParams{
					Amount: 4250, Currency: "EUR", OrderID: "order-42", Description: "Two mugs, one teapot",
					Customer:      payment.Customer{Email: "ada@example.com", Name: "Ada Lovelace", Type: "business"},
					Items:         []payment.Item{{Name: "Mug", Quantity: 2, UnitAmount: 1250, Category: "kitchen"}, {Name: "Teapot «Ω»", Quantity: 1, UnitAmount: 1750}},
					CaptureMethod: payment.CaptureManual, Channel: payment.ChannelApp,
					ReturnURL: "https://shop.example/return?o=42",
					Metadata:  map[string]string{"cart": "c_123", "note": "ünïcödé ✓ \"quoted\""},
				}, t0, 36*time.Hour+7*time.Nanosecond)
				wantNoErr(t, "NewPayment", err)
				p.Status = payment.StatusRequiresAction
				p.NextAction = &payment.NextAction{Type: "redirect_to_url", RedirectURL: "https://sandbox.example/3ds/abc"}
				p.Provider, p.ConnectionID = "sandbox", payment.NewID(payment.PrefixConn)
				p.ProviderReference, p.PaymentMethodType = "sbx_txn_1", "card"
				p.CardBrand, p.CardLast4 = "visa", "4242"
				p.CheckoutURL = "https://pay.example/pay/" + p.ID
				p.Attempts, p.AttemptPending = 2, true
				p.UpdatedAt = t0.Add(1500 * time.Nanosecond)
				return p
			}},
			{"FailedLivemode", live, func(t *testing.T, s store.Scope) *payment.Payment {
				p := newPayment(t, s, t0.Add(time.Second), func(p *payment.Payment) {
					p.Status = payment.StatusFailed
					p.FailureCode, p.FailureMessage = "card_declined", "The card was declined."
					p.Attempts = 3
				})
				return p
			}},
			{"Minimal", b.scope, func(t *testing.T, s store.Scope) *payment.Payment {
				p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), s.MerchantID, s.Livemode,
					payment.CreateParams{Amount: 5, Currency: "JPY"}, t0, 0)
				wantNoErr(t, "NewPayment", err)
				return p
			}},
			{"PartlyRefunded", b.scope, func(t *testing.T, s store.Scope) *payment.Payment {
				return newPayment(t, s, t0, succeeded, func(p *payment.Payment) {
					p.AmountRefunded, p.RefundStatus = 300, payment.RefundPartial
				})
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				want := c.build(t, c.scope)
				insertPayments(t, b.st, want)
				if want.Version != 1 {
					t.Errorf("InsertPayment set Version %d, want 1", want.Version)
				}
				checkSame(t, "GetPayment", getPayment(t, b.st, c.scope, want.ID), want)

				// Inside a transaction, before and after its commit, reads agree.
				write(t, b.st, func(ctx context.Context, tx store.Tx) error {
					got, err := tx.GetPaymentForUpdate(ctx, c.scope, want.ID)
					if err != nil {
						return err
					}
					checkSame(t, "Tx.GetPaymentForUpdate", got, want)
					return nil
				})
			})
		}
	})

	parallel(t, open, "OtherScopeIsNotFound", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0)
		insertPayments(t, b.st, p)
		for _, c := range []struct {
			name  string
			scope store.Scope
			id    string
		}{
			{"OtherMerchant", newScope(false), p.ID},
			{"OtherMode", otherMode(b.scope), p.ID},
			{"UnknownID", b.scope, payment.NewID(payment.PrefixPayment)},
		} {
			_, err := b.st.GetPayment(t.Context(), c.scope, c.id)
			wantErr(t, c.name+": GetPayment", err, store.ErrNotFound)
			err = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.GetPaymentForUpdate(ctx, c.scope, c.id)
				return err
			})
			wantErr(t, c.name+": GetPaymentForUpdate", err, store.ErrNotFound)
		}
	})

	parallel(t, open, "DuplicateID", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0)
		insertPayments(t, b.st, p)
		for _, s := range []store.Scope{b.scope, newScope(true)} {
			q := newPayment(t, s, t0)
			q.ID = p.ID
			err := b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.InsertPayment(ctx, q) })
			wantErr(t, "InsertPayment with a taken id", err, store.ErrDuplicate)
		}
		checkSame(t, "the first payment", getPayment(t, b.st, b.scope, p.ID), p)
	})

	parallel(t, open, "UpdateRoundTrip", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0)
		insertPayments(t, b.st, p)
		steps := []struct {
			name   string
			change func(p *payment.Payment)
		}{
			{"RequiresAction", func(p *payment.Payment) {
				if _, err := p.Apply(payment.Outcome{Status: payment.StatusRequiresAction, ProviderReference: "sbx_1",
					PaymentMethodType: "card", CardBrand: "visa", CardLast4: "4242", RedirectURL: "https://sbx.example/3ds"}, t0.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				p.Provider, p.ConnectionID, p.Attempts, p.AttemptPending = "sandbox", "conn_x", 1, true
				p.Metadata = map[string]string{"step": "3ds"}
			}},
			{"RequiresCapture", func(p *payment.Payment) {
				if _, err := p.Apply(payment.Outcome{Status: payment.StatusRequiresCapture}, t0.Add(2*time.Minute+time.Nanosecond)); err != nil {
					t.Fatal(err)
				}
				p.AttemptPending = false
			}},
			{"Captured", func(p *payment.Payment) { wantNoErr(t, "Capture", p.Capture(800, t0.Add(3*time.Minute))) }},
			{"Refunded", func(p *payment.Payment) { wantNoErr(t, "ReserveRefund", p.ReserveRefund(800, t0.Add(4*time.Minute))) }},
		}
		for i, s := range steps {
			write(t, b.st, func(ctx context.Context, tx store.Tx) error {
				cur, err := tx.GetPaymentForUpdate(ctx, b.scope, p.ID)
				if err != nil {
					return err
				}
				s.change(cur)
				if err := tx.UpdatePayment(ctx, cur); err != nil {
					return err
				}
				p = cur
				return nil
			})
			if p.Version != int64(i+2) {
				t.Errorf("%s: UpdatePayment left Version %d, want %d", s.name, p.Version, i+2)
			}
			checkSame(t, s.name, getPayment(t, b.st, b.scope, p.ID), p)
		}
	})

	parallel(t, open, "UpdateStaleVersion", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0)
		insertPayments(t, b.st, p)
		first, second := getPayment(t, b.st, b.scope, p.ID), getPayment(t, b.st, b.scope, p.ID)

		first.Status, first.UpdatedAt = payment.StatusCanceled, t0.Add(time.Minute)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePayment(ctx, first) })

		second.Status, second.FailureCode, second.UpdatedAt = payment.StatusFailed, "late", t0.Add(2*time.Minute)
		var updateErr error
		err := b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
			updateErr = tx.UpdatePayment(ctx, second)
			return updateErr
		})
		wantErr(t, "UpdatePayment with a stale Version", updateErr, store.ErrStale)
		wantErr(t, "Write returning ErrStale", err, store.ErrStale)
		if second.Version != 1 {
			t.Errorf("a refused UpdatePayment changed Version to %d, want it left at 1", second.Version)
		}
		checkSame(t, "after the stale update", getPayment(t, b.st, b.scope, p.ID), first)
	})

	parallel(t, open, "UpdateRefusesBrokenInvariant", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0, succeeded)
		insertPayments(t, b.st, p)
		stored := getPayment(t, b.st, b.scope, p.ID)

		bad := getPayment(t, b.st, b.scope, p.ID)
		bad.AmountRefunded = bad.AmountCaptured + 1 // refunded > captured
		bad.RefundStatus = payment.RefundFull
		var updateErr error
		// fn swallows the refusal and commits: the store itself must not have written.
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			updateErr = tx.UpdatePayment(ctx, bad)
			return nil
		})
		var pe *payment.Error
		if !errors.As(updateErr, &pe) {
			t.Errorf("UpdatePayment(refunded > captured) = %v, want a *payment.Error", updateErr)
		}
		checkSame(t, "after the refused update", getPayment(t, b.st, b.scope, p.ID), stored)

		// Same through a transaction that passes the error on.
		bad.AmountRefunded, bad.AmountCaptured = 0, bad.Amount+1 // captured > amount
		err := b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.UpdatePayment(ctx, bad) })
		if !errors.As(err, &pe) {
			t.Errorf("Write(UpdatePayment(captured > amount)) = %v, want a *payment.Error", err)
		}
		checkSame(t, "after the second refused update", getPayment(t, b.st, b.scope, p.ID), stored)

		// InsertPayment refuses a broken payment too.
		broken := newPayment(t, b.scope, t0, succeeded, func(p *payment.Payment) { p.AmountRefunded = p.AmountCaptured + 1 })
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertPayment(ctx, broken); err == nil {
				t.Errorf("InsertPayment(refunded > captured) succeeded")
			}
			return nil
		})
		_, err = b.st.GetPayment(t.Context(), b.scope, broken.ID)
		wantErr(t, "GetPayment of a refused insert", err, store.ErrNotFound)
	})

	parallel(t, open, "LocatePayment", func(t *testing.T, b *bundle) {
		test := newPayment(t, b.scope, t0)
		liveScope := newScope(true)
		live := newPayment(t, liveScope, t0)
		insertPayments(t, b.st, test, live)
		for _, c := range []struct {
			p *payment.Payment
			s store.Scope
		}{{test, b.scope}, {live, liveScope}} {
			got, err := b.st.LocatePayment(t.Context(), c.p.ID)
			wantNoErr(t, "LocatePayment", err)
			if want := (store.PaymentKey{MerchantID: c.s.MerchantID, Livemode: c.s.Livemode, ID: c.p.ID}); got != want {
				t.Errorf("LocatePayment(%s) = %+v, want %+v", c.p.ID, got, want)
			}
		}
		_, err := b.st.LocatePayment(t.Context(), payment.NewID(payment.PrefixPayment))
		wantErr(t, "LocatePayment(unknown)", err, store.ErrNotFound)
	})

	parallel(t, open, "PaymentByProviderReference", func(t *testing.T, b *bundle) {
		other := newScope(false)
		mine := newPayment(t, b.scope, t0, succeeded, func(p *payment.Payment) { p.ProviderReference = "ch_shared" })
		theirs := newPayment(t, other, t0, succeeded, func(p *payment.Payment) { p.ProviderReference = "ch_shared" })
		stripe := newPayment(t, b.scope, t0, succeeded, func(p *payment.Payment) { p.Provider, p.ProviderReference = "stripe", "ch_stripe" })
		insertPayments(t, b.st, mine, theirs, stripe)
		for _, c := range []struct {
			name          string
			scope         store.Scope
			provider, ref string
			want          *payment.Payment
		}{
			{"Mine", b.scope, "sandbox", "ch_shared", mine},
			{"Theirs", other, "sandbox", "ch_shared", theirs},
			{"OtherProvider", b.scope, "stripe", "ch_stripe", stripe},
			{"WrongProvider", b.scope, "stripe", "ch_shared", nil},
			{"OtherMode", otherMode(b.scope), "sandbox", "ch_shared", nil},
			{"UnknownRef", b.scope, "sandbox", "ch_nope", nil},
		} {
			got, err := b.st.PaymentByProviderReference(t.Context(), c.scope, c.provider, c.ref)
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

func testExpiredPayments(t *testing.T, open Opener) {
	parallel(t, open, "OpenAndPastExpiry", func(t *testing.T, b *bundle) {
		now := t0
		other := newScope(true)
		exp := func(s store.Scope, status payment.Status, expires time.Time) *payment.Payment {
			return newPayment(t, s, now.Add(-48*time.Hour), func(p *payment.Payment) {
				p.Status, p.ExpiresAt = status, expires
				if status == payment.StatusSucceeded {
					succeeded(p)
				}
			})
		}
		p1 := exp(b.scope, payment.StatusRequiresPaymentMethod, now.Add(-time.Hour))
		p2 := exp(other, payment.StatusRequiresAction, now.Add(-time.Minute))
		p3 := exp(b.scope, payment.StatusFailed, now)
		insertPayments(t, b.st, p3, p1, p2,
			exp(b.scope, payment.StatusSucceeded, now.Add(-2*time.Hour)),
			exp(b.scope, payment.StatusRequiresCapture, now.Add(-2*time.Hour)),
			exp(b.scope, payment.StatusRequiresPaymentMethod, now.Add(time.Second)),
		)
		key := func(p *payment.Payment) store.PaymentKey {
			return store.PaymentKey{MerchantID: p.MerchantID, Livemode: p.Livemode, ID: p.ID}
		}
		got, err := b.st.ExpiredPayments(t.Context(), now, 10)
		wantNoErr(t, "ExpiredPayments", err)
		want := []store.PaymentKey{key(p1), key(p2), key(p3)}
		if !equalKeys(got, want) {
			t.Errorf("ExpiredPayments = %v, want %v (open payments past expiry, soonest expired first)", got, want)
		}
		got, err = b.st.ExpiredPayments(t.Context(), now, 2)
		wantNoErr(t, "ExpiredPayments", err)
		if !equalKeys(got, want[:2]) {
			t.Errorf("ExpiredPayments(limit 2) = %v, want %v", got, want[:2])
		}
	})
}

func testStalePendingAttempts(t *testing.T, open Opener) {
	parallel(t, open, "LeftPendingBeforeCutoff", func(t *testing.T, b *bundle) {
		cutoff := t0
		other := newScope(true)
		pending := func(s store.Scope, updated time.Time, isPending bool) *payment.Payment {
			return newPayment(t, s, updated.Add(-time.Hour), func(p *payment.Payment) {
				p.Status, p.Provider, p.Attempts = payment.StatusRequiresPaymentMethod, "sandbox", 1
				p.AttemptPending, p.UpdatedAt = isPending, updated
			})
		}
		p1 := pending(other, cutoff.Add(-time.Hour), true)
		p2 := pending(b.scope, cutoff.Add(-time.Minute), true)
		p3 := pending(b.scope, cutoff.Add(-time.Second), true)
		recent := pending(b.scope, cutoff.Add(time.Second), true) // may still be running
		insertPayments(t, b.st, p3, recent, p1, p2,
			pending(b.scope, cutoff.Add(-2*time.Hour), false), // recorded: not pending
		)
		key := func(p *payment.Payment) store.PaymentKey {
			return store.PaymentKey{MerchantID: p.MerchantID, Livemode: p.Livemode, ID: p.ID}
		}
		want := []store.PaymentKey{key(p1), key(p2), key(p3)}
		got, err := b.st.StalePendingAttempts(t.Context(), cutoff, 10)
		wantNoErr(t, "StalePendingAttempts", err)
		if !equalKeys(got, want) {
			t.Errorf("StalePendingAttempts = %v, want %v (pending before the cutoff, oldest first)", got, want)
		}
		got, err = b.st.StalePendingAttempts(t.Context(), cutoff, 2)
		wantNoErr(t, "StalePendingAttempts", err)
		if !equalKeys(got, want[:2]) {
			t.Errorf("StalePendingAttempts(limit 2) = %v, want %v", got, want[:2])
		}

		// Recording the provider's answer clears the flag, and the payment drops out.
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			cur, err := tx.GetPaymentForUpdate(ctx, b.scope, p2.ID)
			if err != nil {
				return err
			}
			cur.AttemptPending = false
			return tx.UpdatePayment(ctx, cur)
		})
		if got := getPayment(t, b.st, b.scope, p2.ID); got.AttemptPending {
			t.Errorf("UpdatePayment did not store AttemptPending = false")
		}
		got, err = b.st.StalePendingAttempts(t.Context(), cutoff, 10)
		wantNoErr(t, "StalePendingAttempts", err)
		if want := []store.PaymentKey{key(p1), key(p3)}; !equalKeys(got, want) {
			t.Errorf("after clearing %s: StalePendingAttempts = %v, want %v", p2.ID, got, want)
		}
	})
}

func equalKeys(a, b []store.PaymentKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
