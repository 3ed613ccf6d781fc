package adyen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/adyen/adyenfake"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

const (
	visa      = "scheme:4111111111111111"
	mc        = "scheme:5555555555554444"
	threeDS   = "scheme:4917610000000000"
	dropInPM  = `{"type":"scheme","encryptedCardNumber":"test_4111111111111111","encryptedExpiryMonth":"test_03","encryptedExpiryYear":"test_2030","encryptedSecurityCode":"test_737","brand":"visa"}`
	browser   = `{"userAgent":"Mozilla/5.0 (X11; Linux x86_64)","acceptHeader":"text/html","language":"en-GB","colorDepth":24,"screenHeight":900,"screenWidth":1440,"timeZoneOffset":-60,"javaEnabled":false}`
	dropIn    = `{"paymentMethod":` + dropInPM + `,"browserInfo":` + browser + `,"clientStateDataIndicator":true}`
	applePay  = `{"type":"applepay","applePayToken":"VNRWtuNlNEWkRCSm1xWndjMDFFbktkQU..."}`
	googlePay = `{"type":"googlepay","googlePayToken":"==Payload as retrieved from Google Pay response=="}`
)

func authReq(key, pm string, amount int64, capture payment.CaptureMethod) provider.AuthorizeRequest {
	return provider.AuthorizeRequest{PaymentID: "pay_" + key, IdempotencyKey: "pay_" + key + "-authorize-1",
		Amount: amount, Currency: "EUR", CaptureMethod: capture, PaymentMethod: pm,
		ReturnURL: "https://paymux.test/pay/pay_" + key + "/return", OrderID: "order-" + key, Description: "Order " + key,
		Customer: payment.Customer{Email: "shopper@example.test", Name: "Ada Shopper"}}
}

// deliver feeds the fake's pending notifications to the connector, as Adyen would
// post them to the webhook endpoint, and returns the events.
func deliver(t *testing.T, f *adyenfake.Server, c *connector) []provider.WebhookEvent {
	t.Helper()
	var out []provider.WebhookEvent
	for _, body := range f.TakeNotifications() {
		evs, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{Header: http.Header{"Content-Type": {"application/json"}}, Body: body})
		if err != nil {
			t.Fatalf("ParseWebhook(%s): %v", body, err)
		}
		out = append(out, evs...)
	}
	return out
}

// one requires exactly one event and returns it.
func one(t *testing.T, evs []provider.WebhookEvent) provider.WebhookEvent {
	t.Helper()
	if len(evs) != 1 {
		b, _ := json.Marshal(evs)
		t.Fatalf("%d events, want 1: %s", len(evs), b)
	}
	return evs[0]
}

