package paypal

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
)

// Stateful flows against fakePayPal: what the connector sends and how it reads
// PayPal's answers through a payment's life.

func TestFlows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	status := func(t *testing.T, c *connector, paymentID, ref string) payment.Outcome {
		t.Helper()
		o, err := c.Status(ctx, provider.StatusRequest{PaymentID: paymentID, ProviderReference: ref})
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		return o
	}
	tests := []struct {
		name string
		run  func(t *testing.T, f *paypalfake.Server, c *connector)
	}{
		{"automatic capture: approval redirect, then Status captures", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, err := c.Authorize(ctx, authReq("auto", 1050, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			ref := o.ProviderReference
			want := payment.Outcome{Status: payment.StatusRequiresAction, ProviderReference: ref, PaymentMethodType: "paypal",
				RedirectURL: f.URL + "/checkoutnow?token=" + ref}
			if o != want || !validOrderID(ref) {
				t.Fatalf("outcome = %+v, want %+v", o, want)
			}
			reqs := f.Requests("POST", "/v2/checkout/orders")
			if len(reqs) != 1 {
				t.Fatalf("%d create requests, want 1", len(reqs))
			}
			r := reqs[0]
			for _, tc := range []struct {
				path []any
				want any
			}{
				{[]any{"intent"}, "CAPTURE"},
				{[]any{"purchase_units", 0, "amount", "currency_code"}, "EUR"},
				{[]any{"purchase_units", 0, "amount", "value"}, "10.50"},
				{[]any{"purchase_units", 0, "custom_id"}, "pay_auto"},
				{[]any{"purchase_units", 0, "invoice_id"}, "order-auto"},
				{[]any{"purchase_units", 0, "description"}, "Order auto"},
				{[]any{"payment_source", "paypal", "email_address"}, "shopper@example.com"},
				{[]any{"payment_source", "paypal", "experience_context", "return_url"}, "https://paymux.test/pay/pay_auto/return"},
				{[]any{"payment_source", "paypal", "experience_context", "cancel_url"}, "https://paymux.test/pay/pay_auto/return"},
				{[]any{"payment_source", "paypal", "experience_context", "user_action"}, "PAY_NOW"},
			} {
				if got := jsonPath(t, r.Body, tc.path...); got != tc.want {
					t.Errorf("body %v = %v, want %v", tc.path, got, tc.want)
				}
			}
			for h, v := range map[string]string{"PayPal-Request-Id": "paymux-order-pay_auto-authorize-1",
				"Prefer": "return=representation", "Content-Type": "application/json"} {
				if got := r.Header.Get(h); got != v {
					t.Errorf("header %s = %q, want %q", h, got, v)
				}
			}
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer A21AAFakeToken") {
				t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
			}
			// Before the shopper approves, the order waits for them.
			if s := status(t, c, "pay_auto", ref); s.Status != payment.StatusRequiresAction || s.RedirectURL != want.RedirectURL {
				t.Fatalf("Status before approval = %+v", s)
			}
			if n := len(f.Requests("POST", "/v2/checkout/orders/"+ref+"/capture")); n != 0 {
				t.Fatalf("captured before approval (%d)", n)
			}
			f.Approve(ref, "")
			s := status(t, c, "pay_auto", ref)
			if s.Status != payment.StatusSucceeded || s.AmountCaptured != 1050 || s.ProviderReference != ref {
				t.Fatalf("Status after approval = %+v", s)
			}
			caps := f.Requests("POST", "/v2/checkout/orders/"+ref+"/capture")
			if len(caps) != 1 || caps[0].Header.Get("PayPal-Request-Id") != "paymux-complete-pay_auto-"+ref {
				t.Fatalf("capture requests = %+v", caps)
			}
			// Asked again (reconciliation, a second return): read, not captured again.
			if s2 := status(t, c, "pay_auto", ref); s2 != s {
				t.Fatalf("second Status = %+v, want %+v", s2, s)
			}
			if n := len(f.Requests("POST", "/v2/checkout/orders/"+ref+"/capture")); n != 1 {
				t.Fatalf("%d capture requests, want 1", n)
			}
		}},
		{"manual capture: authorise, partial capture, partial then full refunds", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, err := c.Authorize(ctx, authReq("man", 1000, payment.CaptureManual))
			if err != nil || o.Status != payment.StatusRequiresAction {
				t.Fatalf("Authorize = %+v, %v", o, err)
			}
			ref := o.ProviderReference
			if got := jsonPath(t, f.Requests("POST", "/v2/checkout/orders")[0].Body, "intent"); got != "AUTHORIZE" {
				t.Fatalf("intent = %v", got)
			}
			f.Approve(ref, "")
			if s := status(t, c, "pay_man", ref); s.Status != payment.StatusRequiresCapture || s.ProviderReference != ref {
				t.Fatalf("Status = %+v", s)
			}
			if n := len(f.Requests("POST", "/v2/checkout/orders/"+ref+"/authorize")); n != 1 {
				t.Fatalf("%d authorize requests, want 1", n)
			}
			auth := f.Order(ref).AuthIDs[0]
			capReq := provider.CaptureRequest{PaymentID: "pay_man", IdempotencyKey: "pay_man-capture", ProviderReference: ref, Amount: 600, Currency: "EUR"}
			cp, err := c.Capture(ctx, capReq)
			if err != nil || cp.Status != payment.StatusSucceeded || cp.AmountCaptured != 600 || cp.ProviderReference != ref {
				t.Fatalf("Capture = %+v, %v", cp, err)
			}
			sent := f.Requests("POST", "/v2/payments/authorizations/"+auth+"/capture")
			if len(sent) != 1 || jsonPath(t, sent[0].Body, "amount", "value") != "6.00" || jsonPath(t, sent[0].Body, "final_capture") != true ||
				sent[0].Header.Get("PayPal-Request-Id") != "paymux-capture-pay_man-capture" {
				t.Fatalf("capture request = %+v", sent)
			}
			// A retry with the same key is answered from PayPal's request-id store.
			again, err := c.Capture(ctx, capReq)
			if err != nil || again != cp {
				t.Fatalf("Capture retry = %+v, %v; want %+v", again, err, cp)
			}
			// The order now reads as succeeded with what was captured.
			if s := status(t, c, "pay_man", ref); s.Status != payment.StatusSucceeded || s.AmountCaptured != 600 {
				t.Fatalf("Status after capture = %+v", s)
			}
			rr := provider.RefundRequest{PaymentID: "pay_man", RefundID: "re_paymux1", IdempotencyKey: "re_paymux1",
				ProviderReference: ref, Amount: 250, Currency: "EUR", Reason: "requested_by_customer"}
			res, err := c.Refund(ctx, rr)
			if err != nil || res.State != payment.RefundSucceeded || !strings.HasPrefix(res.ProviderReference, "REF") {
				t.Fatalf("Refund = %+v, %v", res, err)
			}
			capID := f.Order(ref).CaptureIDs[0]
			rsent := f.Requests("POST", "/v2/payments/captures/"+capID+"/refund")
			if len(rsent) != 1 || jsonPath(t, rsent[0].Body, "amount", "value") != "2.50" ||
				jsonPath(t, rsent[0].Body, "custom_id") != "re_paymux1" || jsonPath(t, rsent[0].Body, "invoice_id") != "re_paymux1" ||
				rsent[0].Header.Get("PayPal-Request-Id") != "paymux-refund-re_paymux1" {
				t.Fatalf("refund request = %+v", rsent)
			}
			// The rest, with no amount: PayPal refunds what is left.
			rr2 := rr
			rr2.RefundID, rr2.IdempotencyKey, rr2.Amount = "re_paymux2", "re_paymux2", 0
			if res, err := c.Refund(ctx, rr2); err != nil || res.State != payment.RefundSucceeded {
				t.Fatalf("second Refund = %+v, %v", res, err)
			}
			if body := f.Requests("POST", "/v2/payments/captures/"+capID+"/refund")[1].Body; jsonPath(t, body, "amount") != nil {
				t.Errorf("full refund sent an amount: %s", body)
			}
			// Nothing left: refused before PayPal is asked.
			rr3 := rr
			rr3.RefundID, rr3.IdempotencyKey, rr3.Amount = "re_paymux3", "re_paymux3", 1
			_, err = c.Refund(ctx, rr3)
			if pe := asProviderError(t, err); pe.Code != "capture_missing" || pe.Temporary || pe.Uncertain {
				t.Fatalf("refund of a refunded capture = %+v", pe)
			}
		}},
		{"over-refund is PayPal's permanent refusal", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("over", 1000, payment.CaptureAutomatic))
			f.Approve(o.ProviderReference, "")
			status(t, c, "pay_over", o.ProviderReference)
			_, err := c.Refund(ctx, provider.RefundRequest{PaymentID: "pay_over", RefundID: "re_o", IdempotencyKey: "re_o",
				ProviderReference: o.ProviderReference, Amount: 1001, Currency: "EUR"})
			if pe := asProviderError(t, err); pe.Code != "refund_amount_exceeded" || pe.Temporary || pe.Uncertain {
				t.Fatalf("over-refund error = %+v", pe)
			}
		}},
		{"void an authorisation, twice", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("void", 1000, payment.CaptureManual))
			ref := o.ProviderReference
			f.Approve(ref, "")
			if s := status(t, c, "pay_void", ref); s.Status != payment.StatusRequiresCapture {
				t.Fatalf("Status = %+v", s)
			}
			v, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void", IdempotencyKey: "pay_void-void", ProviderReference: ref})
			if err != nil || v.Status != payment.StatusCanceled || v.ProviderReference != ref {
				t.Fatalf("Void = %+v, %v", v, err)
			}
			auth := f.Order(ref).AuthIDs[0]
			sent := f.Requests("POST", "/v2/payments/authorizations/"+auth+"/void")
			if len(sent) != 1 || len(sent[0].Body) != 0 || sent[0].Header.Get("PayPal-Request-Id") != "paymux-void-pay_void-void" {
				t.Fatalf("void requests = %+v", sent)
			}
			if s := status(t, c, "pay_void", ref); s.Status != payment.StatusCanceled {
				t.Fatalf("Status after void = %+v", s)
			}
			// Voiding what PayPal already voided is done, and sends nothing.
			v, err = c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void", IdempotencyKey: "another", ProviderReference: ref})
			if err != nil || v.Status != payment.StatusCanceled {
				t.Fatalf("second Void = %+v, %v", v, err)
			}
			if n := len(f.Requests("POST", "/v2/payments/authorizations/"+auth+"/void")); n != 1 {
				t.Errorf("%d void requests, want 1", n)
			}
			// A voided authorisation cannot be captured.
			_, err = c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_void", IdempotencyKey: "k", ProviderReference: ref, Currency: "EUR"})
			if pe := asProviderError(t, err); pe.Code != "authorization_missing" || pe.Temporary {
				t.Fatalf("capture after void = %+v", pe)
			}
		}},
		{"void of an order the shopper has not approved holds nothing", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("pend", 1000, payment.CaptureAutomatic))
			v, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_pend", IdempotencyKey: "k", ProviderReference: o.ProviderReference})
			if err != nil || v.Status != payment.StatusCanceled {
				t.Fatalf("Void = %+v, %v", v, err)
			}
			if n := len(f.Requests("POST", "")); n != 1 {
				t.Errorf("%d POSTs, want only the order's creation", n)
			}
		}},
		{"a declined funding source fails the payment", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("dec", 1000, payment.CaptureAutomatic))
			f.Approve(o.ProviderReference, "INSTRUMENT_DECLINED")
			s := status(t, c, "pay_dec", o.ProviderReference)
			if s.Status != payment.StatusFailed || s.FailureCode != "instrument_declined" || s.FailureMessage == "" ||
				s.ProviderReference != o.ProviderReference {
				t.Fatalf("Status = %+v", s)
			}
		}},
		{"a declined authorisation fails the payment", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("adec", 1000, payment.CaptureManual))
			f.Approve(o.ProviderReference, "TRANSACTION_REFUSED")
			if s := status(t, c, "pay_adec", o.ProviderReference); s.Status != payment.StatusFailed || s.FailureCode != "transaction_refused" {
				t.Fatalf("Status = %+v", s)
			}
		}},
		{"the same request id returns the same order", func(t *testing.T, f *paypalfake.Server, c *connector) {
			r := authReq("idem", 1000, payment.CaptureAutomatic)
			a, err := c.Authorize(ctx, r)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			b, err := c.Authorize(ctx, r)
			if err != nil || a != b {
				t.Fatalf("second Authorize = %+v, %v; want %+v", b, err, a)
			}
			if n := f.OrderCount(); n != 1 {
				t.Fatalf("PayPal holds %d orders, want 1", n)
			}
			r.IdempotencyKey = "pay_idem-authorize-2"
			c2, err := c.Authorize(ctx, r)
			if err != nil || c2.ProviderReference == a.ProviderReference {
				t.Fatalf("a new attempt reused the order: %+v, %v", c2, err)
			}
		}},
		{"Status completes an approved order only for its own payment", func(t *testing.T, f *paypalfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("mine", 1000, payment.CaptureAutomatic))
			f.Approve(o.ProviderReference, "")
			_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_other", ProviderReference: o.ProviderReference})
			if pe := asProviderError(t, err); pe.Code != "order_mismatch" {
				t.Fatalf("error = %+v", pe)
			}
			if n := len(f.Requests("POST", "/v2/checkout/orders/"+o.ProviderReference+"/capture")); n != 0 {
				t.Fatalf("captured another payment's order")
			}
		}},
		{"unknown orders", func(t *testing.T, f *paypalfake.Server, c *connector) {
			_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_x", ProviderReference: "5O000000000MISSING"})
			if !errors.Is(err, provider.ErrUnknownPayment) {
				t.Fatalf("Status of a missing order: %v", err)
			}
			_, err = c.Status(ctx, provider.StatusRequest{PaymentID: "pay_x", IdempotencyKey: "pay_x-authorize-1"})
			if !errors.Is(err, provider.ErrUnknownPayment) {
				t.Fatalf("Status without a reference: %v", err)
			}
			_, err = c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_x", ProviderReference: "5O000000000MISSING", Currency: "EUR"})
			if pe := asProviderError(t, err); pe.Code != "resource_not_found" && pe.Code != "invalid_resource_id" {
				t.Fatalf("Capture of a missing order = %+v", pe)
			}
		}},
		{"amounts in PayPal's decimals", func(t *testing.T, f *paypalfake.Server, c *connector) {
			for _, tc := range []struct {
				currency string
				amount   int64
				sent     string
			}{{"EUR", 1, "0.01"}, {"USD", 123456, "1234.56"}, {"JPY", 500, "500"}, {"HUF", 150000, "1500"}, {"TWD", 9900, "99"}} {
				r := authReq("cur"+tc.currency, tc.amount, payment.CaptureAutomatic)
				r.Currency = tc.currency
				o, err := c.Authorize(ctx, r)
				if err != nil {
					t.Fatalf("%s: %v", tc.currency, err)
				}
				reqs := f.Requests("POST", "/v2/checkout/orders")
				body := reqs[len(reqs)-1].Body
				if v := jsonPath(t, body, "purchase_units", 0, "amount", "value"); v != tc.sent {
					t.Errorf("%s: sent %v, want %s", tc.currency, v, tc.sent)
				}
				f.Approve(o.ProviderReference, "")
				if s := status(t, c, r.PaymentID, o.ProviderReference); s.AmountCaptured != tc.amount {
					t.Errorf("%s: captured %d, want %d", tc.currency, s.AmountCaptured, tc.amount)
				}
			}
			before := len(f.Requests("", ""))
			for _, tc := range []struct {
				currency string
				amount   int64
			}{{"HUF", 150050}, {"KWD", 1000}, {"XXX", 100}, {"EUR", 0}, {"EUR", -5}, {"EUR", 1_000_000_000_000}} {
				r := authReq("bad"+tc.currency, tc.amount, payment.CaptureAutomatic)
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
		{"bad input is refused before sending", func(t *testing.T, f *paypalfake.Server, c *connector) {
			r := authReq("pm", 1000, payment.CaptureAutomatic)
			r.PaymentMethod = "pm_card_visa"
			if pe := asPaymentError(t, func() error { _, err := c.Authorize(ctx, r); return err }()); pe.Param != "payment_method" {
				t.Errorf("card method: %+v", pe)
			}
			r = authReq("noret", 1000, payment.CaptureAutomatic)
			r.ReturnURL = ""
			if pe := asPaymentError(t, func() error { _, err := c.Authorize(ctx, r); return err }()); pe.Param != "return_url" {
				t.Errorf("no return URL: %+v", pe)
			}
			for _, ref := range []string{"", "../v2/payments", "5O1/capture", "5o1", "5O 1", strings.Repeat("A", 37)} {
				if _, err := c.Capture(ctx, provider.CaptureRequest{ProviderReference: ref, Amount: 1, Currency: "EUR"}); err == nil {
					t.Errorf("Capture(%q) accepted", ref)
				}
				if _, err := c.Void(ctx, provider.VoidRequest{ProviderReference: ref}); err == nil {
					t.Errorf("Void(%q) accepted", ref)
				}
				if _, err := c.Refund(ctx, provider.RefundRequest{ProviderReference: ref, Amount: 1, Currency: "EUR"}); err == nil {
					t.Errorf("Refund(%q) accepted", ref)
				}
				if ref != "" {
					if _, err := c.Status(ctx, provider.StatusRequest{ProviderReference: ref}); err == nil || errors.Is(err, provider.ErrUnknownPayment) {
						t.Errorf("Status(%q) = %v", ref, err)
					}
				}
			}
			if n := len(f.Requests("", "")); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		}},
		{"a long order id is not sent as invoice_id", func(t *testing.T, f *paypalfake.Server, c *connector) {
			r := authReq("long", 1000, payment.CaptureAutomatic)
			r.OrderID = strings.Repeat("é", 128)
			r.Description = strings.Repeat("d", 200)
			if _, err := c.Authorize(ctx, r); err != nil {
				t.Fatal(err)
			}
			body := f.Requests("POST", "/v2/checkout/orders")[0].Body
			if v := jsonPath(t, body, "purchase_units", 0, "invoice_id"); v != nil {
				t.Errorf("invoice_id = %v", v)
			}
			if v, _ := jsonPath(t, body, "purchase_units", 0, "description").(string); len(v) != 127 {
				t.Errorf("description has %d characters", len(v))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := paypalfake.New(t)
			tc.run(t, f, connect(t, f, testOptions()))
		})
	}
}
