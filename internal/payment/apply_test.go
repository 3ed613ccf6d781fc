package payment_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// wantApply is what a provider report of status "to" does to a payment in "from":
//
//	M  moves the payment to "to" (changed=true)
//	=  same status, nothing new: a duplicate (changed=false)
//	I  stale or backward report: ignored (changed=false, no error, nothing touched)
//	C  refused: KindConflict payment_invalid_state (an inconsistent report)
var wantApply = map[payment.Status]string{
	//     to: rpm act prc cap suc fai can exp
	rpm:        "=   M   M   M   M   M   M   M",
	action:     "I   =   M   M   M   M   M   M",
	processing: "I   I   =   M   M   M   M   C",
	capture:    "I   I   I   =   M   I   M   M",
	succeeded:  "I   I   I   I   =   I   I   I",
	failed:     "C   M   M   M   M   =   M   M",
	canceled:   "I   I   I   I   I   I   =   I",
	expired:    "I   I   I   I   I   I   I   =",
}

func TestApplyEveryOutcomeFromEveryStatus(t *testing.T) {
	t.Parallel()
	now := t0.Add(2 * time.Hour).In(cet)
	for _, from := range allStatuses {
		row := strings.Fields(wantApply[from])
		if len(row) != len(allStatuses) {
			t.Fatalf("wantApply row %s has %d columns", from, len(row))
		}
		for i, to := range allStatuses {
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				t.Parallel()
				p := inStatus(t, from)
				before := clone(p)
				o := payment.Outcome{Status: to, RedirectURL: redirectURL}
				if to == failed {
					// The same failure as inStatus(failed) recorded, so that failed->failed
					// is a true duplicate.
					o.FailureCode, o.FailureMessage = "card_declined", "The card was declined."
				}
				changed, err := p.Apply(o, now)
				switch row[i] {
				case "M":
					if err != nil || !changed {
						t.Fatalf("Apply = %v, %v; want true, nil", changed, err)
					}
					if p.Status != to {
						t.Errorf("Status = %s, want %s", p.Status, to)
					}
					if !payment.CanTransition(from, to) {
						t.Errorf("Apply moved %s -> %s, which the table refuses", from, to)
					}
					if !p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC {
						t.Errorf("UpdatedAt = %v, want %v in UTC", p.UpdatedAt, now.UTC())
					}
				case "=", "I":
					if err != nil || changed {
						t.Fatalf("Apply = %v, %v; want false, nil", changed, err)
					}
					assertUnchanged(t, before, p)
				case "C":
					if changed {
						t.Error("changed = true with an error")
					}
					wantErr(t, err, payment.KindConflict, payment.CodePaymentInvalidState, "-", p.ID, string(from), string(to))
					assertUnchanged(t, before, p)
				default:
					t.Fatalf("bad cell %q", row[i])
				}
				if err := p.CheckInvariants(); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// The Apply table must agree with the transition table: every allowed change is
// applied, nothing else is.
func TestApplyTableAgreesWithTransitionTable(t *testing.T) {
	t.Parallel()
	for _, from := range allStatuses {
		row := strings.Fields(wantApply[from])
		for i, to := range allStatuses {
			moves := row[i] == "M"
			if from != to && moves != payment.CanTransition(from, to) {
				t.Errorf("%s -> %s: Apply moves=%v but CanTransition=%v", from, to, moves, payment.CanTransition(from, to))
			}
		}
	}
}

func TestApplyEffects(t *testing.T) {
	t.Parallel()
	now := t0.Add(time.Hour)
	tests := []struct {
		name  string
		from  payment.Status
		o     payment.Outcome
		check func(t *testing.T, p *payment.Payment)
	}{
		{"requires_action sets a redirect", rpm,
			payment.Outcome{Status: action, RedirectURL: redirectURL},
			func(t *testing.T, p *payment.Payment) {
				if p.NextAction == nil || p.NextAction.Type != "redirect_to_url" || p.NextAction.RedirectURL != redirectURL {
					t.Errorf("NextAction = %+v, want redirect_to_url %s", p.NextAction, redirectURL)
				}
			}},
		{"retry to requires_action clears the old failure", failed,
			payment.Outcome{Status: action, RedirectURL: redirectURL},
			func(t *testing.T, p *payment.Payment) {
				if p.NextAction == nil || p.NextAction.RedirectURL != redirectURL {
					t.Errorf("NextAction = %+v", p.NextAction)
				}
				if p.FailureCode != "" || p.FailureMessage != "" {
					t.Errorf("failure %q/%q kept", p.FailureCode, p.FailureMessage)
				}
			}},
		{"processing clears the next action", action,
			payment.Outcome{Status: processing},
			func(t *testing.T, p *payment.Payment) {
				if p.NextAction != nil {
					t.Errorf("NextAction = %+v, want nil", p.NextAction)
				}
			}},
		{"requires_capture sets amount_capturable", rpm,
			payment.Outcome{Status: capture},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCapturable != p.Amount || p.AmountCaptured != 0 {
					t.Errorf("capturable %d captured %d, want %d and 0", p.AmountCapturable, p.AmountCaptured, p.Amount)
				}
			}},
		{"requires_capture after 3DS clears the redirect", action,
			payment.Outcome{Status: capture},
			func(t *testing.T, p *payment.Payment) {
				if p.NextAction != nil || p.AmountCapturable != 1000 {
					t.Errorf("NextAction %+v capturable %d", p.NextAction, p.AmountCapturable)
				}
			}},
		{"succeeded captures the full amount", rpm,
			payment.Outcome{Status: succeeded},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCaptured != 1000 || p.AmountCapturable != 0 || p.Refundable() != 1000 {
					t.Errorf("captured %d capturable %d refundable %d", p.AmountCaptured, p.AmountCapturable, p.Refundable())
				}
				if p.RefundStatus != payment.RefundNone {
					t.Errorf("RefundStatus = %q", p.RefundStatus)
				}
			}},
		{"succeeded with a partial AmountCaptured", rpm,
			payment.Outcome{Status: succeeded, AmountCaptured: 400},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCaptured != 400 || p.AmountCapturable != 0 {
					t.Errorf("captured %d capturable %d, want 400 and 0", p.AmountCaptured, p.AmountCapturable)
				}
			}},
		{"succeeded from requires_capture, full", capture,
			payment.Outcome{Status: succeeded},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCaptured != 1000 || p.AmountCapturable != 0 {
					t.Errorf("captured %d capturable %d", p.AmountCaptured, p.AmountCapturable)
				}
			}},
		{"succeeded from requires_capture, partial", capture,
			payment.Outcome{Status: succeeded, AmountCaptured: 250},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCaptured != 250 || p.AmountCapturable != 0 {
					t.Errorf("captured %d capturable %d", p.AmountCaptured, p.AmountCapturable)
				}
			}},
		{"succeeded never captures more than the amount", rpm,
			payment.Outcome{Status: succeeded, AmountCaptured: 5000},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCaptured != 1000 {
					t.Errorf("captured %d, want 1000", p.AmountCaptured)
				}
			}},
		{"succeeded with a negative AmountCaptured means full", rpm,
			payment.Outcome{Status: succeeded, AmountCaptured: -5},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCaptured != 1000 {
					t.Errorf("captured %d, want 1000", p.AmountCaptured)
				}
			}},
		{"succeeded after a failed attempt clears the failure", failed,
			payment.Outcome{Status: succeeded},
			func(t *testing.T, p *payment.Payment) {
				if p.FailureCode != "" || p.FailureMessage != "" {
					t.Errorf("failure %q/%q kept on a succeeded payment", p.FailureCode, p.FailureMessage)
				}
			}},
		{"failed keeps the provider's code and message", rpm,
			payment.Outcome{Status: failed, FailureCode: "insufficient_funds", FailureMessage: "Insufficient funds."},
			func(t *testing.T, p *payment.Payment) {
				if p.FailureCode != "insufficient_funds" || p.FailureMessage != "Insufficient funds." {
					t.Errorf("failure %q/%q", p.FailureCode, p.FailureMessage)
				}
			}},
		{"failed without a code gets a default", rpm,
			payment.Outcome{Status: failed},
			func(t *testing.T, p *payment.Payment) {
				if p.FailureCode != "payment_failed" {
					t.Errorf("FailureCode = %q, want payment_failed", p.FailureCode)
				}
			}},
		{"failed 3DS clears the redirect", action,
			payment.Outcome{Status: failed, FailureCode: "authentication_failed"},
			func(t *testing.T, p *payment.Payment) {
				if p.NextAction != nil || p.FailureCode != "authentication_failed" {
					t.Errorf("NextAction %+v FailureCode %q", p.NextAction, p.FailureCode)
				}
			}},
		{"canceled releases the authorisation", capture,
			payment.Outcome{Status: canceled},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCapturable != 0 || p.AmountCaptured != 0 {
					t.Errorf("capturable %d captured %d", p.AmountCapturable, p.AmountCaptured)
				}
			}},
		{"expired releases the authorisation", capture,
			payment.Outcome{Status: expired},
			func(t *testing.T, p *payment.Payment) {
				if p.AmountCapturable != 0 {
					t.Errorf("capturable %d", p.AmountCapturable)
				}
			}},
		{"details are recorded with a move", rpm,
			payment.Outcome{Status: succeeded, ProviderReference: "ch_9", PaymentMethodType: "card", CardBrand: "visa", CardLast4: "4242"},
			func(t *testing.T, p *payment.Payment) {
				if p.ProviderReference != "ch_9" || p.PaymentMethodType != "card" || p.CardBrand != "visa" || p.CardLast4 != "4242" {
					t.Errorf("details %q %q %q %q", p.ProviderReference, p.PaymentMethodType, p.CardBrand, p.CardLast4)
				}
			}},
		{"empty details leave the old ones", action,
			payment.Outcome{Status: processing},
			func(t *testing.T, p *payment.Payment) {
				if p.ProviderReference != "txn_1" {
					t.Errorf("ProviderReference = %q, want txn_1 kept", p.ProviderReference)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, tt.from)
			changed, err := p.Apply(tt.o, now)
			if err != nil || !changed {
				t.Fatalf("Apply = %v, %v", changed, err)
			}
			if p.Status != tt.o.Status {
				t.Fatalf("Status = %s, want %s", p.Status, tt.o.Status)
			}
			tt.check(t, p)
			if err := p.CheckInvariants(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestApplyDuplicateReportChangesNothing(t *testing.T) {
	t.Parallel()
	outcomes := []payment.Outcome{
		{Status: action, RedirectURL: redirectURL, ProviderReference: "txn_1"},
		{Status: processing, ProviderReference: "txn_1"},
		{Status: capture, ProviderReference: "txn_1", CardBrand: "visa"},
		{Status: succeeded, ProviderReference: "txn_1", AmountCaptured: 700},
		{Status: failed, ProviderReference: "txn_1", FailureCode: "card_declined"},
		{Status: canceled, ProviderReference: "txn_1"},
		{Status: expired},
	}
	for _, o := range outcomes {
		t.Run(string(o.Status), func(t *testing.T) {
			t.Parallel()
			p := newPayment(t, nil)
			mustApply(t, p, o, t0.Add(time.Minute))
			before := clone(p)
			changed, err := p.Apply(o, t0.Add(time.Hour))
			if err != nil || changed {
				t.Fatalf("duplicate Apply = %v, %v; want false, nil", changed, err)
			}
			assertUnchanged(t, before, p)
		})
	}
}

func TestApplyBackwardReportAfterSucceededIsIgnored(t *testing.T) {
	t.Parallel()
	for _, s := range []payment.Status{rpm, action, processing, capture, failed, canceled, expired} {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, capture)
			if err := p.Capture(600, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := p.ReserveRefund(100, t0.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			before := clone(p)
			changed, err := p.Apply(payment.Outcome{Status: s, FailureCode: "late", CardBrand: "amex", RedirectURL: redirectURL}, t0.Add(time.Hour))
			if err != nil || changed {
				t.Fatalf("late %s after succeeded: Apply = %v, %v; want false, nil", s, changed, err)
			}
			assertUnchanged(t, before, p)
		})
	}
}

func TestApplyDetailsOnlyChange(t *testing.T) {
	t.Parallel()
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, s)
			before := clone(p)
			now := t0.Add(time.Hour).In(cet)
			changed, err := p.Apply(payment.Outcome{Status: s, CardBrand: "mastercard", CardLast4: "4444"}, now)
			if err != nil || !changed {
				t.Fatalf("Apply = %v, %v; want true, nil", changed, err)
			}
			if p.Status != s || p.CardBrand != "mastercard" || p.CardLast4 != "4444" {
				t.Errorf("status %s brand %q last4 %q", p.Status, p.CardBrand, p.CardLast4)
			}
			if !p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC {
				t.Errorf("UpdatedAt = %v", p.UpdatedAt)
			}
			// Nothing but the details and the update time moved.
			p.CardBrand, p.CardLast4, p.UpdatedAt = before.CardBrand, before.CardLast4, before.UpdatedAt
			assertUnchanged(t, before, p)

			// The same details again are a duplicate.
			p.CardBrand, p.CardLast4 = "mastercard", "4444"
			if changed, err := p.Apply(payment.Outcome{Status: s, CardBrand: "mastercard"}, now); err != nil || changed {
				t.Errorf("repeat Apply = %v, %v; want false, nil", changed, err)
			}
		})
	}
}

