package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
)

const orderApprovedEvent = `{"id":"WH-COC11055RA711503B-4YM959094A144403T","event_version":"1.0","create_time":"2026-11-24T11:59:58.000Z",
 "resource_type":"checkout-order","resource_version":"2.0","event_type":"CHECKOUT.ORDER.APPROVED","summary":"An order has been approved by buyer",
 "resource":{"id":"5O190127TN364715T","intent":"CAPTURE","status":"APPROVED","purchase_units":[{"reference_id":"default",
  "amount":{"currency_code":"EUR","value":"10.00"},"custom_id":"pay_9","invoice_id":"order-9"}],
  "links":[{"href":"https://api-m.paypal.com/v2/checkout/orders/5O190127TN364715T","rel":"self","method":"GET"}]},
 "links":[{"href":"https://api-m.paypal.com/v1/notifications/webhooks-events/WH-COC11055RA711503B-4YM959094A144403T","rel":"self","method":"GET"}]}`

// event builds a webhook event of type typ around resource.
func paypalEvent(id, typ, resourceType string, resource any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "event_version": "1.0", "create_time": "2026-11-24T11:59:58.000Z",
		"resource_type": resourceType, "resource_version": "2.0", "event_type": typ, "summary": "test", "resource": resource})
	return b
}

func captureResource(status string, extra map[string]any) map[string]any {
	r := map[string]any{"id": "42311647XV020574X", "status": status, "amount": map[string]any{"currency_code": "EUR", "value": "10.00"},
		"final_capture": true, "custom_id": "pay_9", "supplementary_data": map[string]any{"related_ids": map[string]any{"order_id": "5O190127TN364715T"}}}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

func authResource(status string) map[string]any {
	return map[string]any{"id": "0VF52814937998046", "status": status, "amount": map[string]any{"currency_code": "EUR", "value": "10.00"},
		"custom_id": "pay_9", "expiration_time": "2026-12-23T11:59:58Z",
		"supplementary_data": map[string]any{"related_ids": map[string]any{"order_id": "5O190127TN364715T"}}}
}

func delivery(f *paypalfake.Server, body []byte) provider.WebhookRequest {
	return provider.WebhookRequest{Header: f.WebhookHeaders(body), Body: body}
}

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	body := []byte(orderApprovedEvent)
	tests := []struct {
		name      string
		body      []byte
		header    func(f *paypalfake.Server, h http.Header)
		webhookID string // "" means the fake's
		noWebhook bool   // the connection has no webhook_id
		fault     faultFunc
		ok        bool
		noCalls   bool // refused before asking PayPal
		providerE bool // a failure to ask, not a refusal
	}{
		{name: "genuine", body: body, ok: true},
		{name: "genuine, spacing and escapes kept byte for byte", body: []byte("{\"id\":\"WH-1\", \"event_type\" : \"X.UNKNOWN\",\n \"resource\":{\"note\":\"<b>&amp;\\u00e9</b>\"}}"), ok: true},
		{name: "cert on api.paypal.com", body: body, ok: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://api.paypal.com/v1/notifications/certs/CERT-1")
		}},
		{name: "cert on api-m.paypal.com, port 443, upper case", body: body, ok: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://API-M.PayPal.com:443/v1/notifications/certs/CERT-1")
		}},
		{name: "cert on api-m.sandbox.paypal.com", body: body, ok: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-1")
		}},
		{name: "body changed after signing", body: []byte(strings.Replace(orderApprovedEvent, "10.00", "1.00", 1)), header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderTransmissionSig, f.Sign(h.Get(HeaderTransmissionID), h.Get(HeaderTransmissionTime), f.WebhookID, body))
		}},
		{name: "signed for another webhook", body: body, webhookID: "9XX11111111111111"},
		{name: "signature of another transmission", body: body, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderTransmissionID, "c0ffee00-f8d2-11ee-8f6f-ab1ef5d0a2b9")
		}},
		{name: "forged cert host", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://evil.example/v1/notifications/certs/CERT-1")
		}},
		{name: "look-alike cert host", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://api.paypal.com.evil.example/certs/CERT-1")
		}},
		{name: "cert host as a user name", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://api.paypal.com@evil.example/certs/CERT-1")
		}},
		{name: "cert over http", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "http://api.paypal.com/v1/notifications/certs/CERT-1")
		}},
		{name: "cert on another port", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://api.paypal.com:8443/v1/notifications/certs/CERT-1")
		}},
		{name: "cert on paypal.com itself", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) {
			h.Set(HeaderCertURL, "https://www.paypal.com/certs/CERT-1")
		}},
		{name: "no signature header", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) { h.Del(HeaderTransmissionSig) }},
		{name: "no transmission id", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) { h.Del(HeaderTransmissionID) }},
		{name: "no transmission time", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) { h.Del(HeaderTransmissionTime) }},
		{name: "no cert url", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) { h.Del(HeaderCertURL) }},
		{name: "no auth algo", body: body, noCalls: true, header: func(f *paypalfake.Server, h http.Header) { h.Del(HeaderAuthAlgo) }},
		{name: "connection without webhook_id", body: body, noWebhook: true, noCalls: true},
		{name: "body not JSON", body: []byte("id=WH-1&event_type=x"), noCalls: true},
		{name: "body a JSON array", body: []byte(`[{"id":"WH-1"}]`), noCalls: true},
		{name: "PayPal refuses the question", body: body, fault: onRequests(status(400, nil,
			`{"name":"VALIDATION_ERROR","details":[{"field":"transmission_time","issue":"INVALID_PARAMETER_SYNTAX"}]}`), 0)},
		{name: "PayPal unavailable", body: body, providerE: true, fault: onRequests(status(503, nil, body500), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := paypalfake.New(t)
			f.SetFault(tc.fault)
			webhookID := f.WebhookID
			switch {
			case tc.noWebhook:
				webhookID = ""
			case tc.webhookID != "":
				webhookID = tc.webhookID
			}
			c := connectWith(t, Registration(testOptions()), f.URL, f.ClientID, f.ClientSecret(), webhookID)
			req := delivery(f, tc.body)
			if tc.header != nil {
				tc.header(f, req.Header)
			}
			events, err := c.ParseWebhook(context.Background(), req)
			calls := len(f.Requests("POST", "/v1/notifications/verify-webhook-signature"))
			switch {
			case tc.ok:
				if err != nil {
					t.Fatalf("ParseWebhook: %v", err)
				}
				if calls != 1 {
					t.Fatalf("%d verify calls, want 1", calls)
				}
			case tc.providerE:
				if errors.Is(err, provider.ErrBadSignature) {
					t.Fatalf("PayPal unavailable is a bad signature: %v", err)
				}
				if pe := asProviderError(t, err); !pe.Temporary || pe.Uncertain {
					t.Fatalf("error = %+v", pe)
				}
			default:
				if !errors.Is(err, provider.ErrBadSignature) || events != nil {
					t.Fatalf("ParseWebhook = %v, %v; want ErrBadSignature", events, err)
				}
				if tc.noCalls && (calls != 0 || f.TokenFetches() != 0) {
					t.Fatalf("%d verify calls and %d token fetches for a delivery refused on sight", calls, f.TokenFetches())
				}
			}
		})
	}
}