func TestFlows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *adyenfake.Server, c *connector)
	}{
		{"automatic capture succeeds and sends what Adyen expects", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, err := c.Authorize(ctx, authReq("auto", dropInPM, 1050, payment.CaptureAutomatic))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			want := payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: o.ProviderReference,
				PaymentMethodType: "card", CardBrand: "visa", CardLast4: "1111", AmountCaptured: 1050}
			if o != want || !strings.HasPrefix(o.ProviderReference, "FAKE") {
				t.Fatalf("outcome = %+v, want %+v", o, want)
			}
			reqs := f.Requests("/payments")
			if len(reqs) != 1 {
				t.Fatalf("%d /payments requests, want 1", len(reqs))
			}
			r := reqs[0]
			for k, v := range map[string]string{"amount.value": "1050", "amount.currency": "EUR", "merchantAccount": testMerchant,
				"reference": "pay_auto", "returnUrl": "https://paymux.test/pay/pay_auto/return", "channel": "Web",
				"shopperInteraction": "Ecommerce", "shopperEmail": "shopper@example.test", "merchantOrderReference": "order-auto",
				"captureDelayHours": "0", "additionalData": "", "metadata.paymux_capture": "automatic",
				"metadata.paymux_attempt": "pay_auto-authorize-1", "authenticationData.threeDSRequestData.nativeThreeDS": "disabled"} {
				if got := r.Str(k); got != v {
					t.Errorf("body %s = %q, want %q", k, got, v)
				}
			}
			if !bytes.Contains(r.Raw, []byte(`"paymentMethod":`+dropInPM)) {
				t.Errorf("Drop-in's paymentMethod was not passed through as it is: %s", r.Raw)
			}
			for h, v := range map[string]string{"Idempotency-Key": "paymux-authorize-pay_auto-authorize-1",
				"X-API-Key": f.Key, "Content-Type": "application/json"} {
				if got := r.Header.Get(h); got != v {
					t.Errorf("header %s = %q, want %q", h, got, v)
				}
			}
			// Adyen's AUTHORISATION notification says the same.
			ev := one(t, deliver(t, f, c))
			if ev.ID != o.ProviderReference+":AUTHORISATION:true" || ev.PaymentID != "pay_auto" || ev.ProviderReference != o.ProviderReference ||
				ev.Payment == nil || ev.Payment.Status != payment.StatusSucceeded || ev.Payment.AmountCaptured != 1050 || ev.Payment.CardLast4 != "1111" {
				t.Fatalf("notification event = %+v / %+v", ev, ev.Payment)
			}
		}},
		{"manual capture, then a partial capture confirmed by notification", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, err := c.Authorize(ctx, authReq("man", mc, 1000, payment.CaptureManual))
			if err != nil || o.Status != payment.StatusRequiresCapture || o.CardBrand != "mastercard" || o.CardLast4 != "4444" {
				t.Fatalf("Authorize = %+v, %v", o, err)
			}
			r := f.Requests("/payments")[0]
			if r.Str("additionalData.manualCapture") != "true" || r.Str("captureDelayHours") != "" || r.Str("metadata.paymux_capture") != "manual" {
				t.Errorf("manual capture not requested: %v", r.Body)
			}
			if ev := one(t, deliver(t, f, c)); ev.Payment.Status != payment.StatusRequiresCapture {
				t.Fatalf("AUTHORISATION of a manual payment = %+v", ev.Payment)
			}
			capReq := provider.CaptureRequest{PaymentID: "pay_man", IdempotencyKey: "pay_man-capture",
				ProviderReference: o.ProviderReference, Amount: 600, Currency: "EUR"}
			cp, err := c.Capture(ctx, capReq)
			want := payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: o.ProviderReference, AmountCaptured: 600}
			if err != nil || cp != want {
				t.Fatalf("Capture = %+v, %v; want %+v", cp, err, want)
			}
			sent := f.Requests("/payments/" + o.ProviderReference + "/captures")[0]
			for k, v := range map[string]string{"amount.value": "600", "amount.currency": "EUR", "merchantAccount": testMerchant, "reference": "pay_man"} {
				if got := sent.Str(k); got != v {
					t.Errorf("capture body %s = %q, want %q", k, got, v)
				}
			}
			if got := sent.Header.Get("Idempotency-Key"); got != "paymux-capture-pay_man-capture" {
				t.Errorf("Idempotency-Key = %q", got)
			}
			if p := f.Payment(o.ProviderReference); p.Captured != 600 {
				t.Errorf("Adyen captured %d, want 600", p.Captured)
			}
			ev := one(t, deliver(t, f, c))
			if ev.PaymentID != "pay_man" || ev.ProviderReference != o.ProviderReference || !strings.HasSuffix(ev.ID, ":CAPTURE:true") ||
				ev.Payment == nil || ev.Payment.Status != payment.StatusSucceeded || ev.Payment.AmountCaptured != 600 {
				t.Fatalf("CAPTURE event = %+v / %+v", ev, ev.Payment)
			}
			// A retry with the same key is answered from Adyen's idempotency store.
			again, err := c.Capture(ctx, capReq)
			if err != nil || again != cp || f.Payment(o.ProviderReference).Captured != 600 {
				t.Fatalf("Capture retry = %+v, %v", again, err)
			}
			// Capturing more than is left: Adyen receives it, then CAPTURE_FAILED.
			capReq.IdempotencyKey, capReq.Amount = "pay_man-capture-2", 500
			if _, err := c.Capture(ctx, capReq); err != nil {
				t.Fatalf("second Capture: %v", err)
			}
			ev = one(t, deliver(t, f, c))
			if ev.Payment != nil || ev.CaptureFailure == nil || ev.CaptureFailure.Code != "capture_failed" || ev.ProviderReference != o.ProviderReference {
				t.Fatalf("CAPTURE_FAILED event = %+v / %+v", ev, ev.CaptureFailure)
			}
		}},
		{"refusals carry Adyen's reason as a failure code", func(t *testing.T, f *adyenfake.Server, c *connector) {
			for _, tc := range []struct{ holder, code, msg string }{
				{"NOT_ENOUGH_BALANCE", "insufficient_funds", "Adyen refused the payment: Not enough balance."},
				{"DECLINED", "card_declined", "Adyen refused the payment: Refused."},
				{"CARD_EXPIRED", "expired_card", "Adyen refused the payment: Expired Card."},
				{"CVC_DECLINED", "incorrect_cvc", "Adyen refused the payment: CVC Declined."},
			} {
				o, err := c.Authorize(ctx, authReq("ref"+tc.holder, visa+":"+tc.holder, 1000, payment.CaptureAutomatic))
				if err != nil {
					t.Fatalf("%s: Authorize: %v", tc.holder, err)
				}
				if o.Status != payment.StatusFailed || o.FailureCode != tc.code || o.FailureMessage != tc.msg ||
					o.ProviderReference == "" || o.CardBrand != "visa" || o.CardLast4 != "1111" {
					t.Errorf("%s: outcome = %+v", tc.holder, o)
				}
				if got := f.Requests("/payments"); got[len(got)-1].Str("paymentMethod.holderName") != tc.holder {
					t.Errorf("%s: holder name not sent", tc.holder)
				}
				ev := one(t, deliver(t, f, c))
				if ev.Payment == nil || ev.Payment.Status != payment.StatusFailed || ev.Payment.FailureCode != tc.code ||
					ev.ID != o.ProviderReference+":AUTHORISATION:false" {
					t.Errorf("%s: notification = %+v / %+v", tc.holder, ev, ev.Payment)
				}
			}
			_, err := c.Authorize(ctx, authReq("error", visa+":ERROR", 1000, payment.CaptureAutomatic))
			if pe := asProviderError(t, err); pe.Code != "adyen_error" || pe.Temporary || pe.Uncertain || !strings.Contains(pe.Message, "Acquirer Error") {
				t.Fatalf("resultCode Error = %+v", pe)
			}
		}},
		{"3-D Secure redirect, then /payments/details authorises", func(t *testing.T, f *adyenfake.Server, c *connector) {
			r := authReq("3ds", threeDS, 2000, payment.CaptureAutomatic)
			o, err := c.Authorize(ctx, r)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if o.Status != payment.StatusRequiresAction || o.RedirectURL != f.URL+"/threeDS/redirect?psp="+o.ProviderReference || o.ProviderReference == "" {
				t.Fatalf("outcome = %+v", o)
			}
			sr := provider.StatusRequest{PaymentID: "pay_3ds", ProviderReference: o.ProviderReference, IdempotencyKey: r.IdempotencyKey}
			// Without the return's parameters Adyen cannot be asked: processing.
			s, err := c.Status(ctx, sr)
			if err != nil || s != (payment.Outcome{Status: payment.StatusProcessing, ProviderReference: o.ProviderReference}) {
				t.Fatalf("Status = %+v, %v", s, err)
			}
			s, err = c.CompleteRedirect(ctx, ret(sr, payment.CaptureAutomatic, url.Values{"unrelated": {"x"}}))
			if err != nil || s.Status != payment.StatusProcessing {
				t.Fatalf("CompleteRedirect without redirectResult = %+v, %v", s, err)
			}
			if n := len(f.Requests("/payments/details")); n != 0 {
				t.Fatalf("%d details requests without a redirectResult", n)
			}
			rr := f.CompleteChallenge(o.ProviderReference, true)
			params := url.Values{"redirectResult": {rr}}
			s, err = c.CompleteRedirect(ctx, ret(sr, payment.CaptureAutomatic, params))
			want := payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: o.ProviderReference,
				PaymentMethodType: "card", CardBrand: "visa", CardLast4: "0000"}
			if err != nil || s != want {
				t.Fatalf("CompleteRedirect = %+v, %v; want %+v", s, err, want)
			}
			d := f.Requests("/payments/details")[0]
			if d.Str("details.redirectResult") != rr || !strings.HasPrefix(d.Header.Get("Idempotency-Key"), "paymux-details-") {
				t.Errorf("details request = %v %v", d.Body, d.Header)
			}
			// The shopper reloads the return page: the same answer, from the key.
			again, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureAutomatic, params))
			if err != nil || again != s {
				t.Fatalf("second CompleteRedirect = %+v, %v", again, err)
			}
			if ev := one(t, deliver(t, f, c)); ev.Payment.Status != payment.StatusSucceeded || ev.Payment.AmountCaptured != 2000 {
				t.Fatalf("notification = %+v", ev.Payment)
			}
		}},
		{"3-D Secure failed, and a return about another payment", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("3dsno", threeDS, 2000, payment.CaptureManual))
			other, _ := c.Authorize(ctx, authReq("3dsother", threeDS, 50, payment.CaptureManual))
			sr := provider.StatusRequest{PaymentID: "pay_3dsno", ProviderReference: o.ProviderReference}
			// A shopper pasting another payment's redirectResult gets nothing.
			_, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureManual, url.Values{"redirectResult": {f.CompleteChallenge(other.ProviderReference, true)}}))
			if pe := asProviderError(t, err); pe.Code != "redirect_mismatch" {
				t.Fatalf("mismatched return = %+v", pe)
			}
			s, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureManual, url.Values{"redirectResult": {f.CompleteChallenge(o.ProviderReference, false)}}))
			if err != nil || s.Status != payment.StatusFailed || s.FailureCode != "authentication_failed" {
				t.Fatalf("failed challenge = %+v, %v", s, err)
			}
		}},
		{"manual capture after 3-D Secure is requires_capture", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("3dsman", threeDS, 700, payment.CaptureManual))
			sr := provider.StatusRequest{PaymentID: "pay_3dsman", ProviderReference: o.ProviderReference}
			s, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureManual, url.Values{"redirectResult": {f.CompleteChallenge(o.ProviderReference, true)}}))
			if err != nil || s.Status != payment.StatusRequiresCapture {
				t.Fatalf("CompleteRedirect = %+v, %v", s, err)
			}
		}},
		{"native 3-D Secure is never asked for", func(t *testing.T, f *adyenfake.Server, c *connector) {
			// The fake answers threeDS2 actions unless nativeThreeDS is disabled: the
			// redirect URL proves the connector disables it.
			o, err := c.Authorize(ctx, authReq("nat", threeDS, 100, payment.CaptureAutomatic))
			if err != nil || o.RedirectURL == "" {
				t.Fatalf("Authorize = %+v, %v", o, err)
			}
		}},
		{"redirect payment method and asynchronous method", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, err := c.Authorize(ctx, authReq("ideal", "ideal", 1500, payment.CaptureAutomatic))
			if err != nil || o.Status != payment.StatusRequiresAction || !strings.HasPrefix(o.RedirectURL, f.URL+"/bank") {
				t.Fatalf("ideal = %+v, %v", o, err)
			}
			if got := f.Requests("/payments")[0].Str("paymentMethod"); got != `{"type":"ideal"}` {
				t.Errorf("paymentMethod = %s", got)
			}
			o, err = c.Authorize(ctx, authReq("sepa", `{"type":"sepadirectdebit","sepa.ownerName":"A Shopper","sepa.ibanNumber":"NL13TEST0123456789"}`, 1500, payment.CaptureAutomatic))
			if err != nil || o.Status != payment.StatusProcessing || o.ProviderReference == "" {
				t.Fatalf("sepa = %+v, %v", o, err)
			}
		}},
		{"Drop-in's whole state.data gives paymentMethod and browserInfo", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, err := c.Authorize(ctx, authReq("state", dropIn, 1200, payment.CaptureAutomatic))
			if err != nil || o.Status != payment.StatusSucceeded {
				t.Fatalf("Authorize = %+v, %v", o, err)
			}
			raw := f.Requests("/payments")[0].Raw
			if !bytes.Contains(raw, []byte(`"paymentMethod":`+dropInPM)) || !bytes.Contains(raw, []byte(`"browserInfo":`+browser)) ||
				bytes.Contains(raw, []byte("clientStateDataIndicator")) {
				t.Fatalf("request = %s", raw)
			}
		}},
		{"wallet tokens pass through", func(t *testing.T, f *adyenfake.Server, c *connector) {
			for _, tc := range []struct{ pm, typ string }{{applePay, "apple_pay"}, {googlePay, "google_pay"}} {
				o, err := c.Authorize(ctx, authReq("w"+tc.typ, tc.pm, 990, payment.CaptureAutomatic))
				if err != nil || o.Status != payment.StatusSucceeded || o.PaymentMethodType != tc.typ || o.CardBrand != "mastercard" || o.CardLast4 != "0005" {
					t.Fatalf("%s = %+v, %v", tc.typ, o, err)
				}
				reqs := f.Requests("/payments")
				if got := reqs[len(reqs)-1].Raw; !bytes.Contains(got, []byte(`"paymentMethod":`+tc.pm)) {
					t.Errorf("paymentMethod not passed through: %s", got)
				}
			}
		}},
		{"cancel an authorisation; a captured one cannot be", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("void", visa, 1000, payment.CaptureManual))
			f.TakeNotifications()
			v, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void", IdempotencyKey: "pay_void-void", ProviderReference: o.ProviderReference})
			if err != nil || v != (payment.Outcome{Status: payment.StatusCanceled, ProviderReference: o.ProviderReference}) {
				t.Fatalf("Void = %+v, %v", v, err)
			}
			sent := f.Requests("/payments/" + o.ProviderReference + "/cancels")[0]
			if sent.Str("merchantAccount") != testMerchant || sent.Str("reference") != "pay_void" || sent.Header.Get("Idempotency-Key") != "paymux-void-pay_void-void" {
				t.Errorf("cancel request = %v", sent.Body)
			}
			if f.Payment(o.ProviderReference).Status != "cancelled" {
				t.Error("Adyen did not cancel")
			}
			ev := one(t, deliver(t, f, c))
			if ev.Payment == nil || ev.Payment.Status != payment.StatusCanceled || ev.PaymentID != "pay_void" || ev.ProviderReference != o.ProviderReference {
				t.Fatalf("CANCELLATION = %+v", ev)
			}
			o2, _ := c.Authorize(ctx, authReq("void2", visa, 1000, payment.CaptureAutomatic))
			f.TakeNotifications()
			if _, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_void2", IdempotencyKey: "k2", ProviderReference: o2.ProviderReference}); err != nil {
				t.Fatalf("Void: %v", err)
			}
			ev = one(t, deliver(t, f, c))
			if ev.Payment != nil || ev.ProviderReference != o2.ProviderReference || !strings.HasSuffix(ev.ID, ":CANCELLATION:false") {
				t.Fatalf("failed CANCELLATION = %+v", ev)
			}
		}},
		{"partial refund is pending until the REFUND notification", func(t *testing.T, f *adyenfake.Server, c *connector) {
			o, _ := c.Authorize(ctx, authReq("rf", visa, 1000, payment.CaptureAutomatic))
			f.TakeNotifications()
			rr := provider.RefundRequest{PaymentID: "pay_rf", RefundID: "re_paymux1", IdempotencyKey: "re_paymux1",
				ProviderReference: o.ProviderReference, Amount: 300, Currency: "EUR", Reason: "requested_by_customer"}
			res, err := c.Refund(ctx, rr)
			if err != nil || res.State != payment.RefundPending || !strings.HasPrefix(res.ProviderReference, "FAKE") || res.ProviderReference == o.ProviderReference {
				t.Fatalf("Refund = %+v, %v", res, err)
			}
			sent := f.Requests("/payments/" + o.ProviderReference + "/refunds")[0]
			for k, v := range map[string]string{"amount.value": "300", "amount.currency": "EUR", "reference": "re_paymux1",
				"merchantAccount": testMerchant, "merchantRefundReason": "CUSTOMER REQUEST"} {
				if got := sent.Str(k); got != v {
					t.Errorf("refund body %s = %q, want %q", k, got, v)
				}
			}
			if got := sent.Header.Get("Idempotency-Key"); got != "paymux-refund-re_paymux1" {
				t.Errorf("Idempotency-Key = %q", got)
			}
			ev := one(t, deliver(t, f, c))
			want := provider.WebhookEvent{ID: res.ProviderReference + ":REFUND:true", PaymentID: "pay_rf", ProviderReference: o.ProviderReference,
				RefundID: "re_paymux1", Refund: &provider.RefundResult{State: payment.RefundSucceeded, ProviderReference: res.ProviderReference}}
			if ev.ID != want.ID || ev.PaymentID != want.PaymentID || ev.ProviderReference != want.ProviderReference || ev.RefundID != want.RefundID ||
				ev.Refund == nil || *ev.Refund != *want.Refund || ev.Payment != nil {
				t.Fatalf("REFUND event = %+v / %+v", ev, ev.Refund)
			}
			// More than is left: Adyen receives it, then refuses it by notification.
			rr.RefundID, rr.IdempotencyKey, rr.Amount, rr.Reason = "re_paymux2", "re_paymux2", 800, ""
			res, err = c.Refund(ctx, rr)
			if err != nil || res.State != payment.RefundPending {
				t.Fatalf("over-refund = %+v, %v", res, err)
			}
			if got := f.Requests("/payments/" + o.ProviderReference + "/refunds")[1].Str("merchantRefundReason"); got != "" {
				t.Errorf("merchantRefundReason without a reason = %q", got)
			}
			ev = one(t, deliver(t, f, c))
			if ev.RefundID != "re_paymux2" || ev.Refund == nil || ev.Refund.State != payment.RefundFailed || ev.Refund.FailureCode != "refund_refused" {
				t.Fatalf("refused REFUND = %+v / %+v", ev, ev.Refund)
			}
		}},
		{"the same idempotency key returns the same payment", func(t *testing.T, f *adyenfake.Server, c *connector) {
			r := authReq("idem", visa, 1000, payment.CaptureAutomatic)
			a, err := c.Authorize(ctx, r)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			b, err := c.Authorize(ctx, r)
			if err != nil || a != b {
				t.Fatalf("second Authorize = %+v, %v; want %+v", b, err, a)
			}
			if n := f.PaymentCount(); n != 1 {
				t.Fatalf("Adyen holds %d payments, want 1", n)
			}
			if n := len(f.TakeNotifications()); n != 1 {
				t.Fatalf("%d notifications, want 1", n)
			}
			// The same key with another body is refused: permanent (paymux never does it).
			r.Amount = 999
			_, err = c.Authorize(ctx, r)
			if pe := asProviderError(t, err); pe.Code != "704" || pe.Temporary || pe.Uncertain {
				t.Fatalf("key reuse error = %+v", pe)
			}
		}},
		{"a refused attempt replays as the same refusal", func(t *testing.T, f *adyenfake.Server, c *connector) {
			r := authReq("refidem", visa+":DECLINED", 1000, payment.CaptureAutomatic)
			a, err := c.Authorize(ctx, r)
			b, err2 := c.Authorize(ctx, r)
			if err != nil || err2 != nil || a != b || a.Status != payment.StatusFailed || f.PaymentCount() != 1 {
				t.Fatalf("Authorize twice = %+v, %v / %+v, %v", a, err, b, err2)
			}
		}},
		{"Adyen's validation errors are permanent provider errors", func(t *testing.T, f *adyenfake.Server, c *connector) {
			_, err := c.Authorize(ctx, authReq("bad", "scheme:4000000000000002", 1000, payment.CaptureAutomatic))
			pe := asProviderError(t, err)
			if pe.Code != "101" || pe.Temporary || pe.Uncertain || pe.Message != "Invalid card number" {
				t.Fatalf("error = %+v", pe)
			}
			_, err = c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_x", IdempotencyKey: "k", ProviderReference: "UNKNOWN0000000001", Amount: 1, Currency: "EUR"})
			if pe := asProviderError(t, err); pe.Code != "167" || pe.Temporary {
				t.Fatalf("capture of an unknown payment = %+v", pe)
			}
		}},
		{"bad input is refused before sending", func(t *testing.T, f *adyenfake.Server, c *connector) {
			for _, pm := range []string{"", "{not json", `{"type":""}`, `{"no_type":1}`, `{"paymentMethod":{"no_type":1}}`, `{"paymentMethod":"scheme"}`,
				"pm_card_visa!", "scheme:12", "SCHEME"} {
				_, err := c.Authorize(ctx, authReq("in", pm, 1000, payment.CaptureAutomatic))
				if pe := asPaymentError(t, err); pe.Param != "payment_method" {
					t.Errorf("payment method %q: %+v", pm, pe)
				}
			}
			r := authReq("noreturn", visa, 1000, payment.CaptureAutomatic)
			r.ReturnURL = ""
			if _, err := c.Authorize(ctx, r); asPaymentError(t, err).Param != "return_url" {
				t.Error("missing return URL accepted")
			}
			r = authReq("cur", visa, 150, payment.CaptureAutomatic)
			r.Currency = "IDR"
			if _, err := c.Authorize(ctx, r); asPaymentError(t, err).Code != payment.CodeAmountInvalid {
				t.Error("IDR with cents accepted")
			}
			for _, ref := range []string{"", "../payments", "ABC/captures", "ABC 1"} {
				if _, err := c.Capture(ctx, provider.CaptureRequest{ProviderReference: ref, Amount: 1, Currency: "EUR"}); err == nil {
					t.Errorf("Capture(%q) accepted", ref)
				}
				if _, err := c.Void(ctx, provider.VoidRequest{ProviderReference: ref}); err == nil {
					t.Errorf("Void(%q) accepted", ref)
				}
				if _, err := c.Refund(ctx, provider.RefundRequest{ProviderReference: ref, Amount: 1, Currency: "EUR"}); err == nil {
					t.Errorf("Refund(%q) accepted", ref)
				}
			}
			if _, err := c.Capture(ctx, provider.CaptureRequest{ProviderReference: "ABC", Currency: "EUR"}); asPaymentError(t, err).Param != "amount" {
				t.Error("capture without amount accepted")
			}
			if _, err := c.Refund(ctx, provider.RefundRequest{ProviderReference: "ABC", Currency: "EUR"}); asPaymentError(t, err).Param != "amount" {
				t.Error("refund without amount accepted")
			}
			if n := len(f.Requests("")); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		}},
		{"amounts in Adyen's units", func(t *testing.T, f *adyenfake.Server, c *connector) {
			for _, tc := range []struct {
				currency string
				amount   int64
				sent     string
			}{{"JPY", 500, "500"}, {"ISK", 5, "500"}, {"CLP", 990, "99000"}, {"IDR", 1500000, "15000"}, {"KWD", 1235, "1235"}} {
				r := authReq("cur"+tc.currency, visa, tc.amount, payment.CaptureAutomatic)
				r.Currency = tc.currency
				o, err := c.Authorize(ctx, r)
				if err != nil {
					t.Fatalf("%s: %v", tc.currency, err)
				}
				if o.AmountCaptured != tc.amount {
					t.Errorf("%s: captured %d, want %d", tc.currency, o.AmountCaptured, tc.amount)
				}
				reqs := f.Requests("/payments")
				if got := reqs[len(reqs)-1]; got.Str("amount.value") != tc.sent || got.Str("amount.currency") != tc.currency {
					t.Errorf("%s: sent %s %s, want %s", tc.currency, got.Str("amount.value"), got.Str("amount.currency"), tc.sent)
				}
			}
		}},
		{"Apple Pay merchant validation", func(t *testing.T, f *adyenfake.Server, c *connector) {
			s, err := c.ApplePaySession(ctx, "Paymux Shop", "Shop.Example.test")
			if err != nil {
				t.Fatalf("ApplePaySession: %v", err)
			}
			var session map[string]any
			if json.Unmarshal(s, &session) != nil || session["merchantSessionIdentifier"] != "SSHshop.example.test" {
				t.Fatalf("session = %s", s)
			}
			sent := f.Requests("/applePay/sessions")[0]
			for k, v := range map[string]string{"displayName": "Paymux Shop", "domainName": "shop.example.test", "merchantIdentifier": "merchant.com.adyen.paymux.test"} {
				if got := sent.Str(k); got != v {
					t.Errorf("body %s = %q, want %q", k, got, v)
				}
			}
			// A connector built from the connection alone (default options) does the same.
			s2, err := applePaySession(ctx, provider.Connection{ID: "conn_ap", Credentials: testCreds(f.Key), BaseURL: f.URL}, "Paymux Shop", "shop.example.test")
			if err != nil || !json.Valid(s2) {
				t.Fatalf("ApplePaySession(conn) = %s, %v", s2, err)
			}
			for _, bad := range [][2]string{{"", "shop.example.test"}, {"Shop", "https://shop.example.test/"}, {"Shop", "localhost"}, {strings.Repeat("x", 65), "a.test"}} {
				if _, err := c.ApplePaySession(ctx, bad[0], bad[1]); err == nil {
					t.Errorf("ApplePaySession(%q, %q) accepted", bad[0], bad[1])
				}
			}
			creds := testCreds(f.Key)
			delete(creds, CredApplePayMerchantID)
			_, err = applePaySession(ctx, provider.Connection{Credentials: creds, BaseURL: f.URL}, "Shop", "shop.example.test")
			if pe := asPaymentError(t, err); pe.Param != "credentials.apple_pay_merchant_id" {
				t.Fatalf("without merchant id: %+v", pe)
			}
		}},
		{"live mode refuses test cards", func(t *testing.T, f *adyenfake.Server, _ *connector) {
			creds := testCreds(f.Key)
			creds[CredLiveURLPrefix] = "abc-Paymux"
			lc, err := newConnector(provider.Connection{ID: "conn_live", Livemode: true, Credentials: creds}, testOptions().WithDefaults())
			if err != nil {
				t.Fatal(err)
			}
			_, err = lc.Authorize(ctx, authReq("live", visa, 100, payment.CaptureAutomatic))
			if pe := asPaymentError(t, err); pe.Param != "payment_method" || !strings.Contains(pe.Message, "test mode only") {
				t.Fatalf("live test card = %+v", pe)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := adyenfake.New(t, testMerchant, testHMACKey)
			tc.run(t, f, connect(t, f.URL, f.Key, testOptions()))
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		badKey    bool
		merchant  string
		fault     func(n int, w http.ResponseWriter, r *http.Request) bool
		code      string // "" means accepted
		temporary bool
	}{
		{name: "credentials accepted"},
		{name: "wrong key", badKey: true, code: "authentication_failed"},
		{name: "merchant account the key cannot use", merchant: "OtherMerchant", code: "permission_denied"},
		{name: "credential without the Checkout role", code: "permission_denied", fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			fakepsp.WriteJSON(w, 403, map[string]any{"status": 403, "errorCode": "010", "message": "Not allowed", "errorType": "security"})
			return true
		}},
		{name: "Adyen unavailable", code: "api_error", temporary: true, fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(503)
			return true
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := adyenfake.New(t, testMerchant, testHMACKey)
			f.SetFault(tc.fault)
			key := f.Key
			if tc.badKey {
				key = "AQEwrongKey0123456789revoked"
			}
			creds := testCreds(key)
			if tc.merchant != "" {
				creds[CredMerchantAccount] = tc.merchant
			}
			c, err := newConnector(provider.Connection{ID: "conn_v", Credentials: creds, BaseURL: f.URL}, testOptions().WithDefaults())
			if err != nil {
				t.Fatal(err)
			}
			err = c.Verify(context.Background())
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if r := f.Requests("/paymentMethods")[0]; r.Str("merchantAccount") != testMerchant || r.Header.Get("Idempotency-Key") == "" {
					t.Errorf("request = %v", r.Body)
				}
				return
			}
			pe := asProviderError(t, err)
			if pe.Code != tc.code || pe.Temporary != tc.temporary || pe.Uncertain && !tc.temporary || strings.Contains(pe.Message, key) {
				t.Fatalf("Verify error = %+v", pe)
			}
			var ce *callError
			if tc.code != "api_error" && errors.As(err, &ce) {
				t.Errorf("a refusal should not wrap the call error: %v", err)
			}
		})
	}
}

// applePaySession builds a connector for conn with default options and asks it for
// an Apple Pay session, as the engine does through provider.ApplePayMerchantValidator.
func applePaySession(ctx context.Context, conn provider.Connection, displayName, domain string) (json.RawMessage, error) {
	c, err := newConnector(conn, Options{}.WithDefaults())
	if err != nil {
		return nil, err
	}
	return c.ApplePaySession(ctx, displayName, domain)
}
