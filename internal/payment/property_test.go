package payment_test

import (
	"testing"
	"time"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
	"pgregory.net/rapid"
)

// paymentMachine drives one payment through random operations, as providers, merchants,
// operators and jobs would, and checks after every step what must always hold.
type paymentMachine struct {
	p        *payment.Payment
	now      time.Time
	prev     *payment.Payment
	reserved []int64 // refund reservations not yet released
}

// amountAround draws an amount near the interesting boundaries of the payment.
func (m *paymentMachine) amountAround(t *rapid.T, label string) int64 {
	a := m.p.Amount
	return rapid.OneOf(
		rapid.Int64Range(-2, a+2),
		rapid.SampledFrom([]int64{0, 1, a - 1, a, a + 1, m.p.AmountCapturable, m.p.Refundable(), m.p.Refundable() + 1}),
	).Draw(t, label)
}

func (m *paymentMachine) tick(t *rapid.T) time.Time {
	m.now = m.now.Add(time.Duration(rapid.Int64Range(0, int64(30*time.Hour)).Draw(t, "advance")))
	return m.now
}

// refused checks that an operation that returned an error left the payment alone.
func (m *paymentMachine) refused(t *rapid.T, what string, err error, before *payment.Payment) {
	var e *payment.Error
	if !asError(err, &e) {
		t.Fatalf("%s: uncoded error %v", what, err)
	}
	if e.Kind == payment.KindInternal {
		t.Fatalf("%s: internal error %v", what, err)
	}
	if !equalPayments(before, m.p) {
		t.Fatalf("%s was refused (%v) but changed the payment:\nbefore %+v\nafter  %+v", what, err, before, m.p)
	}
}

func (m *paymentMachine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"Apply": func(t *rapid.T) {
			o := payment.Outcome{
				Status:            rapid.SampledFrom(allStatuses).Draw(t, "status"),
				ProviderReference: rapid.SampledFrom([]string{"", "txn_1", "txn_2"}).Draw(t, "ref"),
				CardBrand:         rapid.SampledFrom([]string{"", "visa", "mastercard"}).Draw(t, "brand"),
				RedirectURL:       rapid.SampledFrom([]string{"", redirectURL}).Draw(t, "redirect"),
				FailureCode:       rapid.SampledFrom([]string{"", "card_declined"}).Draw(t, "failure"),
				AmountCaptured:    m.amountAround(t, "captured"),
			}
			before := clone(m.p)
			changed, err := m.p.Apply(o, m.tick(t))
			if err != nil {
				if changed {
					t.Fatalf("Apply(%+v) = true with error %v", o, err)
				}
				m.refused(t, "Apply", err, before)
				return
			}
			if !changed && !equalPayments(before, m.p) {
				t.Fatalf("Apply(%+v) said unchanged but changed the payment", o)
			}
			if changed && equalPayments(before, m.p) {
				t.Fatalf("Apply(%+v) said changed but nothing changed", o)
			}
		},
		"Capture": func(t *rapid.T) {
			amount := m.amountAround(t, "amount")
			before := clone(m.p)
			checkErr := m.p.CheckCapturable(amount)
			if !equalPayments(before, m.p) {
				t.Fatal("CheckCapturable changed the payment")
			}
			err := m.p.Capture(amount, m.tick(t))
			if (checkErr == nil) != (err == nil) {
				t.Fatalf("CheckCapturable(%d) = %v but Capture = %v", amount, checkErr, err)
			}
			if err != nil {
				m.refused(t, "Capture", err, before)
				return
			}
			want := amount
			if amount == 0 {
				want = before.AmountCapturable
			}
			if m.p.AmountCaptured != want {
				t.Fatalf("Capture(%d) captured %d, want %d", amount, m.p.AmountCaptured, want)
			}
		},
		"ReserveRefund": func(t *rapid.T) {
			amount := m.amountAround(t, "amount")
			before := clone(m.p)
			if err := m.p.ReserveRefund(amount, m.tick(t)); err != nil {
				m.refused(t, "ReserveRefund", err, before)
				return
			}
			if m.p.AmountRefunded != before.AmountRefunded+amount {
				t.Fatalf("ReserveRefund(%d): refunded %d -> %d", amount, before.AmountRefunded, m.p.AmountRefunded)
			}
			m.reserved = append(m.reserved, amount)
		},
		"ReleaseReserved": func(t *rapid.T) {
			if len(m.reserved) == 0 {
				t.Skip("nothing reserved")
			}
			i := rapid.IntRange(0, len(m.reserved)-1).Draw(t, "which")
			amount := m.reserved[i]
			m.reserved = append(m.reserved[:i], m.reserved[i+1:]...)
			before := m.p.AmountRefunded
			m.p.ReleaseRefund(amount, m.tick(t))
			if m.p.AmountRefunded != before-amount {
				t.Fatalf("ReleaseRefund(%d): refunded %d -> %d", amount, before, m.p.AmountRefunded)
			}
		},
		"ReleaseRandom": func(t *rapid.T) {
			amount := rapid.Int64Range(0, m.p.Amount+2).Draw(t, "amount")
			before := m.p.AmountRefunded
			m.p.ReleaseRefund(amount, m.tick(t))
			if m.p.AmountRefunded > before {
				t.Fatalf("ReleaseRefund(%d) raised refunded %d -> %d", amount, before, m.p.AmountRefunded)
			}
			// What is left reserved is now one lump.
			m.reserved = m.reserved[:0]
			if m.p.AmountRefunded > 0 {
				m.reserved = append(m.reserved, m.p.AmountRefunded)
			}
		},
		"Cancel": func(t *rapid.T) {
			before := clone(m.p)
			checkErr := m.p.CheckCancelable()
			err := m.p.Cancel(m.tick(t))
			if (checkErr == nil) != (err == nil) {
				t.Fatalf("CheckCancelable = %v but Cancel = %v", checkErr, err)
			}
			if err != nil {
				m.refused(t, "Cancel", err, before)
			}
		},
		"Expire": func(t *rapid.T) {
			before := clone(m.p)
			now := m.tick(t)
			if !m.p.Expire(now) {
				if !equalPayments(before, m.p) {
					t.Fatal("Expire returned false but changed the payment")
				}
				return
			}
			if now.Before(m.p.ExpiresAt) {
				t.Fatalf("expired at %v before the deadline %v", now, m.p.ExpiresAt)
			}
		},
		"": m.check,
	}
}