// TestVerifyRequest: what paymux asks PayPal, and the event sent as received.
func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	f := paypalfake.New(t)
	c := connect(t, f, testOptions())
	body := []byte("{\"id\":\"WH-2\",  \"event_type\":\"X.Y\", \"resource\":{\"a\":\"<&>\"}}")
	req := delivery(f, body)
	if _, err := c.ParseWebhook(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	sent := f.Requests("POST", "/v1/notifications/verify-webhook-signature")[0]
	var got map[string]json.RawMessage
	if err := json.Unmarshal(sent.Body, &got); err != nil {
		t.Fatal(err)
	}
	if string(got["webhook_event"]) != string(body) {
		t.Errorf("webhook_event = %s, want the body as received", got["webhook_event"])
	}
	for k, h := range map[string]string{"auth_algo": HeaderAuthAlgo, "cert_url": HeaderCertURL, "transmission_id": HeaderTransmissionID,
		"transmission_sig": HeaderTransmissionSig, "transmission_time": HeaderTransmissionTime} {
		var v string
		if json.Unmarshal(got[k], &v); v != req.Header.Get(h) {
			t.Errorf("%s = %q, want %q", k, v, req.Header.Get(h))
		}
	}
	if string(got["webhook_id"]) != `"`+f.WebhookID+`"` {
		t.Errorf("webhook_id = %s", got["webhook_id"])
	}
	if id := sent.Header.Get("PayPal-Request-Id"); !strings.HasPrefix(id, "paymux-verify-") || len(id) > maxRequestID {
		t.Errorf("PayPal-Request-Id = %q", id)
	}
}