// Outcome's contract: "Zero fields leave the payment's values as they are", so an
// outcome with details but no status (e.g. a webhook carrying only the card brand)
// records the details and leaves the status alone.
func TestApplyZeroStatusLeavesStatus(t *testing.T) {
	t.Parallel()
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, s)
			changed, err := p.Apply(payment.Outcome{CardBrand: "visa", CardLast4: "4242"}, t0.Add(time.Hour))
			if err != nil {
				t.Fatalf("Apply(outcome without status) from %s: %v", s, err)
			}
			if p.Status != s {
				t.Errorf("Status = %s, want %s", p.Status, s)
			}
			if !changed || p.CardBrand != "visa" || p.CardLast4 != "4242" {
				t.Errorf("changed=%v brand=%q last4=%q; want the details recorded", changed, p.CardBrand, p.CardLast4)
			}
		})
	}
}

func TestApplyUnknownStatusNeverMovesThePayment(t *testing.T) {
	t.Parallel()
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, s)
			before := clone(p)
			changed, err := p.Apply(payment.Outcome{Status: "chargeback"}, t0.Add(time.Hour))
			if changed {
				t.Error("changed = true for an unknown status")
			}
			if !s.Terminal() && err == nil {
				t.Error("unknown status from a live payment accepted without an error")
			}
			assertUnchanged(t, before, p)
		})
	}
}

// A failed payment may be confirmed again (the table allows failed -> failed). When the
// retry fails too, the payment must say why the latest attempt failed, not the first.
func TestApplyRetriedFailureRecordsTheNewFailure(t *testing.T) {
	t.Parallel()
	p := inStatus(t, failed) // card_declined
	now := t0.Add(time.Hour)
	changed, err := p.Apply(payment.Outcome{Status: failed, ProviderReference: "txn_2",
		FailureCode: "insufficient_funds", FailureMessage: "Insufficient funds."}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Error("changed = false for a new failure")
	}
	if p.FailureCode != "insufficient_funds" || p.FailureMessage != "Insufficient funds." {
		t.Errorf("failure = %q/%q after the retry failed with insufficient_funds; the first attempt's failure is shown",
			p.FailureCode, p.FailureMessage)
	}
}
