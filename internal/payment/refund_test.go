package payment_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

func pendingRefund() *payment.Refund {
	return &payment.Refund{ID: "re_1", Object: "refund", PaymentID: "pay_1", Amount: 300, Currency: "EUR",
		Status: payment.RefundPending, Metadata: map[string]string{}, CreatedAt: t0, UpdatedAt: t0}
}

func TestRefundSettle(t *testing.T) {
	t.Parallel()
	now := t0.Add(time.Hour).In(cet)
	tests := []struct {
		name              string
		state             payment.RefundState
		ref, code, msg    string
		wantCode, wantMsg string
		wantStatus        payment.RefundState
		wantRef           string
	}{
		{"succeeded", payment.RefundSucceeded, "pr_1", "", "", "", "", payment.RefundSucceeded, "pr_1"},
		{"succeeded ignores a failure code", payment.RefundSucceeded, "pr_1", "x", "y", "", "", payment.RefundSucceeded, "pr_1"},
		{"succeeded without a reference", payment.RefundSucceeded, "", "", "", "", "", payment.RefundSucceeded, ""},
		{"failed keeps code and message", payment.RefundFailed, "pr_2", "expired_card", "The card expired.",
			"expired_card", "The card expired.", payment.RefundFailed, "pr_2"},
		{"failed gets a default code", payment.RefundFailed, "", "", "", "refund_failed", "", payment.RefundFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := pendingRefund()
			if !r.Settle(tt.state, tt.ref, tt.code, tt.msg, now) {
				t.Fatal("Settle of a pending refund returned false")
			}
			if r.Status != tt.wantStatus || r.ProviderReference != tt.wantRef || !r.Submitted {
				t.Errorf("status %s ref %q submitted %v", r.Status, r.ProviderReference, r.Submitted)
			}
			if r.FailureCode != tt.wantCode || r.FailureMessage != tt.wantMsg {
				t.Errorf("failure %q/%q, want %q/%q", r.FailureCode, r.FailureMessage, tt.wantCode, tt.wantMsg)
			}
			if !r.UpdatedAt.Equal(now) || r.UpdatedAt.Location() != time.UTC {
				t.Errorf("UpdatedAt = %v", r.UpdatedAt)
			}

			// The provider's word is final: nothing settles it again, except that a
			// succeeded refund may fail later (TestRefundFailsAfterSucceeding).
			for _, again := range []payment.RefundState{payment.RefundSucceeded, payment.RefundFailed, payment.RefundPending} {
				if again == payment.RefundFailed && r.Status == payment.RefundSucceeded {
					continue
				}
				before := *r
				if r.Settle(again, "pr_other", "other", "other", now.Add(time.Hour)) {
					t.Errorf("second Settle(%s) returned true", again)
				}
				if !reflect.DeepEqual(before, *r) {
					t.Errorf("second Settle(%s) changed the refund: %+v", again, *r)
				}
			}
		})
	}
}

func TestRefundSettlePendingRecordsSubmission(t *testing.T) {
	t.Parallel()
	r := pendingRefund()
	if r.Settle(payment.RefundPending, "pr_1", "", "", t0.Add(time.Hour)) {
		t.Error("Settle(pending) returned true")
	}
	if r.Status != payment.RefundPending || !r.Submitted || r.ProviderReference != "pr_1" {
		t.Errorf("status %s submitted %v ref %q; want pending, true, pr_1", r.Status, r.Submitted, r.ProviderReference)
	}
	// An empty reference later does not erase the known one.
	if !r.Settle(payment.RefundSucceeded, "", "", "", t0.Add(2*time.Hour)) {
		t.Fatal("Settle(succeeded) returned false")
	}
	if r.ProviderReference != "pr_1" {
		t.Errorf("ProviderReference = %q, want pr_1 kept", r.ProviderReference)
	}
}

// A refund settles only to succeeded or failed: a zero or unknown state from a
// connector must not leave the refund in a status that is neither pending nor final.
func TestRefundSettleRefusesUnknownStates(t *testing.T) {
	t.Parallel()
	for _, s := range []payment.RefundState{"", "canceled", "SUCCEEDED"} {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			r := pendingRefund()
			if r.Settle(s, "", "", "", t0.Add(time.Hour)) {
				t.Errorf("Settle(%q) returned true", s)
			}
			if r.Status != payment.RefundPending {
				t.Errorf("Settle(%q) set status %q; want it still pending", s, r.Status)
			}
		})
	}
}

// TestRefundFailsAfterSucceeding: the bank or scheme can return a refund the provider
// had completed (Adyen's REFUND_FAILED); the refund then fails, once, and nothing
// moves it back.
func TestRefundFailsAfterSucceeding(t *testing.T) {
	t.Parallel()
	r := pendingRefund()
	r.Settle(payment.RefundSucceeded, "pr_1", "", "", t0.Add(time.Hour))
	later := t0.Add(48 * time.Hour)
	if !r.Settle(payment.RefundFailed, "", "", "The bank returned it.", later) {
		t.Fatal("Settle(failed) after success returned false")
	}
	if r.Status != payment.RefundFailed || r.FailureCode != "refund_failed" || r.FailureMessage != "The bank returned it." ||
		r.ProviderReference != "pr_1" || !r.UpdatedAt.Equal(later) {
		t.Fatalf("after a late failure: %+v", r)
	}
	for _, again := range []payment.RefundState{payment.RefundSucceeded, payment.RefundFailed, payment.RefundPending} {
		before := *r
		if r.Settle(again, "pr_2", "x", "y", later.Add(time.Hour)) || !reflect.DeepEqual(before, *r) {
			t.Errorf("Settle(%s) after the late failure changed the refund: %+v", again, *r)
		}
	}
}
