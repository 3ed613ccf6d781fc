package payment_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

func TestCapture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		amount       int64
		wantCaptured int64
	}{
		{"zero means everything", 0, 1000},
		{"exactly the authorised amount", 1000, 1000},
		{"partial releases the rest", 600, 600},
		{"one minor unit", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, capture)
			now := t0.Add(time.Hour).In(cet)
			if err := p.CheckCapturable(tt.amount); err != nil {
				t.Fatalf("CheckCapturable(%d): %v", tt.amount, err)
			}
			if p.Status != capture || p.AmountCapturable != 1000 {
				t.Fatal("CheckCapturable changed the payment")
			}
			if err := p.Capture(tt.amount, now); err != nil {
				t.Fatalf("Capture(%d): %v", tt.amount, err)
			}
			if p.Status != succeeded || p.AmountCaptured != tt.wantCaptured || p.AmountCapturable != 0 {
				t.Errorf("status %s captured %d capturable %d; want succeeded, %d, 0",
					p.Status, p.AmountCaptured, p.AmountCapturable, tt.wantCaptured)
			}
			if p.Refundable() != tt.wantCaptured || p.RefundStatus != payment.RefundNone {
				t.Errorf("refundable %d refund_status %q", p.Refundable(), p.RefundStatus)
			}
			if !p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC {
				t.Errorf("UpdatedAt = %v", p.UpdatedAt)
			}
			if err := p.CheckInvariants(); err != nil {
				t.Error(err)
			}
			// A second capture is a state conflict.
			before := clone(p)
			wantErr(t, p.Capture(0, now), payment.KindConflict, payment.CodePaymentInvalidState, "", p.ID, "succeeded")
			wantErr(t, p.CheckCapturable(1), payment.KindConflict, payment.CodePaymentInvalidState, "", p.ID, "succeeded")
			assertUnchanged(t, before, p)
		})
	}
}

func TestCaptureRefusesBadAmounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		amount   int64
		kind     payment.Kind
		code     string
		param    string
		contains []string
	}{
		{"more than capturable", 1001, payment.KindUnprocessable, payment.CodeAmountTooLarge, "-",
			[]string{"1001", "at most 1000 EUR", "capturable"}},
		{"far more than capturable", 1 << 62, payment.KindUnprocessable, payment.CodeAmountTooLarge, "-",
			[]string{"at most 1000 EUR"}},
		{"negative", -1, payment.KindInvalid, payment.CodeAmountInvalid, "amount",
			[]string{"positive integer", "got -1"}},
	}
	for _, tt := range tests {
		for _, check := range []bool{false, true} {
			name := tt.name + "/Capture"
			if check {
				name = tt.name + "/CheckCapturable"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := inStatus(t, capture)
				before := clone(p)
				var err error
				if check {
					err = p.CheckCapturable(tt.amount)
				} else {
					err = p.Capture(tt.amount, t0.Add(time.Hour))
				}
				contains := tt.contains
				if tt.kind == payment.KindUnprocessable {
					contains = append(contains, p.ID)
				}
				wantErr(t, err, tt.kind, tt.code, tt.param, contains...)
				assertUnchanged(t, before, p)
			})
		}
	}
}

func TestCaptureOfAPartialAuthorisationAfterProviderReport(t *testing.T) {
	t.Parallel()
	// The provider reports succeeded with 0 for a payment whose capturable amount is
	// the whole amount: everything was captured.
	p := inStatus(t, capture)
	mustApply(t, p, payment.Outcome{Status: succeeded}, t0.Add(time.Hour))
	if p.AmountCaptured != 1000 {
		t.Errorf("captured %d, want 1000", p.AmountCaptured)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	for _, s := range []payment.Status{rpm, action, capture, failed} {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, s)
			if err := p.CheckCancelable(); err != nil {
				t.Fatal(err)
			}
			now := t0.Add(time.Hour).In(cet)
			if err := p.Cancel(now); err != nil {
				t.Fatal(err)
			}
			if p.Status != canceled || p.AmountCapturable != 0 || p.NextAction != nil || p.AmountCaptured != 0 {
				t.Errorf("status %s capturable %d next_action %+v captured %d",
					p.Status, p.AmountCapturable, p.NextAction, p.AmountCaptured)
			}
			if !p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC {
				t.Errorf("UpdatedAt = %v", p.UpdatedAt)
			}
			before := clone(p)
			wantErr(t, p.Cancel(now), payment.KindConflict, payment.CodePaymentInvalidState, "", p.ID, "canceled")
			assertUnchanged(t, before, p)
		})
	}
}

func succeededPayment(t *testing.T) *payment.Payment {
	t.Helper()
	p := inStatus(t, succeeded)
	if p.AmountCaptured != 1000 {
		t.Fatalf("captured %d", p.AmountCaptured)
	}
	return p
}

