package stripe

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/stripe/stripefake"
)

// Stateful flows against fakeStripe: what the connector sends and how it reads
// Stripe's answers through a payment's life.

func authReq(key, method string, amount int64, capture payment.CaptureMethod) provider.AuthorizeRequest {
	return provider.AuthorizeRequest{PaymentID: "pay_" + key, IdempotencyKey: "pay_" + key + "-authorize-1", Amount: amount,
		Currency: "EUR", CaptureMethod: capture, PaymentMethod: method, ReturnURL: "https://paymux.test/pay/pay_" + key + "/return",
		OrderID: "order-" + key, Description: "Order " + key}
}

func TestFlows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *stripefake.Server, c provider.Connector)
	}{
		{"automatic capture succeeds and sends what Stripe expects", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("auto", "pm_card_visa", 1050, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			want := payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: o.ProviderReference,
				PaymentMethodType: "card", CardBrand: "visa", CardLast4: "4242", AmountCaptured: 1050}
			if o != want || !strings.HasPrefix(o.ProviderReference, "pi_") {
				t.Fatalf("outcome = %+v, want %+v", o, want)
			}
			reqs := f.Requests("POST", "/v1/payment_intents")
			if len(reqs) != 1 {
				t.Fatalf("%d create requests, want 1", len(reqs))
			}
			r := reqs[0]
			for k, v := range map[string]string{"amount": "1050", "currency": "eur", "capture_method": "automatic",
				"payment_method": "pm_card_visa", "confirm": "true", "payment_method_types[]": "card",
				"return_url": "https://paymux.test/pay/pay_auto/return", "description": "Order auto",
				"metadata[paymux_payment_id]": "pay_auto", "metadata[paymux_attempt]": "pay_auto-authorize-1",
				"metadata[paymux_order_id]": "order-auto"} {
				if got := r.Form.Get(k); got != v {
					t.Errorf("form %s = %q, want %q", k, got, v)
				}
			}
			if got := r.Form["expand[]"]; len(got) != 2 || got[0] != "latest_charge" || got[1] != "payment_method" {
				t.Errorf("expand[] = %q", got)
			}
			for h, v := range map[string]string{"Idempotency-Key": "paymux-authorize-pay_auto-authorize-1",
				"Stripe-Version": APIVersion, "Authorization": "Bearer " + f.Key,
				"Content-Type": "application/x-www-form-urlencoded"} {
				if got := r.Header.Get(h); got != v {
					t.Errorf("header %s = %q, want %q", h, got, v)
				}
			}
		}},
		{"generic decline is a failed outcome with the decline code", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("dec", "pm_card_chargeDeclined", 1000, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if o.Status != payment.StatusFailed || o.FailureCode != "generic_decline" || o.FailureMessage != "Your card was declined." ||
				!strings.HasPrefix(o.ProviderReference, "pi_") || o.CardBrand != "visa" || o.CardLast4 != "0002" {
				t.Fatalf("outcome = %+v", o)
			}
		}},
		{"insufficient funds decline", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("nsf", "pm_card_visa_chargeDeclinedInsufficientFunds", 1000, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if o.Status != payment.StatusFailed || o.FailureCode != "insufficient_funds" || o.CardLast4 != "9995" {
				t.Fatalf("outcome = %+v", o)
			}
			// The intent Stripe kept says the same when asked.
			s, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_nsf", ProviderReference: o.ProviderReference})
			if err != nil || s.Status != payment.StatusFailed || s.FailureCode != "insufficient_funds" {
				t.Fatalf("Status = %+v, %v", s, err)
			}
		}},
		{"3-D Secure redirects, then succeeds after the challenge", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("3ds", "pm_card_threeDSecure2Required", 2000, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if o.Status != payment.StatusRequiresAction || o.RedirectURL != f.URL+"/3ds/"+o.ProviderReference || o.CardLast4 != "3155" {
				t.Fatalf("outcome = %+v", o)
			}
			if pi := f.Intent(o.ProviderReference); pi.ReturnURL != "https://paymux.test/pay/pay_3ds/return" {
				t.Fatalf("return_url at Stripe = %q", pi.ReturnURL)
			}
			s, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_3ds", ProviderReference: o.ProviderReference})
			if err != nil || s.Status != payment.StatusRequiresAction {
				t.Fatalf("Status before the challenge = %+v, %v", s, err)
			}
			f.CompleteChallenge(o.ProviderReference)
			s, err = c.Status(ctx, provider.StatusRequest{PaymentID: "pay_3ds", ProviderReference: o.ProviderReference})
			if err != nil || s.Status != payment.StatusSucceeded || s.AmountCaptured != 2000 {
				t.Fatalf("Status after the challenge = %+v, %v", s, err)
			}
		}},
		{"manual capture, then a partial capture", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("man", "pm_card_mastercard", 1000, payment.CaptureManual))
			if err != nil || o.Status != payment.StatusRequiresCapture || o.CardBrand != "mastercard" {
				t.Fatalf("Authorize = %+v, %v", o, err)
			}
			capReq := provider.CaptureRequest{PaymentID: "pay_man", IdempotencyKey: "pay_man-capture",
				ProviderReference: o.ProviderReference, Amount: 600, Currency: "EUR"}
			cp, err := c.Capture(ctx, capReq)
			if err != nil || cp.Status != payment.StatusSucceeded || cp.AmountCaptured != 600 {
				t.Fatalf("Capture = %+v, %v", cp, err)
			}
			if got := f.Requests("POST", "/v1/payment_intents/"+o.ProviderReference+"/capture")[0].Form.Get("amount_to_capture"); got != "600" {
				t.Errorf("amount_to_capture = %q", got)
			}
			// A retry with the same key is answered from Stripe's idempotency store.
			again, err := c.Capture(ctx, capReq)
			if err != nil || again != cp {
				t.Fatalf("Capture retry = %+v, %v; want %+v", again, err, cp)
			}
			// A second capture is refused by Stripe: a permanent provider error.
			capReq.IdempotencyKey = "other"
			_, err = c.Capture(ctx, capReq)
			pe := asProviderError(t, err)
			if pe.Code != "payment_intent_unexpected_state" || pe.Temporary || pe.Uncertain {
				t.Fatalf("second capture error = %+v", pe)
			}
		}},
		{"cancel an authorisation, twice", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("void", "pm_card_visa", 1000, payment.CaptureManual))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			v, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void", IdempotencyKey: "pay_void-void", ProviderReference: o.ProviderReference})
			if err != nil || v.Status != payment.StatusCanceled || v.ProviderReference != o.ProviderReference {
				t.Fatalf("Void = %+v, %v", v, err)
			}
			// Cancelling what Stripe already canceled is done, not an error.
			v, err = c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void", IdempotencyKey: "another", ProviderReference: o.ProviderReference})
			if err != nil || v.Status != payment.StatusCanceled {
				t.Fatalf("second Void = %+v, %v", v, err)
			}
			// A captured payment cannot be voided.
			o2, _ := c.Authorize(ctx, authReq("void2", "pm_card_visa", 1000, payment.CaptureAutomatic))
			_, err = c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void2", IdempotencyKey: "k", ProviderReference: o2.ProviderReference})
			if pe := asProviderError(t, err); pe.Code != "payment_intent_unexpected_state" {
				t.Fatalf("void of a succeeded intent = %+v", pe)
			}
		}},
		{"partial refunds up to the captured amount", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			o, err := c.Authorize(ctx, authReq("ref", "pm_card_visa", 1000, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			rr := provider.RefundRequest{PaymentID: "pay_ref", RefundID: "re_paymux1", IdempotencyKey: "re_paymux1",
				ProviderReference: o.ProviderReference, Amount: 300, Currency: "EUR", Reason: "requested_by_customer"}
			res, err := c.Refund(ctx, rr)
			if err != nil || res.State != payment.RefundSucceeded || !strings.HasPrefix(res.ProviderReference, "re_fake") {
				t.Fatalf("Refund = %+v, %v", res, err)
			}
			sent := f.Requests("POST", "/v1/refunds")[0]
			for k, v := range map[string]string{"payment_intent": o.ProviderReference, "amount": "300", "reason": "requested_by_customer",
				"metadata[paymux_refund_id]": "re_paymux1", "metadata[paymux_payment_id]": "pay_ref"} {
				if got := sent.Form.Get(k); got != v {
					t.Errorf("refund form %s = %q, want %q", k, got, v)
				}
			}
			if got := sent.Header.Get("Idempotency-Key"); got != "paymux-refund-re_paymux1" {
				t.Errorf("Idempotency-Key = %q", got)
			}
			rr2 := provider.RefundRequest{PaymentID: "pay_ref", RefundID: "re_paymux2", IdempotencyKey: "re_paymux2",
				ProviderReference: o.ProviderReference, Amount: 700, Currency: "EUR", Reason: "not-a-stripe-reason"}
			if res, err := c.Refund(ctx, rr2); err != nil || res.State != payment.RefundSucceeded {
				t.Fatalf("second Refund = %+v, %v", res, err)
			}
			if got := f.Requests("POST", "/v1/refunds")[1].Form["reason"]; got != nil {
				t.Errorf("an unknown reason was sent: %q", got)
			}
			rr3 := rr2
			rr3.RefundID, rr3.IdempotencyKey, rr3.Amount = "re_paymux3", "re_paymux3", 1
			_, err = c.Refund(ctx, rr3)
			if pe := asProviderError(t, err); pe.Code != "amount_too_large" || pe.Temporary || pe.Uncertain {
				t.Fatalf("over-refund error = %+v", pe)
			}
		}},
		{"the same idempotency key returns the same PaymentIntent", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			r := authReq("idem", "pm_card_visa", 1000, payment.CaptureAutomatic)
			a, err := c.Authorize(ctx, r)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			b, err := c.Authorize(ctx, r)
			if err != nil || a != b {
				t.Fatalf("second Authorize = %+v, %v; want %+v", b, err, a)
			}
			if n := f.IntentCount(); n != 1 {
				t.Fatalf("Stripe holds %d intents, want 1", n)
			}
			// The same key with other parameters is an idempotency_error, permanent.
			r.Amount = 999
			_, err = c.Authorize(ctx, r)
			if pe := asProviderError(t, err); pe.Code != "idempotency_error" || pe.Temporary || pe.Uncertain {
				t.Fatalf("key reuse error = %+v", pe)
			}
		}},
		{"a declined attempt replays as the same decline", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			r := authReq("decidem", "pm_card_chargeDeclined", 1000, payment.CaptureAutomatic)
			a, err := c.Authorize(ctx, r)
			b, err2 := c.Authorize(ctx, r)
			if err != nil || err2 != nil || a != b || a.Status != payment.StatusFailed {
				t.Fatalf("Authorize twice = %+v, %v / %+v, %v", a, err, b, err2)
			}
		}},
		{"status of an unknown intent is ErrUnknownPayment", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_x", ProviderReference: "pi_missing"})
			if !errors.Is(err, provider.ErrUnknownPayment) {
				t.Fatalf("err = %v, want ErrUnknownPayment", err)
			}
		}},
		{"status without a reference finds the attempt by metadata", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			r1 := authReq("lost", "pm_card_chargeDeclined", 1000, payment.CaptureAutomatic)
			first, _ := c.Authorize(ctx, r1)
			r2 := r1
			r2.IdempotencyKey, r2.PaymentMethod = "pay_lost-authorize-2", "pm_card_visa"
			second, err := c.Authorize(ctx, r2)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			for _, tc := range []struct {
				key  string
				want payment.Outcome
			}{{r1.IdempotencyKey, first}, {r2.IdempotencyKey, second}} {
				got, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_lost", IdempotencyKey: tc.key})
				if err != nil || got.ProviderReference != tc.want.ProviderReference || got.Status != tc.want.Status {
					t.Errorf("Status(%s) = %+v, %v; want %+v", tc.key, got, err, tc.want)
				}
			}
			if q := f.Requests("GET", "/v1/payment_intents/search")[0].Form.Get("query"); q != "metadata['paymux_payment_id']:'pay_lost'" {
				t.Errorf("search query = %q", q)
			}
			// An attempt Stripe's search does not show (yet) is temporary, never "unknown".
			_, err = c.Status(ctx, provider.StatusRequest{PaymentID: "pay_lost", IdempotencyKey: "pay_lost-authorize-3"})
			pe := asProviderError(t, err)
			if errors.Is(err, provider.ErrUnknownPayment) || !pe.Temporary || pe.Code != "payment_not_found_yet" {
				t.Fatalf("missing attempt error = %+v", pe)
			}
		}},
		{"amounts in Stripe's units", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			for _, tc := range []struct {
				currency string
				amount   int64
				sent     string
			}{{"JPY", 500, "500"}, {"ISK", 5, "500"}, {"KWD", 1230, "1230"}, {"MGA", 1500, "15"}} {
				r := authReq("cur"+tc.currency, "pm_card_visa", tc.amount, payment.CaptureAutomatic)
				r.Currency = tc.currency
				o, err := c.Authorize(ctx, r)
				if err != nil {
					t.Fatalf("%s: %v", tc.currency, err)
				}
				if o.AmountCaptured != tc.amount {
					t.Errorf("%s: captured %d, want %d", tc.currency, o.AmountCaptured, tc.amount)
				}
				reqs := f.Requests("POST", "/v1/payment_intents")
				if got := reqs[len(reqs)-1].Form; got.Get("amount") != tc.sent || got.Get("currency") != strings.ToLower(tc.currency) {
					t.Errorf("%s: sent amount %s %s, want %s", tc.currency, got.Get("amount"), got.Get("currency"), tc.sent)
				}
			}
			before := len(f.Requests("", ""))
			for _, tc := range []struct {
				currency string
				amount   int64
			}{{"KWD", 1235}, {"MGA", 150}, {"XXX", 100}, {"IQD", 1000}} {
				r := authReq("bad"+tc.currency, "pm_card_visa", tc.amount, payment.CaptureAutomatic)
				r.Currency = tc.currency
				_, err := c.Authorize(ctx, r)
				if pe := asPaymentError(t, err); pe.Kind != payment.KindInvalid {
					t.Errorf("%d %s: %+v", tc.amount, tc.currency, pe)
				}
			}
			if after := len(f.Requests("", "")); after != before {
				t.Errorf("%d requests sent for refused amounts", after-before)
			}
		}},
		{"unknown payment method is a permanent provider error", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			_, err := c.Authorize(ctx, authReq("nopm", "pm_nope", 1000, payment.CaptureAutomatic))
			pe := asProviderError(t, err)
			if pe.Code != "resource_missing" || pe.Temporary || pe.Uncertain || !strings.Contains(pe.Message, "No such PaymentMethod") {
				t.Fatalf("error = %+v", pe)
			}
		}},
		{"missing payment method or bad reference is refused before sending", func(t *testing.T, f *stripefake.Server, c provider.Connector) {
			_, err := c.Authorize(ctx, authReq("empty", "", 1000, payment.CaptureAutomatic))
			asPaymentError(t, err)
			for _, ref := range []string{"", "../v1/refunds", "pi_1/cancel", "pi 1"} {
				if _, err := c.Capture(ctx, provider.CaptureRequest{ProviderReference: ref, Amount: 1, Currency: "EUR"}); err == nil {
					t.Errorf("Capture(%q) accepted", ref)
				}
				if _, err := c.Refund(ctx, provider.RefundRequest{ProviderReference: ref, Amount: 1, Currency: "EUR"}); err == nil {
					t.Errorf("Refund(%q) accepted", ref)
				}
			}
			if n := len(f.Requests("", "")); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := stripefake.New(t, APIVersion)
			tc.run(t, f, connect(t, f.URL, f.Key, testOptions()))
		})
	}
}