func TestWebhookTranslation(t *testing.T) {
	t.Parallel()
	news := func(id string, o payment.Outcome) []provider.WebhookEvent {
		o.ProviderReference, o.PaymentMethodType = "5O190127TN364715T", "paypal"
		return []provider.WebhookEvent{{ID: id, PaymentID: "pay_9", ProviderReference: "5O190127TN364715T", Payment: &o}}
	}
	const evID = "WH-58D329510W468432D-8HN650336L201105X"
	tests := []struct {
		name string
		body []byte
		want []provider.WebhookEvent
	}{
		{"order approved: processing until a status lookup completes it", []byte(orderApprovedEvent),
			news("WH-COC11055RA711503B-4YM959094A144403T", payment.Outcome{Status: payment.StatusProcessing})},
		{"capture completed", paypalEvent(evID, "PAYMENT.CAPTURE.COMPLETED", "capture", captureResource("COMPLETED", nil)),
			news(evID, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1000})},
		{"partial capture completed", paypalEvent(evID, "PAYMENT.CAPTURE.COMPLETED", "capture", captureResource("COMPLETED",
			map[string]any{"amount": map[string]any{"currency_code": "EUR", "value": "6.00"}})),
			news(evID, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 600})},
		{"capture completed in JPY", paypalEvent(evID, "PAYMENT.CAPTURE.COMPLETED", "capture", captureResource("COMPLETED",
			map[string]any{"amount": map[string]any{"currency_code": "JPY", "value": "1500"}})),
			news(evID, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1500})},
		{"capture pending", paypalEvent(evID, "PAYMENT.CAPTURE.PENDING", "capture", captureResource("PENDING",
			map[string]any{"status_details": map[string]any{"reason": "PENDING_REVIEW"}})),
			news(evID, payment.Outcome{Status: payment.StatusProcessing})},
		{"capture denied", paypalEvent(evID, "PAYMENT.CAPTURE.DENIED", "capture", captureResource("DECLINED", nil)),
			news(evID, payment.Outcome{Status: payment.StatusFailed, FailureCode: "capture_declined",
				FailureMessage: "PayPal reports the capture as declined (capture_declined)."})},
		{"capture denied without a status", paypalEvent(evID, "PAYMENT.CAPTURE.DENIED", "capture", captureResource("", nil)),
			news(evID, payment.Outcome{Status: payment.StatusFailed, FailureCode: "capture_declined",
				FailureMessage: "PayPal reports the capture as declined (capture_declined)."})},
		{"authorization created", paypalEvent(evID, "PAYMENT.AUTHORIZATION.CREATED", "authorization", authResource("CREATED")),
			news(evID, payment.Outcome{Status: payment.StatusRequiresCapture})},
		{"authorization voided", paypalEvent(evID, "PAYMENT.AUTHORIZATION.VOIDED", "authorization", authResource("VOIDED")),
			news(evID, payment.Outcome{Status: payment.StatusCanceled})},
		{"capture without related ids still names the payment", paypalEvent(evID, "PAYMENT.CAPTURE.COMPLETED", "capture",
			map[string]any{"id": "42311647XV020574X", "status": "COMPLETED", "custom_id": "pay_9", "amount": map[string]any{"currency_code": "EUR", "value": "10.00"}}),
			[]provider.WebhookEvent{{ID: evID, PaymentID: "pay_9", Payment: &payment.Outcome{Status: payment.StatusSucceeded, PaymentMethodType: "paypal", AmountCaptured: 1000}}}},
		{"unknown type is acknowledged", paypalEvent(evID, "CUSTOMER.DISPUTE.CREATED", "dispute", map[string]any{"dispute_id": "PP-D-1"}), nil},
		{"checkout.order.completed is not acted on", paypalEvent(evID, "CHECKOUT.ORDER.COMPLETED", "checkout-order", map[string]any{"id": "5O1"}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := paypalfake.New(t)
			c := connect(t, f, testOptions())
			got, err := c.ParseWebhook(context.Background(), delivery(f, tc.body))
			if err != nil {
				t.Fatalf("ParseWebhook: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("events =\n %s\nwant\n %s", dump(got), dump(tc.want))
			}
			// A redelivery translates the same: deduplication is the engine's.
			again, err := c.ParseWebhook(context.Background(), delivery(f, tc.body))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("redelivery = %s, %v", dump(again), err)
			}
		})
	}
}