func (m *paymentMachine) check(t *rapid.T) {
	p := m.p
	if err := p.CheckInvariants(); err != nil {
		t.Fatalf("CheckInvariants: %v (%+v)", err, p)
	}
	if p.AmountRefunded > p.AmountCaptured {
		t.Fatalf("refunded %d > captured %d", p.AmountRefunded, p.AmountCaptured)
	}
	if m.prev != nil {
		from := m.prev.Status
		if p.Status != from && !payment.CanTransition(from, p.Status) {
			t.Fatalf("status moved %s -> %s, which the table refuses", from, p.Status)
		}
		if p.UpdatedAt.Before(m.prev.UpdatedAt) {
			t.Fatalf("UpdatedAt went back from %v to %v", m.prev.UpdatedAt, p.UpdatedAt)
		}
		if p.ID != m.prev.ID || p.Amount != m.prev.Amount || p.Currency != m.prev.Currency || !p.ExpiresAt.Equal(m.prev.ExpiresAt) {
			t.Fatal("id, amount, currency or expiry changed")
		}
		if m.prev.Status == payment.StatusSucceeded && p.AmountCaptured != m.prev.AmountCaptured {
			t.Fatalf("captured amount of a succeeded payment changed %d -> %d", m.prev.AmountCaptured, p.AmountCaptured)
		}
	}
	if p.UpdatedAt.Location() != time.UTC {
		t.Fatalf("UpdatedAt %v not in UTC", p.UpdatedAt)
	}
	// Amounts agree with the status.
	if (p.AmountCaptured > 0) != (p.Status == payment.StatusSucceeded) {
		t.Fatalf("captured %d in status %s", p.AmountCaptured, p.Status)
	}
	if p.AmountCapturable > 0 && p.Status != payment.StatusRequiresCapture {
		t.Fatalf("capturable %d in status %s", p.AmountCapturable, p.Status)
	}
	if p.Status == payment.StatusRequiresCapture && p.AmountCapturable != p.Amount {
		t.Fatalf("requires_capture with capturable %d of %d", p.AmountCapturable, p.Amount)
	}
	if p.AmountRefunded > 0 && p.Status != payment.StatusSucceeded {
		t.Fatalf("refunded %d in status %s", p.AmountRefunded, p.Status)
	}
	if (p.NextAction != nil) != (p.Status == payment.StatusRequiresAction) {
		t.Fatalf("next_action %+v in status %s", p.NextAction, p.Status)
	}
	if p.Status == payment.StatusFailed && p.FailureCode == "" {
		t.Fatal("failed without a failure code")
	}
	var wantRS payment.RefundStatus
	switch {
	case p.AmountRefunded == 0:
		wantRS = payment.RefundNone
	case p.AmountRefunded == p.AmountCaptured:
		wantRS = payment.RefundFull
	default:
		wantRS = payment.RefundPartial
	}
	if p.RefundStatus != wantRS {
		t.Fatalf("refund_status %q with refunded %d of captured %d", p.RefundStatus, p.AmountRefunded, p.AmountCaptured)
	}
	var sum int64
	for _, r := range m.reserved {
		sum += r
	}
	if sum != p.AmountRefunded {
		t.Fatalf("reservations sum to %d but refunded is %d", sum, p.AmountRefunded)
	}
	m.prev = clone(p)
}

func TestPropertyPaymentLifecycle(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		cp := payment.CreateParams{
			Amount: rapid.OneOf(rapid.Int64Range(1, 10_000),
				rapid.SampledFrom([]int64{1, 2, money.MaxMinor})).Draw(t, "amount"),
			Currency:      rapid.SampledFrom([]string{"EUR", "JPY", "KWD"}).Draw(t, "currency"),
			CaptureMethod: rapid.SampledFrom([]payment.CaptureMethod{payment.CaptureAutomatic, payment.CaptureManual}).Draw(t, "capture_method"),
		}
		p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), "mer_1", false, cp, t0, expiry)
		if err != nil {
			t.Fatalf("NewPayment(%+v): %v", cp, err)
		}
		m := &paymentMachine{p: p, now: t0, reserved: []int64{}}
		t.Repeat(m.actions())
	})
}