func TestRefundReservations(t *testing.T) {
	t.Parallel()
	p := succeededPayment(t)
	now := t0.Add(time.Hour).In(cet)
	state := func(refunded int64, rs payment.RefundStatus) {
		t.Helper()
		if p.AmountRefunded != refunded || p.RefundStatus != rs || p.Refundable() != p.AmountCaptured-refunded {
			t.Fatalf("refunded %d (%s) refundable %d; want %d (%s)", p.AmountRefunded, p.RefundStatus, p.Refundable(), refunded, rs)
		}
		if p.Status != succeeded {
			t.Fatalf("status %s", p.Status)
		}
		if err := p.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	state(0, payment.RefundNone)

	if err := p.ReserveRefund(300, now); err != nil {
		t.Fatal(err)
	}
	state(300, payment.RefundPartial)
	if !p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v", p.UpdatedAt)
	}

	before := clone(p)
	wantErr(t, p.ReserveRefund(800, now.Add(time.Minute)), payment.KindUnprocessable, payment.CodeRefundExceeds, "amount",
		"800", "700", "EUR", p.ID)
	assertUnchanged(t, before, p)

	if err := p.ReserveRefund(700, now); err != nil {
		t.Fatal(err)
	}
	state(1000, payment.RefundFull)

	before = clone(p)
	e := wantErr(t, p.ReserveRefund(1, now), payment.KindUnprocessable, payment.CodeRefundExceeds, "amount")
	if !strings.Contains(e.Message, ": 0 EUR") {
		t.Errorf("message %q does not say nothing is refundable", e.Message)
	}
	assertUnchanged(t, before, p)

	p.ReleaseRefund(700, now.Add(time.Minute))
	state(300, payment.RefundPartial)
	if !p.UpdatedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("UpdatedAt = %v after release", p.UpdatedAt)
	}
	p.ReleaseRefund(300, now)
	state(0, payment.RefundNone)

	// Releasing more than is reserved never goes below zero.
	p.ReleaseRefund(50, now)
	state(0, payment.RefundNone)

	// After a release the amount is refundable again.
	if err := p.ReserveRefund(1000, now); err != nil {
		t.Fatal(err)
	}
	state(1000, payment.RefundFull)
}

func TestRefundOfPartialCapture(t *testing.T) {
	t.Parallel()
	p := inStatus(t, capture)
	if err := p.Capture(600, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	wantErr(t, p.ReserveRefund(601, now), payment.KindUnprocessable, payment.CodeRefundExceeds, "amount", "600")
	if err := p.ReserveRefund(600, now); err != nil {
		t.Fatal(err)
	}
	if p.RefundStatus != payment.RefundFull || p.Refundable() != 0 {
		t.Errorf("refund_status %q refundable %d", p.RefundStatus, p.Refundable())
	}
}

func TestReserveRefundRefusesBadAmounts(t *testing.T) {
	t.Parallel()
	for _, amount := range []int64{0, -1, -1000} {
		p := succeededPayment(t)
		before := clone(p)
		wantErr(t, p.ReserveRefund(amount, t0.Add(time.Hour)), payment.KindInvalid, payment.CodeAmountInvalid, "amount",
			"positive integer")
		assertUnchanged(t, before, p)
	}
}

func TestReserveRefundNeedsASucceededPayment(t *testing.T) {
	t.Parallel()
	for _, s := range []payment.Status{rpm, action, processing, capture, failed, canceled, expired} {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, s)
			before := clone(p)
			wantErr(t, p.ReserveRefund(100, t0.Add(time.Hour)), payment.KindConflict, payment.CodePaymentInvalidState, "",
				p.ID, string(s), "refund")
			assertUnchanged(t, before, p)
			if p.Refundable() != 0 {
				t.Errorf("Refundable() = %d on a %s payment", p.Refundable(), s)
			}
		})
	}
}

// ReleaseRefund gives back a reservation; whatever it is given, it must never raise
// the refunded amount (and so never break refunded <= captured).
func TestReleaseRefundNeverIncreasesRefunded(t *testing.T) {
	t.Parallel()
	p := succeededPayment(t)
	if err := p.ReserveRefund(800, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	p.ReleaseRefund(-500, t0.Add(2*time.Hour))
	if p.AmountRefunded > 800 {
		t.Errorf("ReleaseRefund(-500) raised amount_refunded from 800 to %d", p.AmountRefunded)
	}
	if err := p.CheckInvariants(); err != nil {
		t.Errorf("ReleaseRefund(-500) broke an invariant: %v", err)
	}
}

func TestExpireAtTheDeadline(t *testing.T) {
	t.Parallel()
	p := newPayment(t, nil)
	if want := t0.Add(expiry); !p.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v", p.ExpiresAt, want)
	}
	if p.Expire(t0.Add(expiry - time.Second)) {
		t.Fatal("expired a second early")
	}
	if !p.Expire(t0.Add(expiry)) {
		t.Fatal("not expired at the deadline")
	}
}

func TestCheckInvariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		breaks func(p *payment.Payment)
		detail string
	}{
		{"unknown status", func(p *payment.Payment) { p.Status = "bogus" }, `unknown status "bogus"`},
		{"empty status", func(p *payment.Payment) { p.Status = "" }, "unknown status"},
		{"zero amount", func(p *payment.Payment) { p.Amount = 0 }, "amount 0"},
		{"negative capturable", func(p *payment.Payment) { p.AmountCapturable = -1 }, "capturable -1 of 1000"},
		{"capturable over amount", func(p *payment.Payment) { p.AmountCapturable = 1001 }, "capturable 1001 of 1000"},
		{"negative captured", func(p *payment.Payment) { p.AmountCaptured = -1 }, "captured -1 of 1000"},
		{"captured over amount", func(p *payment.Payment) { p.AmountCaptured = 1001 }, "captured 1001 of 1000"},
		{"negative refunded", func(p *payment.Payment) { p.AmountRefunded = -1 }, "refunded -1"},
		{"refunded over captured", func(p *payment.Payment) { p.AmountRefunded = 1001 }, "refunded 1001 of captured 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := succeededPayment(t)
			if err := p.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
			tt.breaks(p)
			err := p.CheckInvariants()
			e := wantErr(t, err, payment.KindInternal, payment.CodeInternal, "", "invariant")
			// The details are for logs only: the public message names nothing.
			if strings.Contains(e.Message, p.ID) {
				t.Errorf("public message %q leaks details", e.Message)
			}
			if e.Err == nil || !strings.Contains(e.Err.Error(), p.ID) || !strings.Contains(e.Err.Error(), tt.detail) {
				t.Errorf("cause %v does not name the payment and %q", e.Err, tt.detail)
			}
		})
	}
}

// TestCaptureFailed: a capture the provider accepted and then reported failed
// undoes the capture (nothing was taken), keeps the failure, and leaves the
// payment capturable again.
func TestCaptureFailed(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	base := func(status payment.Status, captured, refunded int64) *payment.Payment {
		return &payment.Payment{ID: "pay_1", Status: status, Amount: 1000, AmountCaptured: captured,
			AmountRefunded: refunded, Currency: "EUR", CaptureMethod: payment.CaptureManual}
	}
	tests := []struct {
		name                 string
		p                    *payment.Payment
		want                 bool
		status               payment.Status
		captured, capturable int64
		failures             int
	}{
		{"partial capture undone", base(payment.StatusSucceeded, 600, 0), true, payment.StatusRequiresCapture, 0, 600, 1},
		{"full capture undone", base(payment.StatusSucceeded, 1000, 0), true, payment.StatusRequiresCapture, 0, 1000, 1},
		{"news before paymux recorded the capture", base(payment.StatusRequiresCapture, 0, 0), true, payment.StatusRequiresCapture, 0, 0, 1},
		{"refunds stand: failure noted only", base(payment.StatusSucceeded, 1000, 300), true, payment.StatusSucceeded, 1000, 0, 1},
		{"canceled: nothing to undo", base(payment.StatusCanceled, 0, 0), false, payment.StatusCanceled, 0, 0, 0},
		{"failed: nothing to undo", base(payment.StatusFailed, 0, 0), false, payment.StatusFailed, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.p
			if got := p.CaptureFailed("", "Capture rejected by the scheme.", now); got != tc.want {
				t.Fatalf("CaptureFailed = %t, want %t", got, tc.want)
			}
			if p.Status != tc.status || p.AmountCaptured != tc.captured || p.AmountCapturable != tc.capturable || p.CaptureFailures != tc.failures {
				t.Fatalf("payment = %s captured %d capturable %d failures %d", p.Status, p.AmountCaptured, p.AmountCapturable, p.CaptureFailures)
			}
			if tc.want && (p.FailureCode != "capture_failed" || p.FailureMessage != "Capture rejected by the scheme.") {
				t.Fatalf("failure = %q %q", p.FailureCode, p.FailureMessage)
			}
			if err := p.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Captured again afterwards, the failure is cleared.
	p := base(payment.StatusSucceeded, 1000, 0)
	p.CaptureFailed("capture_failed", "x", now)
	if err := p.Capture(0, now); err != nil || p.Status != payment.StatusSucceeded || p.AmountCaptured != 1000 || p.FailureCode != "" {
		t.Fatalf("capture after a failed one: %v %+v", err, p)
	}
}