func dump(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestRefundWebhook: the refund names paymux's refund id; the payment comes from the
// refunded capture, read from PayPal.
func TestRefundWebhook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := paypalfake.New(t)
	c := connect(t, f, testOptions())
	o, err := c.Authorize(ctx, authReq("rw", 1000, payment.CaptureAutomatic))
	if err != nil {
		t.Fatal(err)
	}
	f.Approve(o.ProviderReference, "")
	if _, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_rw", ProviderReference: o.ProviderReference}); err != nil {
		t.Fatal(err)
	}
	capID := f.Order(o.ProviderReference).CaptureIDs[0]
	refundRes := func(status string) map[string]any {
		return map[string]any{"id": "1JU08902781691411", "status": status, "custom_id": "re_paymux9", "invoice_id": "re_paymux9",
			"amount": map[string]any{"currency_code": "EUR", "value": "3.00"},
			"links": []any{map[string]any{"href": "https://api.paypal.com/v2/payments/refunds/1JU08902781691411", "rel": "self", "method": "GET"},
				map[string]any{"href": "https://api.paypal.com/v2/payments/captures/" + capID, "rel": "up", "method": "GET"}}}
	}
	for _, tc := range []struct {
		status string
		want   provider.RefundResult
	}{
		{"COMPLETED", provider.RefundResult{State: payment.RefundSucceeded, ProviderReference: "1JU08902781691411"}},
		{"PENDING", provider.RefundResult{State: payment.RefundPending, ProviderReference: "1JU08902781691411"}},
		{"FAILED", provider.RefundResult{State: payment.RefundFailed, ProviderReference: "1JU08902781691411",
			FailureCode: "refund_failed", FailureMessage: "PayPal reports the refund as failed (refund_failed)."}},
	} {
		body := paypalEvent("WH-REFUND-"+tc.status, "PAYMENT.CAPTURE.REFUNDED", "refund", refundRes(tc.status))
		got, err := c.ParseWebhook(ctx, delivery(f, body))
		if err != nil {
			t.Fatalf("%s: %v", tc.status, err)
		}
		want := []provider.WebhookEvent{{ID: "WH-REFUND-" + tc.status, PaymentID: "pay_rw", ProviderReference: o.ProviderReference,
			RefundID: "re_paymux9", Refund: &tc.want}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: events =\n %s\nwant\n %s", tc.status, dump(got), dump(want))
		}
	}
	// The up link's host is ignored: the capture is read from the connection's API.
	if reqs := f.Requests("GET", "/v2/payments/captures/"+capID); len(reqs) != 3 {
		t.Errorf("%d capture reads, want 3", len(reqs))
	}
	// A refund made on PayPal's site names no paymux refund and links nowhere useful.
	body := paypalEvent("WH-REFUND-DASH", "PAYMENT.CAPTURE.REFUNDED", "refund", map[string]any{"id": "1JU0", "status": "COMPLETED"})
	got, err := c.ParseWebhook(ctx, delivery(f, body))
	if err != nil || len(got) != 1 || got[0].RefundID != "" || got[0].PaymentID != "" || got[0].Refund.State != payment.RefundSucceeded {
		t.Fatalf("dashboard refund = %s, %v", dump(got), err)
	}
	// An unreadable capture is an error, so PayPal delivers the event again.
	bad := refundRes("COMPLETED")
	bad["links"] = []any{map[string]any{"href": "https://api.paypal.com/v2/payments/captures/NOSUCHCAPTURE", "rel": "up"}}
	if _, err := c.ParseWebhook(ctx, delivery(f, paypalEvent("WH-REFUND-BAD", "PAYMENT.CAPTURE.REFUNDED", "refund", bad))); err == nil ||
		errors.Is(err, provider.ErrBadSignature) {
		t.Fatalf("missing capture: %v", err)
	}
}

func TestWebhookRejectsBadPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body []byte
	}{
		{"no id", []byte(`{"event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"1"}}`)},
		{"no event type", []byte(`{"id":"WH-1","resource":{"id":"1"}}`)},
		{"no resource", []byte(`{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}`)},
		{"capture without id", paypalEvent("WH-1", "PAYMENT.CAPTURE.COMPLETED", "capture", map[string]any{"status": "COMPLETED"})},
		{"resource of the wrong shape", paypalEvent("WH-1", "PAYMENT.AUTHORIZATION.CREATED", "authorization", []any{1, 2})},
		{"order with a bad id", paypalEvent("WH-1", "CHECKOUT.ORDER.APPROVED", "checkout-order", map[string]any{"id": "../x", "status": "APPROVED"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := paypalfake.New(t)
			c := connect(t, f, testOptions())
			events, err := c.ParseWebhook(context.Background(), delivery(f, tc.body))
			if err == nil || errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("ParseWebhook = %v, %v; want a payload error", events, err)
			}
		})
	}
}

func TestWebhookEventTypes(t *testing.T) {
	t.Parallel()
	got := WebhookEventTypes()
	for _, want := range []string{"CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED",
		"PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.AUTHORIZATION.CREATED", "PAYMENT.AUTHORIZATION.VOIDED"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("WebhookEventTypes lacks %s", want)
		}
	}
}

// FuzzParseWebhook: whatever the body, certificate URL and signature, ParseWebhook
// does not panic; a delivery with a forged signature or a certificate URL off
// PayPal's hosts is always ErrBadSignature; a genuine one (a JSON object signed by
// the fake PayPal) never is, and what it yields is well-formed. Seeds are in
// testdata/fuzz/FuzzParseWebhook.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(orderApprovedEvent), "", true)
	pp := paypalfake.New(f)
	c := connect(f, pp, testOptions())
	f.Fuzz(func(t *testing.T, body []byte, certURL string, sign bool) {
		req := delivery(pp, body)
		if certURL != "" {
			req.Header.Set(HeaderCertURL, certURL)
		}
		if !sign {
			req.Header.Set(HeaderTransmissionSig, "forgedSignature0123456789==")
		}
		events, err := c.ParseWebhook(context.Background(), req)
		certOK := certURL == "" || checkCertURL(req.Header.Get(HeaderCertURL)) == nil
		trimmed := strings.TrimSpace(string(body))
		isObject := strings.HasPrefix(trimmed, "{") && json.Valid(body)
		if !sign || !certOK || !isObject {
			if !errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("unverifiable delivery accepted (sign=%t cert=%q): %v, %v", sign, certURL, events, err)
			}
			return
		}
		if errors.Is(err, provider.ErrBadSignature) {
			t.Fatalf("genuine delivery refused: %v", err)
		}
		if err != nil {
			if events != nil {
				t.Fatalf("events with an error: %v", events)
			}
			return
		}
		var ev struct {
			ID string `json:"id"`
		}
		if jerr := json.Unmarshal(body, &ev); jerr != nil || (ev.ID == "" && events != nil) {
			t.Fatalf("accepted a body without an event id: %q", body)
		}
		for _, e := range events {
			if e.ID != ev.ID {
				t.Fatalf("event id %q, want %q", e.ID, ev.ID)
			}
			if e.Payment != nil && !e.Payment.Status.Valid() {
				t.Fatalf("malformed payment news: %+v", e)
			}
			if e.ProviderReference != "" && !validOrderID(e.ProviderReference) {
				t.Fatalf("provider reference %q is not an order id", e.ProviderReference)
			}
			if e.Refund != nil {
				switch e.Refund.State {
				case payment.RefundPending, payment.RefundSucceeded, payment.RefundFailed:
				default:
					t.Fatalf("refund state %q", e.Refund.State)
				}
			}
		}
	})
}
