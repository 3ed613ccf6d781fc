package paypal

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
)

// TestOrderOutcome: how each order status, and each state of its payments, maps to
// paymux's statuses.
func TestOrderOutcome(t *testing.T) {
	t.Parallel()
	eur := func(v string) *amount { return &amount{CurrencyCode: "EUR", Value: v} }
	withPayments := func(p paymentCollection) order {
		return order{ID: "5O1", Status: orderCompleted, PurchaseUnits: []purchaseUnit{{Payments: &p}}}
	}
	approve := []link{{Rel: "self", Href: "https://api-m.paypal.com/v2/checkout/orders/5O1"},
		{Rel: "approve", Href: "https://www.paypal.com/checkoutnow?token=5O1"}}
	tests := []struct {
		name string
		o    order
		want payment.Outcome
	}{
		{"created, approve link", order{ID: "5O1", Status: orderCreated, Links: approve},
			payment.Outcome{Status: payment.StatusRequiresAction, RedirectURL: "https://www.paypal.com/checkoutnow?token=5O1"}},
		{"payer action required, payer-action link first", order{ID: "5O1", Status: orderPayerActionRequired,
			Links: append([]link{{Rel: "payer-action", Href: "https://www.paypal.com/checkoutnow?token=5O1&pa=1"}}, approve...)},
			payment.Outcome{Status: payment.StatusRequiresAction, RedirectURL: "https://www.paypal.com/checkoutnow?token=5O1&pa=1"}},
		{"a link that is not a URL is not followed", order{ID: "5O1", Status: orderCreated, Links: []link{{Rel: "approve", Href: "javascript:alert(1)"}}},
			payment.Outcome{Status: payment.StatusRequiresAction}},
		{"approved", order{ID: "5O1", Status: orderApproved}, payment.Outcome{Status: payment.StatusProcessing}},
		{"saved", order{ID: "5O1", Status: orderSaved}, payment.Outcome{Status: payment.StatusProcessing}},
		{"voided", order{ID: "5O1", Status: orderVoided}, payment.Outcome{Status: payment.StatusCanceled}},
		{"unknown status", order{ID: "5O1", Status: "SOMETHING_NEW"}, payment.Outcome{Status: payment.StatusProcessing}},
		{"completed without payments yet", order{ID: "5O1", Status: orderCompleted}, payment.Outcome{Status: payment.StatusProcessing}},
		{"captured", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "COMPLETED", Amount: eur("10.50")}}}),
			payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1050}},
		{"captured, then refunded", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "REFUNDED", Amount: eur("10.50")}}}),
			payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1050}},
		{"two captures add up", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "COMPLETED", Amount: eur("4")},
			{ID: "C2", Status: "PARTIALLY_REFUNDED", Amount: eur("2.5")}}}),
			payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 650}},
		{"unreadable captured amount means the full amount", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "COMPLETED", Amount: eur("ten")}}}),
			payment.Outcome{Status: payment.StatusSucceeded}},
		{"capture pending", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "PENDING", Amount: eur("10")}}}),
			payment.Outcome{Status: payment.StatusProcessing}},
		{"capture declined", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "DECLINED"}}}),
			payment.Outcome{Status: payment.StatusFailed, FailureCode: "capture_declined", FailureMessage: "PayPal reports the capture as declined (capture_declined)."}},
		{"capture failed with a reason", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "FAILED", StatusDetails: &statusDetails{Reason: "OTHER"}}}}),
			payment.Outcome{Status: payment.StatusFailed, FailureCode: "other", FailureMessage: "PayPal reports the capture as failed (other)."}},
		{"capture in a status this version does not know", withPayments(paymentCollection{Captures: []capture{{ID: "C1", Status: "NEW"}}}),
			payment.Outcome{Status: payment.StatusProcessing}},
		{"authorised", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "CREATED"}}}),
			payment.Outcome{Status: payment.StatusRequiresCapture}},
		{"authorisation pending", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "PENDING"}}}),
			payment.Outcome{Status: payment.StatusProcessing}},
		{"authorisation captured, capture not listed", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "CAPTURED"}}}),
			payment.Outcome{Status: payment.StatusSucceeded}},
		{"authorisation voided", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "VOIDED"}}}),
			payment.Outcome{Status: payment.StatusCanceled}},
		{"authorisation expired", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "EXPIRED"}}}),
			payment.Outcome{Status: payment.StatusExpired}},
		{"authorisation denied", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "DENIED"}}}),
			payment.Outcome{Status: payment.StatusFailed, FailureCode: "authorization_denied", FailureMessage: "PayPal denied the authorisation (authorization_denied)."}},
		{"authorisation denied with a reason", withPayments(paymentCollection{Authorizations: []authorization{{ID: "A1", Status: "DENIED", StatusDetails: &statusDetails{Reason: "PENDING_REVIEW"}}}}),
			payment.Outcome{Status: payment.StatusFailed, FailureCode: "pending_review", FailureMessage: "PayPal denied the authorisation (pending_review)."}},
		{"partially captured authorisation reads as its capture", withPayments(paymentCollection{
			Authorizations: []authorization{{ID: "A1", Status: "CAPTURED"}}, Captures: []capture{{ID: "C1", Status: "COMPLETED", Amount: eur("6.00")}}}),
			payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 600}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.want.ProviderReference, tc.want.PaymentMethodType = "5O1", "paypal"
			if got := orderOutcome(&tc.o); got != tc.want {
				t.Fatalf("outcome = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRaces: another process (a second paymux instance, a retry after a crash)
// moved the order or its authorisation between paymux's read and its write.
func TestRaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// behind answers the first POST to a path ending in suffix by doing the work in
	// the fake first and then answering with PayPal's refusal, as PayPal does when
	// another request got there first.
	behind := func(f *paypalfake.Server, suffix string, work func(), code int, answer string) {
		done := false
		f.SetFault(func(n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if done || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, suffix) {
				return false
			}
			done = true
			work()
			status(code, nil, answer)(w, r)
			return true
		})
	}
	t.Run("order captured by someone else", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		c := connect(t, f, testOptions())
		o, _ := c.Authorize(ctx, authReq("race1", 1000, payment.CaptureAutomatic))
		f.Approve(o.ProviderReference, "")
		behind(f, "/capture", func() { f.CompleteOrder(o.ProviderReference, "capture") }, 422,
			`{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"ORDER_ALREADY_CAPTURED","description":"Order already captured."}]}`)
		s, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_race1", ProviderReference: o.ProviderReference})
		if err != nil || s.Status != payment.StatusSucceeded || s.AmountCaptured != 1000 {
			t.Fatalf("Status = %+v, %v", s, err)
		}
	})
	t.Run("order completion still in progress", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		c := connect(t, f, testOptions())
		o, _ := c.Authorize(ctx, authReq("race2", 1000, payment.CaptureAutomatic))
		f.Approve(o.ProviderReference, "")
		behind(f, "/capture", func() {}, 422,
			`{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"ORDER_COMPLETION_IN_PROGRESS","description":"The order is being completed."}]}`)
		s, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_race2", ProviderReference: o.ProviderReference})
		if err != nil || s.Status != payment.StatusProcessing {
			t.Fatalf("Status = %+v, %v", s, err)
		}
	})
	setup := func(t *testing.T, key string) (*paypalfake.Server, *connector, string, string) {
		f := paypalfake.New(t)
		c := connect(t, f, testOptions())
		o, _ := c.Authorize(ctx, authReq(key, 1000, payment.CaptureManual))
		f.Approve(o.ProviderReference, "")
		if s, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_" + key, ProviderReference: o.ProviderReference}); err != nil ||
			s.Status != payment.StatusRequiresCapture {
			t.Fatalf("Status = %+v, %v", s, err)
		}
		return f, c, o.ProviderReference, f.Order(o.ProviderReference).AuthIDs[0]
	}
	t.Run("authorisation captured by someone else", func(t *testing.T) {
		t.Parallel()
		f, c, ref, a := setup(t, "race3")
		behind(f, "/capture", func() { f.CaptureAuthorization(a, []byte(`{"final_capture":true}`)) }, 422,
			`{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"AUTHORIZATION_ALREADY_CAPTURED","description":"Authorization has been previously captured."}]}`)
		out, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_race3", IdempotencyKey: "k", ProviderReference: ref, Currency: "EUR"})
		if err != nil || out.Status != payment.StatusSucceeded || out.AmountCaptured != 1000 {
			t.Fatalf("Capture = %+v, %v", out, err)
		}
		// And a later capture request finds it captured without asking PayPal to.
		before := len(f.Requests("POST", ""))
		out, err = c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_race3", IdempotencyKey: "k2", ProviderReference: ref, Currency: "EUR"})
		if err != nil || out.Status != payment.StatusSucceeded || len(f.Requests("POST", "")) != before {
			t.Fatalf("Capture of a captured order = %+v, %v", out, err)
		}
	})
	t.Run("authorisation voided by someone else", func(t *testing.T) {
		t.Parallel()
		f, c, ref, a := setup(t, "race4")
		behind(f, "/void", func() { f.SetAuthorizationStatus(a, "VOIDED") }, 422,
			`{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"PREVIOUSLY_VOIDED","description":"Authorization has been previously voided."}]}`)
		out, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_race4", IdempotencyKey: "k", ProviderReference: ref})
		if err != nil || out.Status != payment.StatusCanceled {
			t.Fatalf("Void = %+v, %v", out, err)
		}
	})
	t.Run("declined and pending captures", func(t *testing.T) {
		t.Parallel()
		f, c, ref, _ := setup(t, "race5")
		onPosts := func(body string) {
			f.SetFault(func(n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if r.Method != http.MethodPost {
					return false
				}
				status(201, nil, body)(w, r)
				return true
			})
		}
		onPosts(`{"id":"CAPD","status":"DECLINED","amount":{"currency_code":"EUR","value":"10.00"}}`)
		_, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_race5", IdempotencyKey: "k", ProviderReference: ref, Currency: "EUR"})
		if pe := asProviderError(t, err); pe.Code != "capture_declined" || pe.Temporary || pe.Uncertain {
			t.Fatalf("declined capture = %+v", pe)
		}
		onPosts(`{"id":"CAPP","status":"PENDING","status_details":{"reason":"PENDING_REVIEW"}}`)
		out, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_race5", IdempotencyKey: "k2", ProviderReference: ref, Currency: "EUR"})
		if err != nil || out.Status != payment.StatusProcessing || out.ProviderReference != ref {
			t.Fatalf("pending capture = %+v, %v", out, err)
		}
	})
	t.Run("a pending capture cannot be refunded yet", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		c := connect(t, f, testOptions())
		o, _ := c.Authorize(ctx, authReq("race6", 1000, payment.CaptureAutomatic))
		f.Approve(o.ProviderReference, "")
		c.Status(ctx, provider.StatusRequest{PaymentID: "pay_race6", ProviderReference: o.ProviderReference})
		f.SetCaptureStatus(f.Order(o.ProviderReference).CaptureIDs[0], "PENDING")
		_, err := c.Refund(ctx, provider.RefundRequest{PaymentID: "pay_race6", RefundID: "re_6", IdempotencyKey: "re_6",
			ProviderReference: o.ProviderReference, Amount: 100, Currency: "EUR"})
		if pe := asProviderError(t, err); pe.Code != "capture_pending" || !pe.Temporary || pe.Uncertain {
			t.Fatalf("refund of a pending capture = %+v", pe)
		}
	})
}
